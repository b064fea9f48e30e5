//! Ente Auth's plain-text export: one `otpauth://` URI per line, with Ente's own
//! `codeDisplay` parameter (pin, tags, usage counts) that is ignored here. Steam accounts are
//! `otpauth://steam/…`; HOTP lines may carry a stray `period`, also ignored.
//!
//! Leaves out Ente's encrypted export (not supported) and the tags and notes in
//! `codeDisplay`.

use super::{uri_list, Format, ImportError, ImportReport};

/// Imports an Ente Auth text export.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    uri_list::import_as(Format::EnteAuth, bytes)
}

/// Ente is the only exporter that writes `codeDisplay`.
pub(crate) fn looks_like_ente(text: &str) -> bool {
    text.contains("otpauth://") && text.contains("codeDisplay=")
}
