//! `twofold import FILE [--dry-run] [--password-stdin]`: reads another authenticator app's
//! export. With `--dry-run` it prints the accounts as `otpauth://` URIs and stores nothing;
//! otherwise it adds them to the vault the window uses (see
//! `twofold_desktop::authenticator::data_dir`; `TWOFOLD_VAULT_DIR` overrides it), skipping
//! accounts already there. An encrypted export's password is read from stdin's first line
//! with `--password-stdin`, else asked for on the terminal (not echoed).

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use twofold_core::import::ImportError;
use twofold_desktop::authenticator::{
    read_export, vault_dir, AuthError, Authenticator, SystemClipboard,
};
use zeroize::Zeroizing;

pub fn run(file: &Path, dry_run: bool, password_stdin: bool) -> anyhow::Result<()> {
    let size =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > twofold_desktop::authenticator::service::MAX_EXPORT_BYTES {
        bail!("{} is {size} bytes, more than an export may have", file.display());
    }
    let bytes = Zeroizing::new(
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?,
    );
    let mut password = if password_stdin { Some(read_stdin_line()?) } else { None };
    let report = loop {
        match read_export(&bytes, password.as_deref().map(|p| p.as_str())) {
            Ok(report) => break report,
            Err(AuthError::Import(ImportError::PasswordRequired { format }))
                if password.is_none() && std::io::stdin().is_terminal() =>
            {
                password = Some(Zeroizing::new(
                    rpassword::prompt_password(format!("Password of this {format} backup: "))
                        .context("cannot read the password")?,
                ));
            }
            Err(AuthError::Import(ImportError::PasswordRequired { format })) => {
                bail!("this {format} backup is encrypted: give its password on stdin with --password-stdin")
            }
            Err(e) => return Err(e).with_context(|| format!("cannot import {}", file.display())),
        }
    };
    for skipped in &report.skipped {
        eprintln!("skipped {}: {}", skipped.label, skipped.reason);
    }
    if report.accounts.is_empty() {
        bail!("{} ({}) holds no account that can be imported", file.display(), report.format);
    }
    if dry_run {
        for account in &report.accounts {
            println!("{}", account.to_uri().as_str());
        }
        eprintln!(
            "{} account(s) in this {} export; nothing was stored (--dry-run)",
            report.accounts.len(),
            report.format
        );
        return Ok(());
    }

    let dir = vault_dir()?;
    let mode = Authenticator::new(
        &dir,
        Arc::new(twofold_vault::KeyringStore::new()),
        Arc::new(SystemClipboard::new()),
    );
    let outcome = mode.add_all(&report.accounts);
    for added in &outcome.added {
        match &added.issuer {
            Some(issuer) => println!("added {issuer} ({})", added.account),
            None => println!("added {}", added.account),
        }
    }
    println!(
        "{} added, {} already in the vault, {} skipped — vault in {}",
        outcome.added.len(),
        outcome.already_present,
        report.skipped.len(),
        dir.display()
    );
    if let Some(error) = outcome.error {
        bail!("stopped after {} account(s): {error}", outcome.added.len());
    }
    Ok(())
}

fn read_stdin_line() -> anyhow::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
    Ok(trimmed)
}
