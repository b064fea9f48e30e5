//! Child processes that cannot outlive a test: each runs in its own process group, and dropping
//! the guard terminates the whole group (SIGTERM, then SIGKILL) and reaps the leader. Also picks
//! free loopback ports. It does not capture output; callers redirect stdout/stderr themselves.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// A running child process (and everything it started in its process group).
pub struct ChildGuard {
    name: String,
    child: Option<Child>,
}

impl ChildGuard {
    /// Spawns `cmd` as the leader of a new process group, so that a browser started by a
    /// driver is killed with the driver.
    pub fn spawn(name: &str, cmd: &mut Command) -> ChildGuard {
        cmd.process_group(0);
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        ChildGuard { name: name.to_string(), child: Some(child) }
    }

    /// The process id (also the process group id).
    pub fn id(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// `Some(status)` once the process has exited on its own.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// Terminates the process group and waits for the leader; safe to call twice.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let group = format!("-{}", child.id());
        if child.try_wait().ok().flatten().is_none() {
            signal_group("TERM", &group);
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Whatever is left in the group (a leader that ignored SIGTERM, or grandchildren such
        // as Chromium's helpers) goes now.
        signal_group("KILL", &group);
        if let Err(e) = child.wait() {
            eprintln!("waiting for {} failed: {e}", self.name);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends a signal to a process group with procps' `kill` (no libc binding needed for this).
fn signal_group(signal: &str, negative_pgid: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", negative_pgid])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// `n` distinct free ports on 127.0.0.1. All listeners are held until every port is chosen,
/// so the ports differ; another process could still take one before the caller binds it.
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port"))
        .collect();
    listeners.iter().map(|l| l.local_addr().expect("local addr").port()).collect()
}
