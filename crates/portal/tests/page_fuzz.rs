//! HTTP request fuzzing of the real portal: `twofold-portal serve` on loopback gets a
//! deterministic, seeded, bounded stream of generated bad requests at every page route and
//! form, the forward-auth endpoints, the RDP gate and the admin API — raw malformed HTTP over
//! a `TcpStream`, invalid UTF-8 and percent-encodings, control, bidi, zero-width and combining
//! characters and 10k-character user names, duplicated and missing fields, wrong and missing
//! content types, oversize and chunked bodies, bad methods, huge headers — with and without a
//! real session cookie and CSRF token. Then: no 5xx but the documented 503 (busy, with
//! `Retry-After`), the process alive, no panic, no ERROR and nothing secret or raw-control in
//! its log, a normal sign-in still works and the audit log prints control characters escaped.
//!
//! `TWOFOLD_FUZZ_REQUESTS` sets the count (default [`DEFAULT_REQUESTS`], a few seconds),
//! `TWOFOLD_FUZZ_SEED` the seed; a failure names both and the request that caused it, so it
//! can be replayed. `scripts/reliability.sh` runs it with 20,000. Leaves out HTTP/2 framing
//! (hyper's own, fuzzed upstream) and TLS; the `cargo fuzz` targets cover the parsers below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use twofold_core::otp::Algorithm;

const DEFAULT_REQUESTS: usize = 1200;
const DEFAULT_SEED: u64 = 0x2f0f_d0e5_1a7e_5eed;
/// Requests in flight at once: enough to exercise concurrent handlers and hash slots.
const WORKERS: usize = 4;
/// Longer than the server's own 30 s request deadline, so a 408 arrives before this gives
/// up; reaching it means the portal neither answered nor closed (a hang).
const READ_BOUND: Duration = Duration::from_secs(45);
/// Every password the fuzzer types: it must never appear in the portal's log.
const MARKER: &str = "Fz-Secret-Pw-91c4e7";

/// Users the fuzzer never names (final sign-ins and session contexts depend on them); it
/// does attack `alice` and `dana` and every odd spelling of them.
const PROTECTED: &[&str] = &["carol", "bob", "finance", "fz-activate", "fz-code", "fz-zoë-plain"];
const ACTIVATE_USER: (&str, &str) = ("fz-activate", "fz-activate-pw-5521");
const CODE_USER: (&str, &str) = ("fz-code", "fz-code-pw-8812");
/// A password-only user whose name is not ASCII: the signed-in context's session.
const PLAIN_USER: (&str, &str) = ("fz-zoë-plain", "fz-plain-pw-3307");
const DEMO_PASSWORDS: &[&str] =
    &["alice-demo-pass", "bob-demo-pass", "dana-demo-pass", "carol-demo-pass"];

/// Where the fuzz traffic comes from: 16 loopback addresses in turn, so the per-address
/// password limit (50 failures) bounds the hashing without closing every path at once.
fn fuzz_source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1, 1 + (i % 16) as u8)
}
/// Setup and the contexts' sign-ins (correct passwords only, so never throttled).
const SETUP_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The sign-ins after the fuzz: an address the fuzzer never used.
const FINAL_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 2, 1);

// ---------------------------------------------------------------------------------------
// Deterministic randomness

/// SplitMix64: tiny, seedable, the same stream on every machine.
struct Rng(u64);

impl Rng {
    fn for_request(seed: u64, index: usize) -> Rng {
        let mut r = Rng(seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------
// What goes into the requests

const BASE_NAMES: &[&str] = &[
    "alice",
    "dana",
    "ALICE",
    "Alice",
    " alice ",
    "alice\t",
    "root",
    "admin",
    "",
    " ",
    "DOMAIN\\alice",
    "alice@example.net",
    "user:alice",
    "Zoë Ünal",
    "田中",
];

const NASTY: &[&str] = &[
    "\n1795824010\tadmin\tsignin.ok\talice\tforged entry",
    "\r\nSet-Cookie: twofold_session=forged",
    "\0",
    "\u{1}\u{7f}\u{9f}",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{85}",
    "\u{202E}",
    "\u{2066}",
    "\u{200B}",
    "\u{200D}",
    "\u{FEFF}",
    "\u{2028}",
    "\u{0301}\u{0301}\u{0301}",
    "\u{E0041}",
    "ａｌｉｃｅ",
    "🙂",
    "👩\u{200D}👩\u{200D}👧",
    "İ",
    "ß",
    "\u{FFFD}",
    "\u{10FFFF}",
    "%00",
    "%0d%0a",
    "%",
    "%G1",
    "+",
    "&",
    "=",
    ";",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "*)(uid=*))(|(uid=*",
    "\\",
    "{{7*7}}",
];

const BAD_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf4\x90\x80\x80",
    b"\xfe\xff",
    b"\x80",
];

/// Characters from the edges of Unicode, for random names.
const EDGE_CHARS: &[char] = &[
    'a',
    'Z',
    '0',
    ' ',
    '\t',
    '\n',
    '\r',
    '\0',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    'é',
    '\u{0301}',
    '\u{0336}',
    '\u{061C}',
    '\u{200B}',
    '\u{200E}',
    '\u{202A}',
    '\u{202E}',
    '\u{2067}',
    '\u{2028}',
    '\u{FEFF}',
    '\u{FFFD}',
    '\u{FFFF}',
    '\u{1F600}',
    '\u{10FFFF}',
    '\u{E0001}',
    'ı',
    'K',
    'ǅ',
    'ﬀ',
    '%',
    '&',
    '=',
    '+',
    '"',
    '<',
    ';',
    '\\',
    '/',
];

/// A user name to type: plausible, hostile, huge or not UTF-8 at all.
fn username(r: &mut Rng) -> Vec<u8> {
    let mut out: Vec<u8> = match r.below(100) {
        0..=29 => {
            let base = r.pick(BASE_NAMES).as_bytes().to_vec();
            let nasty = r.pick(NASTY).as_bytes();
            let at = r.below(base.len() + 1);
            let mut v = base[..at].to_vec();
            v.extend_from_slice(nasty);
            v.extend_from_slice(&base[at..]);
            v
        }
        30..=41 => r.pick(NASTY).as_bytes().to_vec(),
        42..=51 => {
            // 10k characters: the form limit (16 KiB) lets some through and refuses others.
            let unit = r.pick(&["a", "é", "\u{202E}", "\u{0301}", "🙂", "\0", "\n", "%"]);
            let prefix = if r.chance(50) { "alice" } else { "" };
            format!("{prefix}{}", unit.repeat(10_000)).into_bytes()
        }
        52..=66 => {
            let n = 1 + r.below(40);
            (0..n).map(|_| r.pick(EDGE_CHARS)).collect::<String>().into_bytes()
        }
        67..=81 => {
            let mut v = r.pick(BASE_NAMES).as_bytes().to_vec();
            for _ in 0..1 + r.below(3) {
                let at = r.below(v.len() + 1);
                let bad = r.pick(BAD_UTF8);
                v.splice(at..at, bad.iter().copied());
            }
            v
        }
        82..=86 => {
            let n = 1 + r.below(64);
            r.bytes(n)
        }
        _ => r.pick(BASE_NAMES).as_bytes().to_vec(),
    };
    if protected(&out) {
        out = b"not-protected".to_vec();
    }
    out
}

fn protected(name: &[u8]) -> bool {
    let text = String::from_utf8_lossy(name).trim().to_lowercase();
    PROTECTED.contains(&text.as_str())
}

fn password(r: &mut Rng) -> Vec<u8> {
    match r.below(10) {
        0 => Vec::new(),
        1 => format!("{MARKER}{}", "x".repeat(5000)).into_bytes(),
        2 => format!("{MARKER}{}", r.pick(NASTY)).into_bytes(),
        _ => MARKER.as_bytes().to_vec(),
    }
}

const RETURN_URLS: &[&str] = &[
    "http://127.0.0.1/desktop/",
    "http://evil.example/",
    "//evil.example/",
    "javascript:alert(1)",
    "http://user:pw@127.0.0.1/",
    "http://127.0.0.1:99999/",
    "http://[::1]/x",
    "http://ⓔⓥⓘⓛ.example/",
    "http://127.0.0.1/%0d%0aSet-Cookie:%20x=y",
    "http://127.0.0.1/\u{202E}gnp.exe",
    "data:text/html,<script>alert(1)</script>",
    "",
    "%",
    "http://",
];

fn return_url(r: &mut Rng) -> Vec<u8> {
    match r.below(10) {
        0 => format!("http://127.0.0.1/{}", "a".repeat(5000)).into_bytes(),
        1 => {
            let mut v = r.pick(RETURN_URLS).as_bytes().to_vec();
            v.extend_from_slice(r.pick(BAD_UTF8));
            v
        }
        _ => r.pick(RETURN_URLS).as_bytes().to_vec(),
    }
}

/// Percent-encoding as a browser does it (every byte outside the unreserved set).
fn encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A form value as sent: properly encoded, `+` for spaces, raw bytes, or with broken escapes.
fn form_value(r: &mut Rng, value: &[u8]) -> Vec<u8> {
    match r.below(10) {
        0..=5 => encode(value).into_bytes(),
        6 => encode(value).replace("%20", "+").into_bytes(),
        7 => value.to_vec(),
        _ => {
            let mut v = encode(value).into_bytes();
            let at = r.below(v.len() + 1);
            let broken: &[u8] = r.pick(&[&b"%"[..], b"%Z9", b"%f", b"%%", b"%u202E", b"%C0%AF"]);
            v.splice(at..at, broken.iter().copied());
            v
        }
    }
}

/// A form body from `fields`, some of them dropped, duplicated, renamed or joined oddly.
fn form_body(r: &mut Rng, fields: Fields) -> Vec<u8> {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (name, value) in fields {
        if r.chance(8) {
            continue; // a missing field
        }
        let name: Vec<u8> = match r.below(30) {
            0 => format!("{name}[]").into_bytes(),
            1 => name.to_uppercase().into_bytes(),
            2 => format!("{name}%00").into_bytes(),
            _ => name.as_bytes().to_vec(),
        };
        pairs.push((name.clone(), form_value(r, &value)));
        if r.chance(8) {
            // A duplicated field: the second value differs.
            let other = username(r);
            pairs.push((name, form_value(r, &other)));
        }
    }
    if r.chance(10) {
        let name = username(r);
        pairs.push((b"unexpected".to_vec(), form_value(r, &name)));
    }
    if r.chance(5) {
        let at = r.below(pairs.len() + 1);
        pairs.insert(at, (Vec::new(), Vec::new()));
    }
    let mut body = Vec::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(if r.chance(5) { b"&&" } else { b"&" });
        }
        body.extend_from_slice(name);
        if !(value.is_empty() && r.chance(50)) {
            body.push(b'=');
        }
        body.extend_from_slice(value);
    }
    body
}

const FORM_TYPES: &[&str] = &[
    "application/json",
    "text/plain",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=utf-16",
    "APPLICATION/X-WWW-FORM-URLENCODED",
    "application/x-www-form-urlencoded, application/json",
    "application/x-www-form-urlencodedx",
    ";;;",
    "application/x-www-form-urlencoded; charset=\"\u{202E}\"",
];

const JSON_TYPES: &[&str] = &[
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin1",
    "application/vnd.api+json",
    "application/jsonx",
    "APPLICATION/JSON",
    "application/json, text/plain",
];

// ---------------------------------------------------------------------------------------
// Requests

/// One generated request and what may come of it.
struct Case {
    /// What it is, for the failure report.
    label: String,
    bytes: Vec<u8>,
    /// Sent to the admin listener rather than the portal's.
    admin: bool,
    /// Well-formed enough that the portal must answer it (else closing is fine, e.g. a body
    /// that stops early or a request line that is not HTTP).
    must_answer: bool,
    /// Shut the sending side once written: for requests that are incomplete on purpose, so
    /// the server sees the end instead of waiting for more.
    close_write: bool,
    /// Starts with the HTTP/2 preface: the server rightly answers in HTTP/2 frames, which
    /// this HTTP/1 reader does not parse.
    h2: bool,
}

/// The sessions the fuzzer borrows: a CSRF cookie with its token, and a session at each step.
#[derive(Clone, Default)]
struct Contexts {
    csrf_cookie: String,
    csrf_token: String,
    activate: String,
    code: String,
    signed_in: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Framing {
    Length,
    Chunked,
    ChunkedBroken,
    /// Content-Length larger than the body sent: incomplete.
    LengthLong,
    /// Content-Length smaller than the body: the rest is a pipelined request of garbage.
    LengthShort,
    /// Both Content-Length and Transfer-Encoding.
    Both,
}

fn framing(r: &mut Rng) -> Framing {
    match r.below(100) {
        0..=71 => Framing::Length,
        72..=81 => Framing::Chunked,
        82..=85 => Framing::ChunkedBroken,
        86..=90 => Framing::LengthLong,
        91..=95 => Framing::LengthShort,
        _ => Framing::Both,
    }
}

fn chunked(r: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = (1 + r.below(rest.len().min(4096))).min(rest.len());
        let _ = write!(ByteWriter(&mut out), "{n:x}");
        if r.chance(10) {
            out.extend_from_slice(b";ext=1");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\n");
    if r.chance(10) {
        out.extend_from_slice(b"X-Trailer: t\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

struct ByteWriter<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A request: `headers` as given (Host and Connection: close added), the body framed.
fn http(
    method: &[u8],
    target: &[u8],
    headers: &[(Vec<u8>, Vec<u8>)],
    body: Option<(&[u8], Framing, &mut Rng)>,
) -> (Vec<u8>, bool, bool) {
    let mut out = Vec::new();
    out.extend_from_slice(method);
    out.push(b' ');
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let (mut must_answer, mut close_write) = (true, false);
    let Some((body, framing, r)) = body else {
        out.extend_from_slice(b"\r\n");
        return (out, must_answer, close_write);
    };
    match framing {
        Framing::Length => {
            let _ = write!(ByteWriter(&mut out), "Content-Length: {}\r\n\r\n", body.len());
            out.extend_from_slice(body);
        }
        Framing::Chunked => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            out.extend_from_slice(&chunked(r, body));
        }
        Framing::ChunkedBroken => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            let broken: &[u8] = r.pick(&[
                &b"zz\r\nabc\r\n0\r\n\r\n"[..],
                b"ffffffffffffffffffff\r\nabc",
                b"5\r\nabcdefgh\r\n0\r\n\r\n",
                b"-1\r\n\r\n",
                b"3\r\nabc",
                b"0x10\r\n",
            ]);
            out.extend_from_slice(broken);
            (must_answer, close_write) = (false, true);
        }
        Framing::LengthLong => {
            let _ = write!(ByteWriter(&mut out), "Content-Length: {}\r\n\r\n", body.len() + 100);
            out.extend_from_slice(body);
            (must_answer, close_write) = (false, true);
        }
        Framing::LengthShort => {
            let short = body.len() / 2;
            let _ = write!(ByteWriter(&mut out), "Content-Length: {short}\r\n\r\n");
            out.extend_from_slice(body);
            must_answer = false;
        }
        Framing::Both => {
            let encoded = chunked(r, body);
            let _ = write!(
                ByteWriter(&mut out),
                "Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                encoded.len()
            );
            out.extend_from_slice(&encoded);
            must_answer = false;
        }
    }
    (out, must_answer, close_write)
}

fn h(name: &str, value: impl Into<Vec<u8>>) -> (Vec<u8>, Vec<u8>) {
    (name.as_bytes().to_vec(), value.into())
}

/// The cookies a request carries: none, the CSRF cookie, a real session at some step, or junk.
fn cookies(r: &mut Rng, ctx: &Contexts, wanted: Option<&str>) -> (Option<Vec<u8>>, &'static str) {
    let csrf = format!("twofold_csrf={}", ctx.csrf_cookie);
    let session = |id: &str| format!("twofold_session={id}");
    let wanted = wanted.map(|w| match w {
        "activate" => ctx.activate.clone(),
        "code" => ctx.code.clone(),
        _ => ctx.signed_in.clone(),
    });
    let (value, label) = match r.below(100) {
        0..=9 => return (None, "no cookie"),
        10..=24 => (csrf, "csrf cookie"),
        25..=64 if wanted.is_some() => {
            (format!("{csrf}; {}", session(&wanted.unwrap_or_default())), "real session")
        }
        25..=64 => {
            let id = r.pick(&[&ctx.activate, &ctx.code, &ctx.signed_in]).to_string();
            (format!("{csrf}; {}", session(&id)), "some session")
        }
        65..=74 => (session(&"A".repeat(43)), "unknown session"),
        75..=79 => (format!("{csrf}; {}", session(&"x".repeat(10_000))), "10k session id"),
        80..=84 => (format!("{csrf}; {csrf}x; twofold_session=; twofold_session"), "odd cookies"),
        85..=89 => {
            let many: Vec<String> = (0..2000).map(|i| format!("c{i}=v")).collect();
            (many.join("; "), "2000 cookies")
        }
        _ => {
            let mut v = csrf.into_bytes();
            v.extend_from_slice(b"; twofold_session=");
            v.extend_from_slice(r.pick(BAD_UTF8));
            v.extend_from_slice("\u{202E}é".as_bytes());
            return (Some(v), "non-ASCII cookie");
        }
    };
    (Some(value.into_bytes()), label)
}

fn csrf_field(r: &mut Rng, ctx: &Contexts) -> Vec<u8> {
    match r.below(10) {
        0..=6 => ctx.csrf_token.as_bytes().to_vec(),
        7 => Vec::new(),
        8 => format!("{}x", ctx.csrf_token).into_bytes(),
        _ => username(r),
    }
}

fn content_type(r: &mut Rng, right: &str, wrong: &[&str]) -> (Option<Vec<u8>>, String) {
    match r.below(100) {
        0..=69 => (Some(right.as_bytes().to_vec()), String::new()),
        70..=79 => (None, " ct=missing".into()),
        _ => {
            let ct = r.pick(wrong);
            (Some(ct.as_bytes().to_vec()), format!(" ct={ct:?}"))
        }
    }
}

/// A body big enough to be refused (pages take 16 KiB, the admin API 256 KiB).
fn oversize(r: &mut Rng, prefix: &[u8], admin: bool) -> Vec<u8> {
    let size = if admin { 300 * 1024 } else { r.pick(&[17 * 1024, 64 * 1024, 1024 * 1024]) };
    let mut v = prefix.to_vec();
    v.resize(size, b'a');
    v
}

/// A form's fields by name, in order.
type Fields = Vec<(&'static str, Vec<u8>)>;

fn page_form(r: &mut Rng, ctx: &Contexts) -> Case {
    let (path, stage, fields): (&str, Option<&str>, Fields) = match r.below(20) {
        0..=8 => (
            "/login",
            None,
            vec![
                ("username", username(r)),
                ("password", password(r)),
                ("csrf", csrf_field(r, ctx)),
            ],
        ),
        9..=12 => (
            "/activate",
            Some("activate"),
            vec![("code", code_value(r)), ("csrf", csrf_field(r, ctx))],
        ),
        13..=16 => {
            ("/verify", Some("code"), vec![("code", code_value(r)), ("csrf", csrf_field(r, ctx))])
        }
        _ => ("/logout", Some("signed_in"), vec![("csrf", csrf_field(r, ctx))]),
    };
    let mut body = form_body(r, fields);
    let mut label = format!("POST {path}");
    if r.chance(5) {
        body = oversize(r, &body, false);
        label.push_str(" oversize");
    }
    let mut headers = Vec::new();
    let (cookie, cookie_label) = cookies(r, ctx, stage);
    if let Some(c) = cookie {
        headers.push(h("Cookie", c));
    }
    let _ = write!(label, " [{cookie_label}]");
    let (ct, ct_label) = content_type(r, "application/x-www-form-urlencoded", FORM_TYPES);
    if let Some(ct) = ct {
        headers.push(h("Content-Type", ct));
    }
    label.push_str(&ct_label);
    if r.chance(3) {
        headers.push(h("Expect", "100-continue"));
    }
    if r.chance(10) {
        headers.push(h(
            "Accept-Language",
            r.pick(&["fr", "fr-CH;q=0.9, en;q=0.1", "*", ";q=x", "\u{202E}"]).as_bytes(),
        ));
    }
    let f = framing(r);
    let oversized = body.len() > 16 * 1024;
    let (bytes, must, close) = http(b"POST", path.as_bytes(), &headers, Some((&body, f, r)));
    Case {
        label: format!("{label} framing={}", framing_name(f)),
        bytes,
        admin: false,
        // A refused oversize body may be cut off mid-write, its answer with it.
        must_answer: must && !oversized,
        close_write: close,
        h2: false,
    }
}

fn framing_name(f: Framing) -> &'static str {
    match f {
        Framing::Length => "length",
        Framing::Chunked => "chunked",
        Framing::ChunkedBroken => "chunked-broken",
        Framing::LengthLong => "length-too-long",
        Framing::LengthShort => "length-too-short",
        Framing::Both => "length+chunked",
    }
}

fn code_value(r: &mut Rng) -> Vec<u8> {
    match r.below(8) {
        0 => format!("{:06}", r.below(1_000_000)).into_bytes(),
        1 => b"".to_vec(),
        2 => "１２３４５６".as_bytes().to_vec(),
        3 => b"123 456".to_vec(),
        4 => "9".repeat(10_000).into_bytes(),
        5 => b"-00001".to_vec(),
        _ => username(r),
    }
}

const PAGE_PATHS: &[&str] = &[
    "/",
    "/login",
    "/activate",
    "/activate/qr.png",
    "/verify",
    "/logout",
    "/static/portal.css",
    "/login/",
    "//login",
    "/LOGIN",
    "/login%00",
    "/%2e%2e/login",
    "/activate/qr.png/..",
    "/login?%",
    "/login?rd",
    "/login?rd=&rd=",
    "/login?rd=%ff%fe",
    "/login#frag",
    "*",
    "http://127.0.0.1/login",
    "/nope/\u{202E}",
];

fn page_get(r: &mut Rng, ctx: &Contexts) -> Case {
    let (target, stage): (Vec<u8>, Option<&str>) = match r.below(10) {
        0..=3 => {
            let rd = return_url(r);
            let mut t = b"/login?rd=".to_vec();
            t.extend_from_slice(&if r.chance(70) { encode(&rd).into_bytes() } else { rd });
            (t, None)
        }
        4 => (format!("/login?{}", "a=b&".repeat(3000)).into_bytes(), None),
        5 => (b"/activate/qr.png".to_vec(), Some("activate")),
        6 => (b"/activate".to_vec(), Some("activate")),
        7 => (b"/verify".to_vec(), Some("code")),
        8 => (b"/".to_vec(), Some("signed_in")),
        _ => (r.pick(PAGE_PATHS).as_bytes().to_vec(), None),
    };
    let mut headers = Vec::new();
    let (cookie, cookie_label) = cookies(r, ctx, stage);
    if let Some(c) = cookie {
        headers.push(h("Cookie", c));
    }
    let method: &[u8] = if r.chance(10) { b"HEAD" } else { b"GET" };
    // Bytes that are not a valid request target make the request line invalid: hyper's 400,
    // or a close.
    let valid_target = target.iter().all(|b| b.is_ascii_graphic());
    let (bytes, must, close) = http(method, &target, &headers, None);
    Case {
        label: format!("{} {} [{cookie_label}]", String::from_utf8_lossy(method), shorten(&target)),
        bytes,
        admin: false,
        must_answer: must && valid_target,
        close_write: close,
        h2: false,
    }
}

const FORWARD_HEADERS: &[&str] = &[
    "X-Original-URL",
    "X-Original-URI",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Forwarded-Uri",
    "X-Forwarded-For",
    "X-Real-IP",
    "Forwarded",
    "X-Forwarded-Method",
];

fn forward_auth(r: &mut Rng, ctx: &Contexts) -> Case {
    let path: &[u8] = if r.chance(50) { b"/auth/request" } else { b"/auth/forward" };
    let mut headers = Vec::new();
    let (cookie, cookie_label) = cookies(r, ctx, Some("signed_in"));
    if let Some(c) = cookie {
        headers.push(h("Cookie", c));
    }
    for _ in 0..r.below(5) {
        let name = r.pick(FORWARD_HEADERS);
        let value: Vec<u8> = match r.below(6) {
            0 => return_url(r),
            1 => b"http, https, \xff".to_vec(),
            2 => format!(
                "{}, 127.0.0.1",
                r.pick(&["1.2.3.4", "::1", "999.1.1.1", "unknown", "for=\"[::1]\""])
            )
            .into_bytes(),
            3 => "a".repeat(8000).into_bytes(),
            4 => b"/desktop/?rd=http://evil.example/".to_vec(),
            _ => username(r).into_iter().filter(|b| *b >= 0x20 && *b != 0x7f).collect(),
        };
        headers.push(h(name, value));
    }
    if r.chance(5) {
        // Header injection: control bytes in a value (hyper refuses them).
        headers.push(h("X-Original-URL", b"http://127.0.0.1/\r\nX-Evil: 1".to_vec()));
    }
    let method: &[u8] =
        r.pick(&[&b"GET"[..], b"GET", b"HEAD", b"POST", b"PUT", b"OPTIONS", b"DELETE"]);
    let body = if method == b"POST" || method == b"PUT" { Some(username(r)) } else { None };
    let valid_values = headers.iter().all(|(_, v)| v.iter().all(|&b| b >= 0x20 && b != 0x7f));
    let (bytes, must, close) = match &body {
        Some(b) => {
            let f = framing(r);
            http(method, path, &headers, Some((b, f, r)))
        }
        None => http(method, path, &headers, None),
    };
    Case {
        label: format!(
            "{} {} [{cookie_label}] {} forwarding headers",
            String::from_utf8_lossy(method),
            String::from_utf8_lossy(path),
            headers.len()
        ),
        bytes,
        admin: false,
        must_answer: must && valid_values,
        close_write: close || !valid_values,
        h2: false,
    }
}

/// A JSON string literal for `bytes`: escaped, or raw (then maybe not UTF-8: invalid JSON).
fn json_string(r: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    match (std::str::from_utf8(bytes), r.below(10)) {
        (Ok(text), 0..=7) => serde_json::to_string(text).unwrap().into_bytes(),
        (_, 8) => b"\"\\ud800\\u0000\"".to_vec(),
        _ => {
            let mut v = b"\"".to_vec();
            v.extend_from_slice(bytes);
            v.push(b'"');
            v
        }
    }
}

fn json_odd_value(r: &mut Rng) -> Vec<u8> {
    let text: &str = r.pick(&[
        "null",
        "true",
        "false",
        "0",
        "-0",
        "1e400",
        "18446744073709551616",
        "1.5",
        "[]",
        "{}",
        "\"\"",
        "[null]",
        "{\"kind\":\"user\"}",
        "NaN",
        "'single'",
    ]);
    text.as_bytes().to_vec()
}

fn admin_name(r: &mut Rng) -> Vec<u8> {
    let name = username(r);
    if protected(&name) {
        b"x".to_vec()
    } else {
        name
    }
}

/// A JSON body for one of the admin API's shapes, often wrong in some way.
fn admin_json(r: &mut Rng, shape: &str) -> Vec<u8> {
    let mut v = Vec::new();
    match r.below(100) {
        0..=59 => match shape {
            "switch" => {
                v.extend_from_slice(b"{\"enabled\":");
                let value = if r.chance(60) { json_odd_value(r) } else { b"true".to_vec() };
                v.extend_from_slice(&value);
                if r.chance(20) {
                    v.extend_from_slice(b",\"enabled\":false,\"extra\":1");
                }
                v.push(b'}');
            }
            "principals" => {
                v.extend_from_slice(b"{\"principals\":[");
                for i in 0..1 + r.below(3) {
                    if i > 0 {
                        v.push(b',');
                    }
                    let kind: &str = r.pick(&["user", "group", "USER", "role", ""]);
                    let _ = write!(ByteWriter(&mut v), "{{\"kind\":\"{kind}\",\"name\":");
                    let name = admin_name(r);
                    v.extend_from_slice(&json_string(r, &name));
                    v.push(b'}');
                }
                v.extend_from_slice(b"]}");
            }
            "users" => {
                v.extend_from_slice(b"{\"usernames\":[");
                let name = admin_name(r);
                v.extend_from_slice(&json_string(r, &name));
                v.extend_from_slice(b"]}");
            }
            "new_user" => {
                v.extend_from_slice(b"{\"username\":");
                let name = admin_name(r);
                v.extend_from_slice(&json_string(r, &name));
                v.extend_from_slice(b",\"password\":");
                let pw = password(r);
                v.extend_from_slice(&json_string(r, &pw));
                v.push(b'}');
            }
            "rdp" => {
                v.extend_from_slice(b"{\"username\":");
                let name = admin_name(r);
                v.extend_from_slice(&json_string(r, &name));
                v.extend_from_slice(b",\"password\":");
                let pw = password(r);
                v.extend_from_slice(&json_string(r, &pw));
                if r.chance(50) {
                    v.extend_from_slice(b",\"client_address\":");
                    let addr: &str = r.pick(&[
                        "\"127.0.1.99\"",
                        "\"::1\"",
                        "\"not an ip\"",
                        "7",
                        "null",
                        "\"\u{202E}\"",
                    ]);
                    v.extend_from_slice(addr.as_bytes());
                }
                v.push(b'}');
            }
            _ => {
                // The license file, as text.
                let text = username(r);
                v.extend_from_slice(&json_string(r, &text));
            }
        },
        60..=69 => v.extend_from_slice(&json_odd_value(r)),
        70..=74 => {
            let depth = r.pick(&[200, 5000, 50_000]);
            v.extend(std::iter::repeat_n(b'[', depth));
            v.extend(std::iter::repeat_n(b']', depth));
        }
        75..=79 => {
            v.extend_from_slice(b"{\"usernames\":[");
            for i in 0..20_000 {
                if i > 0 {
                    v.push(b',');
                }
                v.extend_from_slice(b"\"u\"");
            }
            v.extend_from_slice(b"]}");
        }
        80..=84 => v.extend_from_slice(b"{\"principals\":[{\"kind\":\"user\",\"name\":\"al"),
        85..=89 => {
            v.extend_from_slice("\u{FEFF}".as_bytes());
            v.extend_from_slice(b"{\"enabled\":true}");
        }
        90..=94 => v.extend_from_slice(b"{\"enabled\":true} trailing"),
        _ => {
            let n = r.below(200);
            v = r.bytes(n);
        }
    }
    v
}

fn path_segment(r: &mut Rng) -> Vec<u8> {
    let name = admin_name(r);
    match r.below(6) {
        0 => name.into_iter().filter(|b| b.is_ascii_graphic()).collect(),
        1 => b"%ff%fe".to_vec(),
        2 => b"..%2F..%2Fetc".to_vec(),
        3 => "a".repeat(10_000).into_bytes(),
        _ => encode(&name).into_bytes(),
    }
}

fn admin_api(r: &mut Rng, tokens: &Tokens) -> Case {
    let (method, target, shape): (&str, Vec<u8>, Option<&str>) = match r.below(16) {
        0 => ("GET", b"/api/v1/status".to_vec(), None),
        1 => ("GET", b"/api/v1/principals".to_vec(), None),
        2 => ("GET", b"/api/v1/users".to_vec(), None),
        3 => ("GET", b"/api/v1/license".to_vec(), None),
        4 => {
            let q = encode(&admin_name(r));
            let n: &str = r.pick(&["-1", "0", "abc", "99999999999999999999", "1e3", "", "%ff"]);
            ("GET", format!("/api/v1/directory?q={q}&offset={n}&limit={n}").into_bytes(), None)
        }
        5 => {
            let q = encode(&admin_name(r));
            let n: &str = r.pick(&["-1", "0", "abc", "99999999999999999999", "", "1.5"]);
            ("GET", format!("/api/v1/audit?user={q}&before={n}&limit={n}").into_bytes(), None)
        }
        6 => ("PUT", b"/api/v1/two-factor".to_vec(), Some("switch")),
        7 => ("POST", b"/api/v1/principals".to_vec(), Some("principals")),
        8 => ("POST", b"/api/v1/principals/remove".to_vec(), Some("principals")),
        9 => {
            let kind: &str = r.pick(&["user", "group", "USER", "%75ser", "x"]);
            let mut t = format!("/api/v1/principals/{kind}/").into_bytes();
            t.extend_from_slice(&path_segment(r));
            ("DELETE", t, None)
        }
        10 => ("POST", b"/api/v1/users".to_vec(), Some("new_user")),
        11 => {
            let mut t = b"/api/v1/users/".to_vec();
            t.extend_from_slice(&path_segment(r));
            ("DELETE", t, None)
        }
        12 => ("POST", b"/api/v1/users/reset".to_vec(), Some("users")),
        13 => ("POST", b"/api/v1/users/unlock".to_vec(), Some("users")),
        14 => ("PUT", b"/api/v1/license".to_vec(), Some("license")),
        _ => {
            let m: &str = r.pick(&["GET", "PATCH", "POST", "OPTIONS"]);
            (
                m,
                r.pick(&[
                    "/api/v1/",
                    "/api/v2/status",
                    "/api/v1/status/",
                    "/",
                    "/api/v1/openapi.json",
                ])
                .as_bytes()
                .to_vec(),
                None,
            )
        }
    };
    let mut headers = Vec::new();
    let token_label = match r.below(100) {
        0..=79 => {
            headers.push(h("Authorization", format!("Bearer {}", tokens.admin)));
            "token"
        }
        80..=84 => "no token",
        85..=89 => {
            headers.push(h("Authorization", format!("bearer {}", tokens.admin)));
            "lower-case scheme"
        }
        90..=94 => {
            headers.push(h("Authorization", format!("Bearer {}", "t".repeat(10_000))));
            "10k token"
        }
        _ => {
            headers.push(h("Authorization", format!("Bearer {}x", tokens.admin)));
            "wrong token"
        }
    };
    if r.chance(20) {
        let actor: Vec<u8> =
            username(r).into_iter().filter(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t').collect();
        headers.push(h("X-Twofold-Actor", actor));
    }
    let mut label = format!("{method} {} [{token_label}]", shorten(&target));
    let valid_target = target.iter().all(|b| b.is_ascii_graphic());
    let (bytes, must, close) = match shape {
        None => http(method.as_bytes(), &target, &headers, None),
        Some(shape) => {
            let mut body = admin_json(r, shape);
            if r.chance(4) {
                body = oversize(r, &body, true);
                label.push_str(" oversize");
            }
            let right = if shape == "license" { "text/plain" } else { "application/json" };
            let (ct, ct_label) = content_type(r, right, JSON_TYPES);
            if let Some(ct) = ct {
                headers.push(h("Content-Type", ct));
            }
            label.push_str(&ct_label);
            let f = framing(r);
            let _ = write!(label, " framing={}", framing_name(f));
            let oversized = body.len() > 256 * 1024;
            let (bytes, must, close) =
                http(method.as_bytes(), &target, &headers, Some((&body, f, r)));
            (bytes, must && !oversized, close)
        }
    };
    Case {
        label,
        bytes,
        admin: true,
        must_answer: must && valid_target,
        close_write: close,
        h2: false,
    }
}

fn rdp_gate(r: &mut Rng, tokens: &Tokens) -> Case {
    let mut headers = Vec::new();
    // The valid token rarely: each such request may cost a hash with its own named address.
    let token_label = match r.below(10) {
        0..=2 => {
            headers.push(h("Authorization", format!("Bearer {}", tokens.gateway)));
            "gateway token"
        }
        3..=5 => "no token",
        _ => {
            headers.push(h("Authorization", format!("Bearer {}", tokens.admin)));
            "admin token"
        }
    };
    let body = admin_json(r, "rdp");
    let (ct, ct_label) = content_type(r, "application/json", JSON_TYPES);
    if let Some(ct) = ct {
        headers.push(h("Content-Type", ct));
    }
    let f = framing(r);
    let (bytes, must, close) = http(b"POST", b"/api/rdp/authorize", &headers, Some((&body, f, r)));
    Case {
        label: format!(
            "POST /api/rdp/authorize [{token_label}]{ct_label} framing={}",
            framing_name(f)
        ),
        bytes,
        admin: false,
        must_answer: must,
        close_write: close,
        h2: false,
    }
}

fn bad_method(r: &mut Rng, ctx: &Contexts) -> Case {
    let method: Vec<u8> = match r.below(12) {
        0 => b"PUT".to_vec(),
        1 => b"DELETE".to_vec(),
        2 => b"PATCH".to_vec(),
        3 => b"OPTIONS".to_vec(),
        4 => b"TRACE".to_vec(),
        5 => b"PROPFIND".to_vec(),
        6 => b"get".to_vec(),
        7 => b"CONNECT".to_vec(),
        8 => "X".repeat(2000).into_bytes(),
        9 => b"G\0ET".to_vec(),
        10 => "GËT".as_bytes().to_vec(),
        _ => b"FOO BAR".to_vec(),
    };
    let path: &str =
        r.pick(&["/login", "/activate", "/verify", "/logout", "/", "/activate/qr.png"]);
    let mut headers = Vec::new();
    let (cookie, _) = cookies(r, ctx, Some("signed_in"));
    if let Some(c) = cookie {
        headers.push(h("Cookie", c));
    }
    let is_token = method.iter().all(|b| b.is_ascii_alphanumeric());
    let connect = method == b"CONNECT";
    let body = form_body(r, vec![("csrf", ctx.csrf_token.as_bytes().to_vec())]);
    let (bytes, must, close) =
        http(&method, path.as_bytes(), &headers, Some((&body, Framing::Length, r)));
    Case {
        label: format!("{} {path}", shorten(&method)),
        bytes,
        admin: r.chance(20),
        must_answer: must && is_token && !connect,
        close_write: close || !is_token || connect,
        h2: false,
    }
}

fn huge_headers(r: &mut Rng) -> Case {
    let path: &str = r.pick(&["/login", "/auth/request", "/"]);
    let mut headers = Vec::new();
    let label = match r.below(5) {
        0 => {
            headers.push(h("X-Big", "a".repeat(60 * 1024)));
            "one 60 KiB header"
        }
        1 => {
            headers.push(h("Cookie", format!("twofold_session={}", "b".repeat(500 * 1024))));
            "500 KiB cookie"
        }
        2 => {
            for i in 0..150 {
                headers.push(h(&format!("X-H{i}"), "v"));
            }
            "150 headers"
        }
        3 => {
            headers.push(h("Accept-Language", "fr;q=0.5, ".repeat(5000)));
            "50 KiB Accept-Language"
        }
        _ => {
            headers.push(h(&"N".repeat(20_000), "v"));
            "20k-byte header name"
        }
    };
    let (bytes, _, _) = http(b"GET", path.as_bytes(), &headers, None);
    // Refused by hyper with 431 (or closed when the buffer is exceeded).
    Case {
        label: format!("GET {path} {label}"),
        bytes,
        admin: r.chance(20),
        must_answer: false,
        close_write: true,
        h2: false,
    }
}

fn raw(r: &mut Rng) -> Case {
    let pick = |r: &mut Rng| -> (&'static str, Vec<u8>) {
        match r.below(24) {
            0 => ("empty", Vec::new()),
            1 => ("random bytes", { let n = 1 + r.below(2000); r.bytes(n) }),
            2 => ("LF-only lines", b"GET /login HTTP/1.1\nHost: x\n\n".to_vec()),
            3 => ("HTTP/0.9", b"GET /login\r\n\r\n".to_vec()),
            4 => ("HTTP/9.9", b"GET /login HTTP/9.9\r\nHost: x\r\n\r\n".to_vec()),
            5 => ("no Host", b"GET /login HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec()),
            6 => ("two Hosts", b"GET /login HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n".to_vec()),
            7 => ("obs-fold", b"GET /login HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\nConnection: close\r\n\r\n".to_vec()),
            8 => ("space in header name", b"GET /login HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n".to_vec()),
            9 => ("empty header name", b"GET /login HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n".to_vec()),
            10 => ("negative length", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec()),
            11 => ("list length", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nabcde".to_vec()),
            12 => ("huge length", b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\nab".to_vec()),
            13 => ("gzip, chunked", b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec()),
            14 => ("chunked then identity", b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec()),
            15 => ("HTTP/2 preface + garbage", { let mut v = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(); let n = r.below(300); v.extend(r.bytes(n)); v }),
            16 => ("TLS ClientHello", { let mut v = vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]; v.extend(r.bytes(64)); v }),
            17 => ("pipelined then garbage", { let mut v = b"GET /login HTTP/1.1\r\nHost: x\r\n\r\nGET /static/portal.css HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(); let n = r.below(100); v.extend(r.bytes(n)); v }),
            18 => ("100 KiB request line", format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100 * 1024)).into_bytes()),
            19 => ("NUL in request line", b"GET /lo\0gin HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
            20 => ("leading CRLFs", b"\r\n\r\n\r\nGET /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            21 => ("bare CR", b"GET /login HTTP/1.1\rHost: x\r\r".to_vec()),
            22 => ("absolute-form with userinfo", b"GET http://u:p@127.0.0.1/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
            _ => ("non-ASCII target", "GET /lögin/\u{202E} HTTP/1.1\r\nHost: x\r\n\r\n".as_bytes().to_vec()),
        }
    };
    let (label, bytes) = pick(r);
    let h2 = bytes.starts_with(b"PRI * HTTP/2.0");
    Case {
        label: format!("raw: {label}"),
        bytes,
        admin: r.chance(20),
        must_answer: false,
        close_write: true,
        h2,
    }
}

/// Request `index` of the stream for `seed`.
fn generate(seed: u64, index: usize, ctx: &Contexts, tokens: &Tokens) -> Case {
    let mut r = Rng::for_request(seed, index);
    match r.below(100) {
        0..=29 => page_form(&mut r, ctx),
        30..=44 => page_get(&mut r, ctx),
        45..=54 => forward_auth(&mut r, ctx),
        55..=58 => rdp_gate(&mut r, tokens),
        59..=78 => admin_api(&mut r, tokens),
        79..=84 => bad_method(&mut r, ctx),
        85..=89 => huge_headers(&mut r),
        _ => raw(&mut r),
    }
}

fn shorten(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut short: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        let _ = write!(short, "…({} bytes)", bytes.len());
    }
    short.escape_debug().to_string()
}

// ---------------------------------------------------------------------------------------
// Talking to the portal

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.strip_prefix(&format!("{name}=")))
            .find(|v| !v.is_empty())
            .map(str::to_string)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The first final (non-1xx) answer in `raw`, if it holds one.
fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let mut at = 0;
    loop {
        let end = at + find(&raw[at..], b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&raw[at..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
        if (100..200).contains(&status) {
            at = end + 4;
            continue;
        }
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut body = raw[end + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        return Some(Answer { status, headers, body });
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(data, b"\r\n") {
        let size = std::str::from_utf8(&data[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || data.len() < line_end + 2 + size {
            break;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[(line_end + 4 + size).min(data.len())..];
    }
    out
}

enum Outcome {
    /// Everything the server sent before closing.
    Closed(Vec<u8>),
    /// Could not connect: the portal is gone.
    Refused(String),
    /// Neither an answer nor a close within [`READ_BOUND`].
    Hung,
}

/// Sends `bytes` from `from` and reads until the server closes. Writing and reading run
/// together, so a server that answers early (413) and closes never deadlocks a big write;
/// the write side stays open unless `close_write`, because the server ends a connection as
/// soon as it sees the client's end.
async fn exchange(to: SocketAddr, from: Ipv4Addr, bytes: &[u8], close_write: bool) -> Outcome {
    let socket = match TcpSocket::new_v4() {
        Ok(s) => s,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    if let Err(e) = socket.bind(SocketAddr::new(from.into(), 0)) {
        return Outcome::Refused(format!("bind {from}: {e}"));
    }
    let mut stream = match socket.connect(to).await {
        Ok(s) => s,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let (mut rd, mut wr) = stream.split();
    let write = async {
        let _ = wr.write_all(bytes).await;
        if close_write {
            let _ = wr.shutdown().await;
        }
    };
    let mut out = Vec::new();
    let read = async {
        // A reset after an early answer is an ending like any other.
        let _ = rd.read_to_end(&mut out).await;
    };
    match tokio::time::timeout(READ_BOUND, async { tokio::join!(write, read) }).await {
        Ok(_) => Outcome::Closed(out),
        Err(_) => Outcome::Hung,
    }
}

/// A well-formed request for the setup and the final checks.
async fn call(
    to: SocketAddr,
    from: Ipv4Addr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(text, "{name}: {value}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(text, "Content-Length: {}\r\n", body.len());
    }
    text.push_str("\r\n");
    text.push_str(body.unwrap_or(""));
    match exchange(to, from, text.as_bytes(), false).await {
        Outcome::Closed(raw) => parse_answer(&raw)
            .unwrap_or_else(|| panic!("{method} {path}: no answer ({} bytes)", raw.len())),
        Outcome::Refused(e) => panic!("{method} {path}: {e}"),
        Outcome::Hung => panic!("{method} {path}: no answer within {READ_BOUND:?}"),
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

struct Portal {
    child: Child,
    dir: tempfile::TempDir,
    web: SocketAddr,
    admin: SocketAddr,
    log: PathBuf,
}

struct Tokens {
    admin: String,
    gateway: String,
}

fn data(dir: &Path) -> PathBuf {
    dir.join("data")
}

fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .arg("--data")
        .arg(data(dir))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("the CLI prints UTF-8")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Portal {
    /// The demo directory plus the fuzzer's own users, and a portal serving it.
    async fn start() -> Portal {
        let dir = tempfile::tempdir().unwrap();
        cli(dir.path(), &["demo"], None);
        for (name, pw) in [ACTIVATE_USER, CODE_USER, PLAIN_USER] {
            cli(dir.path(), &["user", "add", name, "--password-stdin"], Some(&format!("{pw}\n")));
        }
        cli(dir.path(), &["principals", "add", "user:fz-activate", "user:fz-code"], None);
        let (web, admin) = (free_port(), free_port());
        let log = dir.path().join("portal.log");
        let child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
            .arg("--data")
            .arg(data(dir.path()))
            .args(["serve", "--listen", &format!("127.0.0.1:{web}")])
            .args(["--admin-listen", &format!("127.0.0.1:{admin}")])
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let portal = Portal {
            child,
            dir,
            web: ([127, 0, 0, 1], web).into(),
            admin: ([127, 0, 0, 1], admin).into(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(portal.web).is_err()
            || std::net::TcpStream::connect(portal.admin).is_err()
        {
            assert!(Instant::now() < deadline, "the portal did not start: {}", portal.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        portal
    }

    fn tokens(&self) -> Tokens {
        let read = |f: &str| {
            std::fs::read_to_string(data(self.dir.path()).join(f)).unwrap().trim().to_string()
        };
        Tokens { admin: read("admin.token"), gateway: read("gateway.token") }
    }

    fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A CSRF cookie and its token, from the sign-in page.
    async fn csrf(&self, from: Ipv4Addr) -> (String, String) {
        let page = call(self.web, from, "GET", "/login", &[], None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let cookie = page.cookie("twofold_csrf").expect("a CSRF cookie");
        (cookie, csrf_in(&page.text()))
    }

    /// Posts the password step; answers (where it sends the visitor, the session id).
    async fn password_step(
        &self,
        from: Ipv4Addr,
        csrf: &(String, String),
        user: &str,
        pw: &str,
    ) -> Answer {
        let cookie = format!("twofold_csrf={}", csrf.0);
        let body = form(&[("username", user), ("password", pw), ("csrf", &csrf.1)]);
        call(self.web, from, "POST", "/login", &[("Cookie", &cookie), FORM], Some(&body)).await
    }

    /// First sign-in of a 2FA user through the real activation page; answers the secret
    /// and the signed-in session id.
    async fn enroll(&self, from: Ipv4Addr, user: &str, pw: &str) -> (String, String) {
        let csrf = self.csrf(from).await;
        let step = self.password_step(from, &csrf, user, pw).await;
        assert_eq!(step.header("location"), Some("/activate"), "{user}: {}", step.text());
        let session = step.cookie("twofold_session").unwrap();
        let cookie = format!("twofold_csrf={}; twofold_session={session}", csrf.0);
        let page = call(self.web, from, "GET", "/activate", &[("Cookie", &cookie)], None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let key = shown_key(&page.text());
        let secret = twofold_core::Secret::from_base32(&key).unwrap();
        let code = twofold_core::totp(&secret, Algorithm::Sha1, 6, 30, now()).unwrap();
        let body = form(&[("code", &code), ("csrf", &csrf_in(&page.text()))]);
        let done =
            call(self.web, from, "POST", "/activate", &[("Cookie", &cookie), FORM], Some(&body))
                .await;
        assert_eq!(done.header("location"), Some("/"), "{user}: {}", done.text());
        (key, done.cookie("twofold_session").expect("a signed-in session"))
    }
}

fn csrf_in(page: &str) -> String {
    let rest = page.split("name=\"csrf\" value=\"").nth(1).expect("a CSRF field");
    rest.split('"').next().unwrap().to_string()
}

fn shown_key(page: &str) -> String {
    let rest = page.split(r#"id="secret-key""#).nth(1).expect("the key as text");
    rest[rest.find('>').unwrap() + 1..].split('<').next().unwrap().replace(' ', "")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number"))
        }
        Err(_) => default,
    }
}

/// What the run saw, for the summary and the verdict.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    unanswered: usize,
    busy: usize,
    /// Answers in HTTP/2 framing (to the prior-knowledge preface).
    http2: usize,
    failures: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// The test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bad_requests_get_no_5xx_no_panic_and_leave_the_portal_working() {
    let requests = env_number("TWOFOLD_FUZZ_REQUESTS", DEFAULT_REQUESTS as u64) as usize;
    let seed = env_number("TWOFOLD_FUZZ_SEED", DEFAULT_SEED);
    let started = Instant::now();
    let mut portal = Portal::start().await;
    let tokens = Arc::new(portal.tokens());

    // A 2FA user enrolled through the real page: its session answers the code step.
    let (code_secret, _) = portal.enroll(SETUP_SOURCE, CODE_USER.0, CODE_USER.1).await;
    let csrf = portal.csrf(SETUP_SOURCE).await;
    let renew = SessionMaker { web: portal.web, csrf: csrf.clone() };
    let first = renew.contexts().await.expect("sessions for the fuzzer");
    let contexts = Arc::new(Mutex::new(first));
    let seen_sessions = Arc::new(Mutex::new(Vec::<String>::new()));
    let tally = Arc::new(Mutex::new(Tally::default()));

    let (web, admin) = (portal.web, portal.admin);
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (contexts, tally, tokens, seen) =
            (contexts.clone(), tally.clone(), tokens.clone(), seen_sessions.clone());
        let renew = SessionMaker { web, csrf: csrf.clone() };
        workers.push(tokio::spawn(async move {
            for (n, i) in (w..requests).step_by(WORKERS).enumerate() {
                // Sessions get signed out, superseded or locked by the stream: renew them.
                if w == 0 && n > 0 && n % 100 == 0 {
                    if let Ok(fresh) = renew.contexts().await {
                        let mut s = seen.lock().unwrap();
                        s.extend([
                            fresh.activate.clone(),
                            fresh.code.clone(),
                            fresh.signed_in.clone(),
                        ]);
                        *contexts.lock().unwrap() = fresh;
                    }
                }
                let ctx = contexts.lock().unwrap().clone();
                let case = generate(seed, i, &ctx, &tokens);
                let to = if case.admin { admin } else { web };
                let outcome = exchange(to, fuzz_source(i), &case.bytes, case.close_write).await;
                let mut t = tally.lock().unwrap();
                let describe = |what: &str| {
                    format!(
                        "request {i} (seed {seed:#x}) {what}: {}\n    sent: {}",
                        case.label,
                        shorten(&case.bytes[..case.bytes.len().min(300)])
                    )
                };
                match outcome {
                    Outcome::Refused(e) => {
                        t.failures.push(describe(&format!("could not connect ({e})")));
                        return;
                    }
                    Outcome::Hung => t.failures.push(describe("hung")),
                    Outcome::Closed(_) if case.h2 => t.http2 += 1,
                    Outcome::Closed(raw) => match parse_answer(&raw) {
                        Some(answer) => {
                            *t.statuses.entry(answer.status).or_default() += 1;
                            if answer.status == 503 && answer.header("retry-after").is_some() {
                                t.busy += 1;
                            } else if answer.status >= 500 {
                                let body = shorten(&answer.body);
                                t.failures.push(describe(&format!("got {} {body}", answer.status)));
                            }
                        }
                        None if raw.is_empty() && !case.must_answer => t.unanswered += 1,
                        None if raw.is_empty() => {
                            t.failures.push(describe("closed without an answer"))
                        }
                        None => t.failures.push(describe(&format!(
                            "unparseable answer {}",
                            shorten(&raw[..raw.len().min(200)])
                        ))),
                    },
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let fuzz_time = started.elapsed();
    assert!(portal.alive(), "the portal died during the fuzz:\n{}", portal.log_text());

    // Afterwards a normal sign-in works: a password-only demo user, and a 2FA demo user's
    // first sign-in through the activation page. (The stream may have turned 2FA off.)
    cli(portal.dir.path(), &["2fa", "on"], None);
    let csrf_final = portal.csrf(FINAL_SOURCE).await;
    let carol = portal.password_step(FINAL_SOURCE, &csrf_final, "carol", "carol-demo-pass").await;
    assert_eq!(carol.header("location"), Some("/"), "carol: {} {}", carol.status, carol.text());
    let session = carol.cookie("twofold_session").unwrap();
    let home = call(
        web,
        FINAL_SOURCE,
        "GET",
        "/",
        &[("Cookie", &format!("twofold_session={session}"))],
        None,
    )
    .await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains("carol"), "{}", home.text());
    let (_, bob) = portal.enroll(FINAL_SOURCE, "bob", "bob-demo-pass").await;
    let home =
        call(web, FINAL_SOURCE, "GET", "/", &[("Cookie", &format!("twofold_session={bob}"))], None)
            .await;
    assert_eq!(home.status, 200);
    assert!(home.text().contains("bob"), "{}", home.text());

    // Names with invisible characters reach the audit log through the admin API; every
    // output of it shows them escaped, one entry a line.
    let bearer = format!("Bearer {}", tokens.admin);
    for name in ["fz\u{202E}gnp.exe", "fz\u{200B}alice\u{0301}"] {
        let body = serde_json::json!({"username": name, "password": MARKER}).to_string();
        let made = call(
            admin,
            SETUP_SOURCE,
            "POST",
            "/api/v1/users",
            &[("Authorization", &bearer), ("Content-Type", "application/json")],
            Some(&body),
        )
        .await;
        assert!(matches!(made.status, 201 | 409), "{} {}", made.status, made.text());
    }
    let audit = cli(portal.dir.path(), &["audit"], None);
    assert!(audit.contains("fz\\u{202e}gnp.exe"), "the bidi name is not shown escaped:\n{audit}");
    for line in audit.lines() {
        assert!(
            !line.chars().any(|c| c != '\t' && twofold_core::display::is_unsafe_char(c)),
            "an audit line holds a raw control or invisible character: {line:?}"
        );
        assert_eq!(line.matches('\t').count(), 4, "an audit line has extra columns: {line:?}");
    }
    let api_audit = call(
        admin,
        SETUP_SOURCE,
        "GET",
        "/api/v1/audit?limit=500",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(api_audit.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&api_audit.body).unwrap();
    let mut strings = Vec::new();
    collect_strings(&json, &mut strings);
    for s in &strings {
        assert!(!s.chars().any(twofold_core::display::is_unsafe_char), "admin API audit: {s:?}");
    }

    // The log: no panic, no internal error, no secret, nothing that could forge a log line.
    unsafe { libc::kill(portal.child.id() as i32, libc::SIGINT) };
    let _ = portal.child.wait();
    let log = portal.log_text();
    let mut secrets: Vec<String> =
        vec![tokens.admin.clone(), tokens.gateway.clone(), MARKER.into()];
    secrets.extend(DEMO_PASSWORDS.iter().map(|s| s.to_string()));
    secrets.extend([ACTIVATE_USER.1, CODE_USER.1, PLAIN_USER.1].map(String::from));
    secrets.extend([code_secret.clone(), csrf.0.clone(), csrf.1.clone(), bob]);
    secrets.extend(seen_sessions.lock().unwrap().iter().cloned());
    let ctx = contexts.lock().unwrap().clone();
    secrets.extend([ctx.activate, ctx.code, ctx.signed_in]);
    let mut problems = Vec::new();
    if log.contains("panicked") {
        problems.push("a panic".to_string());
    }
    for line in log.lines().filter(|l| l.contains(" ERROR ")) {
        problems.push(format!("an ERROR line: {line}"));
    }
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if log.contains(secret.as_str()) {
            problems.push(format!("a secret ({}…)", &secret[..4]));
        }
    }
    for line in log.lines() {
        if line.chars().any(twofold_core::display::is_unsafe_char) {
            problems.push(format!("a raw control or invisible character: {line:?}"));
        }
    }

    let t = tally.lock().unwrap();
    println!(
        "page_fuzz: {requests} requests (seed {seed:#x}, {WORKERS} at once) in {:.1} s: \
         statuses {:?}; 503 busy {}; HTTP/2 answers {}; closed without an answer (allowed) {}; \
         failures {}",
        fuzz_time.as_secs_f64(),
        t.statuses,
        t.busy,
        t.http2,
        t.unanswered,
        t.failures.len()
    );
    let mut report = String::new();
    for f in t.failures.iter().take(15) {
        let _ = writeln!(report, "  {f}");
    }
    assert!(t.failures.is_empty(), "{} bad answers:\n{report}", t.failures.len());
    assert!(problems.is_empty(), "the portal's log shows:\n  {}", problems.join("\n  "));
    assert!(t.statuses.values().sum::<usize>() > requests / 2, "most requests went unanswered");
}

/// Signs the fuzzer's users in for fresh sessions at each step (correct passwords, from the
/// setup address, so never throttled).
struct SessionMaker {
    web: SocketAddr,
    csrf: (String, String),
}

impl SessionMaker {
    async fn contexts(&self) -> Result<Contexts, String> {
        let mut ctx = Contexts {
            csrf_cookie: self.csrf.0.clone(),
            csrf_token: self.csrf.1.clone(),
            ..Default::default()
        };
        for ((user, pw), slot) in [
            (ACTIVATE_USER, &mut ctx.activate),
            (CODE_USER, &mut ctx.code),
            (PLAIN_USER, &mut ctx.signed_in),
        ] {
            let cookie = format!("twofold_csrf={}", self.csrf.0);
            let body = form(&[("username", user), ("password", pw), ("csrf", &self.csrf.1)]);
            let step = call(
                self.web,
                SETUP_SOURCE,
                "POST",
                "/login",
                &[("Cookie", &cookie), FORM],
                Some(&body),
            )
            .await;
            *slot =
                step.cookie("twofold_session").ok_or_else(|| format!("{user}: {}", step.status))?;
        }
        Ok(ctx)
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
