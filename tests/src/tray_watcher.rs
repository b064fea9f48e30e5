//! A StatusNotifierWatcher on a test's private session bus — the part of a desktop panel a
//! tray icon registers with — and reading the registered item's menu the way a panel does,
//! over D-Bus (`com.canonical.dbusmenu`, with `gdbus`, which tests list among their tools), so
//! a test asserts what a panel would show without one.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Items registered so far: `(bus name, object path)`.
type Items = Arc<Mutex<Vec<(String, String)>>>;

struct Watcher {
    items: Items,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    /// libayatana-appindicator passes its object path; others pass a bus name.
    fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let (name, path) = if service.starts_with('/') {
            (sender, service.to_string())
        } else {
            (service.to_string(), "/StatusNotifierItem".to_string())
        };
        self.items.lock().unwrap_or_else(|p| p.into_inner()).push((name, path));
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        items.iter().map(|(n, p)| format!("{n}{p}")).collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// The watcher; dropping it leaves the bus.
pub struct TrayWatcher {
    bus: String,
    items: Items,
    _conn: zbus::blocking::Connection,
}

/// One menu entry as a panel would draw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayEntry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
}

impl TrayWatcher {
    /// Takes the watcher's name on the session bus at `bus` (before the app starts).
    pub fn start(bus: &str) -> TrayWatcher {
        let items = Items::default();
        let conn = zbus::blocking::connection::Builder::address(bus)
            .and_then(|b| b.name("org.kde.StatusNotifierWatcher"))
            .and_then(|b| b.serve_at("/StatusNotifierWatcher", Watcher { items: items.clone() }))
            .and_then(|b| b.build())
            .expect("serve a StatusNotifierWatcher on the private bus");
        TrayWatcher { bus: bus.to_string(), items, _conn: conn }
    }

    /// Waits for the first item to register and returns it.
    pub fn item(&self, timeout: Duration) -> (String, String) {
        let start = Instant::now();
        loop {
            if let Some(item) = self.items.lock().unwrap_or_else(|p| p.into_inner()).first() {
                return item.clone();
            }
            assert!(start.elapsed() < timeout, "no tray icon registered within {timeout:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn gdbus(&self, args: &[&str]) -> String {
        let out = Command::new("timeout")
            .arg("10")
            .arg("gdbus")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null())
            .output()
            .expect("run gdbus");
        assert!(out.status.success(), "gdbus {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `gdbus call` of `method` on `path` of `dest` with `args`; returns the reply's text.
    fn call(&self, dest: &str, path: &str, method: &str, args: &[&str]) -> String {
        let head = ["call", "--session", "--dest", dest, "--object-path", path, "--method", method];
        self.gdbus(&[&head[..], args].concat())
    }

    /// The menu object path the item exports (its `Menu` property).
    fn menu_path(&self, (name, path): &(String, String)) -> String {
        let properties = "org.freedesktop.DBus.Properties.Get";
        let out = self.call(name, path, properties, &["org.kde.StatusNotifierItem", "Menu"]);
        // (<objectpath '/org/ayatana/NotificationItem/twofold/Menu'>,)
        let start = out.find("'").expect("a menu path") + 1;
        let end = out[start..].find("'").expect("the path's end") + start;
        out[start..end].to_string()
    }

    /// The entries of the item's menu, top level, in order (separators left out).
    pub fn menu(&self, item: &(String, String)) -> Vec<TrayEntry> {
        let menu = self.menu_path(item);
        let layout = "com.canonical.dbusmenu.GetLayout";
        parse_layout(&self.call(&item.0, &menu, layout, &["0", "1", "[]"]))
    }

    /// Clicks entry `id`, as a panel does when the user chooses it.
    pub fn click(&self, item: &(String, String), id: i32) {
        let menu = self.menu_path(item);
        let id = id.to_string();
        self.call(&item.0, &menu, "com.canonical.dbusmenu.Event", &[&id, "clicked", "<0>", "0"]);
    }

    /// Polls the menu until `ready` holds for it.
    pub fn menu_until(
        &self,
        item: &(String, String),
        what: &str,
        ready: impl Fn(&[TrayEntry]) -> bool,
    ) -> Vec<TrayEntry> {
        let start = Instant::now();
        loop {
            let entries = self.menu(item);
            if ready(&entries) {
                return entries;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{what}; the menu is {entries:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The children of GetLayout's text form: `(ID, {'label': <'…'>, 'enabled': <false>, …}, [])`.
fn parse_layout(text: &str) -> Vec<TrayEntry> {
    let mut entries = Vec::new();
    // Each child is a variant: "<(ID, {...}, @av [])>".
    for chunk in text.split("<(").skip(1) {
        let id: i32 = match chunk.split(',').next().and_then(|n| n.trim().parse().ok()) {
            Some(id) => id,
            None => continue,
        };
        if chunk.contains("'type': <'separator'>") {
            continue;
        }
        let Some(label) = quoted_after(chunk, "'label': <") else { continue };
        let enabled = !chunk.split(")>").next().unwrap_or("").contains("'enabled': <false>");
        entries.push(TrayEntry {
            id,
            label: label.replace("__", "\u{0}").replace('_', "").replace('\u{0}', "_"),
            enabled,
        });
    }
    entries
}

/// The GVariant text string after `key` ('…' or "…"), unescaped.
fn quoted_after(text: &str, key: &str) -> Option<String> {
    let rest = &text[text.find(key)? + key.len()..];
    let quote = rest.chars().next()?;
    let mut out = String::new();
    let mut chars = rest[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            c if c == quote => return Some(out),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_layout_gives_its_labelled_entries_without_separators() {
        let text = "(uint32 5, (0, {'children-display': <'submenu'>}, [<(1, {'label': <'GitHub — alice'>}, @av [])>, <(2, {'type': <'separator'>}, @av [])>, <(3, {'label': <\"Bob's __x\">, 'enabled': <false>}, @av [])>]))";
        let entries = super::parse_layout(text);
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].id, entries[0].label.as_str(), entries[0].enabled),
            (1, "GitHub — alice", true)
        );
        assert_eq!((entries[1].label.as_str(), entries[1].enabled), ("Bob's _x", false));
    }
}
