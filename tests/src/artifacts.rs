//! Where tests leave files for people to look at (screenshots): `tests/artifacts/`, created on
//! demand and ignored by git. Nothing reads them back.

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
