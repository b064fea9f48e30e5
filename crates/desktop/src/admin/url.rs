//! Which admin addresses are accepted and in what form they are kept: `http(s)://host:port`
//! with no path, so one portal has one name (the keyring entry is keyed by it).
//!
//! Plain HTTP is accepted for loopback hosts only: the token is a bearer credential and must
//! not cross a network in clear (the portal itself refuses plain HTTP off loopback).

use url::{Host, Url};

use super::AdminError;

/// Parses what the admin typed (`127.0.0.1:8081`, `https://portal.example:8443/api/v1/`, …)
/// into `scheme://host[:port]`.
pub fn normalize_admin_url(input: &str) -> Result<Url, AdminError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(AdminError::InvalidUrl("the admin address is empty".into()));
    }
    let with_scheme =
        if trimmed.contains("://") { trimmed.to_string() } else { format!("http://{trimmed}") };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| AdminError::InvalidUrl(format!("{trimmed:?} is not an address ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AdminError::InvalidUrl(format!(
            "use http:// or https://, not {}://",
            url.scheme()
        )));
    }
    if url.host().is_none() {
        return Err(AdminError::InvalidUrl(format!("{trimmed:?} names no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AdminError::InvalidUrl(
            "the address must not carry a user name or password".into(),
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(AdminError::InvalidUrl(
            "plain http:// is only for a portal on this machine; use https:// for another host"
                .into(),
        ));
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// True for `localhost`, 127.0.0.0/8 and `[::1]`: a portal on this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The text form kept in settings and shown: `scheme://host:port` without the trailing `/`.
pub fn display_form(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_and_port_becomes_plain_http() {
        let url = normalize_admin_url(" 127.0.0.1:8081 ").unwrap();
        assert_eq!(display_form(&url), "http://127.0.0.1:8081");
    }

    #[test]
    fn the_api_path_and_query_are_dropped() {
        let url = normalize_admin_url("https://portal.example:8443/api/v1/?x=1#y").unwrap();
        assert_eq!(display_form(&url), "https://portal.example:8443");
    }

    #[test]
    fn plain_http_to_another_machine_is_refused() {
        let err = normalize_admin_url("http://portal.example:8081").unwrap_err();
        assert!(matches!(err, AdminError::InvalidUrl(ref m) if m.contains("https://")), "{err}");
    }

    #[test]
    fn localhost_and_ipv6_loopback_may_use_plain_http() {
        assert!(normalize_admin_url("http://localhost:8081").is_ok());
        assert!(normalize_admin_url("http://[::1]:8081").is_ok());
    }

    #[test]
    fn other_schemes_empty_input_and_credentials_are_refused() {
        assert!(normalize_admin_url("ftp://127.0.0.1").is_err());
        assert!(normalize_admin_url("   ").is_err());
        assert!(normalize_admin_url("https://user:pw@portal.example").is_err());
    }
}
