//! The admin CLI without `--data`: it uses the default data directory that the desktop app
//! searches for a local portal's token, creating its parents, and says which it chose.

use std::io::Write;
use std::process::{Command, Stdio};

fn portal(home: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_twofold-portal"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start twofold-portal");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(pipe);
    child.wait_with_output().expect("wait for twofold-portal")
}

#[test]
fn without_data_the_cli_uses_the_users_data_home_and_names_it() {
    let home = tempfile::tempdir().expect("temp home");
    let added =
        portal(home.path(), &["user", "add", "erin", "--password-stdin"], Some("erin-pass-1\n"));
    assert!(added.status.success(), "user add failed: {}", String::from_utf8_lossy(&added.stderr));
    let dir = home.path().join(".local/share/twofold-portal");
    assert!(dir.join("twofold.db").is_file(), "no database in {}", dir.display());
    assert!(
        String::from_utf8_lossy(&added.stderr).contains(&dir.display().to_string()),
        "the chosen directory is not named: {}",
        String::from_utf8_lossy(&added.stderr)
    );

    let listed = portal(home.path(), &["user", "list"], None);
    assert!(listed.status.success());
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("erin"),
        "erin is not in the default directory"
    );
}

#[test]
fn an_explicit_data_directory_is_not_created_with_parents() {
    let home = tempfile::tempdir().expect("temp home");
    let deep = home.path().join("no/such/parent/data");
    let out =
        portal(home.path(), &["--data", deep.to_str().expect("utf-8 path"), "user", "list"], None);
    assert!(!out.status.success(), "a mistyped --data was accepted");
    assert!(!home.path().join("no").exists(), "parents of --data were created");
}
