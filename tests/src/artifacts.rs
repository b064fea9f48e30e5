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
/// previous frame. Bounded: a page whose frames never come (a renderer that does not drive
/// `requestAnimationFrame`) fails the test with that reason instead of hanging it.
pub async fn settle(client: &fantoccini::Client) {
    let frames = client.execute_async(
        "const done = arguments[arguments.length - 1];\
         requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    );
    match tokio::time::timeout(RENDER_WAIT, frames).await {
        Ok(result) => {
            result.expect("wait for two animation frames");
        }
        Err(_) => panic!(
            "no animation frame within {RENDER_WAIT:?}: the page is not being rendered \
             (requestAnimationFrame never ran)"
        ),
    }
}

/// Two frames or a screenshot take milliseconds; a slow, shared machine gets generous room.
const RENDER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Saves the session's viewport as `artifacts/NAME.png` and returns the path.
pub async fn screenshot(client: &fantoccini::Client, name: &str) -> PathBuf {
    settle(client).await;
    // Bounded like `settle`: WebKitGTK can leave Take Screenshot unanswered (seen with its
    // DMA-BUF renderer off under Xvfb), and a hung test never stops its app and desktop.
    let png = match tokio::time::timeout(RENDER_WAIT, client.screenshot()).await {
        Ok(png) => png.expect("screenshot"),
        Err(_) => {
            panic!("the WebDriver screenshot of {name} did not return within {RENDER_WAIT:?}")
        }
    };
    let path = artifact_path(&format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}
