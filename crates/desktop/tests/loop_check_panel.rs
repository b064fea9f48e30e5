//! The app's Loop check panel as a library, against a real portal process, with the vault's
//! secrets in memory: it takes the Admin connection's admin URL and token (found in the
//! portal's data directory, so the RDP gate's token is found beside it), streams the clock
//! comparison and then each step's start and end in order, refuses a second run started while
//! the first is under way, and keeps the CLI's table for Copy report.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use twofold_desktop::authenticator::MemoryClipboard;
use twofold_desktop::connection::local_token::LocalToken;
use twofold_desktop::connection::token_store::MemoryTokenStore;
use twofold_desktop::loop_check::panel::{self, LoopCheckPanel, PanelEvent};
use twofold_desktop::loop_check::{StepStatus, STEP_NAMES};
use twofold_desktop::AdminSession;
use twofold_e2e::Portal;
use twofold_vault::{MemoryStore, Vault};
use zeroize::Zeroizing;

fn session(config: PathBuf, portal: &Portal) -> AdminSession {
    let (path, token) = (portal.data_dir().join("admin.token"), portal.admin_token.clone());
    AdminSession::with_local_tokens(
        config,
        Arc::new(MemoryTokenStore::default()),
        Box::new(move || {
            vec![LocalToken { path: path.clone(), token: Zeroizing::new(token.clone()) }]
        }),
    )
}

#[tokio::test]
async fn the_panel_runs_the_loop_with_the_admin_connection_streams_each_step_and_refuses_a_second_run(
) {
    let portal = Portal::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let vault = dir.path().join("vault");
    let secrets = Arc::new(MemoryStore::new());
    let clipboard = Arc::new(MemoryClipboard::default());
    let s = session(config.clone(), &portal);
    s.connect(&portal.admin_base, None).await.expect("the Admin connection");
    let p = LoopCheckPanel::new(config.clone(), vault.clone(), secrets.clone(), clipboard.clone());

    let events = Mutex::new(Vec::new());
    let record = |e: PanelEvent| events.lock().unwrap().push(e);
    // Two runs at once: whichever is polled first runs, the other is refused before it
    // does anything (so only the running one's events are recorded).
    let (a, b) = tokio::join!(p.run(&s, &portal.base, &record), p.run(&s, &portal.base, &record));
    let (view, refused) = match (a, b) {
        (Ok(view), Err(e)) | (Err(e), Ok(view)) => (view, e),
        (a, b) => panic!("one run and one refusal, not {:?} and {:?}", a.is_ok(), b.is_ok()),
    };
    assert_eq!(refused.kind(), "already_running");
    assert!(view.report.passed, "{}\n{}", view.table, portal.logs_text());
    assert!(!p.is_running(), "free again after the run");

    let rdp = view.report.steps.iter().find(|s| s.name == "rdp-gate").unwrap();
    assert_eq!(rdp.status, StepStatus::Passed, "the gateway token beside admin.token: {rdp:?}");
    let events = events.into_inner().unwrap();
    let PanelEvent::Clock { check } = &events[0] else {
        panic!("the clocks are compared first: {:?}", events[0]);
    };
    assert!(!check.skewed, "{check:?}");
    // Then, for each step in order, its start (clean-up's too) and its end.
    let mut expected = Vec::new();
    for (index, name) in STEP_NAMES.iter().enumerate() {
        expected.push(format!("started {index} {name}"));
        expected.push(format!("finished {index} {name} passed"));
    }
    let seen: Vec<String> = events[1..]
        .iter()
        .map(|e| match e {
            PanelEvent::Started { index, name } => format!("started {index} {name}"),
            PanelEvent::Finished { index, step } => {
                format!("finished {index} {} {:?}", step.name, step.status).to_lowercase()
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(seen, expected);

    assert_eq!(view.table, view.report.to_table());
    p.copy_report().unwrap();
    assert_eq!(clipboard.held().as_deref(), Some(view.table.as_str()));
    assert_eq!(panel::load(&config).portal_url.as_deref(), Some(portal.base.as_str()));
    assert_eq!(p.state(&portal.admin_base).portal_url, portal.base);

    assert!(secrets.is_empty(), "the secret left the store");
    assert!(Vault::open(&vault, secrets).unwrap().accounts().unwrap().is_empty());
    assert!(portal.cli(&["user", "list"], None).trim().is_empty());
}
