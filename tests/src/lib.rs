//! Harness for Twofold's end-to-end tests: real `twofold-portal` processes on loopback ports,
//! a browser-less HTTP user, headless Chromium over WebDriver, and the independent tools
//! (`oathtool`, `zbarimg`) the portal must agree with. The tests live in `tests/`.

pub mod artifacts;
pub mod browser;
pub mod clock;
pub mod desktop_stack;
pub mod html;
pub mod otpauth;
pub mod portal;
pub mod process;
pub mod tools;
pub mod web;

pub use otpauth::OtpauthUri;
pub use portal::{portal_binary, ApiResponse, Portal};
pub use tools::{oathtool_totp, tools_present, zbar_decode};
pub use web::{Page, WebClient};
pub mod app;
pub mod authenticator_keyring;
pub mod authenticator_tools;
pub mod authenticator_ui;
pub mod bench;
pub mod desktop_session;
pub mod signin_steps;
pub mod tray_watcher;
