//! Talking to the portal: raw exchanges over TCP from a chosen loopback address, parsing what
//! comes back, and the portal process with its demo and fuzz users.

use super::*;

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.strip_prefix(&format!("{name}=")))
            .find(|v| !v.is_empty())
            .map(str::to_string)
    }
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The first final (non-1xx) answer in `raw`, if it holds one.
pub(crate) fn parse_answer(raw: &[u8]) -> Option<Answer> {
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

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn dechunk(mut data: &[u8]) -> Vec<u8> {
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

pub(crate) enum Outcome {
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
pub(crate) async fn exchange(
    to: SocketAddr,
    from: Ipv4Addr,
    bytes: &[u8],
    close_write: bool,
) -> Outcome {
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
pub(crate) async fn call(
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

pub(crate) fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes())))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub(crate) struct Portal {
    pub(crate) child: Child,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) web: SocketAddr,
    pub(crate) admin: SocketAddr,
    pub(crate) log: PathBuf,
}

pub(crate) struct Tokens {
    pub(crate) admin: String,
    pub(crate) gateway: String,
}

pub(crate) fn data(dir: &Path) -> PathBuf {
    dir.join("data")
}

pub(crate) fn cli(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
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

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Portal {
    /// The demo directory plus the fuzzer's own users, and a portal serving it.
    pub(crate) async fn start() -> Portal {
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

    pub(crate) fn tokens(&self) -> Tokens {
        let read = |f: &str| {
            std::fs::read_to_string(data(self.dir.path()).join(f)).unwrap().trim().to_string()
        };
        Tokens { admin: read("admin.token"), gateway: read("gateway.token") }
    }

    pub(crate) fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A CSRF cookie and its token, from the sign-in page.
    pub(crate) async fn csrf(&self, from: Ipv4Addr) -> (String, String) {
        let page = call(self.web, from, "GET", "/login", &[], None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let cookie = page.cookie("twofold_csrf").expect("a CSRF cookie");
        (cookie, csrf_in(&page.text()))
    }

    /// Posts the password step; answers (where it sends the visitor, the session id).
    pub(crate) async fn password_step(
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
    pub(crate) async fn enroll(&self, from: Ipv4Addr, user: &str, pw: &str) -> (String, String) {
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

pub(crate) fn csrf_in(page: &str) -> String {
    let rest = page.split("name=\"csrf\" value=\"").nth(1).expect("a CSRF field");
    rest.split('"').next().unwrap().to_string()
}

pub(crate) fn shown_key(page: &str) -> String {
    let rest = page.split(r#"id="secret-key""#).nth(1).expect("the key as text");
    rest[rest.find('>').unwrap() + 1..].split('<').next().unwrap().replace(' ', "")
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

pub(crate) fn env_number(name: &str, default: u64) -> u64 {
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
pub(crate) struct Tally {
    pub(crate) statuses: BTreeMap<u16, usize>,
    pub(crate) unanswered: usize,
    pub(crate) busy: usize,
    /// Answers in HTTP/2 framing (to the prior-knowledge preface).
    pub(crate) http2: usize,
    pub(crate) failures: Vec<String>,
}
