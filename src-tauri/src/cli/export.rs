//! `twofold export --format aegis|uris|google-qr --out PATH [--password-stdin] [--force]`:
//! writes the vault's accounts to a file another app imports, or (`google-qr`) into directory
//! PATH as Google Authenticator transfer QR codes, `transfer-1-of-N.png`…, to scan with a
//! phone. `aegis` is Aegis's encrypted vault (its
//! password from stdin's first line with `--password-stdin`, else asked twice on the
//! terminal); `uris` is a plain `otpauth://` list with every secret readable, so it is only
//! written after a warning and, on a terminal, a confirmation. The file is created 0600 and
//! written whole (a temporary file renamed into place), so a failed export leaves no half file
//! and an existing file is replaced only with `--force`.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use twofold_desktop::authenticator::{vault_dir, Authenticator, ExportFormat, SystemClipboard};
use zeroize::Zeroizing;

/// `google-qr`: the transfer codes as PNGs in directory `out` (created 0700 if missing).
pub fn run_transfer(out: &Path, force: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !out.exists() {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(out)
            .with_context(|| format!("cannot create {}", out.display()))?;
    }
    let dir = vault_dir()?;
    let mode = Authenticator::new(
        &dir,
        Arc::new(twofold_vault::KeyringStore::new()),
        Arc::new(SystemClipboard::new()),
    );
    let codes = mode.transfer_codes().context("cannot export the vault")?;
    let total = codes.images.len();
    let names: Vec<_> =
        (1..=total).map(|i| out.join(format!("transfer-{i}-of-{total}.png"))).collect();
    if let Some(existing) = names.iter().find(|n| n.exists()).filter(|_| !force) {
        bail!("{} exists: give --force to replace it", existing.display());
    }
    for (name, png) in names.iter().zip(&codes.images) {
        write_private(name, png)?;
        println!("{}", name.display());
    }
    for (account, reason) in &codes.skipped {
        eprintln!("skipped {account}: {reason}");
    }
    eprintln!(
        "{total} transfer code(s): in Google Authenticator choose Transfer accounts → Import \
         accounts and scan them in order; they carry the secrets, so delete them afterwards"
    );
    Ok(())
}

pub fn run(
    format: ExportFormat,
    out: &Path,
    password_stdin: bool,
    force: bool,
) -> anyhow::Result<()> {
    if out.exists() && !force {
        bail!("{} exists: give --force to replace it", out.display());
    }
    let password = match format {
        ExportFormat::Aegis => Some(export_password(password_stdin)?),
        ExportFormat::UriList => {
            eprintln!(
                "warning: a URI list holds every secret in clear text; anyone who reads {} can \
                 make your codes. Prefer --format aegis, and delete the file once imported.",
                out.display()
            );
            if std::io::stdin().is_terminal() && !password_stdin {
                eprint!("Write it anyway? [y/N] ");
                let mut answer = String::new();
                std::io::stdin().lock().read_line(&mut answer).context("cannot read the answer")?;
                if !answer.trim().eq_ignore_ascii_case("y") {
                    bail!("nothing was written");
                }
            }
            None
        }
    };
    let dir = vault_dir()?;
    let mode = Authenticator::new(
        &dir,
        Arc::new(twofold_vault::KeyringStore::new()),
        Arc::new(SystemClipboard::new()),
    );
    let text = mode
        .export(format, password.as_deref().map(|p| p.as_str()))
        .context("cannot export the vault")?;
    write_private(out, text.as_bytes())?;
    let what = match format {
        ExportFormat::Aegis => "an encrypted Aegis vault",
        ExportFormat::UriList => "an otpauth:// list (unencrypted)",
    };
    println!("wrote {what} to {}", out.display());
    Ok(())
}

fn export_password(from_stdin: bool) -> anyhow::Result<Zeroizing<String>> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password")?;
        return Ok(Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string()));
    }
    if !std::io::stdin().is_terminal() {
        bail!("give the export's password on stdin with --password-stdin");
    }
    let first = Zeroizing::new(rpassword::prompt_password("Password for the export: ")?);
    let again = Zeroizing::new(rpassword::prompt_password("The same password again: ")?);
    if first != again {
        bail!("the two passwords differ; nothing was written");
    }
    Ok(first)
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    twofold_desktop::authenticator::export::write_private(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}
