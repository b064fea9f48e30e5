//! The generated requests: one [`Case`] per index, for pages and forms, forward-auth, the
//! admin API, the RDP gate, bad methods, huge headers and raw malformed HTTP.

use super::*;

/// One generated request and what may come of it.
pub(crate) struct Case {
    /// What it is, for the failure report.
    pub(crate) label: String,
    pub(crate) bytes: Vec<u8>,
    /// Sent to the admin listener rather than the portal's.
    pub(crate) admin: bool,
    /// Well-formed enough that the portal must answer it (else closing is fine, e.g. a body
    /// that stops early or a request line that is not HTTP).
    pub(crate) must_answer: bool,
    /// Shut the sending side once written: for requests that are incomplete on purpose, so
    /// the server sees the end instead of waiting for more.
    pub(crate) close_write: bool,
    /// Starts with the HTTP/2 preface: the server rightly answers in HTTP/2 frames, which
    /// this HTTP/1 reader does not parse.
    pub(crate) h2: bool,
}

/// The sessions the fuzzer borrows: a CSRF cookie with its token, and a session at each step.
#[derive(Clone, Default)]
pub(crate) struct Contexts {
    pub(crate) csrf_cookie: String,
    pub(crate) csrf_token: String,
    pub(crate) activate: String,
    pub(crate) code: String,
    pub(crate) signed_in: String,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Framing {
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

pub(crate) fn framing(r: &mut Rng) -> Framing {
    match r.below(100) {
        0..=71 => Framing::Length,
        72..=81 => Framing::Chunked,
        82..=85 => Framing::ChunkedBroken,
        86..=90 => Framing::LengthLong,
        91..=95 => Framing::LengthShort,
        _ => Framing::Both,
    }
}

pub(crate) fn chunked(r: &mut Rng, body: &[u8]) -> Vec<u8> {
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

pub(crate) struct ByteWriter<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A request: `headers` as given (Host and Connection: close added), the body framed.
pub(crate) fn http(
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

pub(crate) fn h(name: &str, value: impl Into<Vec<u8>>) -> (Vec<u8>, Vec<u8>) {
    (name.as_bytes().to_vec(), value.into())
}

/// The cookies a request carries: none, the CSRF cookie, a real session at some step, or junk.
pub(crate) fn cookies(
    r: &mut Rng,
    ctx: &Contexts,
    wanted: Option<&str>,
) -> (Option<Vec<u8>>, &'static str) {
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

pub(crate) fn csrf_field(r: &mut Rng, ctx: &Contexts) -> Vec<u8> {
    match r.below(10) {
        0..=6 => ctx.csrf_token.as_bytes().to_vec(),
        7 => Vec::new(),
        8 => format!("{}x", ctx.csrf_token).into_bytes(),
        _ => username(r),
    }
}

pub(crate) fn content_type(r: &mut Rng, right: &str, wrong: &[&str]) -> (Option<Vec<u8>>, String) {
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
pub(crate) fn oversize(r: &mut Rng, prefix: &[u8], admin: bool) -> Vec<u8> {
    let size = if admin { 300 * 1024 } else { r.pick(&[17 * 1024, 64 * 1024, 1024 * 1024]) };
    let mut v = prefix.to_vec();
    v.resize(size, b'a');
    v
}

/// A form's fields by name, in order.
pub(crate) type Fields = Vec<(&'static str, Vec<u8>)>;

pub(crate) fn page_form(r: &mut Rng, ctx: &Contexts) -> Case {
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

pub(crate) fn framing_name(f: Framing) -> &'static str {
    match f {
        Framing::Length => "length",
        Framing::Chunked => "chunked",
        Framing::ChunkedBroken => "chunked-broken",
        Framing::LengthLong => "length-too-long",
        Framing::LengthShort => "length-too-short",
        Framing::Both => "length+chunked",
    }
}

pub(crate) fn code_value(r: &mut Rng) -> Vec<u8> {
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

pub(crate) const PAGE_PATHS: &[&str] = &[
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

pub(crate) fn page_get(r: &mut Rng, ctx: &Contexts) -> Case {
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

pub(crate) const FORWARD_HEADERS: &[&str] = &[
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

pub(crate) fn forward_auth(r: &mut Rng, ctx: &Contexts) -> Case {
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
pub(crate) fn json_string(r: &mut Rng, bytes: &[u8]) -> Vec<u8> {
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

pub(crate) fn json_odd_value(r: &mut Rng) -> Vec<u8> {
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

pub(crate) fn admin_name(r: &mut Rng) -> Vec<u8> {
    let name = username(r);
    if protected(&name) {
        b"x".to_vec()
    } else {
        name
    }
}

/// A JSON body for one of the admin API's shapes, often wrong in some way.
pub(crate) fn admin_json(r: &mut Rng, shape: &str) -> Vec<u8> {
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

pub(crate) fn path_segment(r: &mut Rng) -> Vec<u8> {
    let name = admin_name(r);
    match r.below(6) {
        0 => name.into_iter().filter(|b| b.is_ascii_graphic()).collect(),
        1 => b"%ff%fe".to_vec(),
        2 => b"..%2F..%2Fetc".to_vec(),
        3 => "a".repeat(10_000).into_bytes(),
        _ => encode(&name).into_bytes(),
    }
}

pub(crate) fn admin_api(r: &mut Rng, tokens: &Tokens) -> Case {
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

pub(crate) fn rdp_gate(r: &mut Rng, tokens: &Tokens) -> Case {
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

pub(crate) fn bad_method(r: &mut Rng, ctx: &Contexts) -> Case {
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

pub(crate) fn huge_headers(r: &mut Rng) -> Case {
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

pub(crate) fn raw(r: &mut Rng) -> Case {
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
pub(crate) fn generate(seed: u64, index: usize, ctx: &Contexts, tokens: &Tokens) -> Case {
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

pub(crate) fn shorten(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut short: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        let _ = write!(short, "…({} bytes)", bytes.len());
    }
    short.escape_debug().to_string()
}
