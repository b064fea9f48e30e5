//! `twofold loop-check`: the tester's loop against a portal (see
//! `twofold_desktop::loop_check`), printed as a table or, with `--json`, as one JSON object
//! with one entry per step. This module only gathers the tokens and the vault, runs the
//! library, prints and picks the exit status: 0 every step passed (skipped steps say why),
//! 1 a step failed or the run was interrupted, 2 a usage or connection problem.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use twofold_desktop::authenticator::vault_dir;
use twofold_desktop::connection::local_token::find_local_tokens;
use twofold_desktop::connection::token_store::KeyringTokenStore;
use twofold_desktop::loop_check::{self, token, LoopConfig, LoopEvent, StepStatus, STEP_NAMES};

#[derive(Args)]
pub struct LoopCheckArgs {
    /// The portal's base URL (its pages), as a browser opens it.
    #[arg(long, value_name = "URL")]
    portal: String,
    /// The admin API's base URL.
    #[arg(long, value_name = "URL")]
    admin_url: String,
    /// File holding the admin token. Without it the token is found as Admin mode finds it:
    /// a portal data directory on this machine (loopback admin URL), then the OS keyring.
    #[arg(long, value_name = "F")]
    admin_token_file: Option<PathBuf>,
    /// File holding the RDP gate's token (default: gateway.token beside the admin token
    /// file; without one the RDP step is skipped).
    #[arg(long, value_name = "F")]
    gateway_token_file: Option<PathBuf>,
    /// Print the report as JSON (one object per step) instead of a table.
    #[arg(long)]
    json: bool,
    /// Largest offset, in seconds, allowed between the portal's clock and this machine's.
    #[arg(long, value_name = "SECS", default_value_t = loop_check::clock::MAX_OFFSET_SECS)]
    max_clock_offset: f64,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("twofold loop-check: {message}");
    ExitCode::from(2)
}

pub fn run(args: LoopCheckArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return usage(format!("cannot start: {e}")),
    };
    if !(args.max_clock_offset.is_finite() && args.max_clock_offset >= 0.0) {
        return usage("--max-clock-offset must be a number of seconds, 0 or more");
    }
    let found = match &args.admin_token_file {
        Some(file) => token::from_file(file),
        None => runtime.block_on(token::find(
            &args.admin_url,
            find_local_tokens(),
            Arc::new(KeyringTokenStore::new()),
        )),
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return usage(e),
    };
    let gateway_token = match &args.gateway_token_file {
        Some(file) => match token::read_token_file(file) {
            Ok(t) => Ok(t),
            Err(e) => return usage(e),
        },
        None => token::gateway_beside(found.file.as_deref()),
    };
    let vault_dir = match vault_dir() {
        Ok(dir) => dir,
        Err(e) => return usage(e),
    };
    let config = LoopConfig {
        portal_url: args.portal,
        admin_url: args.admin_url,
        admin_token: found.token,
        gateway_token,
        vault_dir,
        secrets: Arc::new(twofold_vault::KeyringStore::new()),
        max_clock_offset_secs: args.max_clock_offset,
    };
    let live = !args.json && std::io::stderr().is_terminal();
    let observer = move |event: LoopEvent| {
        if let (true, LoopEvent::Finished { index, report }) = (live, event) {
            let result = match report.status {
                StepStatus::Passed => "pass",
                StepStatus::Failed => "FAIL",
                StepStatus::Skipped => "skip",
            };
            eprintln!(
                "[{:>2}/{}] {:<18} {result} ({} ms)",
                index + 1,
                STEP_NAMES.len(),
                report.name,
                report.duration_ms
            );
        }
    };
    let cancel = async {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("twofold loop-check: interrupted; cleaning up");
        } else {
            // No signal handler: never cancel.
            std::future::pending::<()>().await;
        }
    };
    let report = runtime.block_on(loop_check::run(&config, &observer, cancel));
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    if report.connection_error {
        ExitCode::from(2)
    } else if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
