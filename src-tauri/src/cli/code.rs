//! `twofold code URI [--at UNIX]`: prints the code of an `otpauth://` URI — TOTP at now (or
//! `--at`), HOTP at the URI's counter. Nothing is stored; the URI is not echoed (it holds the
//! key), only what is wrong with it.

use anyhow::Context;
use twofold_core::OtpAuth;

pub fn run(uri: &str, at: Option<u64>) -> anyhow::Result<()> {
    let auth = OtpAuth::parse(uri).context("cannot read the otpauth URI")?;
    let at = match at {
        Some(at) => at,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs(),
    };
    println!("{}", auth.code_at(at).context("cannot compute the code")?);
    Ok(())
}
