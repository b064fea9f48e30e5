//! The real client's address behind reverse proxies, for the throttle and the audit log.
//!
//! `X-Forwarded-For` and `Forwarded` are written by whoever sends the request, so an entry is
//! believed only when the hop that appended it is a configured trusted proxy: the chain is
//! walked from the connection's peer towards the client, and the walk stops at the first
//! address that is not trusted (that one is the client) or at an entry that cannot be read
//! (then the last hop known to be real is used). With no trusted proxies (the default) the
//! headers are ignored, so a client cannot choose the address its failures count against.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The address requests from `peer` with `headers` count against.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    // RFC 7239 `Forwarded` wins when present: a proxy that writes it means it.
    let chain: Vec<Option<IpAddr>> = if headers.contains_key("forwarded") {
        header_values(headers, "forwarded").flat_map(|v| forwarded_for(&v)).collect()
    } else {
        header_values(headers, "x-forwarded-for")
            .flat_map(|v| v.split(',').map(|e| parse_node(e.trim())).collect::<Vec<_>>())
            .collect()
    };
    let mut current = canonical(peer);
    for entry in chain.iter().rev() {
        if !is_trusted(&current) {
            break;
        }
        match entry {
            Some(ip) => current = canonical(*ip),
            None => break,
        }
    }
    current
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
}

/// The `for=` node of each element of a `Forwarded` header (`None` for one without an
/// address: `unknown`, an obfuscated name, or no `for`).
fn forwarded_for(value: &str) -> Vec<Option<IpAddr>> {
    value
        .split(',')
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, node)| parse_node(node.trim().trim_matches('"')))
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (ip, _) = rest.split_once(']')?;
        return ip.parse().ok();
    }
    let (ip, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// IPv4-mapped IPv6 addresses (a dual-stack listener's view of IPv4 clients) as IPv4, so one
/// client has one address whichever socket it came in on.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| crate::config::parse_network(n).unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_headers_are_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_is_ignored() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_ip(ip("198.51.100.7"), &h, &nets(&["127.0.0.1"])), ip("198.51.100.7"));
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        // The client put a fake address first; the trusted proxy appended the real one.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.5")]);
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.9"));
    }

    #[test]
    fn several_header_lines_form_one_chain() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &nets(&["127.0.0.1"])), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_is_read_with_ports_quotes_and_ipv6() {
        let h = headers(&[("forwarded", "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(client_ip(ip("::1"), &h, &nets(&["::1"])), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=192.0.2.60:8080;by=proxy")]);
        assert_eq!(client_ip(ip("::1"), &h, &nets(&["::1"])), ip("192.0.2.60"));
    }

    #[test]
    fn an_unreadable_entry_stops_at_the_last_real_hop() {
        let h = headers(&[("x-forwarded-for", "203.0.113.9, garbage")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &nets(&["127.0.0.1"])), ip("127.0.0.1"));
        let h = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &nets(&["127.0.0.1"])), ip("127.0.0.1"));
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(client_ip(ip("::ffff:127.0.0.1"), &h, &nets(&["127.0.0.1"])), ip("203.0.113.9"));
    }
}
