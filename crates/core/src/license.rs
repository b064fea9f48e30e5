//! Ed25519-signed licenses: issuing, verifying, and turning an installed license into a
//! status with a seat limit.
//!
//! Leaves out where the license file lives, which public key is compiled in, and the clock
//! (`now` is passed in). A license problem never disables 2FA or locks anyone out: it only
//! limits how many users an admin may add (see [`LicenseStatus::allows`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

const BEGIN: &str = "-----BEGIN TWOFOLD LICENSE-----";
const END: &str = "-----END TWOFOLD LICENSE-----";

/// What a license grants.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LicenseTerms {
    pub licensee: String,
    /// Users that may be covered by 2FA principals.
    pub seats: u32,
    /// Unix seconds at which the license stops being valid.
    pub expires: u64,
    /// Unix seconds at which it was issued (informational).
    pub issued: u64,
}

/// Users that may be covered without a license: enough to evaluate the product end to end,
/// too few to run an organisation on it.
pub const EVALUATION_SEATS: u32 = 5;

/// Why a license text was refused.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum LicenseError {
    /// Not in the license text format; the string says which part.
    #[error("malformed license: {0}")]
    Malformed(String),
    /// Well-formed but not signed by the expected key, or altered after signing.
    #[error("the license signature does not match")]
    BadSignature,
    /// A public key that is not a valid Ed25519 point or not 32 bytes.
    #[error("invalid license public key")]
    BadKey,
}

/// Signs `terms` and renders the license file:
///
/// ```text
/// -----BEGIN TWOFOLD LICENSE-----
/// <base64 of JSON terms>
/// <base64 of the 64-byte signature over the exact JSON bytes>
/// -----END TWOFOLD LICENSE-----
/// ```
///
/// The signature covers the JSON bytes as written, so verification never depends on
/// re-serializing (field order, whitespace) the same way.
pub fn issue_license(signing_key: &SigningKey, terms: &LicenseTerms) -> String {
    // Serializing a struct of strings and integers cannot fail: serde_json only errors on
    // non-string map keys or on Serialize impls that return errors, and this has neither.
    let json = serde_json::to_vec(terms).expect("license terms always serialize");
    let signature = signing_key.sign(&json);
    format!(
        "{BEGIN}\n{}\n{}\n{END}\n",
        STANDARD.encode(&json),
        STANDARD.encode(signature.to_bytes())
    )
}

/// Checks the signature of a license text and returns its terms. Tolerates whitespace around
/// the text and around each line, CRLF line ends, and text before or after the armour (as in
/// a pasted e-mail). Expiry is not checked here; see [`license_status`].
pub fn verify_license(text: &str, public_key: &VerifyingKey) -> Result<LicenseTerms, LicenseError> {
    let malformed = |what: &str| LicenseError::Malformed(what.to_string());
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if !lines.any(|l| l == BEGIN) {
        return Err(malformed("no BEGIN TWOFOLD LICENSE line"));
    }
    let mut body = Vec::new();
    let mut ended = false;
    for line in lines {
        if line == END {
            ended = true;
            break;
        }
        body.push(line);
    }
    if !ended {
        return Err(malformed("no END TWOFOLD LICENSE line"));
    }
    let [terms_b64, signature_b64] = body.as_slice() else {
        return Err(malformed("expected exactly two lines between BEGIN and END"));
    };
    let json = STANDARD.decode(terms_b64).map_err(|_| malformed("terms are not base64"))?;
    let signature_bytes =
        STANDARD.decode(signature_b64).map_err(|_| malformed("signature is not base64"))?;
    let signature_bytes: [u8; 64] =
        signature_bytes.try_into().map_err(|_| malformed("signature is not 64 bytes"))?;
    let signature = Signature::from_bytes(&signature_bytes);
    // verify_strict also refuses weak keys and malleable signatures.
    public_key.verify_strict(&json, &signature).map_err(|_| LicenseError::BadSignature)?;
    // Parsed only once authenticated: unsigned bytes never reach the JSON parser.
    serde_json::from_slice(&json).map_err(|e| LicenseError::Malformed(format!("terms: {e}")))
}

/// Reads a 32-byte Ed25519 public key given as base64 (how it is configured or embedded).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, LicenseError> {
    let bytes = STANDARD.decode(text.trim()).map_err(|_| LicenseError::BadKey)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| LicenseError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| LicenseError::BadKey)
}

/// The license situation as shown in the status bar and enforced on principal changes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LicenseStatus {
    /// No license installed: the trial limit applies.
    Evaluation {
        seats_used: u32,
        seats: u32,
    },
    Valid {
        licensee: String,
        seats_used: u32,
        seats: u32,
        expires: u64,
    },
    /// Genuine but past its expiry; `seats` is what it granted (the limit is the trial's).
    Expired {
        licensee: String,
        seats_used: u32,
        seats: u32,
        expired: u64,
    },
    /// Genuine and current, but more users are covered than it grants (e.g. after a group
    /// grew in the directory).
    OverSeats {
        licensee: String,
        seats_used: u32,
        seats: u32,
        expires: u64,
    },
    /// Installed text that does not verify; `seats` is the trial limit that applies instead.
    Invalid {
        reason: String,
        seats_used: u32,
        seats: u32,
    },
}

/// Status of the `installed` license text (if any) at `now`, with `seats_used` distinct users
/// covered by principals (see [`crate::policy::covered_users`]). A license is expired from
/// the second `now >= expires`.
pub fn license_status(
    installed: Option<&str>,
    public_key: &VerifyingKey,
    seats_used: u32,
    now: u64,
) -> LicenseStatus {
    let Some(text) = installed.filter(|t| !t.trim().is_empty()) else {
        return LicenseStatus::Evaluation { seats_used, seats: EVALUATION_SEATS };
    };
    match verify_license(text, public_key) {
        Err(e) => {
            LicenseStatus::Invalid { reason: e.to_string(), seats_used, seats: EVALUATION_SEATS }
        }
        Ok(terms) if now >= terms.expires => LicenseStatus::Expired {
            licensee: terms.licensee,
            seats_used,
            seats: terms.seats,
            expired: terms.expires,
        },
        Ok(terms) if seats_used > terms.seats => LicenseStatus::OverSeats {
            licensee: terms.licensee,
            seats_used,
            seats: terms.seats,
            expires: terms.expires,
        },
        Ok(terms) => LicenseStatus::Valid {
            licensee: terms.licensee,
            seats_used,
            seats: terms.seats,
            expires: terms.expires,
        },
    }
}

impl LicenseStatus {
    /// Seats an admin may grow to. A current license grants its seats; anything else falls
    /// back to [`EVALUATION_SEATS`], because a license problem must never disable 2FA or lock
    /// anyone out, only stop further growth.
    pub fn seat_limit(&self) -> u32 {
        match self {
            LicenseStatus::Valid { seats, .. } | LicenseStatus::OverSeats { seats, .. } => *seats,
            LicenseStatus::Evaluation { .. }
            | LicenseStatus::Expired { .. }
            | LicenseStatus::Invalid { .. } => EVALUATION_SEATS,
        }
    }

    /// Distinct users currently covered.
    pub fn seats_used(&self) -> u32 {
        match self {
            LicenseStatus::Evaluation { seats_used, .. }
            | LicenseStatus::Valid { seats_used, .. }
            | LicenseStatus::Expired { seats_used, .. }
            | LicenseStatus::OverSeats { seats_used, .. }
            | LicenseStatus::Invalid { seats_used, .. } => *seats_used,
        }
    }

    /// May the admin change principals so that `seats_after` users are covered? Yes within
    /// the limit, and always when usage does not grow: removing principals from an
    /// over-limit installation must stay possible.
    pub fn allows(&self, seats_after: u32) -> bool {
        seats_after <= self.seat_limit() || seats_after <= self.seats_used()
    }

    /// `"evaluation"`, `"valid"`, `"expired"`, `"over_seats"` or `"invalid"` (the serde tag).
    pub fn label(&self) -> &'static str {
        match self {
            LicenseStatus::Evaluation { .. } => "evaluation",
            LicenseStatus::Valid { .. } => "valid",
            LicenseStatus::Expired { .. } => "expired",
            LicenseStatus::OverSeats { .. } => "over_seats",
            LicenseStatus::Invalid { .. } => "invalid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    const NOW: u64 = 1_700_000_000;

    fn keys(seed: u64) -> (SigningKey, VerifyingKey) {
        let signing = SigningKey::generate(&mut StdRng::seed_from_u64(seed));
        let verifying = signing.verifying_key();
        (signing, verifying)
    }

    fn terms() -> LicenseTerms {
        LicenseTerms { licensee: "Acme Co".into(), seats: 50, expires: NOW + 86_400, issued: NOW }
    }

    #[test]
    fn issued_license_verifies_to_the_same_terms() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms());
        assert!(text.starts_with(BEGIN) && text.ends_with(&format!("{END}\n")));
        assert_eq!(text.lines().count(), 4);
        assert_eq!(verify_license(&text, &verifying), Ok(terms()));
    }

    #[test]
    fn license_with_crlf_and_surrounding_text_verifies() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms()).replace('\n', "\r\n");
        let pasted =
            format!("Dear admin,\r\n\r\n  {}\r\n  Regards\r\n", text.replace("\r\n", "\r\n  "));
        assert_eq!(verify_license(&pasted, &verifying), Ok(terms()));
    }

    #[test]
    fn tampered_terms_fail_the_signature() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms());
        let lines: Vec<&str> = text.lines().collect();
        let mut more_seats = terms();
        more_seats.seats = 5000;
        let forged_terms = STANDARD.encode(serde_json::to_vec(&more_seats).unwrap());
        let forged = format!("{BEGIN}\n{forged_terms}\n{}\n{END}\n", lines[2]);
        assert_eq!(verify_license(&forged, &verifying), Err(LicenseError::BadSignature));
    }

    #[test]
    fn license_from_another_key_fails_the_signature() {
        let (signing, _) = keys(1);
        let (_, other) = keys(2);
        let text = issue_license(&signing, &terms());
        assert_eq!(verify_license(&text, &other), Err(LicenseError::BadSignature));
    }

    #[test]
    fn garbage_is_malformed() {
        let (signing, verifying) = keys(1);
        let good = issue_license(&signing, &terms());
        let lines: Vec<&str> = good.lines().collect();
        let cases = [
            String::new(),
            "hello".to_string(),
            format!("{BEGIN}\n{}\n{}\n", lines[1], lines[2]),
            format!("{BEGIN}\n{}\n{END}\n", lines[1]),
            format!("{BEGIN}\n{}\n{}\n{}\n{END}\n", lines[1], lines[2], lines[2]),
            format!("{BEGIN}\n!!!\n{}\n{END}\n", lines[2]),
            format!("{BEGIN}\n{}\n!!!\n{END}\n", lines[1]),
            format!("{BEGIN}\n{}\nAAAA\n{END}\n", lines[1]),
        ];
        for case in cases {
            assert!(
                matches!(verify_license(&case, &verifying), Err(LicenseError::Malformed(_))),
                "{case:?}"
            );
        }
    }

    #[test]
    fn signed_non_json_terms_are_malformed() {
        let (signing, verifying) = keys(1);
        let junk = b"not json";
        let signature = signing.sign(junk);
        let text = format!(
            "{BEGIN}\n{}\n{}\n{END}\n",
            STANDARD.encode(junk),
            STANDARD.encode(signature.to_bytes())
        );
        assert!(matches!(verify_license(&text, &verifying), Err(LicenseError::Malformed(_))));
    }

    #[test]
    fn public_key_parses_from_base64_and_rejects_junk() {
        let (_, verifying) = keys(1);
        let text = STANDARD.encode(verifying.to_bytes());
        assert_eq!(parse_public_key(&format!(" {text}\n")), Ok(verifying));
        assert_eq!(parse_public_key("AAAA"), Err(LicenseError::BadKey));
        assert_eq!(parse_public_key("not base64!"), Err(LicenseError::BadKey));
    }

    #[test]
    fn no_license_means_evaluation_with_trial_seats() {
        let (_, verifying) = keys(1);
        for installed in [None, Some(""), Some(" \n")] {
            let status = license_status(installed, &verifying, 3, NOW);
            assert_eq!(
                status,
                LicenseStatus::Evaluation { seats_used: 3, seats: EVALUATION_SEATS }
            );
            assert_eq!(status.label(), "evaluation");
            assert_eq!(status.seat_limit(), EVALUATION_SEATS);
        }
    }

    #[test]
    fn current_license_within_seats_is_valid() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms());
        let status = license_status(Some(&text), &verifying, 50, NOW);
        assert_eq!(
            status,
            LicenseStatus::Valid {
                licensee: "Acme Co".into(),
                seats_used: 50,
                seats: 50,
                expires: NOW + 86_400
            }
        );
        assert_eq!(status.seat_limit(), 50);
        assert_eq!(status.label(), "valid");
    }

    #[test]
    fn license_past_expiry_is_expired_with_trial_limit() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms());
        let status = license_status(Some(&text), &verifying, 10, NOW + 86_400);
        assert_eq!(
            status,
            LicenseStatus::Expired {
                licensee: "Acme Co".into(),
                seats_used: 10,
                seats: 50,
                expired: NOW + 86_400
            }
        );
        assert_eq!(status.seat_limit(), EVALUATION_SEATS);
        assert_eq!(status.label(), "expired");
    }

    #[test]
    fn more_users_than_seats_is_over_seats() {
        let (signing, verifying) = keys(1);
        let text = issue_license(&signing, &terms());
        let status = license_status(Some(&text), &verifying, 51, NOW);
        assert_eq!(status.label(), "over_seats");
        assert_eq!(status.seat_limit(), 50);
    }

    #[test]
    fn unverifiable_license_is_invalid_with_reason_and_trial_limit() {
        let (signing, _) = keys(1);
        let (_, other) = keys(2);
        let text = issue_license(&signing, &terms());
        let status = license_status(Some(&text), &other, 2, NOW);
        assert_eq!(
            status,
            LicenseStatus::Invalid {
                reason: LicenseError::BadSignature.to_string(),
                seats_used: 2,
                seats: EVALUATION_SEATS
            }
        );
        assert_eq!(status.label(), "invalid");
    }

    #[test]
    fn allows_growth_up_to_the_limit_only() {
        let status = LicenseStatus::Evaluation { seats_used: 3, seats: EVALUATION_SEATS };
        assert!(status.allows(5));
        assert!(!status.allows(6));
    }

    #[test]
    fn allows_changes_that_do_not_grow_usage_beyond_the_limit() {
        let status = LicenseStatus::Invalid { reason: "x".into(), seats_used: 20, seats: 5 };
        assert!(status.allows(20));
        assert!(status.allows(12));
        assert!(!status.allows(21));
        let over = LicenseStatus::OverSeats {
            licensee: "a".into(),
            seats_used: 60,
            seats: 50,
            expires: NOW,
        };
        assert!(over.allows(55));
        assert!(!over.allows(61));
    }

    #[test]
    fn status_serializes_with_snake_case_tag() {
        let status =
            LicenseStatus::OverSeats { licensee: "a".into(), seats_used: 6, seats: 5, expires: 9 };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["status"], "over_seats");
        assert_eq!(json["seats_used"], 6);
        let back: LicenseStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, status);
    }
}
