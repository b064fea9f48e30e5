//! What goes into the requests: user names, passwords, return URLs, edge-case characters,
//! invalid UTF-8, form and content-type variants.

use super::*;

pub(crate) const BASE_NAMES: &[&str] = &[
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

pub(crate) const NASTY: &[&str] = &[
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

pub(crate) const BAD_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf4\x90\x80\x80",
    b"\xfe\xff",
    b"\x80",
];

/// Characters from the edges of Unicode, for random names.
pub(crate) const EDGE_CHARS: &[char] = &[
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
pub(crate) fn username(r: &mut Rng) -> Vec<u8> {
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

pub(crate) fn protected(name: &[u8]) -> bool {
    let text = String::from_utf8_lossy(name).trim().to_lowercase();
    PROTECTED.contains(&text.as_str())
}

pub(crate) fn password(r: &mut Rng) -> Vec<u8> {
    match r.below(10) {
        0 => Vec::new(),
        1 => format!("{MARKER}{}", "x".repeat(5000)).into_bytes(),
        2 => format!("{MARKER}{}", r.pick(NASTY)).into_bytes(),
        _ => MARKER.as_bytes().to_vec(),
    }
}

pub(crate) const RETURN_URLS: &[&str] = &[
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

pub(crate) fn return_url(r: &mut Rng) -> Vec<u8> {
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
pub(crate) fn encode(bytes: &[u8]) -> String {
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
pub(crate) fn form_value(r: &mut Rng, value: &[u8]) -> Vec<u8> {
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
pub(crate) fn form_body(r: &mut Rng, fields: Fields) -> Vec<u8> {
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

pub(crate) const FORM_TYPES: &[&str] = &[
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

pub(crate) const JSON_TYPES: &[&str] = &[
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin1",
    "application/vnd.api+json",
    "application/jsonx",
    "APPLICATION/JSON",
    "application/json, text/plain",
];
