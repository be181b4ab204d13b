//! Will this file play on that device, and if not, what makes it play. Decided before LOAD so
//! the user hears it up front instead of seeing a black screen with no sound.
//!
//! The table follows Google's "Supported media for Google Cast" per device generation; the
//! compatibility table in `specs/007-plays-on-tv/spec.md` is this file in prose.

use super::probe::{AudioStream, Probe};

/// What one generation of device decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Capabilities {
    pub family: &'static str,
    /// ffprobe codec names.
    pub video_codecs: &'static [&'static str],
    pub max_height: u32,
    /// 10-bit H.264/HEVC/VP9 (HDR-era devices).
    pub ten_bit: bool,
    /// AC-3/E-AC-3 reach the TV only by HDMI passthrough, which only some TVs accept; we know it
    /// only when the user says so.
    pub passthrough: bool,
    pub audio_only: bool,
}

const AUDIO: &[&str] = &["aac", "mp3", "opus", "vorbis", "flac", "pcm_s16le"];

const FIRST_GEN: Capabilities = Capabilities {
    family: "Chromecast (1st–3rd generation)",
    video_codecs: &["h264", "vp8"],
    max_height: 1080,
    ten_bit: false,
    passthrough: false,
    audio_only: false,
};

const SPEAKER: Capabilities = Capabilities {
    family: "Google Home / Nest speaker",
    video_codecs: &[],
    max_height: 0,
    ten_bit: false,
    passthrough: false,
    audio_only: true,
};

const TABLE: &[(&str, Capabilities)] = &[
    (
        "chromecast ultra",
        Capabilities {
            family: "Chromecast Ultra",
            video_codecs: &["h264", "vp8", "hevc", "vp9"],
            max_height: 2160,
            ten_bit: true,
            passthrough: false,
            audio_only: false,
        },
    ),
    (
        "google tv streamer",
        Capabilities {
            family: "Google TV Streamer",
            video_codecs: &["h264", "vp8", "hevc", "vp9", "av1"],
            max_height: 2160,
            ten_bit: true,
            passthrough: false,
            audio_only: false,
        },
    ),
    (
        "chromecast hd",
        Capabilities {
            family: "Chromecast with Google TV (HD)",
            video_codecs: &["h264", "vp8", "hevc", "vp9", "av1"],
            max_height: 1080,
            ten_bit: true,
            passthrough: false,
            audio_only: false,
        },
    ),
    (
        "google tv",
        Capabilities {
            family: "Chromecast with Google TV (4K)",
            video_codecs: &["h264", "vp8", "hevc", "vp9", "av1"],
            max_height: 2160,
            ten_bit: true,
            passthrough: false,
            audio_only: false,
        },
    ),
    (
        "nest hub",
        Capabilities {
            family: "Google Nest Hub",
            video_codecs: &["h264", "vp8", "vp9"],
            max_height: 720,
            ten_bit: false,
            passthrough: false,
            audio_only: false,
        },
    ),
    (
        "chromecast audio",
        Capabilities {
            family: "Chromecast Audio",
            video_codecs: &[],
            max_height: 0,
            ten_bit: false,
            passthrough: false,
            audio_only: true,
        },
    ),
    ("google home", SPEAKER),
    ("nest audio", SPEAKER),
    ("nest mini", SPEAKER),
];

/// A desktop browser's `<video>` (Chrome and Firefox agree on these).
pub fn browser() -> Capabilities {
    Capabilities {
        family: "this browser",
        video_codecs: &["h264", "vp8", "vp9", "av1"],
        max_height: 4320,
        ten_bit: true,
        passthrough: false,
        audio_only: false,
    }
}

/// The device's model as mDNS reports it (`md`); unknown models get the oldest Chromecast's
/// abilities, which every Cast device has.
pub fn capabilities(model: Option<&str>, passthrough: bool) -> Capabilities {
    let model = model.unwrap_or("").to_lowercase();
    let mut caps = TABLE
        .iter()
        .find(|(key, _)| model.contains(key))
        .map_or(FIRST_GEN, |(_, c)| c.clone());
    caps.passthrough = passthrough;
    caps
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// The file as it is, with Range requests.
    Direct,
    /// Streams copied into fragmented MP4 as it plays.
    Remux,
    /// At least one stream re-encoded as it plays.
    Transcode,
    Unplayable,
}

/// What ffmpeg does to each stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipe {
    pub copy_video: bool,
    pub copy_audio: bool,
    pub has_video: bool,
    pub has_audio: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Verdict {
    pub plan: Plan,
    /// One sentence for the user: what happens and why.
    pub reason: String,
    #[serde(skip)]
    #[schemars(skip)]
    pub recipe: Option<Recipe>,
}

fn native_container(container: &str, file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit('.').next().unwrap_or("").to_lowercase();
    if container.contains("mp4") && ext != "mov" {
        Some("MP4")
    } else if container.contains("webm") && ext == "webm" {
        Some("WebM")
    } else if container == "mp3" || container == "flac" || container == "ogg" {
        Some("audio")
    } else {
        None
    }
}

fn container_name(container: &str, file_name: &str) -> String {
    let ext = file_name.rsplit('.').next().unwrap_or("").to_uppercase();
    match container.split(',').next().unwrap_or("") {
        "matroska" => "Matroska (MKV)".into(),
        "mpegts" => "MPEG-TS".into(),
        "avi" => "AVI".into(),
        "mov" => "QuickTime (MOV)".into(),
        "" => ext,
        other => other.to_uppercase(),
    }
}

fn audio_ok(a: &AudioStream, caps: &Capabilities) -> bool {
    AUDIO.contains(&a.codec.as_str())
        || (caps.passthrough && matches!(a.codec.as_str(), "ac3" | "eac3"))
}

fn audio_why(codec: &str, caps: &Capabilities) -> String {
    let name = codec
        .to_uppercase()
        .replace("EAC3", "E-AC-3")
        .replace("AC3", "AC-3");
    match codec {
        "ac3" | "eac3" => format!(
            "{} has no {name} decoder (only HDMI passthrough, which is off for this device)",
            caps.family
        ),
        "dts" => format!("no Cast device decodes {name}"),
        _ => format!("{} cannot decode {name} audio", caps.family),
    }
}

/// Decides how `probe` (of `file_name`) plays on a device with `caps`.
pub fn decide(probe: &Probe, file_name: &str, caps: &Capabilities, have_ffmpeg: bool) -> Verdict {
    let audio = probe.audio.first();
    let mut problems = Vec::new();
    let copy_video = match &probe.video {
        None => true,
        Some(_) if caps.audio_only => true,
        Some(v) => {
            let ten_bit = v.pix_fmt.as_deref().is_some_and(|p| p.contains("10"))
                || v.profile.as_deref().is_some_and(|p| p.contains("10"));
            if !caps.video_codecs.contains(&v.codec.as_str()) {
                problems.push(format!(
                    "{} cannot decode {} video",
                    caps.family,
                    v.codec.to_uppercase()
                ));
                false
            } else if v.height > caps.max_height {
                problems.push(format!(
                    "{}p is more than {} shows ({}p)",
                    v.height, caps.family, caps.max_height
                ));
                false
            } else if ten_bit && !caps.ten_bit {
                problems.push(format!("{} cannot decode 10-bit video", caps.family));
                false
            } else {
                true
            }
        }
    };
    let copy_audio = match audio {
        None => true,
        Some(a) if audio_ok(a, caps) => true,
        Some(a) => {
            problems.push(audio_why(&a.codec, caps));
            false
        }
    };
    let recipe = Recipe {
        copy_video,
        copy_audio,
        has_video: probe.video.is_some() && !caps.audio_only,
        has_audio: audio.is_some(),
    };
    let streams = describe_streams(probe);
    let native = native_container(&probe.container, file_name);
    if copy_video
        && copy_audio
        && let Some(c) = native
    {
        return Verdict {
            plan: Plan::Direct,
            reason: format!("plays directly: {streams} in {c}"),
            recipe: None,
        };
    }
    if probe.video.is_none() && audio.is_none() {
        return Verdict {
            plan: Plan::Unplayable,
            reason: "cannot play: the file has no video or audio stream".into(),
            recipe: None,
        };
    }
    if !have_ffmpeg {
        let why = if problems.is_empty() {
            format!(
                "{} is not a container Cast devices read",
                container_name(&probe.container, file_name)
            )
        } else {
            problems.join("; ")
        };
        return Verdict {
            plan: Plan::Unplayable,
            reason: format!(
                "cannot play: {why}, and ffmpeg, which would convert it, is missing: {}",
                super::tools::INSTALL_HINT
            ),
            recipe: None,
        };
    }
    if copy_video && copy_audio {
        return Verdict {
            plan: Plan::Remux,
            reason: format!(
                "needs a remux: {} is not a container Cast devices read; its {streams} are copied into MP4 as it plays",
                container_name(&probe.container, file_name)
            ),
            recipe: Some(recipe),
        };
    }
    let what = match (copy_video, copy_audio) {
        (false, false) => "video becomes H.264 and audio AAC stereo",
        (false, true) => "video becomes H.264, audio is copied",
        _ => "audio becomes AAC stereo, video is copied",
    };
    Verdict {
        plan: Plan::Transcode,
        reason: format!("needs a transcode: {}; {what}", problems.join("; ")),
        recipe: Some(recipe),
    }
}

fn describe_streams(probe: &Probe) -> String {
    let v = probe.video.as_ref().map(|v| match v.codec.as_str() {
        "h264" => "H.264".to_string(),
        "hevc" => "HEVC".to_string(),
        c => c.to_uppercase(),
    });
    let a = probe.audio.first().map(|a| a.codec.to_uppercase());
    match (v, a) {
        (Some(v), Some(a)) => format!("{v} video and {a} audio"),
        (Some(v), None) => format!("{v} video"),
        (None, Some(a)) => format!("{a} audio"),
        (None, None) => "nothing".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::probe::VideoStream;

    fn file(container: &str, video: Option<(&str, u32, &str)>, audio: Option<&str>) -> Probe {
        Probe {
            container: container.into(),
            duration: Some(60.0),
            video: video.map(|(codec, height, pix)| VideoStream {
                codec: codec.into(),
                profile: None,
                width: height * 16 / 9,
                height,
                pix_fmt: Some(pix.into()),
            }),
            audio: audio
                .map(|c| AudioStream {
                    codec: c.into(),
                    channels: 6,
                    language: None,
                })
                .into_iter()
                .collect(),
            subtitles: vec![],
        }
    }

    const MP4: &str = "mov,mp4,m4a,3gp,3g2,mj2";
    const MKV: &str = "matroska,webm";

    /// The compatibility table of specs/007-plays-on-tv, case by case.
    #[test]
    fn verdicts_per_device_and_file() {
        let h264_aac_mp4 = file(MP4, Some(("h264", 1080, "yuv420p")), Some("aac"));
        let h264_aac_mkv = file(MKV, Some(("h264", 1080, "yuv420p")), Some("aac"));
        let h264_ac3_mp4 = file(MP4, Some(("h264", 1080, "yuv420p")), Some("ac3"));
        let h264_dts_mkv = file(MKV, Some(("h264", 1080, "yuv420p")), Some("dts"));
        let hevc_4k_mkv = file(MKV, Some(("hevc", 2160, "yuv420p10le")), Some("eac3"));
        let vp9_opus_webm = file(MKV, Some(("vp9", 1080, "yuv420p")), Some("opus"));
        let xvid_mp3_avi = file("avi", Some(("mpeg4", 480, "yuv420p")), Some("mp3"));
        let h264_4k_mp4 = file(MP4, Some(("h264", 2160, "yuv420p")), Some("aac"));
        use Plan::*;
        let cases: &[(&str, &Probe, &str, bool, bool, Plan)] = &[
            ("Chromecast", &h264_aac_mp4, "a.mp4", false, true, Direct),
            ("Chromecast", &h264_aac_mkv, "a.mkv", false, true, Remux),
            ("Chromecast", &h264_ac3_mp4, "a.mp4", false, true, Transcode),
            ("Chromecast", &h264_ac3_mp4, "a.mp4", true, true, Direct),
            ("Chromecast", &h264_dts_mkv, "a.mkv", true, true, Transcode),
            ("Chromecast", &hevc_4k_mkv, "a.mkv", false, true, Transcode),
            ("Chromecast Ultra", &hevc_4k_mkv, "a.mkv", true, true, Remux),
            (
                "Chromecast Ultra",
                &hevc_4k_mkv,
                "a.mkv",
                false,
                true,
                Transcode,
            ),
            (
                "Chromecast",
                &vp9_opus_webm,
                "a.webm",
                false,
                true,
                Transcode,
            ),
            (
                "Google TV Streamer",
                &vp9_opus_webm,
                "a.webm",
                false,
                true,
                Direct,
            ),
            ("Chromecast", &xvid_mp3_avi, "a.avi", false, true, Transcode),
            ("Chromecast", &h264_4k_mp4, "a.mp4", false, true, Transcode),
            (
                "Chromecast HD",
                &h264_4k_mp4,
                "a.mp4",
                false,
                true,
                Transcode,
            ),
            (
                "Chromecast Ultra",
                &h264_4k_mp4,
                "a.mp4",
                false,
                true,
                Direct,
            ),
            (
                "Chromecast",
                &h264_aac_mkv,
                "a.mkv",
                false,
                false,
                Unplayable,
            ),
            ("Chromecast", &h264_aac_mp4, "a.mp4", false, false, Direct),
            ("BRAVIA 4K UR2", &h264_aac_mkv, "a.mkv", false, true, Remux),
        ];
        for (model, probe, name, passthrough, ffmpeg, want) in cases {
            let v = decide(
                probe,
                name,
                &capabilities(Some(model), *passthrough),
                *ffmpeg,
            );
            assert_eq!(v.plan, *want, "{model} {name}: {}", v.reason);
        }
    }

    #[test]
    fn reasons_say_what_and_why() {
        let caps = capabilities(Some("Chromecast"), false);
        let v = decide(
            &file(MP4, Some(("h264", 1080, "yuv420p")), Some("ac3")),
            "film.mp4",
            &caps,
            true,
        );
        assert!(v.reason.contains("no AC-3 decoder"), "{}", v.reason);
        assert!(
            v.reason.contains("audio becomes AAC stereo"),
            "{}",
            v.reason
        );
        assert!(v.recipe.unwrap().copy_video);
        let v = decide(
            &file(MKV, Some(("h264", 1080, "yuv420p")), Some("aac")),
            "film.mkv",
            &caps,
            false,
        );
        assert!(
            v.reason.contains("Matroska") && v.reason.contains("apt install ffmpeg"),
            "{}",
            v.reason
        );
        let audio_only = capabilities(Some("Chromecast Audio"), false);
        let v = decide(
            &file(MP4, Some(("hevc", 2160, "yuv420p")), Some("aac")),
            "a.mp4",
            &audio_only,
            true,
        );
        assert_eq!(v.plan, Plan::Direct, "{}", v.reason);
    }
}
