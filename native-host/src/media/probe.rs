//! What is inside a video: container, codecs, duration and subtitle streams, read by `ffprobe`
//! from the stream server's own URL. Reading through HTTP means the probe pulls exactly the
//! pieces a player would need first (the header, and an MP4 index wherever it sits), so probing
//! also warms what the TV asks for next.

use std::time::Duration;

use serde::Deserialize;

use super::tools;
use crate::error::{Error, Result};

/// Long enough for an index at the tail of a file on a slow swarm.
const PROBE_TIMEOUT: Duration = Duration::from_secs(45);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`.
    pub container: String,
    pub duration: Option<f64>,
    pub video: Option<VideoStream>,
    pub audio: Vec<AudioStream>,
    pub subtitles: Vec<SubtitleStream>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoStream {
    pub codec: String,
    pub profile: Option<String>,
    pub width: u32,
    pub height: u32,
    /// e.g. `yuv420p10le`: 10-bit video needs a decoder for it.
    pub pix_fmt: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioStream {
    pub codec: String,
    pub channels: u32,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubtitleStream {
    /// Position among the file's subtitle streams (ffmpeg's `0:s:N`).
    pub nth: usize,
    pub codec: String,
    pub language: Option<String>,
    pub title: Option<String>,
}

impl SubtitleStream {
    /// Text subtitles convert to WebVTT; picture ones (PGS, VobSub) would need burning in.
    pub fn is_text(&self) -> bool {
        matches!(
            self.codec.as_str(),
            "subrip" | "srt" | "ass" | "ssa" | "webvtt" | "mov_text" | "text"
        )
    }
}

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize)]
struct RawFormat {
    format_name: String,
    duration: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawStream {
    codec_type: String,
    codec_name: String,
    profile: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    pix_fmt: Option<String>,
    channels: Option<u32>,
    tags: std::collections::HashMap<String, String>,
    disposition: std::collections::HashMap<String, i64>,
}

/// Reads `url` with ffprobe; `None` when ffprobe is not installed.
pub async fn probe(url: &str) -> Result<Option<Probe>> {
    let Some(ffprobe) = tools::ffprobe() else {
        return Ok(None);
    };
    let run = tokio::process::Command::new(ffprobe)
        .args(["-v", "error", "-print_format", "json", "-show_format"])
        .args(["-show_streams", url])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(PROBE_TIMEOUT, run)
        .await
        .map_err(|_| {
            Error::Media(format!(
                "reading the video's header took over {} s",
                PROBE_TIMEOUT.as_secs()
            ))
        })??;
    if !out.status.success() {
        return Err(Error::Media(format!(
            "ffprobe cannot read the video: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    parse(&out.stdout).map(Some)
}

pub fn parse(json: &[u8]) -> Result<Probe> {
    let out: Output = serde_json::from_slice(json)
        .map_err(|e| Error::Media(format!("unexpected ffprobe output: {e}")))?;
    let format = out.format.unwrap_or(RawFormat {
        format_name: String::new(),
        duration: None,
    });
    let mut probe = Probe {
        container: format.format_name,
        duration: format.duration.and_then(|d| d.parse().ok()),
        ..Default::default()
    };
    for s in out.streams {
        let language = s.tags.get("language").cloned().filter(|l| l != "und");
        match s.codec_type.as_str() {
            // Cover art is a "video" stream of one picture.
            "video" if probe.video.is_none() && s.disposition.get("attached_pic") != Some(&1) => {
                probe.video = Some(VideoStream {
                    codec: s.codec_name,
                    profile: s.profile,
                    width: s.width.unwrap_or(0),
                    height: s.height.unwrap_or(0),
                    pix_fmt: s.pix_fmt,
                })
            }
            "audio" => probe.audio.push(AudioStream {
                codec: s.codec_name,
                channels: s.channels.unwrap_or(2),
                language,
            }),
            "subtitle" => probe.subtitles.push(SubtitleStream {
                nth: probe.subtitles.len(),
                codec: s.codec_name,
                language,
                title: s.tags.get("title").cloned(),
            }),
            _ => {}
        }
    }
    Ok(probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_streams_and_skips_cover_art() {
        let json = br#"{"streams":[
            {"codec_type":"video","codec_name":"mjpeg","disposition":{"attached_pic":1}},
            {"codec_type":"video","codec_name":"h264","profile":"High","width":1920,"height":1080,"pix_fmt":"yuv420p"},
            {"codec_type":"audio","codec_name":"ac3","channels":6,"tags":{"language":"eng"}},
            {"codec_type":"subtitle","codec_name":"subrip","tags":{"language":"fre","title":"Francais"}},
            {"codec_type":"subtitle","codec_name":"hdmv_pgs_subtitle","tags":{"language":"und"}}
        ],"format":{"format_name":"matroska,webm","duration":"5400.5"}}"#;
        let p = parse(json).unwrap();
        assert_eq!(p.container, "matroska,webm");
        assert_eq!(p.duration, Some(5400.5));
        assert_eq!(p.video.as_ref().unwrap().codec, "h264");
        assert_eq!(p.audio[0].channels, 6);
        assert_eq!(p.audio[0].language.as_deref(), Some("eng"));
        assert!(p.subtitles[0].is_text() && !p.subtitles[1].is_text());
        assert_eq!(p.subtitles[1].nth, 1);
        assert_eq!(p.subtitles[1].language, None);
        assert!(parse(b"not json").is_err());
    }
}
