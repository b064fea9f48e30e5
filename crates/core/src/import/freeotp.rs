//! FreeOTP 1's token store, `shared_prefs/tokens.xml` taken from a rooted phone: Android
//! preference XML with one `<string>` per token, named `issuer:label`, whose text is the token
//! as JSON (the same object FreeOTP+'s JSON export lists, secret as signed Java bytes), plus a
//! `tokenOrder` entry with the display order.
//!
//! FreeOTP+ kept this file unchanged (its internal `tokens.xml` is byte-for-byte the same
//! layout), so it is read here too and reported as FreeOTP: nothing in the file tells the two
//! apps apart. Tokens are imported in file order; `tokenOrder` is only a display order and
//! is not needed to find them. The HOTP `counter` is kept as stored, like the FreeOTP+ JSON
//! export. FreeOTP 2's encrypted store, a Java-serialized map and not XML, is [`super::freeotp_v2`].

use super::freeotp_plus::{self, Token};
use super::{json, prefs, Format, ImportError, ImportReport};

const FORMAT: Format = Format::FreeOtp;
/// The one entry that is not a token.
const ORDER_KEY: &str = "tokenOrder";

/// Whether a preference file looks like FreeOTP's token store: a `tokenOrder` entry.
pub(crate) fn looks_like_freeotp(text: &str) -> bool {
    text.contains("name=\"tokenOrder\"")
}

/// Imports FreeOTP 1's (or FreeOTP+'s) `tokens.xml`.
pub fn import(bytes: &[u8]) -> Result<ImportReport, ImportError> {
    let prefs = prefs::strings(FORMAT, bytes)?;
    if prefs::find(&prefs, ORDER_KEY).is_none() {
        return Err(ImportError::malformed(
            FORMAT,
            "no tokenOrder entry: not a FreeOTP token store",
        ));
    }
    let mut report = ImportReport::new(FORMAT);
    for pref in prefs.iter().filter(|p| p.name != ORDER_KEY) {
        // A token that is not JSON is damage to that entry alone: the others still import.
        let token: Token = match json::parse(FORMAT, pref.value.as_bytes()) {
            Ok(token) => token,
            Err(_) => {
                let name = pref.name.clone();
                report.push(|| name, Err("the token is not valid JSON".into()));
                continue;
            }
        };
        let (label, entry) = freeotp_plus::entry(&token);
        report.push(|| label, entry);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_that_is_not_json_is_skipped_and_the_others_import() {
        let xml = "<map>\n<string name=\"A:a\">{&quot;secret&quot;:[1,2,3,4,5,6,7,8,9,10],\
            &quot;label&quot;:&quot;a&quot;,&quot;issuerExt&quot;:&quot;A&quot;,&quot;type&quot;:&quot;TOTP&quot;}</string>\n\
            <string name=\"B:b\">{broken</string>\n\
            <string name=\"tokenOrder\">[&quot;A:a&quot;,&quot;B:b&quot;]</string>\n</map>";
        let report = import(xml.as_bytes()).unwrap();
        assert_eq!(report.accounts.len(), 1);
        assert_eq!(report.skipped[0].label, "B:b");
    }

    #[test]
    fn a_preference_file_without_token_order_is_not_a_token_store() {
        let xml = "<map><string name=\"k\">{}</string></map>";
        assert!(matches!(import(xml.as_bytes()), Err(ImportError::Malformed { .. })));
    }
}
