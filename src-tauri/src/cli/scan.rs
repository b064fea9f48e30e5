//! `twofold scan IMAGE…`: decodes every QR code in each image and prints every account found
//! as an `otpauth://` URI, one per line (a Google Authenticator transfer QR gives one line per
//! account). QR codes that are not authenticator codes, unreadable files and accounts that
//! cannot be used are reported on stderr; the exit status is non-zero if any image failed or
//! no account was found at all.

use std::path::PathBuf;

use twofold_desktop::authenticator::found::accounts_from_texts;

pub fn run(images: &[PathBuf]) -> anyhow::Result<()> {
    let mut printed = 0usize;
    let mut failed = 0usize;
    for image in images {
        let texts = match twofold_scanner::scan_file(image) {
            Ok(texts) => texts,
            Err(e) => {
                eprintln!("{}: {e}", image.display());
                failed += 1;
                continue;
            }
        };
        if texts.is_empty() {
            eprintln!("{}: no QR code found", image.display());
            continue;
        }
        let found = accounts_from_texts(&texts);
        if found.ignored > 0 {
            eprintln!(
                "{}: {} QR code(s) that are not authenticator codes were ignored",
                image.display(),
                found.ignored
            );
        }
        for skipped in &found.skipped {
            eprintln!("{}: skipped {}: {}", image.display(), skipped.label, skipped.reason);
        }
        for batch in &found.batches {
            eprintln!(
                "{}: Google Authenticator transfer code {} of {}",
                image.display(),
                batch.index,
                batch.size
            );
        }
        for account in &found.accounts {
            println!("{}", account.to_uri().as_str());
            printed += 1;
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} image(s) could not be read", images.len());
    }
    if printed == 0 {
        anyhow::bail!("no authenticator QR code (otpauth://) was found");
    }
    Ok(())
}
