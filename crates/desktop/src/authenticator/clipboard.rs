//! Copying a code: the code goes on the system clipboard, hidden from clipboard-manager
//! histories where the platform allows, and is cleared [`CLEAR_AFTER`] later — but only if
//! the clipboard still holds that code, so whatever the user copied since is never wiped.
//!
//! The system clipboard is behind [`ClipboardAccess`] so the clearing rule is tested without a
//! display. Leaves out computing the code (the vault) and the timer's clock: the wait is a
//! plain sleep on a background thread, and a newer copy makes an older pending clear moot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zeroize::Zeroizing;

/// How long a copied code stays on the clipboard: long enough to switch windows and paste
/// it, and no longer than the 30 s a code usually lives.
pub const CLEAR_AFTER: Duration = Duration::from_secs(30);

/// Why the clipboard could not be written or read (no display, another program holding it).
#[derive(Debug, thiserror::Error)]
#[error("cannot use the clipboard: {0}")]
pub struct ClipboardError(pub String);

/// The system clipboard's text, as much of it as copying needs.
pub trait ClipboardAccess: Send + Sync {
    fn set_text(&self, text: &str) -> Result<(), ClipboardError>;
    /// `None` when the clipboard holds no text.
    fn text(&self) -> Option<Zeroizing<String>>;
    fn clear(&self) -> Result<(), ClipboardError>;
}

/// Copies codes and clears them again.
pub struct CodeClipboard {
    access: Arc<dyn ClipboardAccess>,
    /// Bumped at every copy: a pending clear for an older copy sees the change and stands down.
    generation: Arc<AtomicU64>,
    clear_after: Duration,
}

impl CodeClipboard {
    pub fn new(access: Arc<dyn ClipboardAccess>) -> CodeClipboard {
        CodeClipboard { access, generation: Arc::new(AtomicU64::new(0)), clear_after: CLEAR_AFTER }
    }

    /// The delay before clearing, for the UI to tell the user.
    pub fn clear_after(&self) -> Duration {
        self.clear_after
    }

    /// Puts `code` on the clipboard and schedules its clearing.
    pub fn copy(&self, code: &str) -> Result<(), ClipboardError> {
        self.access.set_text(code)?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let access = Arc::clone(&self.access);
        let current = Arc::clone(&self.generation);
        let code = Zeroizing::new(code.to_string());
        let delay = self.clear_after;
        // A thread per copy is cheap at human copy rates, and needs no runtime.
        let _ =
            std::thread::Builder::new().name("twofold-clipboard-clear".into()).spawn(move || {
                std::thread::sleep(delay);
                if current.load(Ordering::SeqCst) == generation {
                    let _ = clear_if_unchanged(access.as_ref(), &code);
                }
            });
        Ok(())
    }
}

/// Clears the clipboard if it still holds exactly `code`; returns whether it did.
pub fn clear_if_unchanged(
    access: &dyn ClipboardAccess,
    code: &str,
) -> Result<bool, ClipboardError> {
    match access.text() {
        Some(text) if text.as_str() == code => access.clear().map(|_| true),
        _ => Ok(false),
    }
}

/// The real clipboard through arboard. The `arboard::Clipboard` is kept for the app's
/// lifetime: on X11 the copying program must stay alive to serve what it copied.
#[derive(Default)]
pub struct SystemClipboard {
    inner: Mutex<Option<arboard::Clipboard>>,
}

impl SystemClipboard {
    pub fn new() -> SystemClipboard {
        SystemClipboard::default()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, ClipboardError> {
        let mut slot = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(|e| ClipboardError(e.to_string()))?);
        }
        let clipboard = slot.as_mut().ok_or_else(|| ClipboardError("unavailable".into()))?;
        f(clipboard).map_err(|e| ClipboardError(e.to_string()))
    }
}

impl ClipboardAccess for SystemClipboard {
    fn set_text(&self, text: &str) -> Result<(), ClipboardError> {
        self.with(|c| {
            #[cfg(target_os = "macos")]
            use arboard::SetExtApple as _;
            #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
            use arboard::SetExtLinux as _;
            #[cfg(target_os = "windows")]
            use arboard::SetExtWindows as _;
            c.set().exclude_from_history().text(text.to_string())
        })
    }

    fn text(&self) -> Option<Zeroizing<String>> {
        self.with(|c| c.get_text()).ok().map(Zeroizing::new)
    }

    fn clear(&self) -> Result<(), ClipboardError> {
        self.with(|c| c.clear())
    }
}

/// A clipboard in memory: what a headless run copies, and what tests read back.
#[derive(Default)]
pub struct MemoryClipboard(Mutex<Option<Zeroizing<String>>>);

impl MemoryClipboard {
    /// The text it holds, if any.
    pub fn held(&self) -> Option<String> {
        self.lock().as_ref().map(|t| t.to_string())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<String>>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ClipboardAccess for MemoryClipboard {
    fn set_text(&self, text: &str) -> Result<(), ClipboardError> {
        *self.lock() = Some(Zeroizing::new(text.to_string()));
        Ok(())
    }
    fn text(&self) -> Option<Zeroizing<String>> {
        self.lock().clone()
    }
    fn clear(&self) -> Result<(), ClipboardError> {
        *self.lock() = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_cleared_when_the_clipboard_still_holds_it() {
        let fake = MemoryClipboard::default();
        fake.set_text("123456").unwrap();
        assert!(clear_if_unchanged(&fake, "123456").unwrap());
        assert_eq!(fake.text(), None);
    }

    #[test]
    fn something_copied_since_is_left_alone() {
        let fake = MemoryClipboard::default();
        fake.set_text("my own notes").unwrap();
        assert!(!clear_if_unchanged(&fake, "123456").unwrap());
        assert_eq!(fake.text().as_deref().map(String::as_str), Some("my own notes"));
    }

    #[test]
    fn copying_puts_the_code_on_the_clipboard_at_once() {
        let fake = Arc::new(MemoryClipboard::default());
        let clipboard = CodeClipboard::new(fake.clone());
        clipboard.copy("654321").unwrap();
        assert_eq!(fake.text().as_deref().map(String::as_str), Some("654321"));
        assert_eq!(clipboard.clear_after(), CLEAR_AFTER);
    }
}
