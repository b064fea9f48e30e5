//! The organisation's directory over LDAP (OpenLDAP, FreeIPA, Samba AD, Active Directory),
//! with the `ldap3` crate's async client.
//!
//! Why async: the portal's handlers are async and a directory that is slow or gone would
//! otherwise hold a blocking thread (shared with SQLite and Argon2) for each waiting sign-in;
//! awaited under a timeout it holds nothing. Why a connection per operation and no pool: a
//! sign-in is one connect, two binds and two or three searches, cheap next to the Argon2 hash
//! it replaces, and a fresh connection means a restarted directory is used again at the next
//! sign-in with no stale-connection state to detect ("recovers by itself").
//!
//! Passwords are checked by binding as the user's entry; they are passed to the bind and never
//! kept, logged or put in an error. Unknown users bind as a decoy DN with the password given, so
//! an unknown name and a wrong password cost the same round trips and get the same answer.
//!
//! Leaves out the cache (`cache.rs`), what a sign-in does with the answer (`mod.rs`) and the
//! config file (`config.rs`).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{dn_escape, ldap_escape, Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope};
use zeroize::Zeroizing;

use super::config::{LdapSettings, Membership, Nesting};
use super::{
    Authentication, Directory, DirectoryError, DirectoryGroup, DirectoryUser, EntryKind,
    SearchEntry, SearchPage,
};

/// How many levels of groups-in-groups are followed; a loop in the directory ends here too.
pub const MAX_NESTING: usize = 10;
/// Page size of the Simple Paged Results control (RFC 2696) for the picker's searches.
const PAGE_SIZE: i32 = 200;

/// A configured LDAP directory, with its TLS roots and service password loaded.
pub struct LdapDirectory {
    settings: LdapSettings,
    tls: Option<Arc<rustls::ClientConfig>>,
    bind_password: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for LdapDirectory {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory").field("url", &self.settings.url).finish_non_exhaustive()
    }
}

/// A user entry as found by the service account.
#[derive(Clone, Debug)]
pub struct FoundUser {
    pub dn: String,
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// `memberOf` values when the membership is read from the user's entry.
    member_of: Vec<String>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::Unavailable(format!("{what}: {e}"))
}

impl LdapDirectory {
    /// Reads the CA file and the service password file (which must not be readable by others).
    pub fn open(settings: LdapSettings) -> Result<LdapDirectory, DirectoryError> {
        let tls = match &settings.ca_file {
            Some(path) => Some(Arc::new(client_config(path)?)),
            None => None,
        };
        let bind_password = match &settings.bind_password_file {
            Some(path) => Some(read_private(path)?),
            None => None,
        };
        Ok(LdapDirectory { settings, tls, bind_password })
    }

    pub fn settings(&self) -> &LdapSettings {
        &self.settings
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_seconds)
    }

    /// Connects (and upgrades with StartTLS when configured). The connection's driver runs
    /// as its own task and ends when the `Ldap` handle is dropped or unbound.
    pub async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut conn = LdapConnSettings::new()
            .set_conn_timeout(self.timeout())
            .set_starttls(self.settings.starttls && self.settings.url.starts_with("ldap://"));
        if let Some(config) = &self.tls {
            conn = conn.set_config(config.clone());
        }
        let (driver, ldap) = tokio::time::timeout(
            self.timeout(),
            LdapConnAsync::with_settings(conn, &self.settings.url),
        )
        .await
        .map_err(|_| unavailable("connecting", "timed out"))?
        .map_err(|e| unavailable(&format!("connecting to {}", self.settings.url), e))?;
        tokio::spawn(async move {
            if let Err(e) = driver.drive().await {
                tracing::debug!(error = %e, "LDAP connection ended");
            }
        });
        Ok(ldap)
    }

    /// Binds as the service account (or stays anonymous when none is configured).
    pub async fn service_bind(&self, ldap: &mut Ldap) -> Result<(), DirectoryError> {
        let (Some(dn), Some(password)) = (&self.settings.bind_dn, &self.bind_password) else {
            return Ok(());
        };
        let result = tokio::time::timeout(self.timeout(), ldap.simple_bind(dn, password))
            .await
            .map_err(|_| unavailable("binding as the service account", "timed out"))?
            .map_err(|e| unavailable("binding as the service account", e))?;
        if result.rc != 0 {
            return Err(DirectoryError::Unavailable(format!(
                "the directory refused the service account {dn}: {}",
                describe(result.rc, &result.text)
            )));
        }
        Ok(())
    }

    async fn search(
        &self,
        ldap: &mut Ldap,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<Vec<ldap3::SearchEntry>, DirectoryError> {
        let result = tokio::time::timeout(self.timeout(), ldap.search(base, scope, filter, attrs))
            .await
            .map_err(|_| unavailable("searching", "timed out"))?
            .map_err(|e| unavailable("searching", e))?;
        // noSuchObject (32): the base is not there, which for a lookup means "nothing found".
        if result.1.rc == 32 {
            return Ok(Vec::new());
        }
        let (entries, _) = result
            .success()
            .map_err(|e| unavailable(&format!("searching {base} for {filter}"), e))?;
        Ok(entries.into_iter().filter_map(construct).collect())
    }

    /// The user entry whose name attribute is `name`, if exactly one matches.
    pub async fn find(
        &self,
        ldap: &mut Ldap,
        name: &str,
    ) -> Result<Option<FoundUser>, DirectoryError> {
        let s = &self.settings;
        let filter = format!("(&{}({}={}))", s.user_filter, s.name_attribute, ldap_escape(name));
        let mut attrs =
            vec![s.name_attribute.as_str(), s.display_attribute.as_str(), s.id_attribute.as_str()];
        if s.membership == Membership::MemberOf {
            attrs.push("memberOf");
        }
        let mut entries = self.search(ldap, &s.user_base, Scope::Subtree, &filter, attrs).await?;
        if entries.len() > 1 {
            // Two accounts answering to one name: neither can be told apart, so none signs in.
            tracing::warn!(count = entries.len(), "several directory entries match one user name");
            return Ok(None);
        }
        let Some(entry) = entries.pop() else { return Ok(None) };
        let name = first(&entry, &s.name_attribute).unwrap_or_else(|| name.to_string());
        Ok(Some(FoundUser {
            id: stable_id(&entry, &s.id_attribute).unwrap_or_else(|| entry.dn.clone()),
            display_name: first(&entry, &s.display_attribute).unwrap_or_else(|| name.clone()),
            member_of: values(&entry, "memberOf"),
            dn: entry.dn,
            name,
        }))
    }

    /// The user's groups (name and stable id), nested ones included, sorted by name.
    pub async fn groups(
        &self,
        ldap: &mut Ldap,
        user: &FoundUser,
    ) -> Result<Vec<DirectoryGroup>, DirectoryError> {
        let s = &self.settings;
        let name_attr = s.group_name_attribute.as_str();
        let id_attr = s.id_attribute.as_str();
        let group = |e: &ldap3::SearchEntry| {
            Some(DirectoryGroup {
                name: first(e, name_attr)?,
                id: stable_id(e, id_attr).unwrap_or_else(|| e.dn.clone()),
            })
        };
        let mut names: Vec<DirectoryGroup> = Vec::new();
        match (s.membership, s.nesting) {
            (Membership::MemberUid, _) => {
                let filter =
                    format!("(&{}(memberUid={}))", s.group_filter, ldap_escape(&user.name));
                for e in self
                    .search(ldap, &s.group_base, Scope::Subtree, &filter, vec![name_attr, id_attr])
                    .await?
                {
                    names.extend(group(&e));
                }
            }
            (Membership::MemberOf, nesting) => {
                // memberOf lists direct groups: read each, and follow theirs when nesting.
                let mut seen = HashSet::new();
                let mut frontier = user.member_of.clone();
                for _ in 0..MAX_NESTING {
                    let mut next = Vec::new();
                    for dn in frontier.drain(..) {
                        if !seen.insert(dn.to_ascii_lowercase()) {
                            continue;
                        }
                        let found = self
                            .search(
                                ldap,
                                &dn,
                                Scope::Base,
                                &s.group_filter,
                                vec![name_attr, id_attr, "memberOf"],
                            )
                            .await?;
                        for e in found {
                            names.extend(group(&e));
                            if nesting != Nesting::None {
                                next.extend(values(&e, "memberOf"));
                            }
                        }
                    }
                    if next.is_empty() {
                        break;
                    }
                    frontier = next;
                }
            }
            (membership, Nesting::InChain) => {
                let filter = format!(
                    "(&{}({}:1.2.840.113556.1.4.1941:={}))",
                    s.group_filter,
                    membership.attribute(),
                    ldap_escape(&user.dn)
                );
                for e in self
                    .search(ldap, &s.group_base, Scope::Subtree, &filter, vec![name_attr, id_attr])
                    .await?
                {
                    names.extend(group(&e));
                }
            }
            (membership, nesting) => {
                // Walk up: the groups that list the user, then the groups that list those.
                let mut seen: HashSet<String> = HashSet::new();
                let mut frontier = vec![user.dn.clone()];
                for _ in 0..MAX_NESTING {
                    let any: String = frontier
                        .iter()
                        .map(|dn| format!("({}={})", membership.attribute(), ldap_escape(dn)))
                        .collect();
                    let filter = format!("(&{}(|{any}))", s.group_filter);
                    let found = self
                        .search(
                            ldap,
                            &s.group_base,
                            Scope::Subtree,
                            &filter,
                            vec![name_attr, id_attr],
                        )
                        .await?;
                    frontier = Vec::new();
                    for e in found {
                        if seen.insert(e.dn.to_ascii_lowercase()) {
                            names.extend(group(&e));
                            frontier.push(e.dn);
                        }
                    }
                    if frontier.is_empty() || nesting == Nesting::None {
                        break;
                    }
                }
            }
        }
        names.sort_by_key(|g| g.name.to_lowercase());
        names.dedup_by(|a, b| a.name.eq_ignore_ascii_case(&b.name));
        Ok(names)
    }

    /// Binds as `dn` with `password`: `Ok(true)` accepted, `Ok(false)` refused (wrong password,
    /// no such entry, a disabled or locked account), `Err` when the directory could not answer.
    async fn user_bind(
        &self,
        ldap: &mut Ldap,
        dn: &str,
        password: &str,
    ) -> Result<bool, DirectoryError> {
        let result = tokio::time::timeout(self.timeout(), ldap.simple_bind(dn, password))
            .await
            .map_err(|_| unavailable("checking the password", "timed out"))?
            .map_err(|e| unavailable("checking the password", e))?;
        match result.rc {
            0 => Ok(true),
            // invalidCredentials, inappropriateAuthentication, insufficientAccessRights,
            // unwillingToPerform (what servers answer for locked or disabled accounts), and
            // invalidDNSyntax (a decoy DN built from strange input).
            49 | 48 | 50 | 53 | 34 => Ok(false),
            rc => Err(DirectoryError::Unavailable(format!(
                "checking the password: {}",
                describe(rc, &result.text)
            ))),
        }
    }

    async fn authenticate_inner(
        &self,
        name: &str,
        password: &str,
    ) -> Result<Authentication, DirectoryError> {
        let mut ldap = self.connect().await?;
        self.service_bind(&mut ldap).await?;
        let found = self.find(&mut ldap, name).await?;
        // An unknown user binds too, as an entry that cannot exist, so the two cases cost the
        // same round trips. The decoy's name is escaped: it is never a filter or a DN trick.
        let decoy =
            format!("cn=twofold-no-such-user-{},{}", dn_escape(name), self.settings.user_base);
        let dn = found.as_ref().map(|u| u.dn.as_str()).unwrap_or(&decoy);
        let accepted = self.user_bind(&mut ldap, dn, password).await?;
        let Some(user) = found else {
            let _ = ldap.unbind().await;
            return Ok(Authentication::Rejected { user: None });
        };
        if !accepted {
            let _ = ldap.unbind().await;
            return Ok(Authentication::Rejected { user: Some(user.name) });
        }
        // Back to the service account: a user may not be allowed to read group entries.
        self.service_bind(&mut ldap).await?;
        let groups = self.groups(&mut ldap, &user).await?;
        let _ = ldap.unbind().await;
        Ok(Authentication::Accepted(DirectoryUser::with_groups(
            user.id,
            user.name,
            user.display_name,
            groups,
        )))
    }

    async fn find_user_inner(&self, name: &str) -> Result<Option<DirectoryUser>, DirectoryError> {
        let mut ldap = self.connect().await?;
        self.service_bind(&mut ldap).await?;
        let Some(user) = self.find(&mut ldap, name).await? else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let groups = self.groups(&mut ldap, &user).await?;
        let _ = ldap.unbind().await;
        Ok(Some(DirectoryUser::with_groups(user.id, user.name, user.display_name, groups)))
    }

    /// The entries of one kind among `ids` that the directory still has, by stable id.
    async fn by_ids(
        &self,
        ldap: &mut Ldap,
        kind: EntryKind,
        ids: &[String],
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        let s = &self.settings;
        let (base, filter, name_attr, display_attr) = match kind {
            EntryKind::User => (
                &s.user_base,
                &s.user_filter,
                s.name_attribute.as_str(),
                s.display_attribute.as_str(),
            ),
            EntryKind::Group => (
                &s.group_base,
                &s.group_filter,
                s.group_name_attribute.as_str(),
                s.group_name_attribute.as_str(),
            ),
        };
        let mut out = Vec::new();
        // A bounded filter per search: directories limit a request's size.
        for chunk in ids.chunks(50) {
            let any: String = chunk
                .iter()
                .map(|id| format!("({}={})", s.id_attribute, id_value(&s.id_attribute, id)))
                .collect();
            let query = format!("(&{filter}(|{any}))");
            let attrs = vec![name_attr, display_attr, s.id_attribute.as_str()];
            for e in self.search(ldap, base, Scope::Subtree, &query, attrs).await? {
                let (Some(name), Some(id)) = (first(&e, name_attr), stable_id(&e, &s.id_attribute))
                else {
                    continue;
                };
                out.push(SearchEntry {
                    kind,
                    display_name: first(&e, display_attr).unwrap_or_else(|| name.clone()),
                    id,
                    name,
                });
            }
        }
        Ok(out)
    }

    /// Up to `want` entries of one kind matching `query`, read with Simple Paged Results.
    async fn paged(
        &self,
        ldap: &mut Ldap,
        kind: EntryKind,
        query: &str,
        want: usize,
    ) -> Result<(Vec<SearchEntry>, bool), DirectoryError> {
        let s = &self.settings;
        let q = ldap_escape(query.trim());
        // The empty query (the picker just opened) lists everyone: `(attr=**)` is no valid
        // filter (ldap3 refuses to send it), `(attr=*)` is the presence test.
        let contains = |attr: &str| {
            if q.is_empty() {
                format!("({attr}=*)")
            } else {
                format!("({attr}=*{q}*)")
            }
        };
        let (base, filter, name_attr, display_attr) = match kind {
            EntryKind::User => (
                &s.user_base,
                format!(
                    "(&{}(|{}{}))",
                    s.user_filter,
                    contains(&s.name_attribute),
                    contains(&s.display_attribute)
                ),
                s.name_attribute.as_str(),
                s.display_attribute.as_str(),
            ),
            EntryKind::Group => (
                &s.group_base,
                format!("(&{}{})", s.group_filter, contains(&s.group_name_attribute)),
                s.group_name_attribute.as_str(),
                s.group_name_attribute.as_str(),
            ),
        };
        let attrs = vec![name_attr.to_string(), display_attr.to_string(), s.id_attribute.clone()];
        let adapters: Vec<Box<dyn Adapter<String, Vec<String>>>> =
            vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(PAGE_SIZE))];
        let mut stream = ldap
            .streaming_search_with(adapters, base, Scope::Subtree, &filter, attrs)
            .await
            .map_err(|e| unavailable("searching", e))?;
        let mut out = Vec::new();
        let mut more = false;
        loop {
            let next = tokio::time::timeout(self.timeout(), stream.next())
                .await
                .map_err(|_| unavailable("searching", "timed out"))?
                .map_err(|e| unavailable("searching", e))?;
            let Some(entry) = next else { break };
            let Some(entry) = construct(entry) else { continue };
            if out.len() >= want {
                // One more than asked for: there is a next page. The rest is not read.
                more = true;
                break;
            }
            let Some(name) = first(&entry, name_attr) else { continue };
            out.push(SearchEntry {
                kind,
                id: stable_id(&entry, &s.id_attribute).unwrap_or_else(|| entry.dn.clone()),
                display_name: first(&entry, display_attr).unwrap_or_else(|| name.clone()),
                name,
            });
        }
        if more {
            // Leaving early: the connection is dropped right after, which ends the search.
            let id = stream.ldap_handle().last_id();
            let _ = stream.ldap_handle().abandon(id).await;
        } else {
            let done = stream.finish().await;
            // sizeLimitExceeded (4): the server stopped the paged search at its total limit
            // (slapd's size.prtotal defaults to the size limit, 500). Say so: the picker would
            // otherwise silently miss entries.
            if done.rc == 4 {
                tracing::warn!(
                    shown = out.len(),
                    "the directory ended a paged search at its size limit; allow the service \
                     account more (OpenLDAP: limits dn.exact=\"BIND_DN\" size.prtotal=unlimited)"
                );
            }
        }
        Ok((out, more))
    }
}

#[async_trait]
impl Directory for LdapDirectory {
    fn kind(&self) -> &'static str {
        "ldap"
    }

    fn location(&self) -> Option<String> {
        Some(self.settings.url.clone())
    }

    async fn health(&self) -> Result<(), DirectoryError> {
        let mut ldap = self.connect().await?;
        let bound = self.service_bind(&mut ldap).await;
        let _ = ldap.unbind().await;
        bound
    }

    async fn authenticate(
        &self,
        name: &str,
        password: Zeroizing<String>,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Authentication, DirectoryError> {
        let _slot = slot;
        // An empty password is an "unauthenticated bind", which LDAP servers answer with
        // success: it must never reach the directory as a password check.
        if password.is_empty() || name.trim().is_empty() {
            return Ok(Authentication::Rejected { user: None });
        }
        let limit = self.timeout() * 6;
        tokio::time::timeout(limit, self.authenticate_inner(name.trim(), &password))
            .await
            .map_err(|_| unavailable("checking the password", "timed out"))?
    }

    async fn find_user(&self, name: &str) -> Result<Option<DirectoryUser>, DirectoryError> {
        if name.trim().is_empty() {
            return Ok(None);
        }
        tokio::time::timeout(self.timeout() * 6, self.find_user_inner(name.trim()))
            .await
            .map_err(|_| unavailable("looking up a user", "timed out"))?
    }

    async fn find_ids(
        &self,
        kind: EntryKind,
        ids: &[String],
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let run = async {
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            let found = self.by_ids(&mut ldap, kind, ids).await;
            let _ = ldap.unbind().await;
            found
        };
        tokio::time::timeout(self.timeout() * 6, run)
            .await
            .map_err(|_| unavailable("looking up entries by id", "timed out"))?
    }

    async fn search(
        &self,
        query: &str,
        offset: u32,
        limit: u32,
    ) -> Result<SearchPage, DirectoryError> {
        let want = offset as usize + limit as usize;
        let run = async {
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            // Groups first, as the built-in directory lists them.
            let (groups, more_groups) =
                self.paged(&mut ldap, EntryKind::Group, query, want).await?;
            let rest = want.saturating_sub(groups.len());
            let (users, more_users) = if rest > 0 {
                self.paged(&mut ldap, EntryKind::User, query, rest).await?
            } else {
                (Vec::new(), true)
            };
            let _ = ldap.unbind().await;
            let items: Vec<SearchEntry> = groups
                .into_iter()
                .chain(users)
                .skip(offset as usize)
                .take(limit as usize)
                .collect();
            Ok(SearchPage { items, more: more_groups || more_users })
        };
        tokio::time::timeout(self.timeout() * 6, run)
            .await
            .map_err(|_| unavailable("searching", "timed out"))?
    }
}

/// `SearchEntry::construct` panics on a malformed entry; a broken directory must not take a
/// request down with it, so such an entry is skipped.
fn construct(entry: ldap3::ResultEntry) -> Option<ldap3::SearchEntry> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ldap3::SearchEntry::construct(entry)))
        .ok()
}

fn values(entry: &ldap3::SearchEntry, attr: &str) -> Vec<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn first(entry: &ldap3::SearchEntry, attr: &str) -> Option<String> {
    values(entry, attr).into_iter().next().filter(|v| !v.is_empty())
}

/// The entry's stable id as text: `entryUUID` is text already; AD's `objectGUID` is 16 bytes
/// shown the way AD shows it (the first three fields little-endian).
fn stable_id(entry: &ldap3::SearchEntry, attr: &str) -> Option<String> {
    if let Some(text) = first(entry, attr) {
        // ldap3 hands out values that happen to be valid UTF-8 as text, and a random 16-byte
        // objectGUID sometimes is: it is still the binary GUID.
        let guid = attr.eq_ignore_ascii_case("objectGUID").then(|| guid_text(text.as_bytes()));
        return guid.flatten().or(Some(text));
    }
    let bytes = entry.bin_attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr))?.1.first()?;
    Some(guid_text(bytes).unwrap_or_else(|| data_encoding::HEXLOWER.encode(bytes)))
}

/// A stable id as a filter value: AD's binary `objectGUID` (shown as a GUID) goes back to its
/// 16 bytes, each escaped; a text id (`entryUUID`, which looks the same) is escaped text.
fn id_value(attribute: &str, id: &str) -> String {
    let binary = attribute.eq_ignore_ascii_case("objectGUID");
    match guid_bytes(id).filter(|_| binary) {
        Some(bytes) => bytes.iter().map(|x| format!("\\{x:02x}")).collect(),
        None => ldap_escape(id).into_owned(),
    }
}

/// The inverse of [`guid_text`].
fn guid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || text.len() != 36 {
        return None;
    }
    let raw = data_encoding::HEXLOWER_PERMISSIVE.decode(hex.as_bytes()).ok()?;
    let r: [u8; 16] = raw.try_into().ok()?;
    Some([
        r[3], r[2], r[1], r[0], r[5], r[4], r[7], r[6], r[8], r[9], r[10], r[11], r[12], r[13],
        r[14], r[15],
    ])
}

pub fn guid_text(b: &[u8]) -> Option<String> {
    let b: &[u8; 16] = b.try_into().ok()?;
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

/// An LDAP result code with its name, for logs and `directory test`.
pub fn describe(rc: u32, text: &str) -> String {
    let name = match rc {
        // What AD answers a simple bind without TLS (`ldap server require strong auth`).
        8 => "strongerAuthRequired",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "result",
    };
    if text.is_empty() {
        format!("{name} ({rc})")
    } else {
        format!("{name} ({rc}): {text}")
    }
}

/// A rustls client config trusting exactly the CA certificates in `path` (PEM).
fn client_config(path: &std::path::Path) -> Result<rustls::ClientConfig, DirectoryError> {
    let config_error =
        |e: String| DirectoryError::Config(format!("directory.ca_file {}: {e}", path.display()));
    let pem = std::fs::read(path).map_err(|e| config_error(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| config_error(e.to_string()))?;
        roots.add(cert).map_err(|e| config_error(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(config_error("no PEM certificate in it".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| config_error(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A secret file: refused when others may read it, first line only, trimmed.
fn read_private(path: &std::path::Path) -> Result<Zeroizing<String>, DirectoryError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        DirectoryError::Config(format!("directory.bind_password_file {shown}: {e}"))
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(DirectoryError::Config(format!(
            "directory.bind_password_file {shown} may be read by others: chmod 600 it"
        )));
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        DirectoryError::Config(format!("directory.bind_password_file {shown}: {e}"))
    })?);
    let line = Zeroizing::new(text.lines().next().unwrap_or("").trim().to_string());
    if line.is_empty() {
        return Err(DirectoryError::Config(format!(
            "directory.bind_password_file {shown} is empty"
        )));
    }
    Ok(line)
}

impl From<LdapError> for DirectoryError {
    fn from(e: LdapError) -> Self {
        unavailable("LDAP", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_guid_is_shown_with_its_first_three_fields_little_endian() {
        let bytes: Vec<u8> = (0u8..16).collect();
        assert_eq!(guid_text(&bytes).unwrap(), "03020100-0504-0706-0809-0a0b0c0d0e0f");
        assert_eq!(guid_text(&bytes[..5]), None);
    }

    #[test]
    fn an_object_guid_goes_back_to_its_bytes_in_a_filter_and_an_entry_uuid_stays_text() {
        let bytes: Vec<u8> = (0u8..16).collect();
        let text = guid_text(&bytes).unwrap();
        assert_eq!(guid_bytes(&text).unwrap().to_vec(), bytes);
        assert_eq!(
            id_value("objectGUID", &text),
            "\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f"
        );
        assert_eq!(id_value("entryUUID", &text), text);
        assert_eq!(id_value("entryUUID", "a*)(b"), "a\\2a\\29\\28b");
    }

    #[test]
    fn an_object_guid_whose_bytes_are_valid_utf8_is_still_read_as_a_guid() {
        let bytes: Vec<u8> = (0x41u8..0x51).collect();
        let entry = ldap3::SearchEntry {
            dn: "CN=x".into(),
            attrs: [("objectGUID".to_string(), vec![String::from_utf8(bytes.clone()).unwrap()])]
                .into(),
            bin_attrs: Default::default(),
        };
        assert_eq!(stable_id(&entry, "objectGUID"), guid_text(&bytes));
    }

    #[test]
    fn result_codes_are_named() {
        assert_eq!(describe(49, ""), "invalidCredentials (49)");
        assert_eq!(describe(8, ""), "strongerAuthRequired (8)");
        assert_eq!(describe(52, "shutting down"), "unavailable (52): shutting down");
    }
}
