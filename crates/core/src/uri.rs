//! `otpauth://` URIs in the Google Authenticator *Key Uri Format*: tolerant parsing of what
//! apps and sites emit, strict output of what every app accepts.
//!
//! Also reads and writes Steam Guard accounts as `otpauth://steam/…` (the spelling Aegis, 2FAS
//! and Ente use) and reads the `encoder=steam` parameter some apps put on a `totp` URI.
//!
//! Leaves out `otpauth-migration://` exports (protobuf, see [`crate::import`]), QR encoding and
//! decoding, and any judgement of secret strength.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

use crate::otp::{self, Algorithm, OtpError};
use crate::secret::{Secret, SecretError};

/// Issuer the portal puts in its URIs unless configured otherwise.
pub const PORTAL_ISSUER_DEFAULT: &str = "Twofold";

/// Portal parameters: the one set every phone app supports.
const PORTAL_DIGITS: u32 = 6;
const PORTAL_PERIOD: u64 = 30;

/// Defaults the Key Uri Format specifies for absent parameters.
const DEFAULT_DIGITS: u32 = 6;
const DEFAULT_PERIOD: u64 = 30;

/// Steam Guard codes are always this long (letters from a 26-character alphabet).
pub const STEAM_DIGITS: u32 = 5;

/// Time-based or counter-based, with the parameter each needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OtpKind {
    Totp {
        period: u64,
    },
    Hotp {
        counter: u64,
    },
    /// Steam Guard: TOTP over HMAC-SHA1, but the code is five characters from Steam's
    /// alphabet instead of decimal digits (see [`crate::otp::steam`]). `digits` is 5.
    Steam {
        period: u64,
    },
}

/// One account as carried by an `otpauth://` URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpAuth {
    pub issuer: Option<String>,
    pub account: String,
    pub secret: Secret,
    pub algorithm: Algorithm,
    pub digits: u32,
    pub kind: OtpKind,
}

/// What is wrong with a URI. Values are echoed back (never the secret) so a user can see
/// which part to fix.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    #[error("not an otpauth:// URI")]
    NotOtpAuth,
    #[error("unknown OTP type {0:?} (expected totp or hotp)")]
    UnknownType(String),
    #[error("the URI has no secret parameter")]
    MissingSecret,
    #[error("the secret is not valid base32: {0}")]
    BadSecret(SecretError),
    #[error("digits {0:?} is not supported (use 6 to 8)")]
    BadDigits(String),
    #[error("period {0:?} is not a positive number of seconds")]
    BadPeriod(String),
    #[error("counter {0:?} is not a non-negative integer")]
    BadCounter(String),
    #[error("an hotp URI needs a counter parameter")]
    MissingCounter,
    #[error("unknown algorithm {0:?} (use SHA1, SHA256 or SHA512)")]
    UnknownAlgorithm(String),
    #[error("the URI is not valid percent-encoded UTF-8")]
    BadEncoding,
    #[error("the URI has no account name")]
    MissingLabel,
}

/// Characters left as-is in output: RFC 3986 unreserved characters, plus `@` because it is
/// legal in both path and query and keeps e-mail addresses readable. Everything else,
/// including space (as `%20`, never `+`) and `:` inside names, is escaped.
const STRICT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

impl OtpAuth {
    /// The account the portal issues: SHA1, 6 digits, 30-second TOTP.
    pub fn portal(issuer: &str, account: &str, secret: Secret) -> OtpAuth {
        OtpAuth {
            issuer: Some(issuer.to_string()),
            account: account.to_string(),
            secret,
            algorithm: Algorithm::Sha1,
            digits: PORTAL_DIGITS,
            kind: OtpKind::Totp { period: PORTAL_PERIOD },
        }
    }

    /// Parses an `otpauth://TYPE/LABEL?PARAMS` URI.
    ///
    /// Tolerant of: any case in scheme and type; `+` or `%20` for spaces; a literal or encoded
    /// (`%3A`) colon between issuer and account; spaces before the account; secrets in any
    /// case with spaces, dashes or padding; unknown parameters (ignored). When both the
    /// `issuer` parameter and a label prefix are present and differ, the parameter wins, as
    /// the format recommends, rather than refusing an account the user wants to add.
    pub fn parse(uri: &str) -> Result<OtpAuth, UriError> {
        let uri = uri.trim();
        let (scheme, rest) = uri.split_once("://").ok_or(UriError::NotOtpAuth)?;
        if !scheme.eq_ignore_ascii_case("otpauth") {
            return Err(UriError::NotOtpAuth);
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, q),
            None => (rest, ""),
        };
        let (kind_text, label) = before_query.split_once('/').unwrap_or((before_query, ""));

        #[derive(PartialEq)]
        enum Type {
            Totp,
            Hotp,
            Steam,
        }
        let mut otp_type = if kind_text.eq_ignore_ascii_case("totp") {
            Type::Totp
        } else if kind_text.eq_ignore_ascii_case("hotp") {
            Type::Hotp
        } else if kind_text.eq_ignore_ascii_case("steam") {
            Type::Steam
        } else {
            return Err(UriError::UnknownType(kind_text.to_string()));
        };

        let (label_issuer, account) = split_label(label)?;
        // The format allows spaces after the colon; trailing ones are never meaningful either.
        let account = account.trim();
        if account.is_empty() {
            return Err(UriError::MissingLabel);
        }

        let mut secret_text: Option<Zeroizing<String>> = None;
        let mut issuer_param: Option<String> = None;
        let mut algorithm_text: Option<String> = None;
        let mut digits_text: Option<String> = None;
        let mut period_text: Option<String> = None;
        let mut counter_text: Option<String> = None;
        let mut encoder_text: Option<String> = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = key.to_ascii_lowercase();
            // The first occurrence of a parameter wins; later duplicates are ignored.
            let slot = match key.as_str() {
                "secret" => {
                    if secret_text.is_none() {
                        secret_text = Some(Zeroizing::new(decode_component(value)?));
                    }
                    continue;
                }
                "issuer" => &mut issuer_param,
                "algorithm" => &mut algorithm_text,
                "digits" => &mut digits_text,
                "period" => &mut period_text,
                "counter" => &mut counter_text,
                "encoder" => &mut encoder_text,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(decode_component(value)?);
            }
        }

        // KeePassXC and others mark Steam accounts on a plain totp URI.
        if otp_type == Type::Totp
            && encoder_text.is_some_and(|e| e.trim().eq_ignore_ascii_case("steam"))
        {
            otp_type = Type::Steam;
        }

        let secret_text = secret_text.ok_or(UriError::MissingSecret)?;
        if secret_text.trim().is_empty() {
            return Err(UriError::MissingSecret);
        }
        let secret = Secret::from_base32(&secret_text).map_err(UriError::BadSecret)?;

        let algorithm = match algorithm_text {
            None => Algorithm::default(),
            Some(text) => text.trim().parse().map_err(|_| UriError::UnknownAlgorithm(text))?,
        };

        // Steam codes have a fixed length whatever the URI says (exporters write 5 or omit it).
        let digits = match digits_text {
            _ if otp_type == Type::Steam => STEAM_DIGITS,
            None => DEFAULT_DIGITS,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(d) if otp::DIGITS.contains(&d) => d,
                _ => return Err(UriError::BadDigits(text)),
            },
        };

        let kind = if otp_type == Type::Hotp {
            let text = counter_text.ok_or(UriError::MissingCounter)?;
            let counter = text.trim().parse::<u64>().map_err(|_| UriError::BadCounter(text))?;
            OtpKind::Hotp { counter }
        } else {
            let period = match period_text {
                None => DEFAULT_PERIOD,
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(p) if p > 0 => p,
                    _ => return Err(UriError::BadPeriod(text)),
                },
            };
            if otp_type == Type::Steam {
                // Steam's servers always use 30 s, as other implementations assume: a period in
                // the URI would only make codes Steam refuses.
                OtpKind::Steam { period: DEFAULT_PERIOD }
            } else {
                OtpKind::Totp { period }
            }
        };

        let issuer = issuer_param
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .or_else(|| label_issuer.map(|i| i.trim().to_string()).filter(|i| !i.is_empty()));

        Ok(OtpAuth { issuer, account: account.to_string(), secret, algorithm, digits, kind })
    }

    /// Strict output: `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&
    /// digits=6&period=30` (HOTP: `&counter=N` instead of the period). The issuer is written
    /// both as label prefix and parameter, since older apps read only one or the other.
    pub fn to_uri(&self) -> Zeroizing<String> {
        let secret = self.secret.to_base32();
        let issuer = self.issuer.as_deref().map(encode);
        let account = encode(&self.account);
        // Reserve generously so the buffer holding the secret never reallocates (a
        // reallocation would leave an unwiped copy behind).
        let capacity =
            96 + secret.len() + 2 * issuer.as_ref().map_or(0, |i| i.len()) + account.len();
        let mut out = Zeroizing::new(String::with_capacity(capacity));
        out.push_str("otpauth://");
        out.push_str(match self.kind {
            OtpKind::Totp { .. } => "totp/",
            OtpKind::Hotp { .. } => "hotp/",
            OtpKind::Steam { .. } => "steam/",
        });
        if let Some(issuer) = &issuer {
            out.push_str(issuer);
            out.push(':');
        } else if self.account.contains(':') {
            // A colon in the account would read back as the issuer separator; an empty
            // issuer prefix keeps the whole account an account (found by fuzzing).
            out.push(':');
        }
        out.push_str(&account);
        out.push_str("?secret=");
        out.push_str(&secret);
        if let Some(issuer) = &issuer {
            out.push_str("&issuer=");
            out.push_str(issuer);
        }
        out.push_str("&algorithm=");
        out.push_str(self.algorithm.as_str());
        out.push_str("&digits=");
        out.push_str(&self.digits.to_string());
        match self.kind {
            OtpKind::Totp { period } | OtpKind::Steam { period } => {
                out.push_str("&period=");
                out.push_str(&period.to_string());
            }
            OtpKind::Hotp { counter } => {
                out.push_str("&counter=");
                out.push_str(&counter.to_string());
            }
        }
        out
    }

    /// The code this account shows at `unix` (TOTP, Steam) or at its stored counter (HOTP,
    /// where `unix` is ignored).
    pub fn code_at(&self, unix: u64) -> Result<String, OtpError> {
        match self.kind {
            OtpKind::Totp { period } => {
                otp::totp(&self.secret, self.algorithm, self.digits, period, unix)
            }
            OtpKind::Hotp { counter } => {
                otp::hotp(&self.secret, self.algorithm, self.digits, counter)
            }
            OtpKind::Steam { period } => otp::steam(&self.secret, period, unix),
        }
    }

    /// "Issuer (account)" or just the account, for lists.
    pub fn display_name(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!("{issuer} ({})", self.account),
            None => self.account.clone(),
        }
    }
}

/// Splits the raw label into decoded issuer prefix and account. The separator is the first
/// literal `:`; only if there is none is the first `%3A` taken. Splitting before decoding lets
/// names that contain an encoded colon (as [`OtpAuth::to_uri`] writes them) survive a round trip.
fn split_label(raw: &str) -> Result<(Option<String>, String), UriError> {
    let split = match raw.find(':') {
        Some(at) => Some((at, 1)),
        None => raw.to_ascii_lowercase().find("%3a").map(|at| (at, 3)),
    };
    match split {
        Some((at, len)) => {
            // `at` comes from an ASCII match, so both slices fall on char boundaries.
            let issuer = decode_label(&raw[..at])?;
            let account = decode_label(&raw[at + len..])?;
            Ok((Some(issuer), account))
        }
        None => Ok((None, decode_label(raw)?)),
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, STRICT).to_string()
}

/// Percent-decodes the label (the URI's path), where `+` is a literal plus (RFC 3986): a
/// plus-addressed account such as `carol+2fa@example.net` keeps its plus.
fn decode_label(raw: &str) -> Result<String, UriError> {
    percent_decode_str(raw).decode_utf8().map(|s| s.into_owned()).map_err(|_| UriError::BadEncoding)
}

/// Percent-decodes one query value, reading `+` as a space. Many generators form-encode
/// (Java's `URLEncoder`, PHP's `urlencode`), while careful ones encode a literal plus as `%2B`,
/// which this still decodes to `+`.
fn decode_component(raw: &str) -> Result<String, UriError> {
    let spaced: Cow<'_, str> =
        if raw.contains('+') { Cow::Owned(raw.replace('+', " ")) } else { Cow::Borrowed(raw) };
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| UriError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plus_in_the_label_is_a_plus_and_in_a_query_value_a_space() {
        let uri =
            "otpauth://totp/Mail:carol+2fa@example.net?secret=JBSWY3DPEHPK3PXP&issuer=My+Mail";
        let parsed = OtpAuth::parse(uri).unwrap();
        assert_eq!(parsed.account, "carol+2fa@example.net");
        assert_eq!(parsed.issuer.as_deref(), Some("My Mail"), "query values stay tolerant");
        let encoded = "otpauth://totp/carol%2B2fa%40example.net?secret=JBSWY3DPEHPK3PXP";
        assert_eq!(OtpAuth::parse(encoded).unwrap().account, "carol+2fa@example.net");
    }

    #[test]
    fn an_account_with_a_colon_and_no_issuer_survives_a_round_trip() {
        let parsed = OtpAuth::parse("otpauth://totp/:a%3Ab?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!((parsed.issuer.as_deref(), parsed.account.as_str()), (None, "a:b"));
        let again = OtpAuth::parse(&parsed.to_uri()).unwrap();
        assert_eq!(again, parsed);
    }

    const B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn seed() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn portal_uri_is_strict_and_complete() {
        let auth = OtpAuth::portal("Acme Co", "alice@example.com", seed());
        assert_eq!(
            auth.to_uri().as_str(),
            format!(
                "otpauth://totp/Acme%20Co:alice@example.com?secret={B32}&issuer=Acme%20Co\
                 &algorithm=SHA1&digits=6&period=30"
            )
        );
    }

    #[test]
    fn hotp_uri_carries_counter_instead_of_period() {
        let mut auth = OtpAuth::portal(PORTAL_ISSUER_DEFAULT, "bob", seed());
        auth.kind = OtpKind::Hotp { counter: 42 };
        let uri = auth.to_uri();
        assert!(uri.starts_with("otpauth://hotp/Twofold:bob?"), "{}", uri.as_str());
        assert!(uri.ends_with("&counter=42") && !uri.contains("period"), "{}", uri.as_str());
    }

    #[test]
    fn uri_without_issuer_has_bare_label() {
        let mut auth = OtpAuth::portal("x", "bob", seed());
        auth.issuer = None;
        assert!(auth.to_uri().starts_with("otpauth://totp/bob?secret="));
    }

    #[test]
    fn round_trip_preserves_every_field() {
        let mut cases = vec![
            OtpAuth::portal("Twofold", "alice", seed()),
            OtpAuth::portal("Acme: Co & Sons", "a+b c@d.e/f?g=h", seed()),
            OtpAuth::portal("Zürich Bank", "Jürgen", seed()),
        ];
        let mut hotp = OtpAuth::portal("Acme", "bob", seed());
        hotp.kind = OtpKind::Hotp { counter: 7 };
        hotp.algorithm = Algorithm::Sha512;
        hotp.digits = 8;
        cases.push(hotp);
        let mut no_issuer = OtpAuth::portal("x", "carol", seed());
        no_issuer.issuer = None;
        no_issuer.kind = OtpKind::Totp { period: 60 };
        no_issuer.algorithm = Algorithm::Sha256;
        no_issuer.digits = 7;
        cases.push(no_issuer);
        for auth in cases {
            let parsed = OtpAuth::parse(&auth.to_uri()).unwrap();
            assert_eq!(parsed, auth, "{}", auth.to_uri().as_str());
        }
    }

    #[test]
    fn google_example_uri_parses() {
        let auth = OtpAuth::parse(
            "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        )
        .unwrap();
        assert_eq!(auth.issuer.as_deref(), Some("Example"));
        assert_eq!(auth.account, "alice@google.com");
        assert_eq!(auth.secret.as_bytes(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(auth.algorithm, Algorithm::Sha1);
        assert_eq!(auth.digits, 6);
        assert_eq!(auth.kind, OtpKind::Totp { period: 30 });
    }

    #[test]
    fn scheme_and_type_are_case_insensitive() {
        let auth = OtpAuth::parse(&format!("OTPAUTH://TOTP/x?SECRET={B32}")).unwrap();
        assert_eq!(auth.account, "x");
        assert_eq!(auth.secret, seed());
    }

    #[test]
    fn messy_secret_is_accepted() {
        let auth =
            OtpAuth::parse("otpauth://totp/x?secret=gezd%20gnbv-gy3t+qojq-gezdgnbvgy3tqojq%3D%3D")
                .unwrap();
        assert_eq!(auth.secret, seed());
        let padded = OtpAuth::parse("otpauth://totp/x?secret=MZXW6YQ=").unwrap();
        assert_eq!(padded.secret.as_bytes(), b"foob");
    }

    #[test]
    fn plus_and_percent20_both_mean_space() {
        let auth = OtpAuth::parse(&format!(
            "otpauth://totp/Acme+Co:John%20Doe?secret={B32}&issuer=Big+Corp"
        ))
        .unwrap();
        assert_eq!(auth.issuer.as_deref(), Some("Big Corp"));
        assert_eq!(auth.account, "John Doe");
    }

    #[test]
    fn issuer_comes_from_label_when_parameter_absent() {
        let auth =
            OtpAuth::parse(&format!("otpauth://totp/Acme%20Co%3A%20john?secret={B32}")).unwrap();
        assert_eq!(auth.issuer.as_deref(), Some("Acme Co"));
        assert_eq!(auth.account, "john");
    }

    #[test]
    fn issuer_parameter_wins_over_label_prefix() {
        let auth =
            OtpAuth::parse(&format!("otpauth://totp/Old:john?secret={B32}&issuer=New")).unwrap();
        assert_eq!(auth.issuer.as_deref(), Some("New"));
        assert_eq!(auth.account, "john");
    }

    #[test]
    fn leading_spaces_of_account_are_trimmed() {
        let auth = OtpAuth::parse(&format!("otpauth://totp/Acme:%20%20john?secret={B32}")).unwrap();
        assert_eq!(auth.account, "john");
    }

    #[test]
    fn missing_issuer_everywhere_gives_none() {
        let auth = OtpAuth::parse(&format!("otpauth://totp/john?secret={B32}&issuer=")).unwrap();
        assert_eq!(auth.issuer, None);
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let auth = OtpAuth::parse(&format!(
            "otpauth://totp/a?image=https%3A%2F%2Fx%2Fy.png&secret={B32}&color=red&flag&"
        ))
        .unwrap();
        assert_eq!(auth.secret, seed());
    }

    #[test]
    fn explicit_parameters_are_read() {
        let auth = OtpAuth::parse(&format!(
            "otpauth://totp/a?secret={B32}&algorithm=sha-512&digits=8&period=60"
        ))
        .unwrap();
        assert_eq!(auth.algorithm, Algorithm::Sha512);
        assert_eq!(auth.digits, 8);
        assert_eq!(auth.kind, OtpKind::Totp { period: 60 });
    }

    #[test]
    fn code_at_uses_totp_time_or_hotp_counter() {
        let totp = OtpAuth::parse(&format!("otpauth://totp/a?secret={B32}&digits=8")).unwrap();
        assert_eq!(totp.code_at(59).unwrap(), "94287082");
        let hotp = OtpAuth::parse(&format!("otpauth://hotp/a?secret={B32}&counter=1")).unwrap();
        assert_eq!(hotp.code_at(123_456).unwrap(), "287082");
    }

    fn err(uri: &str) -> UriError {
        OtpAuth::parse(uri).unwrap_err()
    }

    #[test]
    fn wrong_scheme_is_rejected() {
        assert_eq!(err(&format!("https://totp/a?secret={B32}")), UriError::NotOtpAuth);
        assert_eq!(err("otpauth:totp/a"), UriError::NotOtpAuth);
        assert_eq!(err(""), UriError::NotOtpAuth);
        assert_eq!(err("otpauth-migration://offline?data=AA"), UriError::NotOtpAuth);
    }

    #[test]
    fn unknown_type_is_rejected() {
        assert_eq!(
            err(&format!("otpauth://motp/a?secret={B32}")),
            UriError::UnknownType("motp".into())
        );
        assert_eq!(err(&format!("otpauth://?secret={B32}")), UriError::UnknownType(String::new()));
    }

    #[test]
    fn missing_or_empty_label_is_rejected() {
        assert_eq!(err(&format!("otpauth://totp?secret={B32}")), UriError::MissingLabel);
        assert_eq!(err(&format!("otpauth://totp/?secret={B32}")), UriError::MissingLabel);
        assert_eq!(err(&format!("otpauth://totp/Acme:%20?secret={B32}")), UriError::MissingLabel);
    }

    #[test]
    fn missing_or_empty_secret_is_rejected() {
        assert_eq!(err("otpauth://totp/a"), UriError::MissingSecret);
        assert_eq!(err("otpauth://totp/a?issuer=x"), UriError::MissingSecret);
        assert_eq!(err("otpauth://totp/a?secret="), UriError::MissingSecret);
    }

    #[test]
    fn bad_secret_is_rejected_with_position() {
        assert_eq!(
            err("otpauth://totp/a?secret=ABC1"),
            UriError::BadSecret(SecretError::InvalidBase32 { position: 3, character: '1' })
        );
    }

    #[test]
    fn bad_digits_are_rejected() {
        for digits in ["5", "9", "six", "", "-6"] {
            assert_eq!(
                err(&format!("otpauth://totp/a?secret={B32}&digits={digits}")),
                UriError::BadDigits(digits.into())
            );
        }
    }

    #[test]
    fn bad_period_is_rejected() {
        for period in ["0", "-30", "thirty", ""] {
            assert_eq!(
                err(&format!("otpauth://totp/a?secret={B32}&period={period}")),
                UriError::BadPeriod(period.into())
            );
        }
    }

    #[test]
    fn hotp_counter_is_required_and_numeric() {
        assert_eq!(err(&format!("otpauth://hotp/a?secret={B32}")), UriError::MissingCounter);
        assert_eq!(
            err(&format!("otpauth://hotp/a?secret={B32}&counter=x")),
            UriError::BadCounter("x".into())
        );
    }

    #[test]
    fn unknown_algorithm_is_rejected() {
        assert_eq!(
            err(&format!("otpauth://totp/a?secret={B32}&algorithm=MD5")),
            UriError::UnknownAlgorithm("MD5".into())
        );
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        assert_eq!(err(&format!("otpauth://totp/%FF?secret={B32}")), UriError::BadEncoding);
    }

    #[test]
    fn steam_uris_parse_in_both_spellings_and_round_trip() {
        let a =
            OtpAuth::parse(&format!("otpauth://steam/Steam:bob?secret={B32}&digits=6")).unwrap();
        assert_eq!(a.kind, OtpKind::Steam { period: 30 });
        let odd =
            OtpAuth::parse(&format!("otpauth://steam/Steam:bob?secret={B32}&period=60")).unwrap();
        assert_eq!(odd.kind, OtpKind::Steam { period: 30 }, "Steam always uses 30 s");
        assert_eq!(a.digits, STEAM_DIGITS);
        let b = OtpAuth::parse(&format!("otpauth://totp/Steam:bob?secret={B32}&encoder=steam"))
            .unwrap();
        assert_eq!(b, a);
        assert!(a.to_uri().starts_with("otpauth://steam/Steam:bob?"));
        assert_eq!(OtpAuth::parse(&a.to_uri()).unwrap(), a);
        let code = a.code_at(59).unwrap();
        assert_eq!(code.len(), 5);
    }

    #[test]
    fn debug_output_does_not_show_the_secret() {
        let auth = OtpAuth::portal("Twofold", "alice", seed());
        assert!(!format!("{auth:?}").contains("GEZD"));
    }
}
