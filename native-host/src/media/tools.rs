//! ffmpeg and ffprobe are optional: found on `PATH` when installed, and every feature that
//! needs them says so (with the install hint) when they are not.

use std::path::PathBuf;

pub fn ffprobe() -> Option<PathBuf> {
    which::which("ffprobe").ok()
}

pub fn ffmpeg() -> Option<PathBuf> {
    which::which("ffmpeg").ok()
}

/// What to tell a user who needs ffmpeg.
pub const INSTALL_HINT: &str = "install ffmpeg (Debian/Ubuntu: sudo apt install ffmpeg; \
     macOS: brew install ffmpeg; Windows: winget install ffmpeg)";
