//! The Twofold portal as a library: the axum routers for the sign-in pages, the RDP gate and
//! the admin API, the operations the admin CLI and API share, and the TLS listener. `main.rs`
//! only parses the command line and wires these together.

pub mod admin;
pub mod blocking;
pub mod client_address;
pub mod clock;
pub mod config;
pub use twofold_core::dates;
pub mod directory;
pub mod error;
pub mod forward_auth;
pub mod messages;
pub mod ops;
pub mod pages;
pub mod password_check;
pub mod passwords;
pub mod qr;
pub mod rdp;
pub mod router;
pub mod security;
pub mod server;
pub mod session;
pub mod signin;
pub mod state;
pub mod tls;
pub mod vendor;

pub use router::{admin_app, app};
pub use state::AppState;
