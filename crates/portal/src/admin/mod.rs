//! The admin API, versioned under `/api/v1`, on its own listener (loopback by default) and
//! behind a bearer token. It covers everything the desktop app's admin mode shows and does;
//! each handler is a thin adapter over [`crate::ops`], which the CLI shares.

mod auth;
mod handlers;
pub mod users;

pub use auth::require_token;
pub use handlers::routes;
