//! Store calls and password hashes run on Tokio's blocking threads, never on the async
//! workers: SQLite calls block (a busy database waits up to its busy timeout), and one slow
//! query on a worker would stall every request that worker carries.

use twofold_store::StoreError;

/// Why blocking work did not finish.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ops(#[from] crate::ops::OpsError),
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    /// A bug: the work panicked. The request fails; the portal keeps serving.
    #[error("a request's blocking work panicked")]
    Panicked,
}

/// Runs `f` on a blocking thread.
pub async fn run<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, WorkError>
where
    T: Send + 'static,
    E: Into<WorkError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(WorkError::Panicked),
    }
}

/// Runs a handler body that builds its own response on a blocking thread; a panic becomes a
/// bare 500.
pub async fn respond(
    f: impl FnOnce() -> axum::response::Response + Send + 'static,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::task::spawn_blocking(f).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!("a request's blocking work panicked");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
