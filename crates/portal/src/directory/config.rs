//! The `[directory]` table of the config file: which directory the portal asks (the built-in
//! one, or LDAP / Active Directory) and how. Presets fill in the schema of OpenLDAP and of
//! Active Directory, so the common case is `preset`, `url` and `bind_dn` (+ the password file).
//!
//! Pure: checks text already parsed by `config.rs` and returns every problem with its span;
//! reading the password file happens when the directory is opened (`LdapSettings::bind_password`),
//! so `check-config` never needs the secret.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// The `[directory]` table as written.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawDirectory {
    /// `builtin` (default) or `ldap`; a `preset` or a `url` implies `ldap`.
    kind: Option<Spanned<String>>,
    preset: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    /// For `ldap://` URLs: upgrade with StartTLS (default: yes, and required off loopback).
    starttls: Option<bool>,
    ca_file: Option<Spanned<String>>,
    bind_dn: Option<Spanned<String>>,
    bind_password_file: Option<Spanned<String>>,
    base: Option<Spanned<String>>,
    user_base: Option<Spanned<String>>,
    user_filter: Option<Spanned<String>>,
    name_attribute: Option<Spanned<String>>,
    display_attribute: Option<Spanned<String>>,
    id_attribute: Option<Spanned<String>>,
    group_base: Option<Spanned<String>>,
    group_filter: Option<Spanned<String>>,
    group_name_attribute: Option<Spanned<String>>,
    membership: Option<Spanned<String>>,
    nested_groups: Option<bool>,
    cache_seconds: Option<Spanned<i64>>,
    timeout_seconds: Option<Spanned<i64>>,
}

/// How a user's groups are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// Groups list their members' DNs in `member` (groupOfNames, AD groups).
    Member,
    /// Groups list their members' DNs in `uniqueMember` (groupOfUniqueNames).
    UniqueMember,
    /// posixGroup: groups list member *names* in `memberUid` (no nesting).
    MemberUid,
    /// The user entry lists its groups' DNs in `memberOf` (OpenLDAP's overlay, AD).
    MemberOf,
}

impl Membership {
    fn parse(text: &str) -> Option<Membership> {
        match text.to_ascii_lowercase().as_str() {
            "member" => Some(Membership::Member),
            "uniquemember" => Some(Membership::UniqueMember),
            "memberuid" => Some(Membership::MemberUid),
            "memberof" => Some(Membership::MemberOf),
            _ => None,
        }
    }

    pub fn attribute(self) -> &'static str {
        match self {
            Membership::Member => "member",
            Membership::UniqueMember => "uniqueMember",
            Membership::MemberUid => "memberUid",
            Membership::MemberOf => "memberOf",
        }
    }
}

/// How nested groups are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// Direct groups only.
    None,
    /// The portal walks up group by group (OpenLDAP: its memberOf overlay gives direct
    /// groups only), at most [`crate::directory::ldap::MAX_NESTING`] levels.
    Client,
    /// One search with AD's LDAP_MATCHING_RULE_IN_CHAIN (1.2.840.113556.1.4.1941).
    InChain,
}

/// A checked LDAP configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapSettings {
    pub url: String,
    /// `ldap://` upgraded with StartTLS.
    pub starttls: bool,
    pub ca_file: Option<PathBuf>,
    /// Service account; `None`: search anonymously (only sensible on a test directory).
    pub bind_dn: Option<String>,
    pub bind_password_file: Option<PathBuf>,
    pub user_base: String,
    pub user_filter: String,
    pub name_attribute: String,
    pub display_attribute: String,
    /// The stable id (`entryUUID`, `objectGUID`): survives a rename.
    pub id_attribute: String,
    pub group_base: String,
    pub group_filter: String,
    pub group_name_attribute: String,
    pub membership: Membership,
    pub nesting: Nesting,
    /// How long a user's groups are believed between sign-ins (see `cache.rs`).
    pub cache_seconds: u64,
    /// Connect and per-operation timeout.
    pub timeout_seconds: u64,
}

/// Which directory the portal asks.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum DirectoryConfig {
    /// The portal's own users and groups (`twofold-portal user add`).
    #[default]
    Builtin,
    Ldap(Box<LdapSettings>),
}

/// Default for how long group memberships are cached: a minute is short enough that a
/// change in the directory reaches open sessions quickly, and long enough that every page
/// of a session does not cost a directory search. A sign-in always asks the directory.
pub const DEFAULT_CACHE_SECONDS: u64 = 60;
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 5;

struct Preset {
    user_filter: &'static str,
    name_attribute: &'static str,
    display_attribute: &'static str,
    id_attribute: &'static str,
    group_filter: &'static str,
    group_name_attribute: &'static str,
    membership: Membership,
    nesting: Nesting,
}

const OPENLDAP: Preset = Preset {
    user_filter: "(objectClass=inetOrgPerson)",
    name_attribute: "uid",
    display_attribute: "cn",
    id_attribute: "entryUUID",
    group_filter: "(objectClass=groupOfNames)",
    group_name_attribute: "cn",
    membership: Membership::Member,
    nesting: Nesting::Client,
};

/// Disabled accounts (userAccountControl bit 2) are not found, so they cannot sign in.
const ACTIVE_DIRECTORY: Preset = Preset {
    user_filter: "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
    name_attribute: "sAMAccountName",
    display_attribute: "displayName",
    id_attribute: "objectGUID",
    group_filter: "(objectClass=group)",
    group_name_attribute: "cn",
    membership: Membership::Member,
    nesting: Nesting::InChain,
};

/// Checks the table; `fail` receives each problem with where it is.
pub fn check(
    raw: RawDirectory,
    table: Range<usize>,
    base_dir: &Path,
    fail: &mut dyn FnMut(Range<usize>, String),
) -> DirectoryConfig {
    let kind = raw.kind.as_ref().map(|k| (k.get_ref().trim().to_ascii_lowercase(), k.span()));
    let wants_ldap = raw.preset.is_some() || raw.url.is_some();
    match kind {
        Some((k, _)) if k == "builtin" && !wants_ldap => return DirectoryConfig::Builtin,
        Some((k, span)) if k != "ldap" && k != "builtin" => {
            fail(span, format!("directory.kind: {k:?} is neither \"builtin\" nor \"ldap\""));
            return DirectoryConfig::Builtin;
        }
        None if !wants_ldap => return DirectoryConfig::Builtin,
        _ => {}
    }
    let preset = match &raw.preset {
        None => None,
        Some(p) => match p.get_ref().trim().to_ascii_lowercase().as_str() {
            "openldap" => Some(&OPENLDAP),
            "active-directory" | "ad" => Some(&ACTIVE_DIRECTORY),
            other => {
                fail(
                    p.span(),
                    format!(
                        "directory.preset: {other:?} is not \"openldap\" or \"active-directory\""
                    ),
                );
                None
            }
        },
    };
    let Some(url_value) = raw.url.as_ref() else {
        fail(table, "directory: an LDAP directory needs url (ldaps://host or ldap://host)".into());
        return DirectoryConfig::Builtin;
    };
    let url = url_value.get_ref().trim().to_string();
    let mut starttls = raw.starttls.unwrap_or(true);
    match url::Url::parse(&url) {
        Ok(parsed) if parsed.scheme() == "ldaps" && parsed.host().is_some() => starttls = false,
        Ok(parsed) if parsed.scheme() == "ldap" && parsed.host().is_some() => {
            if !starttls && !host_is_loopback(&parsed) {
                fail(
                    url_value.span(),
                    format!(
                        "directory.url: {url} without StartTLS would send passwords in clear; \
                         plain ldap:// is only allowed to a loopback address (use ldaps:// or \
                         starttls = true)"
                    ),
                );
            }
        }
        _ => fail(
            url_value.span(),
            format!("directory.url: {url:?} is not an ldaps:// or ldap:// URL"),
        ),
    }
    let text = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().trim().to_string());
    let base = text(&raw.base);
    let user_base = text(&raw.user_base).or(base.clone());
    let group_base = text(&raw.group_base).or(base.clone());
    let (Some(user_base), Some(group_base)) = (user_base, group_base) else {
        fail(
            table,
            "directory: give base (or user_base and group_base), e.g. \"dc=example,dc=com\"".into(),
        );
        return DirectoryConfig::Builtin;
    };
    let from_preset = |value: Option<String>, pick: fn(&Preset) -> &'static str| {
        value.or_else(|| preset.map(|p| pick(p).to_string()))
    };
    let user_filter = from_preset(text(&raw.user_filter), |p| p.user_filter);
    let name_attribute = from_preset(text(&raw.name_attribute), |p| p.name_attribute);
    let group_filter = from_preset(text(&raw.group_filter), |p| p.group_filter);
    let (Some(user_filter), Some(name_attribute), Some(group_filter)) =
        (user_filter, name_attribute, group_filter)
    else {
        fail(
            table,
            "directory: without a preset give user_filter, name_attribute and group_filter \
             (or preset = \"openldap\" | \"active-directory\")"
                .into(),
        );
        return DirectoryConfig::Builtin;
    };
    for (key, value) in [("user_filter", &user_filter), ("group_filter", &group_filter)] {
        if ldap3::parse_filter(value).is_err() {
            let span = match key {
                "user_filter" => raw.user_filter.as_ref().map(|s| s.span()),
                _ => raw.group_filter.as_ref().map(|s| s.span()),
            };
            fail(
                span.unwrap_or(table.clone()),
                format!("directory.{key}: {value:?} is not an LDAP filter"),
            );
        }
    }
    let membership = match &raw.membership {
        Some(m) => Membership::parse(m.get_ref().trim()).unwrap_or_else(|| {
            fail(
                m.span(),
                "directory.membership: one of member, uniqueMember, memberUid, memberOf".into(),
            );
            Membership::Member
        }),
        None => preset.map(|p| p.membership).unwrap_or(Membership::Member),
    };
    let preset_nesting = preset.map(|p| p.nesting).unwrap_or(Nesting::Client);
    let nesting = match (raw.nested_groups, membership) {
        (Some(false), _) | (_, Membership::MemberUid) => Nesting::None,
        _ => preset_nesting,
    };
    let seconds = |value: &Option<Spanned<i64>>,
                   key: &str,
                   default: u64,
                   max: u64,
                   fail: &mut dyn FnMut(Range<usize>, String)| match value {
        None => default,
        Some(v) if (0..=max as i64).contains(v.get_ref()) => *v.get_ref() as u64,
        Some(v) => {
            fail(v.span(), format!("directory.{key}: 0 to {max} seconds"));
            default
        }
    };
    let cache_seconds =
        seconds(&raw.cache_seconds, "cache_seconds", DEFAULT_CACHE_SECONDS, 3600, fail);
    let timeout_seconds =
        seconds(&raw.timeout_seconds, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, 120, fail).max(1);
    let bind_dn = text(&raw.bind_dn).filter(|d| !d.is_empty());
    let bind_password_file = raw.bind_password_file.as_ref().map(|f| base_dir.join(f.get_ref()));
    if bind_dn.is_some() != bind_password_file.is_some() {
        fail(table, "directory: give bind_dn and bind_password_file together".into());
    }
    DirectoryConfig::Ldap(Box::new(LdapSettings {
        url,
        starttls,
        ca_file: raw.ca_file.as_ref().map(|f| base_dir.join(f.get_ref())),
        bind_dn,
        bind_password_file,
        user_base,
        user_filter,
        name_attribute,
        display_attribute: from_preset(text(&raw.display_attribute), |p| p.display_attribute)
            .unwrap_or_else(|| "cn".into()),
        id_attribute: from_preset(text(&raw.id_attribute), |p| p.id_attribute)
            .unwrap_or_else(|| "entryUUID".into()),
        group_base,
        group_filter,
        group_name_attribute: from_preset(text(&raw.group_name_attribute), |p| {
            p.group_name_attribute
        })
        .unwrap_or_else(|| "cn".into()),
        membership,
        nesting,
        cache_seconds,
        timeout_seconds,
    }))
}

fn host_is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // ldap:// is not a "special" scheme to the URL parser, so an IP address comes back as a
        // domain name: parse it again.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_matches(|c| c == '[' || c == ']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// Parses a `[directory]` table alone (for tests and `directory test`).
pub fn parse_table(text: &str, base_dir: &Path) -> Result<DirectoryConfig, Vec<String>> {
    #[derive(Deserialize)]
    struct File {
        directory: Option<Spanned<RawDirectory>>,
    }
    let file: File = toml::from_str(text).map_err(|e| vec![e.message().to_string()])?;
    let Some(table) = file.directory else { return Ok(DirectoryConfig::Builtin) };
    let span = table.span();
    let mut errors = Vec::new();
    let config = check(table.into_inner(), span, base_dir, &mut |_, m| errors.push(m));
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldap(text: &str) -> LdapSettings {
        match parse_table(text, Path::new("/etc/twofold")).expect("valid") {
            DirectoryConfig::Ldap(s) => *s,
            DirectoryConfig::Builtin => panic!("expected ldap"),
        }
    }

    #[test]
    fn no_table_means_the_builtin_directory() {
        assert_eq!(parse_table("", Path::new("/")).unwrap(), DirectoryConfig::Builtin);
    }

    #[test]
    fn the_openldap_preset_is_three_lines_plus_the_service_account() {
        let s = ldap(
            "[directory]\npreset = \"openldap\"\nurl = \"ldaps://ldap.example.com\"\n\
             base = \"dc=example,dc=com\"\nbind_dn = \"cn=twofold,dc=example,dc=com\"\n\
             bind_password_file = \"ldap.password\"\n",
        );
        assert_eq!(s.name_attribute, "uid");
        assert_eq!(s.id_attribute, "entryUUID");
        assert_eq!(s.membership, Membership::Member);
        assert_eq!(s.nesting, Nesting::Client);
        assert!(!s.starttls, "ldaps:// is TLS from the first byte");
        assert_eq!(s.bind_password_file, Some(PathBuf::from("/etc/twofold/ldap.password")));
        assert_eq!(s.cache_seconds, DEFAULT_CACHE_SECONDS);
    }

    #[test]
    fn the_active_directory_preset_uses_the_in_chain_rule_and_skips_disabled_accounts() {
        let s = ldap(
            "[directory]\npreset = \"active-directory\"\nurl = \"ldap://dc1.corp.example\"\n\
             base = \"dc=corp,dc=example\"\n",
        );
        assert_eq!(s.name_attribute, "sAMAccountName");
        assert_eq!(s.id_attribute, "objectGUID");
        assert_eq!(s.nesting, Nesting::InChain);
        assert!(s.starttls, "ldap:// off loopback is upgraded");
        assert!(s.user_filter.contains("1.2.840.113556.1.4.803:=2"));
    }

    #[test]
    fn plain_ldap_is_refused_off_loopback_and_allowed_on_it() {
        let errors = parse_table(
            "[directory]\npreset = \"openldap\"\nurl = \"ldap://ldap.example.com\"\n\
             starttls = false\nbase = \"dc=x\"\n",
            Path::new("/"),
        )
        .unwrap_err();
        assert!(errors[0].contains("clear"), "{errors:?}");
        let s = ldap(
            "[directory]\npreset = \"openldap\"\nurl = \"ldap://127.0.0.1:3890\"\n\
             starttls = false\nbase = \"dc=x\"\n",
        );
        assert!(!s.starttls);
    }

    #[test]
    fn bad_values_are_each_reported() {
        let errors = parse_table(
            "[directory]\npreset = \"novell\"\nurl = \"http://x\"\nbase = \"dc=x\"\n\
             user_filter = \"(uid=\"\nname_attribute = \"uid\"\n\
             group_filter = \"(objectClass=group)\"\nmembership = \"owner\"\ncache_seconds = -1\n\
             bind_dn = \"cn=a\"\n",
            Path::new("/"),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:#?}");
    }
}
