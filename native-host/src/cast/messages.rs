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
        "contentId": req.url,
        "contentType": req.content_type,
        "streamType": "BUFFERED",
        "metadata": {"metadataType": 0, "title": req.title},
    });
    if let Some(d) = req.duration {
        media["duration"] = json!(d);
    }
    json!({
        "type": "LOAD",
        "requestId": request_id,
        "sessionId": session_id,
        "media": media,
        "autoplay": true,
        "currentTime": req.start_at,
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
        };
        let v: Value = serde_json::from_str(&load(7, "sess", &req)).unwrap();
        assert_eq!(v["currentTime"], 61.0);
        assert_eq!(v["type"], "LOAD");
        assert_eq!(v["media"]["contentId"], req.url);
        assert_eq!(v["media"]["streamType"], "BUFFERED");
        assert_eq!(v["media"]["duration"], 12.5);
        assert_eq!(v["media"]["metadata"]["title"], "Film");
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
