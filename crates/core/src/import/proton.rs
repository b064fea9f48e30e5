//! Proton Authenticator JSON export: `entries`, each with `content.uri`, an `otpauth://`
//! URI (or `steam://SECRET` for Steam entries, named by `content.name`).
//!
//! Leaves out Proton's encrypted export and the notes.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{base32_secret, json, uri_list, Format, ImportError, ImportReport, RawEntry, RawKind};
use crate::uri::OtpAuth;

const FORMAT: Format = Format::Proton;

#[derive(Deserialize)]
struct File {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    content: Content,
}

#[derive(Deserialize)]
struct Content {
    uri: Zeroizing<String>,
    #[serde(default)]
    name: String,
}

/// Imports a Proton Authenticator JSON export.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let file: File = json::parse(FORMAT, bytes)?;
    let mut report = ImportReport::new(FORMAT);
    for entry in file.entries {
        let content = entry.content;
        let label = content.name.clone();
        report.push(|| label, build(&content));
    }
    Ok(report)
}

fn build(content: &Content) -> Result<OtpAuth, String> {
    let uri = content.uri.trim();
    if uri_list::starts_with_ci(uri, "otpauth://") {
        return OtpAuth::parse(uri).map_err(|e| e.to_string());
    }
    match uri.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("steam://") => {
            let mut raw = RawEntry::new(Some("Steam".into()), content.name.clone(), RawKind::Steam);
            raw.secret = base32_secret(&uri[8..]);
            raw.build()
        }
        _ => Err("the entry's URI is neither otpauth:// nor steam://".into()),
    }
}
