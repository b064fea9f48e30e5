//! The webcam source on a machine without a camera (CI, this project's test machines): the
//! list is empty and starting a scan is a clear `NoCamera` error, not a panic or a hang.

use twofold_scanner::camera::{self, CameraScan};
use twofold_scanner::ScanError;

fn machine_has_video_devices() -> bool {
    std::fs::read_dir("/dev")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("video")))
        .unwrap_or(false)
}

#[test]
fn without_a_camera_the_list_is_empty_and_start_reports_no_camera() {
    if machine_has_video_devices() {
        eprintln!(
            "SKIPPED: this machine has /dev/video* devices; the no-camera path was not tested"
        );
        return;
    }
    assert_eq!(camera::list().unwrap(), vec![]);
    let err = CameraScan::start(0, |_| {}, |_| {}).err().expect("no camera");
    assert!(matches!(err, ScanError::NoCamera), "{err:?}");
    assert_eq!(err.to_string(), "no camera was found");
}
