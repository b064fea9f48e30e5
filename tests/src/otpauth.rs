//! Just enough of an `otpauth://` reader to assert what a QR code carries: kind, label and
//! query parameters, percent-decoded. It is deliberately not Twofold's parser (that is what is
//! under test) and accepts nothing but the strict form the portal must emit.

use percent_encoding::percent_decode_str;

/// An `otpauth://KIND/LABEL?k=v&…` URI taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpauthUri {
    pub kind: String,
    pub label: String,
    pub params: Vec<(String, String)>,
}

impl OtpauthUri {
    /// Splits `uri`; `None` if it is not an `otpauth://` URI with a label.
    pub fn parse(uri: &str) -> Option<OtpauthUri> {
        let rest = uri.strip_prefix("otpauth://")?;
        let (kind, rest) = rest.split_once('/')?;
        let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
        let params = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Some(OtpauthUri { kind: kind.to_string(), label: decode(label), params })
    }

    /// The value of query parameter `name` (first occurrence, exact case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_label_and_decodes_parameters() {
        let u =
            OtpauthUri::parse("otpauth://totp/Twofold%3Aalice?secret=ABC&issuer=Twofold&digits=6")
                .unwrap();
        assert_eq!(u.kind, "totp");
        assert_eq!(u.label, "Twofold:alice");
        assert_eq!(u.param("secret"), Some("ABC"));
        assert_eq!(u.param("digits"), Some("6"));
        assert_eq!(u.param("period"), None);
    }

    #[test]
    fn rejects_other_schemes() {
        assert_eq!(OtpauthUri::parse("https://example.invalid/x"), None);
    }
}
