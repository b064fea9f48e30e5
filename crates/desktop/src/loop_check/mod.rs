//! The tester's loop check: drives the whole enroll-and-sign-in loop against a portal the way
//! a person does it — an admin creates a throwaway user and enables it for 2FA, the user signs
//! in from a browser, scans the activation QR with this app's own scanner, keeps the account
//! in this app's vault (the OS keyring), signs in with the vault's codes, the RDP gate refuses
//! the password alone, a reset gives a new QR — and reports each step with its time. Clean-up
//! always runs: after a failure, and after an interruption (the `cancel` future of [`run`]).
//!
//! The CLI (`twofold loop-check`) and the app's panel are thin callers of [`run`]. Leaves out
//! finding the admin token ([`token`]), printing ([`report`]) and exit codes (the CLI's).
//!
//! Nothing secret reaches the report: not the throwaway password, the TOTP key or a code.

pub mod clock;
pub mod html;
pub mod panel;
pub mod report;
mod steps;
pub mod token;
pub mod web;

use std::path::PathBuf;
use std::sync::Arc;

use twofold_vault::SecretStore;
use zeroize::Zeroizing;

pub use report::{LoopReport, StepReport, StepStatus, STEP_NAMES};
pub use steps::run;

/// Everything a run needs.
pub struct LoopConfig {
    /// The portal's base URL (its pages), e.g. `https://portal.example.net`.
    pub portal_url: String,
    /// The admin API's base URL.
    pub admin_url: String,
    pub admin_token: Zeroizing<String>,
    /// The RDP gate's bearer token, or why there is none (the step is then skipped).
    pub gateway_token: Result<Zeroizing<String>, String>,
    /// The vault the account goes into (the app's own, so the check covers it).
    pub vault_dir: PathBuf,
    /// Where the vault keeps secrets: the OS keyring in the app and CLI.
    pub secrets: Arc<dyn SecretStore>,
    /// Beyond this offset (seconds) between the portal's clock and ours the clock step fails.
    pub max_clock_offset_secs: f64,
}

/// What a run tells its caller as it goes, for a live display.
#[derive(Clone, Debug)]
pub enum LoopEvent {
    /// Step `index` (0-based, in [`STEP_NAMES`] order) began.
    Started { index: usize, name: &'static str },
    /// Step `index` ended.
    Finished { index: usize, report: StepReport },
}
