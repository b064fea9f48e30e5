//! How the Admin mode finds its token, against a real portal: a local portal's token file,
//! a pasted token that is then kept (here in memory, standing in for the keyring), a kept
//! token that stopped working, and no token at all. The UI never receives a token: the
//! connection info it gets is checked for that too.

use std::path::PathBuf;
use std::sync::Arc;

use twofold_desktop::connection::local_token::LocalToken;
use twofold_desktop::connection::token_store::{MemoryTokenStore, TokenStore};
use twofold_desktop::session::TokenSource;
use twofold_desktop::{AdminSession, SessionError};
use twofold_e2e::Portal;
use zeroize::Zeroizing;

fn session(
    config: &tempfile::TempDir,
    store: Arc<MemoryTokenStore>,
    local: Option<(PathBuf, String)>,
) -> AdminSession {
    AdminSession::with_local_tokens(
        config.path().to_path_buf(),
        store,
        Box::new(move || {
            local
                .iter()
                .map(|(path, token)| LocalToken {
                    path: path.clone(),
                    token: Zeroizing::new(token.clone()),
                })
                .collect()
        }),
    )
}

#[tokio::test]
async fn a_local_portals_token_file_connects_without_asking() {
    let portal = Portal::start().await;
    let config = tempfile::tempdir().unwrap();
    let file = portal.data_dir().join("admin.token");
    let s = session(
        &config,
        Arc::new(MemoryTokenStore::default()),
        Some((file.clone(), portal.admin_token.clone())),
    );
    let info = s.connect(&portal.admin_base, None).await.expect("connect");
    assert!(info.connected);
    assert_eq!(info.token_source, Some(TokenSource::LocalFile));
    assert_eq!(info.token_file.as_deref(), Some(file.to_str().unwrap()));
    assert!(!s.status().await.expect("status").two_factor_enabled);
    let shown = serde_json::to_string(&info).unwrap();
    assert!(!shown.contains(&portal.admin_token), "the token reached the UI: {shown}");
}

#[tokio::test]
async fn a_pasted_token_is_kept_and_the_next_run_connects_with_it() {
    let portal = Portal::start().await;
    let config = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryTokenStore::default());
    let first = session(&config, store.clone(), None);
    assert!(matches!(
        first.connect(&portal.admin_base, None).await,
        Err(SessionError::NeedsToken { .. })
    ));
    let info = first
        .connect(&portal.admin_base, Some(portal.admin_token.clone()))
        .await
        .expect("pasted token");
    assert_eq!(info.token_source, Some(TokenSource::Entered));
    assert_eq!(
        store.load(&info.url).unwrap().as_deref().map(String::as_str),
        Some(portal.admin_token.as_str())
    );

    // A new run starts from the saved address and the kept token.
    let second = session(&config, store.clone(), None);
    assert_eq!(second.info().url, info.url, "the address is remembered");
    let again = second.connect(&second.info().url, None).await.expect("kept token");
    assert_eq!(again.token_source, Some(TokenSource::Keyring));

    second.forget_token().await.expect("forget");
    assert!(store.load(&info.url).unwrap().is_none());
}

#[tokio::test]
async fn a_wrong_pasted_token_is_refused_and_not_kept() {
    let portal = Portal::start().await;
    let config = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryTokenStore::default());
    let s = session(&config, store.clone(), None);
    let err = s
        .connect(&portal.admin_base, Some("wrong-token-0123456789".into()))
        .await
        .expect_err("wrong token");
    assert_eq!(err.kind(), "unauthorized");
    assert!(store.load(&s.info().url).unwrap().is_none());
    assert!(matches!(s.status().await, Err(SessionError::NotConnected)));
}

#[tokio::test]
async fn a_kept_token_that_stopped_working_asks_again_as_a_wrong_token() {
    let portal = Portal::start().await;
    let config = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryTokenStore::default());
    let s = session(&config, store.clone(), None);
    let url =
        s.connect(&portal.admin_base, Some(portal.admin_token.clone())).await.expect("connect").url;
    store.save(&url, "a-token-from-before-0123456789").unwrap();
    let err = s.connect(&url, None).await.expect_err("stale token");
    assert_eq!(err.kind(), "unauthorized");
}

#[tokio::test]
async fn without_any_token_a_closed_port_reads_as_unreachable_not_as_a_missing_token() {
    let config = tempfile::tempdir().unwrap();
    let s = session(&config, Arc::new(MemoryTokenStore::default()), None);
    let port = twofold_e2e::process::free_ports(1)[0];
    let err = s.connect(&format!("http://127.0.0.1:{port}"), None).await.expect_err("closed port");
    assert_eq!(err.kind(), "unreachable");
}

#[tokio::test]
async fn errors_reach_the_ui_as_kind_and_message() {
    let err = SessionError::NeedsToken { url: "http://127.0.0.1:1".into() };
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["kind"], "needs_token");
    assert!(json["message"].as_str().unwrap().contains("127.0.0.1:1"));
}
