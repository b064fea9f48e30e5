//! Where tests leave files for people to look at (screenshots): `tests/artifacts/`, created on
//! demand and ignored by git. Nothing reads them back. Screenshots are taken the same way for
//! the browser and the desktop app: both are WebDriver sessions.

use std::path::PathBuf;

/// The artifacts directory, created if needed.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// `artifacts/NAME`.
pub fn artifact_path(name: &str) -> PathBuf {
    artifacts_dir().join(name)
}

/// Waits for two animation frames, so a screenshot shows the current DOM rather than the
/// previous frame.
pub async fn settle(client: &fantoccini::Client) {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .expect("wait for two animation frames");
}

/// Saves the session's viewport as `artifacts/NAME.png` and returns the path.
pub async fn screenshot(client: &fantoccini::Client, name: &str) -> PathBuf {
    settle(client).await;
    let png = client.screenshot().await.expect("screenshot");
    let path = artifact_path(&format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}
