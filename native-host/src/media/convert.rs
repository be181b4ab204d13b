//! ffmpeg pipelines that turn a torrent file the TV cannot read into one it can, as it plays:
//! streams are copied (remux) or re-encoded (transcode) into fragmented MP4 written to a pipe.
//! Fragmented MP4 needs no index at the end, so the first bytes go out at once; a seek starts a
//! new pipeline at the target (`-ss` before the input seeks by the container's index, which
//! ffmpeg reads with Range requests from our own stream server).

use std::process::Stdio;

use super::tools;
use super::verdict::Recipe;
use crate::error::{Error, Result};

/// The command that converts `input` (an HTTP URL of the raw file) from `start` seconds on.
pub fn command(input: &str, recipe: &Recipe, start: f64) -> Result<tokio::process::Command> {
    let ffmpeg = tools::ffmpeg()
        .ok_or_else(|| Error::Media(format!("converting needs ffmpeg: {}", tools::INSTALL_HINT)))?;
    let mut c = tokio::process::Command::new(ffmpeg);
    c.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    if start > 0.0 {
        c.args(["-ss", &format!("{start:.3}")]);
    }
    c.args(["-i", input]);
    if recipe.has_video {
        c.args(["-map", "0:v:0?"]);
        if recipe.copy_video {
            c.args(["-c:v", "copy"]);
        } else {
            // Fast enough to keep up with playback on a small CPU; the TV only needs 8-bit
            // H.264 High at the source's size (capped at 1080p).
            c.args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "21"])
                .args(["-pix_fmt", "yuv420p", "-vf", "scale=-2:'min(1080,ih)'"])
                .args(["-g", "48"]);
        }
    }
    if recipe.has_audio {
        c.args(["-map", "0:a:0?"]);
        if recipe.copy_audio {
            c.args(["-c:a", "copy"]);
        } else {
            c.args(["-c:a", "aac", "-ac", "2", "-b:a", "192k"]);
        }
    }
    c.args(["-sn", "-dn", "-f", "mp4"])
        .args(["-movflags", "frag_keyframe+empty_moov+default_base_moof"])
        .arg("pipe:1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Ok(c)
}

/// Extracts embedded text subtitle stream `nth` of `input` as WebVTT.
pub async fn extract_subtitles(input: &str, nth: usize) -> Result<String> {
    let ffmpeg = tools::ffmpeg().ok_or_else(|| {
        Error::Media(format!(
            "embedded subtitles need ffmpeg: {}",
            tools::INSTALL_HINT
        ))
    })?;
    let out = tokio::process::Command::new(ffmpeg)
        .args([
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            input,
        ])
        .args(["-map", &format!("0:s:{nth}"), "-f", "webvtt", "pipe:1"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    if !out.status.success() {
        return Err(Error::Media(format!(
            "ffmpeg could not extract subtitle stream {nth}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| Error::Media("extracted subtitles are not UTF-8".into()))
}
