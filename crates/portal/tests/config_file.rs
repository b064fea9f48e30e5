//! The config file as an admin meets it: `check-config` lists every error with its line and
//! exits 1, says what it understood for a good file, and `serve` refuses a bad file.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_twofold-portal");

#[test]
fn check_config_lists_every_error_with_file_line_and_column_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("portal.toml");
    std::fs::write(
        &file,
        "[listen]\nportal = \"0.0.0.0\"\n\n[proxy]\ntrusted = [\"10.0.0.0/33\"]\n\
         [forward_auth]\nprotected_origins = [\"https://desktop.example.com/vnc\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN).arg("check-config").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let shown = file.display();
    assert!(err.contains("3 errors in the config file"), "{err}");
    assert!(err.contains(&format!("{shown}:2:10: listen.portal")), "{err}");
    assert!(err.contains(&format!("{shown}:5:12: proxy.trusted")), "{err}");
    assert!(err.contains(&format!("{shown}:7:22: forward_auth.protected_origins")), "{err}");
}

#[test]
fn check_config_summarises_a_good_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("portal.toml");
    std::fs::write(
        &file,
        "[forward_auth]\nprotected_origins = [\"https://desktop.example.com\"]\n\
         [[desktops]]\nname = \"Office\"\nurl = \"https://desktop.example.com/\"\n",
    )
    .unwrap();
    let out = Command::new(BIN).arg("check-config").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("protected origins: https://desktop.example.com"), "{text}");
    assert!(text.contains("trusted proxies:   none"), "{text}");
    assert!(text.contains("desktops:          1"), "{text}");
}

#[test]
fn serve_refuses_to_start_on_a_config_file_with_errors_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("portal.toml");
    std::fs::write(&file, "[forward_auth]\nprotected_orgins = [\"https://d.example.com\"]\n")
        .unwrap();
    let data = tmp.path().join("data");
    let out = Command::new(BIN)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2:1:") && err.contains("protected_orgins"), "{err}");
    assert!(!data.exists(), "nothing was created for a refused start");
}
