//! What the admin CLI writes: an audit table with one line per entry whatever a username
//! held, and files private to the portal's user whatever umask it was started with.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use twofold_store::{AuditRepo, NewAuditEntry, SqliteStore};

const BIN: &str = env!("CARGO_BIN_EXE_twofold-portal");

#[test]
fn the_audit_table_prints_one_line_per_entry_for_a_name_with_newlines_and_tabs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    // What the sign-in page records for a typed username trying to forge two entries.
    let forged = "mallory\n1700000001\tadmin-api\t2fa.off\t\t\n1700000002\tadmin-api\tuser.reset";
    for subject in [forged, "alice"] {
        store
            .append_audit(NewAuditEntry {
                at: 1_700_000_000,
                actor: "portal",
                action: "signin.password_failed",
                subject: Some(subject),
                detail: Some("bad password\u{2028}x\u{202e}"),
            })
            .unwrap();
    }
    drop(store);
    let out = Command::new(BIN).arg("--data").arg(&data).arg("audit").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "one line per entry:\n{text}");
    for line in &lines {
        assert_eq!(line.split('\t').count(), 5, "five columns: {line:?}");
        assert!(!line.contains('\u{2028}') && !line.contains('\u{202e}'), "{line:?}");
    }
    assert!(lines[1].contains("mallory\\u{a}1700000001\\u{9}admin-api"), "{}", lines[1]);
    assert!(lines[0].contains("\talice\t"), "{}", lines[0]);
}

fn mode(path: &Path) -> String {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{:o}", meta.permissions().mode() & 0o777)
}

#[test]
fn files_the_portal_writes_are_private_under_a_permissive_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let license = tmp.path().join("acme.lic");
    let key = Path::new(env!("CARGO_MANIFEST_DIR")).join("dev/vendor-dev.key");
    // `sh` sets the umask most systems default to, then becomes the portal.
    let script = r#"umask 022; exec "$@""#;
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("sh").args(["-c", script, "sh", BIN]).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["--data".as_ref(), data.as_os_str(), "2fa".as_ref(), "on".as_ref()]);
    run(&[
        "license".as_ref(),
        "issue".as_ref(),
        "--key".as_ref(),
        key.as_os_str(),
        "--licensee".as_ref(),
        "ACME".as_ref(),
        "--seats".as_ref(),
        "5".as_ref(),
        "--expires".as_ref(),
        "2099-12-31".as_ref(),
        "--out".as_ref(),
        license.as_os_str(),
    ]);
    assert_eq!(mode(&data), "700");
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), "600", "{}", path.display());
    }
    // Not a store file: only the process's umask makes it private.
    assert_eq!(mode(&license), "600");
}
