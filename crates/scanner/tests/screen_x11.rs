//! Our X11 screen capture under a real X server: on a private Xvfb display of a non-default
//! size split into two RandR monitors, a QR code and known colours drawn on the root window
//! must come back in the right monitor's frame, at the right place, with the right gray
//! values. One test in this binary, because it sets DISPLAY for the whole process.
#![cfg(target_os = "linux")]

mod common;

use common::xvfb;

use twofold_scanner::*;
use x11rb::connection::Connection;
use x11rb::protocol::randr::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _, ImageFormat, ImageOrder};
use x11rb::rust_connection::RustConnection;

/// A client that draws on the root window and defines monitors, as a test fixture.
struct Painter {
    conn: RustConnection,
    root: xproto::Window,
    depth: u8,
    gc: xproto::Gcontext,
}

impl Painter {
    fn connect(display: &str) -> Painter {
        let (conn, screen_num) = RustConnection::connect(Some(display)).expect("connect to Xvfb");
        let screen = &conn.setup().roots[screen_num];
        let (root, depth) = (screen.root, screen.root_depth);
        assert_eq!(depth, 24, "the test draws 24-bit pixels");
        let gc = conn.generate_id().unwrap();
        conn.create_gc(gc, root, &xproto::CreateGCAux::new()).unwrap().check().unwrap();
        Painter { conn, root, depth, gc }
    }

    /// Draws `width` x `height` pixels of 0xRRGGBB at (x, y) on the root window.
    fn draw(&self, x: i16, y: i16, width: u16, height: u16, pixels: &[u32]) {
        assert_eq!(pixels.len(), width as usize * height as usize);
        let big_endian = self.conn.setup().image_byte_order == ImageOrder::MSB_FIRST;
        // Bands of rows keep each request under the core protocol's 256 KiB limit.
        for (band, rows) in pixels.chunks(width as usize * 32).enumerate() {
            let data: Vec<u8> = rows
                .iter()
                .flat_map(|p| if big_endian { p.to_be_bytes() } else { p.to_le_bytes() })
                .collect();
            let band_height = (rows.len() / width as usize) as u16;
            self.conn
                .put_image(
                    ImageFormat::Z_PIXMAP,
                    self.root,
                    self.gc,
                    width,
                    band_height,
                    x,
                    y + band as i16 * 32,
                    0,
                    self.depth,
                    &data,
                )
                .unwrap()
                .check()
                .unwrap();
        }
    }

    /// Replaces the screen's monitors with these (name, x, y, width, height); the first one
    /// takes over the screen's only output, so Xvfb's automatic whole-screen monitor goes away.
    fn set_monitors(&self, monitors: &[(&str, i16, i16, u16, u16)]) {
        let resources =
            self.conn.randr_get_screen_resources_current(self.root).unwrap().reply().unwrap();
        for (i, (name, x, y, width, height)) in monitors.iter().enumerate() {
            let atom = self.conn.intern_atom(false, name.as_bytes()).unwrap().reply().unwrap().atom;
            let outputs = if i == 0 { resources.outputs.clone() } else { Vec::new() };
            let monitor = randr::MonitorInfo {
                name: atom,
                primary: i == 0,
                automatic: false,
                x: *x,
                y: *y,
                width: *width,
                height: *height,
                width_in_millimeters: u32::from(*width) / 4,
                height_in_millimeters: u32::from(*height) / 4,
                outputs,
            };
            self.conn.randr_set_monitor(self.root, monitor).unwrap().check().unwrap();
        }
        let active = self.conn.randr_get_monitors(self.root, true).unwrap().reply().unwrap();
        assert_eq!(active.monitors.len(), monitors.len(), "Xvfb did not take the monitors");
    }
}

fn sizes(frames: &[LumaFrame]) -> Vec<(u32, u32)> {
    frames.iter().map(|f| (f.width(), f.height())).collect()
}

fn gray_at(frame: &LumaFrame, x: u32, y: u32) -> u8 {
    frame.data()[(y * frame.width() + x) as usize]
}

#[test]
fn x11_capture_reads_each_randr_monitor_of_a_wide_screen_and_finds_the_code_on_the_second() {
    let Some(x) = xvfb::Xvfb::start(2400, 1000) else {
        assert!(!common::tools_required(), "Xvfb missing");
        eprintln!("SKIPPED: Xvfb not installed; the X11 screen capture was not tested");
        return;
    };
    xvfb::use_display(&x.display);
    let painter = Painter::connect(&x.display);

    // One automatic monitor: the whole non-default-size screen, and nothing on it.
    let frames = capture_screens_with(ScreenBackend::X11).unwrap();
    assert_eq!(sizes(&frames), vec![(2400, 1000)]);
    assert_eq!(decode_screens(&frames), Vec::<String>::new());

    // Two monitors of different sizes; the second is offset from the root's top edge. The
    // kept connection must see the new layout (monitors are read at every capture).
    painter.set_monitors(&[("LEFT", 0, 0, 1400, 1000), ("RIGHT", 1400, 100, 1000, 800)]);
    let qr = common::qr_image(common::URI, 4);
    let qr_pixels: Vec<u32> = qr.pixels().map(|p| u32::from(p.0[0]) * 0x01_01_01).collect();
    painter.draw(1400 + 300, 100 + 200, qr.width() as u16, qr.height() as u16, &qr_pixels);
    // Red, green, blue, mid-gray at the second monitor's (10, 10): their luma values must be
    // exact, which catches swapped channels and a monitor read from the wrong offset. Every
    // request above was checked, so the server has drawn everything before the capture.
    painter.draw(1400 + 10, 100 + 10, 4, 1, &[0xff0000, 0x00ff00, 0x0000ff, 0x808080]);

    let frames = capture_screens_with(ScreenBackend::X11).unwrap();
    assert_eq!(sizes(&frames), vec![(1400, 1000), (1000, 800)]);
    let marks: Vec<u8> = (10..14).map(|x| gray_at(&frames[1], x, 10)).collect();
    assert_eq!(marks, vec![76, 150, 29, 128]);
    assert_eq!(gray_at(&frames[1], 9, 10), 0, "Xvfb's root background is black");
    assert_eq!(decode(&frames[0], DecodeEffort::Thorough), Vec::<String>::new());
    assert_eq!(decode(&frames[1], DecodeEffort::Fast), vec![common::URI.to_string()]);
    assert_eq!(decode_screens(&frames), vec![common::URI.to_string()]);
    // The public entry point takes the same path on an X11 session.
    assert_eq!(scan_screen().unwrap(), vec![common::URI.to_string()]);

    // Another display: the kept connection belongs to the old one and must not be reused.
    let Some(other) = xvfb::Xvfb::start(800, 600) else {
        panic!("Xvfb started once but not twice");
    };
    xvfb::use_display(&other.display);
    let frames = capture_screens_with(ScreenBackend::X11).unwrap();
    assert_eq!(sizes(&frames), vec![(800, 600)]);
}
