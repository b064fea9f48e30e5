//! The portal's admin API as typed Rust calls: one method per endpoint, answers as the
//! types in [`model`], failures as an [`AdminError`] that says which of unreachable, wrong
//! token, TLS or the server's own refusal happened.

mod client;
mod error;
pub mod model;
mod url;

pub use client::AdminClient;
pub use error::AdminError;
pub use url::{is_loopback as url_is_loopback, normalize_admin_url};
