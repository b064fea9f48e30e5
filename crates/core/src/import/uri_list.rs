//! A plain text list of `otpauth://` URIs, one per line, as many apps export and as a QR
//! scanner prints them. `otpauth-migration://` lines are decoded too (see
//! [`super::google_migration`]), so a mixed paste works.
//!
//! Blank lines and `#` comments are ignored; any other line that is not a URI, or a URI that
//! does not parse, is skipped and reported. Leaves out URIs embedded mid-line in prose.

use super::{google_migration, Format, ImportError, ImportReport, Skipped};
use crate::uri::OtpAuth;

/// Imports a text of otpauth URIs.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let text = text(Format::UriList, bytes)?;
    // Reported as a Google export when that is all the file holds (comments aside).
    let mut uris = text.lines().map(str::trim).filter(|l| !l.starts_with('#') && !l.is_empty());
    let format = if uris.all(|l| starts_with_ci(l, "otpauth-migration://")) {
        Format::GoogleMigration
    } else {
        Format::UriList
    };
    import_as(format, bytes)
}

/// Line-by-line import reported as `format` (shared by the URI-list, Google and Ente formats).
///
/// If nothing at all could be imported and a line failed with a file-level error (a cut
/// migration payload, say), that error is returned: for a single pasted URI, the error is the
/// answer the user needs.
pub(crate) fn import_as(format: Format, bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let text = text(format, bytes)?;
    let mut report = ImportReport::new(format);
    let mut first_error = None;
    let mut saw_uri = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line_label = || format!("line {}", number + 1);
        if starts_with_ci(line, "otpauth-migration://") {
            saw_uri = true;
            match google_migration::decode_uri(line) {
                Ok(payload) => google_migration::push_payload(&mut report, payload),
                Err(e) => {
                    report.skipped.push(Skipped { label: line_label(), reason: e.to_string() });
                    first_error.get_or_insert(e);
                }
            }
        } else if starts_with_ci(line, "otpauth://") {
            saw_uri = true;
            report.push(line_label, OtpAuth::parse(line).map_err(|e| e.to_string()));
        } else {
            report.push(line_label, Err("not an otpauth URI".into()));
        }
    }
    if !saw_uri {
        return Err(ImportError::UnknownFormat);
    }
    match first_error {
        Some(e) if report.accounts.is_empty() => Err(e),
        _ => Ok(report),
    }
}

fn text(format: Format, bytes: &[u8]) -> Result<&str, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ImportError::malformed(format, "the text is not UTF-8"))?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

pub(crate) fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}
