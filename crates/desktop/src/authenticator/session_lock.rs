//! Noticing that the desktop session locks, so the app lock can shut with it: the screen
//! savers' `ActiveChanged(true)` signal on the session bus (freedesktop's, GNOME's, MATE's,
//! Cinnamon's — the signal every desktop's locker sends) and logind's `Lock` signal for this
//! process's session on the system bus (`loginctl lock-session`).
//!
//! Leaves out what locking does (the caller's `on_lock`). A bus that cannot be reached is
//! reported, not fatal: the app still locks on idle and on demand.

use zbus::blocking::{Connection, MessageIterator};
use zbus::message::Type;
use zbus::MatchRule;

/// The screen savers' interfaces whose `ActiveChanged(true)` means the session locked.
const SCREEN_SAVERS: &[&str] = &[
    "org.freedesktop.ScreenSaver",
    "org.gnome.ScreenSaver",
    "org.mate.ScreenSaver",
    "org.cinnamon.ScreenSaver",
];

/// Whether a screen saver signal means "the session is locked now".
pub fn is_session_lock(interface: &str, member: &str, active: Option<bool>) -> bool {
    member == "ActiveChanged" && active == Some(true) && SCREEN_SAVERS.contains(&interface)
}

/// Listens on the session bus at `address` (`None`: the user's session bus) and calls
/// `on_lock` each time a screen saver reports the session locked. Returns once the match is
/// registered with the bus, so a signal sent after it returns is seen.
pub fn watch_screen_saver(
    address: Option<&str>,
    on_lock: impl Fn() + Send + 'static,
) -> zbus::Result<()> {
    let conn = match address {
        Some(address) => zbus::blocking::connection::Builder::address(address)?.build()?,
        None => Connection::session()?,
    };
    let rule = MatchRule::builder().msg_type(Type::Signal).member("ActiveChanged")?.build();
    let signals = MessageIterator::for_match_rule(rule, &conn, Some(16))?;
    std::thread::Builder::new()
        .name("screen-saver-signals".into())
        .spawn(move || {
            let _conn = conn;
            for message in signals.flatten() {
                let header = message.header();
                let interface = header.interface().map(|i| i.to_string()).unwrap_or_default();
                let member = header.member().map(|m| m.to_string()).unwrap_or_default();
                let active = message.body().deserialize::<bool>().ok();
                if is_session_lock(&interface, &member, active) {
                    on_lock();
                }
            }
        })
        .map_err(|e| zbus::Error::Failure(format!("starting the signal thread: {e}")))?;
    Ok(())
}

/// Listens for logind's `Lock` signal on this process's session (system bus).
pub fn watch_logind(on_lock: impl Fn() + Send + 'static) -> zbus::Result<()> {
    let conn = Connection::system()?;
    let reply = conn.call_method(
        Some("org.freedesktop.login1"),
        "/org/freedesktop/login1",
        Some("org.freedesktop.login1.Manager"),
        "GetSessionByPID",
        &(std::process::id()),
    )?;
    let session: zbus::zvariant::OwnedObjectPath = reply.body().deserialize()?;
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface("org.freedesktop.login1.Session")?
        .member("Lock")?
        .path(session)?
        .build();
    let signals = MessageIterator::for_match_rule(rule, &conn, Some(16))?;
    std::thread::Builder::new()
        .name("logind-signals".into())
        .spawn(move || {
            let _conn = conn;
            for _ in signals.flatten() {
                on_lock();
            }
        })
        .map_err(|e| zbus::Error::Failure(format!("starting the signal thread: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_screen_saver_turning_on_is_a_session_lock() {
        assert!(is_session_lock("org.freedesktop.ScreenSaver", "ActiveChanged", Some(true)));
        assert!(is_session_lock("org.gnome.ScreenSaver", "ActiveChanged", Some(true)));
        assert!(!is_session_lock("org.freedesktop.ScreenSaver", "ActiveChanged", Some(false)));
        assert!(!is_session_lock("org.freedesktop.ScreenSaver", "ActiveChanged", None));
        assert!(!is_session_lock("org.example.Player", "ActiveChanged", Some(true)));
        assert!(!is_session_lock("org.freedesktop.ScreenSaver", "WakeUpScreen", Some(true)));
    }
}
