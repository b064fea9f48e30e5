//! Admin subcommands on the store of the data directory or of the config file (PostgreSQL). Changes are audited with the actor `cli:<user>`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use twofold_core::{license, LicenseTerms, Principal};
use twofold_portal::clock::{Clock, SystemClock};
use twofold_portal::{ops, vendor};
use twofold_store::{AuditFilter, Store};

use super::Command;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Delete a user with its enrollment, sessions, memberships and principal entry.
    Delete { name: String },
    /// List the users.
    List,
}

#[derive(Subcommand)]
pub enum GroupCommand {
    /// Add a group.
    Add { name: String },
    /// Make a user a member of a group.
    AddMember { group: String, user: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SwitchAction {
    On,
    Off,
    Status,
}

#[derive(Subcommand)]
pub enum PrincipalsCommand {
    /// Enable users and groups for 2FA (`user:NAME`, `group:NAME`); all or none.
    Add {
        #[arg(required = true)]
        principals: Vec<String>,
    },
    /// Disable users and groups for 2FA; all or none.
    Remove {
        #[arg(required = true)]
        principals: Vec<String>,
    },
    /// List the principals.
    List,
}

#[derive(Subcommand)]
pub enum LicenseCommand {
    /// Verify and install a license file.
    Install { file: PathBuf },
    /// Show the license status.
    Status,
    /// Vendor side: sign a license with the vendor's private key.
    Issue(IssueArgs),
}

#[derive(Args)]
pub struct IssueArgs {
    /// The vendor signing key (base64 of the 32-byte Ed25519 seed).
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    licensee: String,
    #[arg(long)]
    seats: u32,
    /// Expiry: YYYY-MM-DD (end of that day, UTC) or unix seconds.
    #[arg(long)]
    expires: String,
    /// Write the license here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn actor() -> String {
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{who}")
}

fn parse_principals(texts: &[String]) -> anyhow::Result<Vec<Principal>> {
    texts
        .iter()
        .map(|t| {
            t.parse::<Principal>()
                .with_context(|| format!("{t:?}: expected user:NAME or group:NAME"))
        })
        .collect()
}

pub fn run(store: &dyn Store, command: Command) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let vendor = vendor::vendor_public_key();
    let actor = actor();
    match command {
        Command::User(UserCommand::Add { name, .. }) => {
            let mut password = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            ops::add_user(store, &name, password, &actor, now)?;
            println!("added user {name}");
        }
        Command::User(UserCommand::Delete { name }) => {
            let removed = ops::delete_user(store, &name, &actor, now)?;
            println!("deleted user {} ({})", removed.username, removed.summary());
        }
        Command::User(UserCommand::List) => {
            for name in store.user_names()? {
                let groups = store.groups_of(&name)?;
                let needs = ops::user_needs_two_factor(store, &name)?;
                println!(
                    "{name}\tgroups={}\t2fa={}",
                    groups.join(","),
                    if needs { "required" } else { "no" }
                );
            }
        }
        Command::Group(GroupCommand::Add { name }) => {
            store.add_group(&name, &actor, now as i64)?;
            println!("added group {name}");
        }
        Command::Group(GroupCommand::AddMember { group, user }) => {
            store.add_member(&group, &user, &actor, now as i64)?;
            println!("{user} is a member of {group}");
        }
        Command::TwoFactor { action } => {
            match action {
                SwitchAction::On => store.set_two_factor_enabled(true, &actor, now as i64)?,
                SwitchAction::Off => store.set_two_factor_enabled(false, &actor, now as i64)?,
                SwitchAction::Status => {}
            }
            let on = store.two_factor_enabled()?;
            println!("two-factor authentication is {}", if on { "on" } else { "off" });
        }
        Command::Principals(PrincipalsCommand::Add { principals }) => {
            ops::add_principals(store, &vendor, &parse_principals(&principals)?, &actor, now)?;
            println!("enabled for 2FA: {}", principals.join(" "));
        }
        Command::Principals(PrincipalsCommand::Remove { principals }) => {
            ops::remove_principals(store, &parse_principals(&principals)?, &actor, now)?;
            println!("removed: {}", principals.join(" "));
        }
        Command::Principals(PrincipalsCommand::List) => {
            for p in store.principals()? {
                match p.members {
                    Some(n) => println!("{}\t{n} members", p.principal),
                    None => println!("{}", p.principal),
                }
            }
        }
        Command::Reset { users } => {
            ops::reset(store, &users, &actor, now)?;
            println!("reset: {} (a new QR code at their next sign-in)", users.join(" "));
        }
        Command::Unlock { users } => {
            ops::unlock(store, &users, &actor, now)?;
            println!("unlocked: {}", users.join(" "));
        }
        Command::License(LicenseCommand::Install { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let report = ops::install_license(store, &vendor, &text, &actor, now)?;
            println!("license installed: {}", serde_json::to_string(&report)?);
            warn_if_development_key(&report);
        }
        Command::License(LicenseCommand::Status) => {
            let report = ops::license_report(store, &vendor, now)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            warn_if_development_key(&report);
        }
        Command::Audit { user, limit } => {
            for e in store_audit(store, user, limit)? {
                println!("{}", audit_line(e));
            }
        }
        Command::Serve(_)
        | Command::Migrate(_)
        | Command::Demo
        | Command::License(LicenseCommand::Issue(_))
        | Command::PamHook(_)
        | Command::CheckConfig { .. }
        | Command::Directory(_)
        | Command::GenerateDocs { .. } => {
            bail!("internal: command dispatched to the wrong handler")
        }
    }
    Ok(())
}

/// Standard output stays the JSON scripts read; the warning goes beside it, to standard error.
fn warn_if_development_key(report: &ops::LicenseReport) {
    if report.development_key {
        eprintln!("twofold-portal: development key: {}", vendor::DEVELOPMENT_KEY_WARNING);
    }
}

/// One line of the audit table: tab-separated, every text field escaped, so no field can
/// hold a tab or line break that would fake a column or an entry.
fn audit_line(entry: twofold_store::AuditEntry) -> String {
    let e = ops::displayable_audit_entry(entry);
    format!(
        "{}\t{}\t{}\t{}\t{}",
        e.at,
        e.actor,
        e.action,
        e.subject.unwrap_or_default(),
        e.detail.unwrap_or_default()
    )
}

fn store_audit(
    store: &dyn Store,
    user: Option<String>,
    limit: u32,
) -> anyhow::Result<Vec<twofold_store::AuditEntry>> {
    Ok(store.audit(&AuditFilter { subject: user, before_id: None, limit })?)
}

pub fn issue_license(args: IssueArgs) -> anyhow::Result<()> {
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("reading {}", args.key.display()))?;
    let key = vendor::decode_signing_key(&key_text)
        .context("the key file must hold base64 of a 32-byte Ed25519 seed")?;
    let now = SystemClock.now();
    let terms = LicenseTerms {
        licensee: args.licensee,
        seats: args.seats,
        expires: parse_expiry(&args.expires)?,
        issued: now,
    };
    let text = license::issue_license(&key, &terms);
    match args.out {
        Some(path) => {
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `YYYY-MM-DD` (the end of that day, UTC) or unix seconds.
fn parse_expiry(text: &str) -> anyhow::Result<u64> {
    if let Ok(unix) = text.parse::<u64>() {
        return Ok(unix);
    }
    twofold_portal::dates::end_of_day(text).map_err(|e| anyhow::anyhow!("expiry {e}"))
}

#[cfg(test)]
mod tests {
    use super::{audit_line, parse_expiry};
    use twofold_store::AuditEntry;

    #[test]
    fn an_audit_line_is_one_line_of_five_columns_whatever_the_fields_hold() {
        let entry = AuditEntry {
            id: 1,
            at: 1_700_000_000,
            actor: "portal".into(),
            action: "signin.password_failed".into(),
            subject: Some("bob\n1700000001\tadmin-api\t2fa.off\u{2028}x".into()),
            detail: Some("\u{202e}\r".into()),
        };
        let line = audit_line(entry);
        assert_eq!(line.lines().count(), 1, "{line}");
        assert_eq!(line.split('\t').count(), 5, "{line}");
        assert!(line.contains("bob\\u{a}1700000001\\u{9}admin-api"), "{line}");
        assert!(!line.contains('\u{2028}') && !line.contains('\u{202e}'), "{line}");
    }

    #[test]
    fn expiry_dates_mean_the_end_of_that_day_utc() {
        assert_eq!(parse_expiry("1970-01-01").unwrap(), 86399);
        assert_eq!(parse_expiry("2030-06-15").unwrap(), 1_907_798_399);
        assert_eq!(parse_expiry("1900000000").unwrap(), 1_900_000_000);
        assert!(parse_expiry("2030-13-01").is_err());
        assert!(parse_expiry("soon").is_err());
    }
}
