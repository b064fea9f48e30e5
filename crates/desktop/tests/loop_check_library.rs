//! The loop check as a library, against a real portal process, with the vault's secrets in
//! memory (no keyring needed): an interruption in the middle of the loop still runs clean-up,
//! which removes the throwaway user (its principal entry with it) and the vault account and
//! restores the switch; a refused admin token is a connection error, not a step failure.

use std::sync::{Arc, Mutex};

use twofold_desktop::loop_check::{run, LoopConfig, LoopEvent, StepStatus};
use twofold_e2e::Portal;
use twofold_vault::{MemoryStore, Vault};
use zeroize::Zeroizing;

fn config(
    portal: &Portal,
    token: &str,
    vault: &std::path::Path,
    secrets: Arc<MemoryStore>,
) -> LoopConfig {
    LoopConfig {
        portal_url: portal.base.clone(),
        admin_url: portal.admin_base.clone(),
        admin_token: Zeroizing::new(token.to_string()),
        gateway_token: Err("not in this test".into()),
        vault_dir: vault.to_path_buf(),
        secrets,
        max_clock_offset_secs: 5.0,
    }
}

#[tokio::test]
async fn an_interrupted_loop_check_still_removes_the_user_the_vault_account_and_restores_the_switch(
) {
    let portal = Portal::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let cfg = config(&portal, &portal.admin_token, dir.path(), secrets.clone());
    // Interrupt as soon as the vault step has stored the account.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let observer = move |event: LoopEvent| {
        if let LoopEvent::Finished { report, .. } = event {
            if report.name == "vault" {
                if let Some(tx) = tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        }
    };
    let report = run(&cfg, &observer, async {
        let _ = rx.await;
    })
    .await;

    assert!(report.interrupted && !report.passed, "{}", report.to_table());
    let names: Vec<&str> = report.steps.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), 11, "{names:?}");
    let vault = report.steps.iter().find(|s| s.name == "vault").unwrap();
    assert_eq!(vault.status, StepStatus::Passed, "{}", report.to_table());
    let cleanup = report.steps.last().unwrap();
    assert_eq!(
        (cleanup.name, cleanup.status),
        ("clean-up", StepStatus::Passed),
        "{}",
        report.to_table()
    );
    assert_eq!(report.removed.len(), 3, "{:?}", report.removed);
    assert!(report.removed[0].starts_with("vault account"), "{:?}", report.removed);

    assert!(secrets.is_empty(), "the secret left the store");
    let accounts = Vault::open(dir.path(), secrets).unwrap().accounts().unwrap();
    assert!(accounts.is_empty(), "{accounts:?}");
    let users = portal.cli(&["user", "list"], None);
    assert!(users.trim().is_empty(), "{users}");
    assert!(portal.cli(&["principals", "list"], None).trim().is_empty());
    assert!(portal.cli(&["2fa", "status"], None).contains("off"));
}

#[tokio::test]
async fn a_refused_admin_token_is_a_connection_error_and_nothing_is_made() {
    let portal = Portal::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        &portal,
        "not-the-portals-token-0123456789",
        dir.path(),
        Arc::new(MemoryStore::new()),
    );
    let report = run(&cfg, &|_| {}, std::future::pending()).await;
    assert!(report.connection_error && !report.passed, "{}", report.to_table());
    assert_eq!(report.steps[0].status, StepStatus::Failed);
    assert!(
        report.steps[0].actual.as_deref().unwrap().contains("refused the token"),
        "{}",
        report.to_table()
    );
    assert!(report.removed.is_empty(), "{:?}", report.removed);
}
