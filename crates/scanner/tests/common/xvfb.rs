//! A private Xvfb display for the screen and clipboard tests, stopped on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display (Xvfb picks it and reports it through -displayfd, so
    /// parallel test runs cannot collide). None when Xvfb is not installed.
    pub fn start(width: u32, height: u32) -> Option<Xvfb> {
        let mut child = Command::new("Xvfb")
            // -noreset: xcap opens a new X connection per call; without it the server resets
            // whenever the last client disconnects, and the next connection races the reset.
            .args(["-displayfd", "1", "-noreset", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        // Xvfb writes the display number once it accepts connections.
        BufReader::new(stdout).read_line(&mut line).expect("read Xvfb display number");
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not report a display number");
        Some(Xvfb { child, display: format!(":{number}") })
    }

    /// Shows an image with ImageMagick's `display` at (x, y); the window closes on drop.
    pub fn show(&self, image: &std::path::Path, x: u32, y: u32) -> ShownImage {
        let child = Command::new("/usr/bin/display")
            .arg("-geometry")
            .arg(format!("+{x}+{y}"))
            .arg(image)
            .env("DISPLAY", &self.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/bin/display");
        ShownImage(child)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct ShownImage(Child);

impl Drop for ShownImage {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Points this test process at the display. Each test binary that uses this has a single
/// test, so no other thread reads the environment meanwhile.
pub fn use_display(display: &str) {
    std::env::set_var("DISPLAY", display);
    std::env::remove_var("WAYLAND_DISPLAY");
}
