//! twofold-core: Twofold's domain. TOTP/HOTP codes, shared secrets, `otpauth://` URIs, the
//! rule for who needs two-factor authentication, the enrollment state machine, the code
//! verifier (window, replay, lockout), the license check, the desktop app lock's rules, importers for other authenticator
//! apps' exports and exports to them, and escaping untrusted text for display.
//!
//! Leaves out every kind of I/O: no clock (times are passed in as unix seconds), no disk, no
//! network, no OS randomness (an RNG is passed in). Persistence, HTTP and UI live in the
//! other crates and call in here, so the rules are written and tested once.

pub mod app_lock;
pub mod data_dir;
pub mod dates;
pub mod display;
pub mod enrollment;
pub mod export;
pub mod import;
pub mod license;
pub mod otp;
pub mod policy;
pub mod secret;
pub mod uri;
pub mod verifier;

pub use enrollment::{transition, EnrollmentEvent, EnrollmentState, TransitionError};
pub use license::{
    issue_license, license_status, parse_public_key, verify_license, LicenseError, LicenseStatus,
    LicenseTerms, EVALUATION_SEATS,
};
pub use otp::{group_code, hotp, seconds_left, steam, time_step, totp, Algorithm, OtpError};
pub use policy::{covered_users, needs_two_factor, Principal, PrincipalParseError};
pub use secret::{Secret, SecretError};
pub use uri::{OtpAuth, OtpKind, UriError, PORTAL_ISSUER_DEFAULT, STEAM_DIGITS};
pub use verifier::{verify, Verdict, VerifierPolicy, VerifierState};
