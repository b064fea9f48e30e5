//! The Authenticator mode's logic, testable without Tauri: the code list over the vault
//! (codes only, never secrets, reach the UI), adding accounts by link, by hand (with one
//! message per bad field), by QR from the screen, an image, the clipboard or the webcam, and
//! by importing another app's export — with a preview and duplicate detection before anything
//! is stored — exporting to Aegis or a URI list, plus copying with a timed clear, HOTP "next
//! code", reordering and deleting, all behind the optional app lock, with an automatic
//! encrypted backup after every change if the user turned it on.
//!
//! Leaves out the window and the commands (`src-tauri`), decoding (twofold-scanner), parsing
//! and code maths (twofold-core) and storage (twofold-vault).

pub mod app_database;
pub mod app_lock;
pub mod at_hand;
pub mod backup;
pub mod camera;
pub mod clipboard;
pub mod data_dir;
pub mod error;
pub mod export;
pub mod found;
pub mod list;
pub mod manual;
pub mod preview;
pub mod quick_pick;
pub mod service;
pub mod session_lock;
pub mod tray_menu;

pub use app_lock::{LockChange, LockStatus, LockedName};
pub use at_hand::{AtHand, AtHandStatus};
pub use backup::{BackupChoice, BackupProblem, BackupStatus};
pub use camera::{CameraChoice, CameraEvent, CameraSink};
pub use clipboard::{ClipboardAccess, MemoryClipboard, SystemClipboard, CLEAR_AFTER};
pub use data_dir::{vault_dir, VAULT_DIR_ENV};
pub use error::AuthError;
pub use export::{suggested_export_path, ExportFormat, TransferCodes, Written};
pub use list::CodeList;
pub use manual::{FieldError, ManualEntry};
pub use preview::{Candidate, Preview, Source};
pub use quick_pick::QuickList;
pub use service::{read_export, AddReport, AddedAccount, Authenticator, Copied, Offer};
pub use tray_menu::TrayAccounts;
pub use twofold_vault::AccountCode;
