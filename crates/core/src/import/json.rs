//! serde_json glue shared by the JSON formats: errors mapped to [`ImportError`], so that a
//! file cut short is reported as truncated rather than as a vague syntax error.
//!
//! Leaves out each format's schema (its own module).

use serde::de::DeserializeOwned;

use super::{Format, ImportError};

/// Parses `bytes` as `T`, mapping end-of-input to [`ImportError::Truncated`] and anything else
/// to [`ImportError::Malformed`] with a position. serde's own message is not passed on: for a
/// value of the wrong type it quotes the value, which may be a secret.
pub(crate) fn parse<T: DeserializeOwned>(format: Format, bytes: &[u8]) -> Result<T, ImportError> {
    let bytes = strip_bom(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let at = format!("line {}, column {}", e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Eof => ImportError::Truncated { format },
            serde_json::error::Category::Data => {
                ImportError::malformed(format, format!("unexpected content at {at}"))
            }
            _ => ImportError::malformed(format, format!("not valid JSON at {at}")),
        }
    })
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}
