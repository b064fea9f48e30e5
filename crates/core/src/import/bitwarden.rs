//! Bitwarden password-manager exports, unencrypted JSON and CSV: every login whose TOTP
//! field is set becomes an account. The field holds an `otpauth://` URI, a `steam://SECRET`,
//! or a bare base32 secret (then the item name is the issuer and the username the account,
//! with the Key Uri Format defaults).
//!
//! Leaves out password-protected and account-encrypted JSON exports (reported as
//! unsupported), and everything that is not a TOTP field. Items without one are not
//! accounts, so they are not listed as skipped either.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, json, uri_list, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::uri::OtpAuth;

const FORMAT: Format = Format::Bitwarden;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    name: String,
    login: Option<Login>,
}

#[derive(Deserialize)]
struct Login {
    username: Option<String>,
    totp: Option<Zeroizing<String>>,
}

/// Imports an unencrypted Bitwarden JSON export.
pub fn import_json(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let file: File = json::parse(FORMAT, bytes)?;
    if file.encrypted {
        return Err(ImportError::unsupported(FORMAT, "encrypted Bitwarden exports"));
    }
    let mut report = ImportReport::new(FORMAT);
    for item in file.items {
        let Some(login) = item.login else { continue };
        if let Some(totp) = login.totp.as_deref().filter(|t| !t.trim().is_empty()) {
            push(&mut report, &item.name, login.username.as_deref().unwrap_or(""), totp);
        }
    }
    Ok(report)
}

/// Imports a Bitwarden CSV export (header row naming `login_totp`; RFC 4180 quoting).
pub fn import_csv(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::malformed(FORMAT, "the CSV is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rows = parse_csv(text)?;
    let mut rows = rows.into_iter();
    let header = rows.next().ok_or(ImportError::UnknownFormat)?;
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let totp_column = column("login_totp")
        .ok_or_else(|| ImportError::malformed(FORMAT, "the CSV has no login_totp column"))?;
    let name_column = column("name");
    let user_column = column("login_username");
    let mut report = ImportReport::new(FORMAT);
    for row in rows {
        let field = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", |s| s.as_str());
        let totp = field(Some(totp_column));
        if !totp.trim().is_empty() {
            push(&mut report, field(name_column), field(user_column), totp);
        }
    }
    Ok(report)
}

/// A CSV whose header row names Bitwarden's TOTP column.
pub(crate) fn looks_like_csv(text: &str) -> bool {
    text.lines().next().is_some_and(|header| header.split(',').any(|h| h.trim() == "login_totp"))
}

fn push(report: &mut ImportReport, name: &str, username: &str, totp: &str) {
    let label = super::label(Some(name), username);
    report.push(|| label, entry(name, username, totp.trim()));
}

fn entry(name: &str, username: &str, totp: &str) -> Result<OtpAuth, String> {
    if uri_list::starts_with_ci(totp, "otpauth://") {
        return OtpAuth::parse(totp).map_err(|e| e.to_string());
    }
    let (kind, secret) = match totp.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("steam://") => (RawKind::Steam, &totp[8..]),
        _ => (RawKind::Totp, totp),
    };
    let account = if username.trim().is_empty() { name } else { username };
    let mut raw = RawEntry::new(Some(name.to_string()), account.to_string(), kind);
    raw.secret = base32_secret(secret);
    raw.build()
}

/// RFC 4180 CSV: fields separated by commas, optionally in double quotes, where `""` is a
/// literal quote and commas and line breaks are data. A quote left open at the end of the
/// input means the file was cut.
fn parse_csv(text: &str) -> Result<Vec<Vec<Zeroizing<String>>>, ImportError> {
    let mut rows = Vec::new();
    let mut row: Vec<Zeroizing<String>> = Vec::new();
    let mut field = Zeroizing::new(String::new());
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') | (false, '\r') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(ImportError::Truncated { format: FORMAT });
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    // Blank lines are not rows.
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Vec<Vec<String>> {
        parse_csv(text)
            .unwrap()
            .into_iter()
            .map(|r| r.into_iter().map(|f| f.to_string()).collect())
            .collect()
    }

    #[test]
    fn csv_quotes_hold_commas_quotes_and_line_breaks() {
        assert_eq!(
            csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n1,\n"),
            vec![vec!["a", "b"], vec!["x, y", "say \"hi\"\nthere"], vec!["1", ""]]
        );
    }

    #[test]
    fn csv_with_an_open_quote_is_truncated() {
        assert_eq!(parse_csv("a,\"b").unwrap_err(), ImportError::Truncated { format: FORMAT });
    }

    #[test]
    fn bare_secret_takes_item_name_as_issuer_and_username_as_account() {
        let a = entry("GitHub", "octocat", "JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(a.issuer.as_deref(), Some("GitHub"));
        assert_eq!(a.account, "octocat");
        assert_eq!(a.kind, crate::OtpKind::Totp { period: 30 });
    }
}
