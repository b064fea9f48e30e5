//! The SQLite databases authenticator apps keep inside the phone (copied off a rooted device
//! or from a device backup): Google Authenticator's `databases` (table `accounts`), Microsoft
//! Authenticator's `PhoneFactor` (table `accounts`), and Stratum's internal database (table
//! `authenticator`). The core does no SQLite: the caller reads the tables and hands their
//! columns and rows over; this module knows what each app's columns mean.
//!
//! Quirks: Google's `email` is the whole label ("Issuer:name") and `type` 0/1 is TOTP/HOTP,
//! always SHA-1, 6 digits, 30 s. Microsoft's `name` is the issuer and `username` the account;
//! only `account_type` 0 (a third-party TOTP account, base32 secret) can be imported — its
//! work and school accounts (1) and personal Microsoft accounts (2) sign in by push, not by a
//! code another app could make. Stratum's `type` is 1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex
//! and `algorithm` 0/1/2 is SHA-1/256/512.

use super::{base32_secret, label, Format, ImportError, ImportReport, RawEntry, RawKind};

/// One cell as SQLite typed it. Real numbers and blobs are kept as what they are not:
/// nothing these apps store in them is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
    Other,
}

/// A table as the caller read it.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    fn has(&self, columns: &[&str]) -> bool {
        columns.iter().all(|c| self.columns.iter().any(|have| have.eq_ignore_ascii_case(c)))
    }

    fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.eq_ignore_ascii_case(column))
    }
}

/// One row with its table's column names.
struct Row<'a> {
    table: &'a Table,
    cells: &'a [Value],
}

impl Row<'_> {
    fn text(&self, column: &str) -> Option<String> {
        match self.table.index(column).and_then(|i| self.cells.get(i)) {
            Some(Value::Text(text)) => Some(text.clone()),
            Some(Value::Integer(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    fn int(&self, column: &str) -> Option<i64> {
        match self.table.index(column).and_then(|i| self.cells.get(i)) {
            Some(Value::Integer(n)) => Some(*n),
            Some(Value::Text(text)) => text.trim().parse().ok(),
            _ => None,
        }
    }
}

/// The apps' databases this module tells apart, by their tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum App {
    Google,
    Microsoft,
    Stratum,
}

fn which(tables: &[Table]) -> Option<(App, &Table)> {
    let named = |name: &str| tables.iter().find(|t| t.name.eq_ignore_ascii_case(name));
    if let Some(t) = named("accounts") {
        if t.has(&["oath_secret_key", "username", "account_type"]) {
            return Some((App::Microsoft, t));
        }
        if t.has(&["email", "secret", "type"]) {
            return Some((App::Google, t));
        }
    }
    named("authenticator")
        .filter(|t| t.has(&["type", "issuer", "username", "secret"]))
        .map(|t| (App::Stratum, t))
}

/// Imports the accounts of an app's internal database from its `tables`.
/// [`ImportError::UnknownFormat`] when no table is one of these apps'.
pub fn import(tables: &[Table]) -> Result<ImportReport, ImportError> {
    let (app, table) = which(tables).ok_or(ImportError::UnknownFormat)?;
    let format = match app {
        App::Google => Format::GoogleAuthenticatorDb,
        App::Microsoft => Format::MicrosoftAuthenticator,
        App::Stratum => Format::Stratum,
    };
    let mut report = ImportReport::new(format);
    for cells in &table.rows {
        let row = Row { table, cells };
        let entry = match app {
            App::Google => google(&row),
            App::Microsoft => microsoft(&row),
            App::Stratum => stratum(&row),
        };
        match entry {
            Ok(entry) => {
                let shown = entry.label();
                report.push(|| shown, entry.build());
            }
            Err((shown, reason)) => report.push(|| shown, Err(reason)),
        }
    }
    Ok(report)
}

/// A row's entry, or its label and why it cannot be one.
type Entry = Result<RawEntry, (String, String)>;

fn google(row: &Row<'_>) -> Entry {
    let issuer = row.text("issuer").filter(|i| !i.is_empty());
    let email = row.text("email").unwrap_or_default();
    // The label is "Issuer:name" when the site gave an issuer; the name is what follows.
    let account = match email.split_once(':') {
        Some((prefix, name)) if issuer.as_deref().is_none_or(|i| i == prefix.trim()) => {
            name.trim().to_string()
        }
        _ => email.clone(),
    };
    let issuer = issuer.or_else(|| email.split_once(':').map(|(p, _)| p.trim().to_string()));
    let kind = match row.int("type") {
        Some(0) | None => RawKind::Totp,
        Some(1) => RawKind::Hotp,
        Some(other) => {
            return Err((label(issuer.as_deref(), &account), format!("unknown type {other}")))
        }
    };
    let mut entry = RawEntry::new(issuer, account, kind);
    entry.secret = base32_secret(&row.text("secret").unwrap_or_default());
    entry.counter = row.int("counter").and_then(|c| u64::try_from(c).ok());
    Ok(entry)
}

fn microsoft(row: &Row<'_>) -> Entry {
    let issuer = row.text("name");
    let account = row.text("username").unwrap_or_default();
    match row.int("account_type") {
        Some(0) => {}
        _ => {
            return Err((
                label(issuer.as_deref(), &account),
                "a Microsoft work, school or personal account signs in by approval, not by a code"
                    .into(),
            ))
        }
    }
    let mut entry = RawEntry::new(issuer, account, RawKind::Totp);
    entry.secret = base32_secret(&row.text("oath_secret_key").unwrap_or_default());
    Ok(entry)
}

fn stratum(row: &Row<'_>) -> Entry {
    let issuer = row.text("issuer");
    let account = row.text("username").unwrap_or_default();
    let shown = || label(issuer.as_deref(), &account);
    let kind = match row.int("type") {
        Some(1) => RawKind::Hotp,
        Some(2) => RawKind::Totp,
        Some(4) => RawKind::Steam,
        Some(3) => return Err((shown(), "mOTP is not supported".into())),
        Some(5) => return Err((shown(), "Yandex OTP is not supported".into())),
        other => return Err((shown(), format!("unknown type {other:?}"))),
    };
    let algorithm = match row.int("algorithm") {
        Some(0) | None => "SHA1",
        Some(1) => "SHA256",
        Some(2) => "SHA512",
        Some(other) => return Err((shown(), format!("unknown algorithm {other}"))),
    };
    let mut entry = RawEntry::new(issuer.clone(), account.clone(), kind);
    entry.secret = base32_secret(&row.text("secret").unwrap_or_default());
    entry.algorithm = Some(algorithm.into());
    entry.digits = row.int("digits").and_then(|d| u64::try_from(d).ok());
    entry.period = row.int("period").and_then(|p| u64::try_from(p).ok());
    entry.counter = row.int("counter").and_then(|c| u64::try_from(c).ok());
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Table {
        Table { name: name.into(), columns: columns.iter().map(|c| c.to_string()).collect(), rows }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn a_google_label_with_the_issuer_in_front_keeps_only_the_name_as_the_account() {
        let t = table(
            "accounts",
            &["email", "secret", "counter", "type", "issuer"],
            vec![vec![
                text("Deno:Mason"),
                text("JBSWY3DPEHPK3PXP"),
                Value::Integer(0),
                Value::Integer(0),
                text("Deno"),
            ]],
        );
        let report = import(&[t]).unwrap();
        assert_eq!(report.format, Format::GoogleAuthenticatorDb);
        assert_eq!(report.accounts[0].issuer.as_deref(), Some("Deno"));
        assert_eq!(report.accounts[0].account, "Mason");
    }

    #[test]
    fn a_microsoft_account_that_signs_in_by_approval_is_skipped_with_the_reason() {
        let t = table(
            "accounts",
            &["name", "username", "oath_secret_key", "account_type"],
            vec![vec![text("Contoso"), text("ann@contoso.com"), text(""), Value::Integer(1)]],
        );
        let report = import(&[t]).unwrap();
        assert!(report.accounts.is_empty());
        assert_eq!(report.skipped[0].label, "Contoso (ann@contoso.com)");
        assert!(report.skipped[0].reason.contains("approval"), "{:?}", report.skipped);
    }

    #[test]
    fn a_stratum_motp_entry_is_skipped_and_a_bad_secret_is_named_without_it() {
        let t = table(
            "authenticator",
            &["type", "issuer", "username", "secret", "algorithm", "digits", "period", "counter"],
            vec![
                vec![
                    Value::Integer(3),
                    text("A"),
                    text("a"),
                    text("abcd"),
                    Value::Integer(0),
                    Value::Integer(6),
                    Value::Integer(10),
                    Value::Integer(0),
                ],
                vec![
                    Value::Integer(2),
                    text("B"),
                    text("b"),
                    text("not base32!"),
                    Value::Integer(0),
                    Value::Integer(6),
                    Value::Integer(30),
                    Value::Integer(0),
                ],
            ],
        );
        let report = import(&[t]).unwrap();
        assert!(report.accounts.is_empty());
        assert_eq!(report.skipped.len(), 2);
        assert!(report.skipped[0].reason.contains("mOTP"));
        assert!(!report.skipped[1].reason.contains("not base32!"), "{:?}", report.skipped[1]);
    }

    #[test]
    fn tables_of_no_known_app_are_an_unknown_format() {
        let t = table("notes", &["id", "text"], vec![]);
        assert_eq!(import(&[t]).unwrap_err(), ImportError::UnknownFormat);
    }
}
