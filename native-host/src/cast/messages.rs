//! CASTV2 JSON payloads, built and read with serde_json. We send raw messages through rust_cast's
//! `MessageManager` instead of its typed channels: those block on a reply (which does not mix with
//! a polling read loop) and their `Media` type has no text tracks.

use serde::Deserialize;
use serde_json::{Value, json};

pub const NS_CONNECTION: &str = "urn:x-cast:com.google.cast.tp.connection";
pub const NS_HEARTBEAT: &str = "urn:x-cast:com.google.cast.tp.heartbeat";
pub const NS_RECEIVER: &str = "urn:x-cast:com.google.cast.receiver";
pub const NS_MEDIA: &str = "urn:x-cast:com.google.cast.media";

pub const SENDER_ID: &str = "sender-0";
pub const RECEIVER_ID: &str = "receiver-0";
/// The Default Media Receiver: plays MP4/WebM/HLS URLs with the TV's own UI.
pub const DEFAULT_MEDIA_RECEIVER: &str = "CC1AD845";

#[derive(Debug, Clone, PartialEq)]
pub struct LoadRequest {
    pub url: String,
    pub content_type: String,
    pub title: String,
    pub duration: Option<f64>,
    /// Where playback starts (seconds): where the viewer left off.
    pub start_at: f64,
    pub tracks: Vec<TextTrack>,
    pub active_tracks: Vec<u32>,
    /// A live conversion has no byte ranges to seek in: a seek loads `url?start=T` instead, and
    /// the device's positions count from `offset`.
    pub live: bool,
    pub offset: f64,
    /// Loaded once instead when the device cannot play this one (format not supported, decode
    /// error): the converted stream.
    pub fallback: Option<Box<LoadRequest>>,
    /// What the codec check decided, for the user to see.
    pub verdict: Option<crate::media::verdict::Verdict>,
}

/// A WebVTT subtitle track, as LOAD's `media.tracks` carries it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TextTrack {
    pub id: u32,
    pub url: String,
    pub name: String,
    pub language: Option<String>,
}

impl LoadRequest {
    /// What a device needs to play the selected file of `torrent` from `url`.
    pub fn for_torrent(torrent: &crate::engine::Torrent, url: String) -> Self {
        let file = torrent.selected_file();
        Self {
            url,
            content_type: crate::media::content_type(std::path::Path::new(&file.path)).to_string(),
            title: torrent.name.clone(),
            // Left to the device until the container is probed.
            duration: None,
            start_at: 0.0,
            tracks: Vec::new(),
            active_tracks: Vec::new(),
            live: false,
            offset: 0.0,
            fallback: None,
            verdict: None,
        }
    }

    /// The URL the device fetches: a live conversion starts at `offset`.
    pub fn content_id(&self) -> String {
        if self.live && self.offset > 0.0 {
            let sep = if self.url.contains('?') { '&' } else { '?' };
            format!("{}{sep}start={:.3}", self.url, self.offset)
        } else {
            self.url.clone()
        }
    }
}

pub fn connect() -> String {
    json!({"type": "CONNECT"}).to_string()
}

pub fn ping() -> String {
    json!({"type": "PING"}).to_string()
}

pub fn pong() -> String {
    json!({"type": "PONG"}).to_string()
}

pub fn get_status(request_id: u32) -> String {
    json!({"type": "GET_STATUS", "requestId": request_id}).to_string()
}

pub fn launch(request_id: u32, app_id: &str) -> String {
    json!({"type": "LAUNCH", "requestId": request_id, "appId": app_id}).to_string()
}

pub fn stop_app(request_id: u32, session_id: &str) -> String {
    json!({"type": "STOP", "requestId": request_id, "sessionId": session_id}).to_string()
}

pub fn set_volume(request_id: u32, level: Option<f64>, muted: Option<bool>) -> String {
    let mut volume = serde_json::Map::new();
    if let Some(l) = level {
        volume.insert("level".into(), json!(l.clamp(0.0, 1.0)));
    }
    if let Some(m) = muted {
        volume.insert("muted".into(), json!(m));
    }
    json!({"type": "SET_VOLUME", "requestId": request_id, "volume": volume}).to_string()
}

pub fn load(request_id: u32, session_id: &str, req: &LoadRequest) -> String {
    let mut media = json!({
        "contentId": req.content_id(),
        "contentType": req.content_type,
        "streamType": "BUFFERED",
        "metadata": {"metadataType": 0, "title": req.title},
    });
    if let Some(d) = req.duration {
        media["duration"] = json!((d - req.offset).max(0.0));
    }
    if !req.tracks.is_empty() {
        media["tracks"] = req
            .tracks
            .iter()
            .map(|t| {
                let mut track = json!({
                    "trackId": t.id,
                    "type": "TEXT",
                    "subtype": "SUBTITLES",
                    "trackContentId": t.url,
                    "trackContentType": "text/vtt",
                    "name": t.name,
                });
                if let Some(l) = &t.language {
                    track["language"] = json!(l);
                }
                track
            })
            .collect();
        // Readable on a TV from a sofa: the receiver's default is small and unboxed.
        media["textTrackStyle"] = json!({
            "backgroundColor": "#00000080",
            "foregroundColor": "#FFFFFFFF",
            "edgeType": "OUTLINE",
            "fontScale": 1.1,
        });
    }
    let start = if req.live { 0.0 } else { req.start_at };
    json!({
        "type": "LOAD",
        "requestId": request_id,
        "sessionId": session_id,
        "media": media,
        "autoplay": true,
        "currentTime": start,
        "activeTrackIds": req.active_tracks,
    })
    .to_string()
}

/// Turns subtitle tracks on (`[id]`) or off (`[]`) without reloading.
pub fn edit_tracks(request_id: u32, media_session_id: i64, active: &[u32]) -> String {
    json!({
        "type": "EDIT_TRACKS_INFO",
        "requestId": request_id,
        "mediaSessionId": media_session_id,
        "activeTrackIds": active,
    })
    .to_string()
}

/// PLAY, PAUSE, STOP on the current media session.
pub fn media_command(kind: &str, request_id: u32, media_session_id: i64) -> String {
    json!({"type": kind, "requestId": request_id, "mediaSessionId": media_session_id}).to_string()
}

pub fn seek(request_id: u32, media_session_id: i64, seconds: f64) -> String {
    json!({
        "type": "SEEK",
        "requestId": request_id,
        "mediaSessionId": media_session_id,
        "currentTime": seconds.max(0.0),
    })
    .to_string()
}

/// The parts of an incoming payload we act on; everything is optional because devices differ.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incoming {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: Value,
    pub reason: Option<String>,
    pub detailed_error_code: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiverStatus {
    #[serde(default)]
    pub applications: Vec<Application>,
    pub volume: Option<Volume>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub app_id: String,
    pub session_id: String,
    pub transport_id: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
pub struct Volume {
    pub level: Option<f64>,
    pub muted: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct MediaStatus {
    pub media_session_id: i64,
    pub player_state: String,
    pub current_time: Option<f64>,
    pub idle_reason: Option<String>,
    pub media: Option<MediaInfo>,
    pub volume: Option<Volume>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct MediaInfo {
    pub content_id: Option<String>,
    pub content_type: Option<String>,
    pub duration: Option<f64>,
}

pub fn parse(payload: &str) -> Option<Incoming> {
    serde_json::from_str(payload).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_carries_the_stream_and_buffered_type() {
        let req = LoadRequest {
            url: "http://10.0.0.2:8888/s/t/film.mp4".into(),
            content_type: "video/mp4".into(),
            title: "Film".into(),
            duration: Some(12.5),
            start_at: 61.0,
            tracks: vec![TextTrack {
                id: 1,
                url: "http://10.0.0.2:8888/v/t/1.vtt".into(),
                name: "en".into(),
                language: Some("en".into()),
            }],
            active_tracks: vec![1],
            live: false,
            offset: 0.0,
            fallback: None,
            verdict: None,
        };
        let v: Value = serde_json::from_str(&load(7, "sess", &req)).unwrap();
        assert_eq!(v["currentTime"], 61.0);
        assert_eq!(v["type"], "LOAD");
        assert_eq!(v["media"]["contentId"], req.url);
        assert_eq!(v["media"]["streamType"], "BUFFERED");
        assert_eq!(v["media"]["duration"], 12.5);
        assert_eq!(v["media"]["metadata"]["title"], "Film");
        assert_eq!(v["media"]["tracks"][0]["trackContentType"], "text/vtt");
        assert_eq!(v["media"]["tracks"][0]["trackContentId"], req.tracks[0].url);
        assert_eq!(v["activeTrackIds"], json!([1]));
        let live = LoadRequest {
            live: true,
            offset: 30.0,
            url: "http://h/r/t/film.mp4".into(),
            ..req
        };
        let v: Value = serde_json::from_str(&load(8, "sess", &live)).unwrap();
        assert_eq!(
            v["media"]["contentId"],
            "http://h/r/t/film.mp4?start=30.000"
        );
        assert_eq!(v["currentTime"], 0.0);
        assert_eq!(v["media"]["duration"], 0.0);
    }

    #[test]
    fn unknown_and_partial_statuses_parse() {
        let m: Vec<MediaStatus> = serde_json::from_value(serde_json::json!([
            {"mediaSessionId": 1, "playerState": "SOMETHING_NEW", "extra": true}
        ]))
        .unwrap();
        assert_eq!(m[0].player_state, "SOMETHING_NEW");
        assert!(parse("not json").is_none());
        let v = set_volume(1, Some(1.7), None);
        assert!(v.contains("\"level\":1.0"), "{v}");
    }
}
