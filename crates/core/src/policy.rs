//! Who must use two-factor authentication: the one rule every part of Twofold asks, and the
//! principals (users and groups) it is stated over.
//!
//! Leaves out the directory itself (who exists, who is in which group: the store's job) and
//! whether a user is enrolled (see [`crate::enrollment`]).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A user or a group that an admin enabled for 2FA.
///
/// Serialized as `{"kind":"user","name":"alice"}`.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Principal {
    User(String),
    Group(String),
}

impl Principal {
    pub fn name(&self) -> &str {
        match self {
            Principal::User(name) | Principal::Group(name) => name,
        }
    }

    /// `"user"` or `"group"`, the prefix of the text form.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Principal::User(_) => "user",
            Principal::Group(_) => "group",
        }
    }
}

/// `user:alice`, `group:sales`: the form the admin CLI takes and prints.
impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind_str(), self.name())
    }
}

/// Why text is not a principal.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum PrincipalParseError {
    #[error("{0:?} lacks a kind prefix: write user:NAME or group:NAME")]
    MissingKind(String),
    #[error("unknown principal kind {0:?}: use user or group")]
    UnknownKind(String),
    #[error("the principal {0:?} has an empty name")]
    EmptyName(String),
}

/// Parses `user:NAME` or `group:NAME`. The prefix is case-insensitive and the name is trimmed;
/// the name may itself contain colons (only the first one separates).
impl FromStr for Principal {
    type Err = PrincipalParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, name) =
            s.split_once(':').ok_or_else(|| PrincipalParseError::MissingKind(s.to_string()))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(PrincipalParseError::EmptyName(s.to_string()));
        }
        let kind = kind.trim();
        if kind.eq_ignore_ascii_case("user") {
            Ok(Principal::User(name.to_string()))
        } else if kind.eq_ignore_ascii_case("group") {
            Ok(Principal::Group(name.to_string()))
        } else {
            Err(PrincipalParseError::UnknownKind(kind.to_string()))
        }
    }
}

/// THE rule: a user must use 2FA iff the global switch is on AND (the user is listed OR the
/// user is a member of a listed group).
///
/// Names are compared case-insensitively (ASCII only) because the directories a portal sits
/// in front of are Windows-style: `ALICE` and `alice` are the same account there, and a
/// principal typed with a different case must not silently leave that user without 2FA.
/// Non-ASCII letters are compared exactly, as Unicode case folding is locale-dependent.
pub fn needs_two_factor(
    switch_on: bool,
    username: &str,
    user_groups: &[String],
    principals: &[Principal],
) -> bool {
    switch_on
        && principals.iter().any(|principal| match principal {
            Principal::User(name) => name.eq_ignore_ascii_case(username),
            Principal::Group(group) => user_groups.iter().any(|g| g.eq_ignore_ascii_case(group)),
        })
}

/// Seats in use: how many distinct users (case-insensitively) the principals cover, given
/// every directory user with their groups. Ignores the switch, because the license counts who
/// *would* need 2FA. Lives here so the license count and the rule can never disagree.
pub fn covered_users<'a, I>(users: I, principals: &[Principal]) -> u32
where
    I: IntoIterator<Item = (&'a str, &'a [String])>,
{
    let covered: BTreeSet<String> = users
        .into_iter()
        .filter(|(name, groups)| needs_two_factor(true, name, groups, principals))
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    u32::try_from(covered.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn principals() -> Vec<Principal> {
        vec![Principal::User("alice".into()), Principal::Group("Sales".into())]
    }

    #[test]
    fn listed_user_needs_two_factor_when_switch_on() {
        assert!(needs_two_factor(true, "alice", &[], &principals()));
    }

    #[test]
    fn member_of_listed_group_needs_two_factor() {
        assert!(needs_two_factor(true, "bob", &groups(&["staff", "sales"]), &principals()));
    }

    #[test]
    fn unlisted_user_outside_listed_groups_does_not() {
        assert!(!needs_two_factor(true, "carol", &groups(&["staff"]), &principals()));
    }

    #[test]
    fn switch_off_means_nobody_needs_two_factor() {
        assert!(!needs_two_factor(false, "alice", &groups(&["sales"]), &principals()));
    }

    #[test]
    fn no_principals_means_nobody_needs_two_factor() {
        assert!(!needs_two_factor(true, "alice", &groups(&["sales"]), &[]));
    }

    #[test]
    fn names_match_regardless_of_ascii_case() {
        assert!(needs_two_factor(true, "ALICE", &[], &principals()));
        assert!(needs_two_factor(true, "bob", &groups(&["SALES"]), &principals()));
    }

    #[test]
    fn a_group_principal_does_not_match_a_user_of_that_name() {
        assert!(!needs_two_factor(true, "sales", &[], &principals()));
    }

    #[test]
    fn principal_text_form_round_trips() {
        for p in principals() {
            assert_eq!(p.to_string().parse::<Principal>().unwrap(), p);
        }
        assert_eq!(Principal::Group("sales".into()).to_string(), "group:sales");
        assert_eq!("USER: bob ".parse::<Principal>().unwrap(), Principal::User("bob".into()));
        assert_eq!("group:a:b".parse::<Principal>().unwrap(), Principal::Group("a:b".into()));
    }

    #[test]
    fn malformed_principal_text_is_rejected() {
        assert_eq!(
            "alice".parse::<Principal>(),
            Err(PrincipalParseError::MissingKind("alice".into()))
        );
        assert_eq!(
            "role:admin".parse::<Principal>(),
            Err(PrincipalParseError::UnknownKind("role".into()))
        );
        assert_eq!(
            "user:  ".parse::<Principal>(),
            Err(PrincipalParseError::EmptyName("user:  ".into()))
        );
    }

    #[test]
    fn principal_serializes_with_kind_and_name() {
        let json = serde_json::to_string(&Principal::User("alice".into())).unwrap();
        assert_eq!(json, r#"{"kind":"user","name":"alice"}"#);
        let back: Principal = serde_json::from_str(r#"{"kind":"group","name":"sales"}"#).unwrap();
        assert_eq!(back, Principal::Group("sales".into()));
        assert_eq!(back.kind_str(), "group");
        assert_eq!(back.name(), "sales");
    }

    #[test]
    fn covered_users_counts_each_user_once() {
        let sales = groups(&["sales"]);
        let none: Vec<String> = Vec::new();
        let directory = [
            ("alice", sales.as_slice()), // listed and in a listed group: one seat
            ("bob", sales.as_slice()),
            ("carol", none.as_slice()),
            ("ALICE", none.as_slice()), // same account, other case
        ];
        assert_eq!(covered_users(directory, &principals()), 2);
    }
}
