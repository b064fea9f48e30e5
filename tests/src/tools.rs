//! The independent tools the end-to-end tests lean on: `oathtool` (codes) and `zbarimg` (QR
//! decoding), plus the rule for skipping when a tool is missing. It does not install anything;
//! `make deps` does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable that turns "tool missing, skipping" into a failure (set by `make test`).
pub const REQUIRE_TOOLS_ENV: &str = "TWOFOLD_E2E_REQUIRE_TOOLS";

/// Where `program` lives: an absolute path as given, else the first hit on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    let given = Path::new(program);
    if given.is_absolute() {
        return given.is_file().then(|| given.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// True when every tool in `programs` is present. When one is missing: with
/// `TWOFOLD_E2E_REQUIRE_TOOLS` set this panics (CI must never skip silently); otherwise it says
/// which tool is missing on stderr and returns false, and the test returns early.
pub fn tools_present(test: &str, programs: &[&str]) -> bool {
    let missing: Vec<&str> =
        programs.iter().copied().filter(|p| find_program(p).is_none()).collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var_os(REQUIRE_TOOLS_ENV).is_some_and(|v| !v.is_empty());
    if required {
        panic!("{test}: missing {missing:?} and {REQUIRE_TOOLS_ENV} is set (run `make deps`)");
    }
    eprintln!(
        "SKIPPED {test}: missing {missing:?} (install them with `make deps`; set \
         {REQUIRE_TOOLS_ENV}=1 to make this a failure)"
    );
    false
}

/// The 6-digit SHA1/30 s TOTP code `oathtool` computes for a base32 secret at `unix` seconds.
pub fn oathtool_totp(secret_b32: &str, unix: u64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "--base32", "--digits=6", "--time-step-size=30s"])
        .arg(format!("--now=@{unix}"))
        .arg(secret_b32)
        .output()
        .expect("run oathtool");
    assert!(
        out.status.success(),
        "oathtool failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).expect("oathtool prints ASCII").trim().to_string();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "oathtool said {code:?}");
    code
}

/// Every symbol `zbarimg` finds in a PNG, as raw text (one entry per symbol, newest zbar
/// prints one per line). Empty when nothing decodes.
pub fn zbar_decode(png: &[u8]) -> Vec<String> {
    let mut file = tempfile::Builder::new().suffix(".png").tempfile().expect("temp file");
    file.write_all(png).expect("write png");
    file.flush().expect("flush png");
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(file.path())
        .stdin(Stdio::null())
        .output()
        .expect("run zbarimg");
    // zbarimg exits 4 when it found no symbol; anything else non-zero is a real error.
    match out.status.code() {
        Some(0) | Some(4) => {}
        _ => panic!("zbarimg failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)),
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}
