//! The portal's config file (TOML): listeners, TLS, trusted proxies, forward-auth (protected
//! origins, the user header, the cookie domain), the desktops on the home page, the RDP
//! gateway and the issuer name. Command-line flags and environment variables override it.
//!
//! [`parse`] is a pure function from the file's text to a checked [`Config`] or to every
//! error found, each with its line and column, so `check-config` can list them all at once
//! and `serve` refuses to start on a file with any. Relative paths are resolved against the
//! directory of the file (passed in), not the working directory of whoever starts the portal.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::state::{Desktop, ForwardAuth};

/// A checked config file. Every field is optional in the file; `None` / empty means "use the
/// flag or the built-in default".
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub issuer: Option<String>,
    pub data: Option<PathBuf>,
    pub portal_listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    pub tls: Option<TlsFiles>,
    pub behind_tls_proxy: bool,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub forward_auth: ForwardAuth,
    pub desktops: Vec<Desktop>,
    /// Whether the RDP gate answers (default: yes, for callers with the gateway token).
    pub gateway_enabled: bool,
    /// Where the gateway token is read (created at first start when missing); default:
    /// `gateway.token` in the data directory.
    pub gateway_token_file: Option<PathBuf>,
    /// `[directory]`: the built-in directory, or LDAP / Active Directory.
    pub directory: crate::directory::config::DirectoryConfig,
    /// `store = "postgres://user@host/db"`: a PostgreSQL database shared by several servers
    /// instead of the data directory's SQLite file (which stays the default).
    pub store: Option<String>,
    /// The database password's file (mode 0600); else the URL's or `PGPASSWORD`.
    pub store_password_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One problem in the file, where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    issuer: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
    #[serde(default)]
    listen: RawListen,
    tls: Option<Spanned<RawTls>>,
    #[serde(default)]
    proxy: RawProxy,
    #[serde(default)]
    forward_auth: RawForwardAuth,
    #[serde(default)]
    desktops: Vec<RawDesktop>,
    #[serde(default)]
    gateway: RawGateway,
    directory: Option<Spanned<crate::directory::config::RawDirectory>>,
    store: Option<Spanned<String>>,
    store_password_file: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawListen {
    portal: Option<Spanned<String>>,
    admin: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    #[serde(default)]
    behind_proxy: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProxy {
    #[serde(default)]
    trusted: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawForwardAuth {
    user_header: Option<Spanned<String>>,
    #[serde(default)]
    protected_origins: Vec<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    cookie_domain: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesktop {
    name: Spanned<String>,
    url: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    enabled: Option<bool>,
    token_file: Option<Spanned<String>>,
}

/// Checks `text` (a config file in directory `base`) and returns it, or every error in it.
pub fn parse(text: &str, base: &Path) -> Result<Config, Vec<ConfigError>> {
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            return Err(vec![at(text, &span, e.message().to_string())]);
        }
    };
    let mut checker = Checker { text, base, errors: Vec::new() };
    let config = checker.config(raw);
    if checker.errors.is_empty() {
        Ok(config)
    } else {
        Err(checker.errors)
    }
}

struct Checker<'a> {
    text: &'a str,
    base: &'a Path,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn fail(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.errors.push(at(self.text, span, message.into()));
    }

    fn path(&self, value: &Spanned<String>) -> PathBuf {
        self.base.join(value.get_ref())
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let mut config = Config { gateway_enabled: true, ..Config::default() };
        if let Some(issuer) = raw.issuer {
            let name = issuer.get_ref().trim();
            // The issuer is the prefix of the otpauth label ("Issuer:account"): no colon.
            if name.is_empty()
                || name.chars().count() > 64
                || name.contains(':')
                || name.chars().any(char::is_control)
            {
                self.fail(&issuer.span(), "issuer: 1 to 64 printable characters, no colon");
            } else {
                config.issuer = Some(name.to_string());
            }
        }
        config.data = raw.data.as_ref().map(|d| self.path(d));
        if let Some(store) = &raw.store {
            if twofold_store::is_postgres_url(store.get_ref()) {
                config.store = Some(store.get_ref().clone());
            } else {
                self.fail(&store.span(), "store: a postgres://user@host/database URL");
            }
        }
        config.store_password_file = raw.store_password_file.as_ref().map(|f| self.path(f));
        config.portal_listen = raw.listen.portal.and_then(|a| self.address("listen.portal", &a));
        config.admin_listen = raw.listen.admin.and_then(|a| self.address("listen.admin", &a));
        if let Some(tls) = raw.tls {
            let span = tls.span();
            let tls = tls.into_inner();
            config.behind_tls_proxy = tls.behind_proxy;
            match (&tls.cert, &tls.key) {
                (Some(cert), Some(key)) => {
                    config.tls = Some(TlsFiles { cert: self.path(cert), key: self.path(key) })
                }
                (None, None) => {}
                _ => self.fail(&span, "tls: give both cert and key (PEM files)"),
            }
        }
        for range in &raw.proxy.trusted {
            match parse_network(range.get_ref()) {
                Some(net) => config.trusted_proxies.push(net),
                None => self.fail(
                    &range.span(),
                    format!(
                        "proxy.trusted: {:?} is not an IP address or network (10.0.0.0/8, ::1)",
                        range.get_ref()
                    ),
                ),
            }
        }
        config.forward_auth = self.forward_auth(raw.forward_auth);
        for desktop in raw.desktops {
            let name = desktop.name.get_ref().trim();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                self.fail(&desktop.name.span(), "desktops.name: 1 to 100 printable characters");
                continue;
            }
            match web_url(desktop.url.get_ref()) {
                Ok(url) => config.desktops.push(Desktop { name: name.to_string(), url }),
                Err(e) => self.fail(&desktop.url.span(), format!("desktops.url: {e}")),
            }
        }
        config.gateway_enabled = raw.gateway.enabled.unwrap_or(true);
        config.gateway_token_file = raw.gateway.token_file.as_ref().map(|f| self.path(f));
        if let Some(table) = raw.directory {
            let span = table.span();
            let mut found = Vec::new();
            config.directory = crate::directory::config::check(
                table.into_inner(),
                span,
                self.base,
                &mut |at, message| found.push((at, message)),
            );
            for (at, message) in found {
                self.fail(&at, message);
            }
        }
        config
    }

    fn address(&mut self, key: &str, value: &Spanned<String>) -> Option<SocketAddr> {
        let parsed = value.get_ref().parse::<SocketAddr>();
        if parsed.is_err() {
            let example = "\"127.0.0.1:8080\" or \"[::]:443\"";
            self.fail(&value.span(), format!("{key}: not an address and port ({example})"));
        }
        parsed.ok()
    }

    fn forward_auth(&mut self, raw: RawForwardAuth) -> ForwardAuth {
        let mut out = ForwardAuth::default();
        if let Some(header) = raw.user_header {
            match axum::http::HeaderName::from_bytes(header.get_ref().trim().as_bytes()) {
                Ok(name) => out.user_header = name,
                Err(_) => self.fail(
                    &header.span(),
                    format!(
                        "forward_auth.user_header: {:?} is not a header name",
                        header.get_ref()
                    ),
                ),
            }
        }
        let cookie_domain = raw.cookie_domain.and_then(|domain| {
            let value = domain.get_ref().trim().trim_start_matches('.').to_ascii_lowercase();
            if is_domain_name(&value) {
                Some((value, domain.span()))
            } else {
                self.fail(
                    &domain.span(),
                    format!(
                        "forward_auth.cookie_domain: {:?} is not a domain name (example.com)",
                        domain.get_ref()
                    ),
                );
                None
            }
        });
        for origin in raw.protected_origins {
            match parse_origin(origin.get_ref()) {
                Ok(url) => {
                    if let Some((domain, _)) = &cookie_domain {
                        if !host_within(&url, domain) {
                            self.fail(
                                &origin.span(),
                                format!(
                                    "forward_auth.protected_origins: {url} is not under the \
                                     cookie domain {domain}, so the session cookie never reaches it"
                                ),
                            );
                            continue;
                        }
                    }
                    out.protected_origins.push(url);
                }
                Err(e) => self.fail(&origin.span(), format!("forward_auth.protected_origins: {e}")),
            }
        }
        if let Some(public) = raw.public_url {
            match web_url(public.get_ref()) {
                Ok(url) => {
                    if let Some((domain, _)) = &cookie_domain {
                        if !host_within(&url, domain) {
                            self.fail(
                                &public.span(),
                                format!(
                                    "forward_auth.public_url: {url} is not under the cookie \
                                     domain {domain}"
                                ),
                            );
                        }
                    }
                    out.public_url = Some(url.trim_end_matches('/').to_string());
                }
                Err(e) => self.fail(&public.span(), format!("forward_auth.public_url: {e}")),
            }
        }
        out.cookie_domain = cookie_domain.map(|(domain, _)| domain);
        out
    }
}

/// The 1-based line and column of byte `span.start` in `text`.
fn at(text: &str, span: &Range<usize>, message: String) -> ConfigError {
    let start = span.start.min(text.len());
    let before = &text[..text.floor_char_boundary(start)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ConfigError { line, column, message }
}

/// `10.0.0.0/8`, `::1/128` or a single address (`127.0.0.1`).
pub fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .ok()
        .map(|net| net.trunc())
        .or_else(|| text.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

/// An absolute `http(s)://` URL without credentials or fragment, normalised.
fn web_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(format!("{text:?} is not an http:// or https:// URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?} carries a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(format!("{text:?} has a #fragment"));
    }
    Ok(url.to_string())
}

/// `https://host[:port]` exactly: the origin a browser sends, without path or query.
fn parse_origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(format!("{text:?} is not an http:// or https:// origin"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?} is not an origin: give only scheme://host[:port]"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?} carries a user name or password"));
    }
    Ok(url.origin().ascii_serialization())
}

fn is_domain_name(text: &str) -> bool {
    text.contains('.')
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether the host of `url` is `domain` or below it.
fn host_within(url: &str, domain: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else { return false };
    let Some(host) = url.host_str() else { return false };
    let host = host.to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
issuer = "Example Corp"
data = "data"

[listen]
portal = "0.0.0.0:443"
admin = "127.0.0.1:8081"

[tls]
cert = "/etc/twofold/cert.pem"
key = "key.pem"

[proxy]
trusted = ["10.0.0.0/8", "127.0.0.1"]

[forward_auth]
user_header = "X-Remote-User"
protected_origins = ["https://desktop.example.com", "https://rdp.example.com:8443/"]
public_url = "https://portal.example.com/"
cookie_domain = ".example.com"

[[desktops]]
name = "Office desktop"
url = "https://desktop.example.com/vnc.html?autoconnect=true"

[gateway]
token_file = "gateway.token"
"#;

    fn errors(text: &str) -> Vec<String> {
        parse(text, Path::new("/etc/twofold"))
            .expect_err("the file has errors")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_complete_file_is_read_with_paths_relative_to_its_directory() {
        let config = parse(FULL, Path::new("/etc/twofold")).expect("valid");
        assert_eq!(config.issuer.as_deref(), Some("Example Corp"));
        assert_eq!(config.data, Some(PathBuf::from("/etc/twofold/data")));
        assert_eq!(config.portal_listen, Some("0.0.0.0:443".parse().unwrap()));
        assert_eq!(
            config.tls,
            Some(TlsFiles {
                cert: "/etc/twofold/cert.pem".into(),
                key: "/etc/twofold/key.pem".into()
            })
        );
        assert_eq!(
            config.trusted_proxies,
            vec![parse_network("10.0.0.0/8").unwrap(), parse_network("127.0.0.1/32").unwrap()]
        );
        let fa = &config.forward_auth;
        assert_eq!(fa.user_header.as_str(), "x-remote-user");
        assert_eq!(
            fa.protected_origins,
            vec!["https://desktop.example.com", "https://rdp.example.com:8443"]
        );
        assert_eq!(fa.public_url.as_deref(), Some("https://portal.example.com"));
        assert_eq!(fa.cookie_domain.as_deref(), Some("example.com"));
        assert_eq!(config.desktops.len(), 1);
        assert_eq!(config.desktops[0].name, "Office desktop");
        assert!(config.gateway_enabled);
        assert_eq!(config.gateway_token_file, Some(PathBuf::from("/etc/twofold/gateway.token")));
    }

    #[test]
    fn an_empty_file_means_every_default() {
        let config = parse("", Path::new("/")).expect("valid");
        assert!(config.tls.is_none() && config.desktops.is_empty());
        assert!(config.trusted_proxies.is_empty(), "no proxy is trusted by default");
        assert!(config.gateway_enabled);
    }

    #[test]
    fn every_error_is_reported_with_its_line() {
        let text = "[listen]\nportal = \"nowhere\"\n[proxy]\ntrusted = [\"10.0.0.0/33\"]\n\
                    [forward_auth]\nprotected_origins = [\"https://a.example.com/path\"]\n\
                    [[desktops]]\nname = \"\"\nurl = \"ftp://x\"\n";
        let found = errors(text);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("line 2, column 10: listen.portal"), "{found:#?}");
        assert!(found[1].starts_with("line 4, column 12: proxy.trusted"), "{found:#?}");
        assert!(found[2].starts_with("line 6, column 22: forward_auth.protected_origins"));
        assert!(found[3].starts_with("line 8, column 8: desktops.name"), "{found:#?}");
    }

    #[test]
    fn unknown_keys_and_syntax_errors_name_their_line() {
        let found = errors("issuer = \"x\"\n\n[listen]\nportl = \"127.0.0.1:1\"\n");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("line 4, column 1:") && found[0].contains("portl"),
            "{found:?}"
        );
        let found = errors("issuer = \"x\ndata = 1\n");
        assert!(found[0].starts_with("line 1,"), "{found:?}");
    }

    #[test]
    fn tls_needs_both_files() {
        let found = errors("[tls]\ncert = \"c.pem\"\n");
        assert!(found[0].contains("both cert and key"), "{found:?}");
    }

    #[test]
    fn origins_outside_the_cookie_domain_are_refused() {
        let text = "[forward_auth]\ncookie_domain = \"example.com\"\n\
                    protected_origins = [\"https://desktop.example.org\"]\n";
        let found = errors(text);
        assert!(found[0].contains("not under the cookie domain"), "{found:?}");
    }

    #[test]
    fn credentials_in_urls_and_bad_header_names_are_refused() {
        let text = "[forward_auth]\nuser_header = \"Remote User\"\n\
                    public_url = \"https://u:p@portal.example.com\"\n";
        let found = errors(text);
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
