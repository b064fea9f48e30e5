//! Screen capture straight from an X server (Linux X11 sessions): one connection kept open
//! across scans, every RandR monitor read with MIT-SHM when the server offers it (plain
//! GetImage over the socket otherwise), and 32-bit pixels converted straight to gray. It leaves
//! out Wayland (XWayland's root window shows X clients only, so Wayland sessions go through
//! xcap and the desktop portal), single windows and regions, and pixel formats other than
//! 8-bit-per-channel TrueColor (xcap handles those; `screen.rs` falls back to it).

use std::ffi::OsString;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, PoisonError};

use x11rb::connection::{Connection, RequestConnection};
use x11rb::errors::{ConnectError, ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::randr::{self, ConnectionExt as _};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{self, ConnectionExt as _, ImageFormat, ImageOrder};
use x11rb::rust_connection::RustConnection;

use crate::frame::Pixel32;
use crate::LumaFrame;

/// Why the X path could not produce frames. `screen.rs` then tries xcap, and reports this
/// (as a [`crate::ScanError`]) only if xcap fails too.
#[derive(Debug, thiserror::Error)]
pub(crate) enum X11Error {
    #[error("cannot connect to the X server: {0}")]
    Connect(#[from] ConnectError),

    #[error("the connection to the X server failed: {0}")]
    Connection(#[from] ConnectionError),

    #[error("the X server refused the {request} request ({kind:?})")]
    Refused { request: &'static str, kind: x11rb::protocol::ErrorKind },

    #[error("the X server ran out of resource ids for this connection")]
    IdsExhausted,

    #[error("the X server has no screen number {0}")]
    NoScreen(usize),

    #[error("the screen's pixel format is not one this capture reads (depth {depth}, {bits_per_pixel} bits per pixel)")]
    UnsupportedFormat { depth: u8, bits_per_pixel: u8 },

    #[error("the X server sent {got} bytes for a {width}x{height} image that needs {needed}")]
    ShortImage { width: u16, height: u16, got: usize, needed: usize },

    #[error("a {width}x{height} monitor is too large to capture")]
    TooLarge { width: u16, height: u16 },
}

impl X11Error {
    fn refused(request: &'static str, e: ReplyError) -> Self {
        match e {
            ReplyError::ConnectionError(e) => Self::Connection(e),
            ReplyError::X11Error(e) => Self::Refused { request, kind: e.error_kind },
        }
    }

    /// True when the connection itself is unusable, so the cached one must be replaced.
    fn is_fatal(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Connection(_) | Self::IdsExhausted)
    }
}

impl From<ReplyOrIdError> for X11Error {
    fn from(e: ReplyOrIdError) -> Self {
        match e {
            ReplyOrIdError::IdsExhausted => Self::IdsExhausted,
            ReplyOrIdError::ConnectionError(e) => Self::Connection(e),
            ReplyOrIdError::X11Error(e) => {
                Self::Refused { request: "CreateSegment", kind: e.error_kind }
            }
        }
    }
}

/// The process's capture connection. Opening one costs a round trip per extension and a fresh
/// shared-memory segment, which is what made xcap slow (it connects several times per
/// capture); keeping it lets a scan cost one GetMonitors and one GetImage per monitor.
static CAPTURE: Mutex<Option<X11Capture>> = Mutex::new(None);

/// Captures every monitor of the X display named by `DISPLAY` as gray frames, in RandR order.
pub(crate) fn capture_screens() -> Result<Vec<LumaFrame>, X11Error> {
    let display = std::env::var_os("DISPLAY").unwrap_or_default();
    // A panic while capturing cannot leave the slot half-updated in a way that matters: at
    // worst the connection is dropped below and reopened.
    let mut slot = CAPTURE.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.as_ref().is_some_and(|c| c.display != display) {
        *slot = None;
    }
    let reused = slot.is_some();
    let result = match slot.as_mut() {
        Some(capture) => capture.capture_all(),
        None => X11Capture::connect(display.clone())
            .and_then(|capture| slot.insert(capture).capture_all()),
    };
    match result {
        // The X server may have restarted since the last scan: try once with a new connection.
        Err(e) if e.is_fatal() && reused => {
            *slot = None;
            let capture = slot.insert(X11Capture::connect(display)?);
            let result = capture.capture_all();
            if result.as_ref().is_err_and(X11Error::is_fatal) {
                *slot = None;
            }
            result
        }
        Err(e) => {
            if e.is_fatal() {
                *slot = None;
            }
            Err(e)
        }
        ok => ok,
    }
}

/// A monitor's rectangle on the root window, already clipped to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rect {
    x: i16,
    y: i16,
    width: u16,
    height: u16,
}

/// A shared-memory segment attached on the server side, read back through its file.
struct ShmSegment {
    id: shm::Seg,
    file: File,
    size: usize,
}

/// Shared memory is tried once per connection; a local server normally supports it, a remote
/// one (ssh -X) cannot.
enum Shm {
    Untried,
    Unavailable,
    Ready(ShmSegment),
}

struct X11Capture {
    /// The `DISPLAY` value this connection was opened for (tests switch displays).
    display: OsString,
    conn: RustConnection,
    root: xproto::Window,
    root_width: u16,
    root_height: u16,
    depth: u8,
    bits_per_pixel: u8,
    scanline_pad: u8,
    layout: Pixel32,
    /// RandR 1.5 (GetMonitors) is there; without it the whole root window is one monitor.
    monitors: bool,
    shm: Shm,
    /// Reused between captures so a scan does not allocate 8 MB per monitor.
    buffer: Vec<u8>,
}

/// Largest segment we ask for: 8K x 4K at 4 bytes a pixel. Bigger screens use GetImage.
const MAX_SHM_BYTES: usize = 7680 * 4320 * 4;

impl X11Capture {
    fn connect(display: OsString) -> Result<Self, X11Error> {
        // A DISPLAY that is not UTF-8 cannot name an X server x11rb can parse; None lets x11rb
        // report that as its own typed error.
        let (conn, screen_num) = RustConnection::connect(display.to_str())?;
        let setup = conn.setup();
        let screen = setup.roots.get(screen_num).ok_or(X11Error::NoScreen(screen_num))?;
        let depth = screen.root_depth;
        let format = setup.pixmap_formats.iter().find(|f| f.depth == depth);
        let bits_per_pixel = format.map_or(0, |f| f.bits_per_pixel);
        let unsupported = X11Error::UnsupportedFormat { depth, bits_per_pixel };
        let Some(format) = format.filter(|f| f.bits_per_pixel == 32 && f.scanline_pad % 8 == 0)
        else {
            return Err(unsupported);
        };
        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|d| &d.visuals)
            .find(|v| v.visual_id == screen.root_visual);
        let layout = visual
            .and_then(|v| {
                pixel_layout(v.red_mask, v.green_mask, v.blue_mask, setup.image_byte_order)
            })
            .ok_or(unsupported)?;
        let (root, root_width, root_height) =
            (screen.root, screen.width_in_pixels, screen.height_in_pixels);
        let scanline_pad = format.scanline_pad;
        let monitors = randr_has_monitors(&conn)?;
        Ok(Self {
            display,
            conn,
            root,
            root_width,
            root_height,
            depth,
            bits_per_pixel,
            scanline_pad,
            layout,
            monitors,
            shm: Shm::Untried,
            buffer: Vec::new(),
        })
    }

    fn capture_all(&mut self) -> Result<Vec<LumaFrame>, X11Error> {
        let rects = self.monitor_rects()?;
        let mut frames = Vec::with_capacity(rects.len());
        let mut last_error = None;
        for rect in rects {
            match self.capture(rect) {
                Ok(frame) => frames.push(frame),
                Err(e) if e.is_fatal() => return Err(e),
                // A monitor that cannot be read must not hide a code on another one.
                Err(e) => last_error = Some(e),
            }
        }
        match (frames.is_empty(), last_error) {
            (true, Some(e)) => Err(e),
            _ => Ok(frames),
        }
    }

    /// Every active RandR monitor, clipped to the root window (GetImage fails for a
    /// rectangle that sticks out) and without duplicates (mirrored outputs show the same
    /// pixels; decoding them twice would only cost time).
    fn monitor_rects(&self) -> Result<Vec<Rect>, X11Error> {
        let mut rects = Vec::new();
        if self.monitors {
            let reply = self
                .conn
                .randr_get_monitors(self.root, true)?
                .reply()
                .map_err(|e| X11Error::refused("RRGetMonitors", e))?;
            for m in &reply.monitors {
                if let Some(r) =
                    clip(m.x, m.y, m.width, m.height, self.root_width, self.root_height)
                {
                    if !rects.contains(&r) {
                        rects.push(r);
                    }
                }
            }
        }
        if rects.is_empty() {
            // No RandR 1.5, or no active monitor reported: the root window is the screen.
            rects.extend(clip(0, 0, self.root_width, self.root_height, u16::MAX, u16::MAX));
        }
        Ok(rects)
    }

    fn stride(&self, width: u16) -> usize {
        let bits = width as usize * self.bits_per_pixel as usize;
        let pad = self.scanline_pad.max(8) as usize;
        bits.div_ceil(pad) * pad / 8
    }

    fn capture(&mut self, rect: Rect) -> Result<LumaFrame, X11Error> {
        let stride = self.stride(rect.width);
        let needed = stride
            .checked_mul(rect.height.into())
            .ok_or(X11Error::TooLarge { width: rect.width, height: rect.height })?;
        if let Some(frame) = self.capture_shm(rect, stride, needed)? {
            return Ok(frame);
        }
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                !0,
            )?
            .reply()
            .map_err(|e| X11Error::refused("GetImage", e))?;
        self.to_frame(rect, stride, reply.depth, &reply.data)
    }

    /// Reads one monitor through shared memory: the server copies its framebuffer into the
    /// segment and we read it with one `pread`, instead of 8 MB crossing the socket in
    /// reply packets. `Ok(None)` means "use GetImage instead" (no MIT-SHM, or it failed).
    fn capture_shm(
        &mut self,
        rect: Rect,
        stride: usize,
        needed: usize,
    ) -> Result<Option<LumaFrame>, X11Error> {
        if needed > MAX_SHM_BYTES {
            return Ok(None);
        }
        let segment = match &self.shm {
            Shm::Unavailable => return Ok(None),
            Shm::Ready(seg) if seg.size >= needed => seg,
            Shm::Untried | Shm::Ready(_) => {
                // The first capture, or a monitor larger than the segment: size it for the
                // whole root window so a resized or added monitor rarely needs a new one.
                let whole = self.stride(self.root_width).saturating_mul(self.root_height.into());
                match self.new_segment(whole.max(needed).min(MAX_SHM_BYTES))? {
                    Some(seg) => {
                        if let Shm::Ready(old) = std::mem::replace(&mut self.shm, Shm::Ready(seg)) {
                            // Best effort: the server frees it with the connection anyway.
                            let _ = self.conn.shm_detach(old.id);
                        }
                    }
                    None => self.shm = Shm::Unavailable,
                }
                match &self.shm {
                    Shm::Ready(seg) => seg,
                    _ => return Ok(None),
                }
            }
        };
        let reply = self
            .conn
            .shm_get_image(
                self.root,
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                !0,
                ImageFormat::Z_PIXMAP.into(),
                segment.id,
                0,
            )?
            .reply();
        let reply = match reply {
            Ok(reply) => reply,
            Err(ReplyError::ConnectionError(e)) => return Err(e.into()),
            Err(ReplyError::X11Error(_)) => {
                // E.g. a server that lost the segment: GetImage still works.
                self.shm = Shm::Unavailable;
                return Ok(None);
            }
        };
        // A segment the server filled short, or one we cannot read back, would fail every
        // capture the same way: stop using shared memory on this connection instead.
        self.buffer.resize(needed, 0);
        if (reply.size as usize) < needed
            || segment.file.read_exact_at(&mut self.buffer, 0).is_err()
        {
            self.shm = Shm::Unavailable;
            return Ok(None);
        }
        let buffer = std::mem::take(&mut self.buffer);
        let frame = self.to_frame(rect, stride, reply.depth, &buffer);
        self.buffer = buffer;
        frame.map(Some)
    }

    /// Asks the server for a segment of `size` bytes (MIT-SHM 1.2 CreateSegment: the server
    /// makes a memfd and passes it to us, so no System V shared memory and no unsafe mmap).
    /// `Ok(None)` when the server lacks it or refuses.
    fn new_segment(&self, size: usize) -> Result<Option<ShmSegment>, X11Error> {
        if self.conn.extension_information(shm::X11_EXTENSION_NAME)?.is_none() {
            return Ok(None);
        }
        match self.conn.shm_query_version()?.reply() {
            Ok(v) if (v.major_version, v.minor_version) >= (1, 2) => {}
            Ok(_) | Err(ReplyError::X11Error(_)) => return Ok(None),
            Err(ReplyError::ConnectionError(e)) => return Err(e.into()),
        }
        let Ok(size32) = u32::try_from(size) else {
            return Ok(None);
        };
        let id = self.conn.generate_id()?;
        match self.conn.shm_create_segment(id, size32, false)?.reply() {
            Ok(reply) => Ok(Some(ShmSegment { id, file: File::from(reply.shm_fd), size })),
            Err(ReplyError::X11Error(_)) => Ok(None),
            Err(ReplyError::ConnectionError(e)) => Err(e.into()),
        }
    }

    fn to_frame(
        &self,
        rect: Rect,
        stride: usize,
        depth: u8,
        data: &[u8],
    ) -> Result<LumaFrame, X11Error> {
        if depth != self.depth {
            return Err(X11Error::UnsupportedFormat { depth, bits_per_pixel: self.bits_per_pixel });
        }
        let needed = stride.saturating_mul(rect.height.into());
        if data.len() < needed {
            return Err(X11Error::ShortImage {
                width: rect.width,
                height: rect.height,
                got: data.len(),
                needed,
            });
        }
        LumaFrame::from_pixel32(rect.width.into(), rect.height.into(), stride, data, self.layout)
            .map_err(|_| X11Error::ShortImage {
                width: rect.width,
                height: rect.height,
                got: data.len(),
                needed,
            })
    }
}

/// RandR 1.5 or later answers GetMonitors. An absent or older RandR is not an error.
fn randr_has_monitors(conn: &RustConnection) -> Result<bool, X11Error> {
    if conn.extension_information(randr::X11_EXTENSION_NAME)?.is_none() {
        return Ok(false);
    }
    match conn.randr_query_version(1, 5)?.reply() {
        Ok(v) => Ok((v.major_version, v.minor_version) >= (1, 5)),
        Err(ReplyError::X11Error(_)) => Ok(false),
        Err(ReplyError::ConnectionError(e)) => Err(e.into()),
    }
}

/// Which byte of a 32-bit pixel holds each channel, from the visual's masks and the server's
/// byte order; None for anything but one whole byte per channel.
fn pixel_layout(red: u32, green: u32, blue: u32, order: ImageOrder) -> Option<Pixel32> {
    // Byte index of the channel within the pixel as a little-endian number.
    let byte = |mask: u32| match mask {
        0x0000_00ff => Some(0),
        0x0000_ff00 => Some(1),
        0x00ff_0000 => Some(2),
        0xff00_0000 => Some(3),
        _ => None,
    };
    let (r, g, b) = (byte(red)?, byte(green)?, byte(blue)?);
    // In memory, an MSB-first server puts the most significant byte first.
    let at = |i: usize| if order == ImageOrder::MSB_FIRST { 3 - i } else { i };
    match (at(r), at(g), at(b)) {
        (2, 1, 0) => Some(Pixel32::Bgrx),
        (1, 2, 3) => Some(Pixel32::Xrgb),
        (0, 1, 2) => Some(Pixel32::Rgbx),
        (3, 2, 1) => Some(Pixel32::Xbgr),
        _ => None,
    }
}

/// The part of a rectangle that lies on a `max_w` x `max_h` root window; None if nothing does.
fn clip(x: i16, y: i16, width: u16, height: u16, max_w: u16, max_h: u16) -> Option<Rect> {
    let x0 = i32::from(x).max(0);
    let y0 = i32::from(y).max(0);
    let x1 = (i32::from(x) + i32::from(width)).min(i32::from(max_w));
    let y1 = (i32::from(y) + i32::from(height)).min(i32::from(max_h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    // All four values lie in 0..=u16::MAX and x0, y0 <= i16::MAX after clipping to a root
    // window whose size is a u16; the conversions only fail for a root wider than i16::MAX.
    Some(Rect {
        x: i16::try_from(x0).ok()?,
        y: i16::try_from(y0).ok()?,
        width: u16::try_from(x1 - x0).ok()?,
        height: u16::try_from(y1 - y0).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_masks_and_byte_order() {
        let lsb = ImageOrder::LSB_FIRST;
        let msb = ImageOrder::MSB_FIRST;
        assert_eq!(pixel_layout(0xff0000, 0xff00, 0xff, lsb), Some(Pixel32::Bgrx));
        assert_eq!(pixel_layout(0xff0000, 0xff00, 0xff, msb), Some(Pixel32::Xrgb));
        assert_eq!(pixel_layout(0xff, 0xff00, 0xff0000, lsb), Some(Pixel32::Rgbx));
        assert_eq!(pixel_layout(0xff, 0xff00, 0xff0000, msb), Some(Pixel32::Xbgr));
        // 10-bit channels (depth 30) are not one byte each.
        assert_eq!(pixel_layout(0x3ff0_0000, 0x000f_fc00, 0x3ff, lsb), None);
    }

    #[test]
    fn monitors_are_clipped_to_the_root_window() {
        let r = |x, y, width, height| Some(Rect { x, y, width, height });
        assert_eq!(clip(0, 0, 1920, 1080, 3840, 1080), r(0, 0, 1920, 1080));
        assert_eq!(clip(1920, 0, 1920, 1080, 3840, 1080), r(1920, 0, 1920, 1080));
        assert_eq!(clip(-100, -10, 1920, 1080, 1920, 1080), r(0, 0, 1820, 1070));
        assert_eq!(clip(1000, 500, 1920, 1080, 1920, 1080), r(1000, 500, 920, 580));
        assert_eq!(clip(1920, 0, 1920, 1080, 1920, 1080), None);
        assert_eq!(clip(i16::MIN, i16::MIN, 100, 100, 1920, 1080), None);
        assert_eq!(clip(0, 0, 0, 1080, 1920, 1080), None);
    }
}
