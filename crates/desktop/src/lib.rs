//! The desktop app's logic, testable without Tauri: the client of the portal's admin API
//! ([`admin`]), where the admin URL and token come from ([`connection`]), and the state the
//! app's Admin mode holds between commands ([`session`]).
//!
//! The Authenticator mode's logic is in [`authenticator`], over the vault and scanner crates.
//!
//! Leaves out the window, the commands and the CLI (`src-tauri`), and the authenticator
//! mode's vault and scanner themselves (their own crates).

pub mod admin;
pub mod authenticator;
pub mod connection;
pub mod loop_check;
pub mod session;
pub mod shell;
pub mod target_window;

pub use admin::{AdminClient, AdminError};
pub use session::{AdminSession, ConnectionInfo, SessionError};
