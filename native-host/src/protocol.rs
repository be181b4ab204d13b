//! The one message contract between the extension, the relay, the CLI and the daemon.
//!
//! Requests carry an `id` and a `cmd`; replies echo the `id` with `ok: true` and a `result`, or
//! `ok: false` and an `error {code, message}`; events carry no `id`. Every message has `"v": 1`.
//! The JSON Schema (`native-host/protocol.schema.json`) is generated from these types; a test fails
//! when the committed file is stale (`UPDATE_SCHEMA=1 cargo test` rewrites it).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::engine::TorrentEvent;

pub const VERSION: u32 = 1;
/// Nothing the host sends may reach Chrome's 1 MiB limit for host → extension messages.
pub const MAX_HOST_MESSAGE: usize = 1024 * 1024;
/// Lists are paged; this is the largest page.
pub const MAX_PAGE: usize = 100;

fn version() -> u32 {
    VERSION
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Request {
    #[serde(default = "version")]
    pub v: u32,
    pub id: u64,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Add a torrent from a magnet link, info hash or .torrent URL (`source`), or from the bytes
    /// of a .torrent (`torrent_base64`); cast it to `device` when given.
    Add {
        #[serde(default)]
        source: Option<String>,
        #[serde(default)]
        torrent_base64: Option<String>,
        /// File index or (part of) its name; default: the largest video.
        #[serde(default)]
        file: Option<String>,
        #[serde(default)]
        device: Option<String>,
        /// Download into `download_dir`, never evicted, instead of the streaming cache.
        #[serde(default)]
        keep: bool,
    },
    /// The torrents, a page at a time.
    List {
        #[serde(default)]
        offset: usize,
        #[serde(default)]
        limit: Option<usize>,
    },
    /// One torrent's progress, or every torrent's and every cast's when `torrent` is absent.
    Status {
        #[serde(default)]
        torrent: Option<String>,
    },
    /// A torrent's files, a page at a time.
    Files {
        torrent: String,
        #[serde(default)]
        offset: usize,
        #[serde(default)]
        limit: Option<usize>,
    },
    SelectFile {
        torrent: String,
        file: usize,
    },
    /// Cast a torrent's selected file; `subtitles`: this track on instead of the preferred
    /// language's.
    Play {
        torrent: String,
        #[serde(default)]
        device: Option<String>,
        #[serde(default)]
        subtitles: Option<u32>,
    },
    Pause {
        #[serde(default)]
        device: Option<String>,
    },
    Resume {
        #[serde(default)]
        device: Option<String>,
    },
    /// Seek to `seconds`, or by `by` seconds (negative: back).
    Seek {
        #[serde(default)]
        seconds: Option<f64>,
        #[serde(default)]
        by: Option<f64>,
        #[serde(default)]
        device: Option<String>,
    },
    /// `level` 0–100 and/or `muted`.
    Volume {
        #[serde(default)]
        level: Option<f64>,
        #[serde(default)]
        muted: Option<bool>,
        #[serde(default)]
        device: Option<String>,
    },
    /// Stop casting (the torrent stays).
    Stop {
        #[serde(default)]
        device: Option<String>,
    },
    /// Turn subtitle track `track` on (an id from the cast's `tracks`), or all off when absent.
    Subtitles {
        #[serde(default)]
        track: Option<u32>,
        #[serde(default)]
        device: Option<String>,
    },
    /// Offer a subtitle file from this computer (`.srt`, `.vtt`, `.ass`…) with a torrent; when
    /// the torrent is on a TV it is reloaded there with the file's track on.
    SubtitlesAdd {
        torrent: String,
        path: String,
    },
    /// A torrent's own seeding limits (`ratio`, `time_secs`; unset = no limit on that axis,
    /// 0 = do not seed), or `follow_config: true` to drop them.
    SetSeeding {
        torrent: String,
        #[serde(default)]
        ratio: Option<f64>,
        #[serde(default)]
        time_secs: Option<u64>,
        #[serde(default)]
        follow_config: bool,
    },
    /// Move a torrent out of the streaming cache into `download_dir`, never to be evicted.
    Keep {
        torrent: String,
    },
    Remove {
        torrent: String,
        #[serde(default)]
        delete_files: bool,
    },
    Devices {
        #[serde(default)]
        timeout_secs: Option<f64>,
    },
    SettingsGet,
    /// Change some settings: an object with config.toml's keys.
    SettingsSet {
        settings: serde_json::Value,
    },
    /// Network interfaces (candidates for `bind_interface`).
    Interfaces,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Reply {
    pub v: u32,
    pub id: u64,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, not UTF-8, or not a request's shape.
    BadRequest,
    UnknownCommand,
    UnsupportedVersion,
    FrameTooLarge,
    InvalidSource,
    NotFound,
    Cast,
    Timeout,
    /// The disk or the streaming cache has no room for the file.
    NoSpace,
    /// The file cannot be played there (and cannot be converted): the message says why.
    Unplayable,
    Internal,
}

/// An event as it travels: `{"v": 1, "event": "progress", ...}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventMessage {
    pub v: u32,
    #[serde(flatten)]
    pub event: TorrentEvent,
}

/// Everything the host sends: a reply or an event.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
// A message lives only from being built to being serialised: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum HostMessage {
    Reply(Reply),
    Event(EventMessage),
}

impl Reply {
    pub fn ok(id: u64, result: serde_json::Value) -> Self {
        Self {
            v: VERSION,
            id,
            ok: true,
            result: Some(result),
            error: None,
        }
    }

    pub fn error(id: u64, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            v: VERSION,
            id,
            ok: false,
            result: None,
            error: Some(ErrorBody {
                code,
                message: message.into(),
            }),
        }
    }
}

impl From<TorrentEvent> for HostMessage {
    fn from(event: TorrentEvent) -> Self {
        Self::Event(EventMessage { v: VERSION, event })
    }
}

/// Parses one incoming message; the error is the reply to send (with the id when one was readable).
pub fn parse_request(text: &str) -> Result<Request, Reply> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Reply::error(0, ErrorCode::BadRequest, format!("not JSON: {e}")))?;
    let id = value.get("id").and_then(|v| v.as_u64()).unwrap_or(0);
    if let Some(v) = value.get("v").and_then(|v| v.as_u64())
        && v != u64::from(VERSION)
    {
        return Err(Reply::error(
            id,
            ErrorCode::UnsupportedVersion,
            format!("protocol version {v}; this host speaks {VERSION}"),
        ));
    }
    let cmd = value
        .get("cmd")
        .and_then(|c| c.as_str())
        .map(str::to_string);
    serde_json::from_value(value).map_err(|e| match cmd {
        None => Reply::error(
            id,
            ErrorCode::BadRequest,
            "a request needs \"id\" and \"cmd\"",
        ),
        Some(cmd) if e.to_string().contains("unknown variant") => Reply::error(
            id,
            ErrorCode::UnknownCommand,
            format!("unknown command {cmd:?}"),
        ),
        Some(cmd) => Reply::error(id, ErrorCode::BadRequest, format!("{cmd}: {e}")),
    })
}

/// The JSON Schema of everything on the wire.
pub fn schema() -> serde_json::Value {
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Protocol {
        request: Request,
        host_message: HostMessage,
    }
    serde_json::to_value(schemars::schema_for!(Protocol)).expect("schema serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_errors_are_specific() {
        let r = parse_request(r#"{"v":1,"id":7,"cmd":"seek","by":-30}"#).unwrap();
        assert_eq!(
            r.command,
            Command::Seek {
                seconds: None,
                by: Some(-30.0),
                device: None
            }
        );
        let r = parse_request(r#"{"id":8,"cmd":"settings_get"}"#).unwrap();
        assert_eq!(r.command, Command::SettingsGet);

        let e = parse_request(r#"{"id":9,"cmd":"launch_missiles"}"#).unwrap_err();
        assert_eq!(
            (e.id, e.error.unwrap().code),
            (9, ErrorCode::UnknownCommand)
        );
        let e = parse_request(r#"{"id":10,"cmd":"remove"}"#).unwrap_err();
        assert!(e.error.unwrap().message.contains("torrent"));
        let e = parse_request(r#"{"id":11,"v":2,"cmd":"list"}"#).unwrap_err();
        assert_eq!(e.error.unwrap().code, ErrorCode::UnsupportedVersion);
        let e = parse_request("[1,2]").unwrap_err();
        assert_eq!(e.error.unwrap().code, ErrorCode::BadRequest);
        let e = parse_request("{").unwrap_err();
        assert_eq!(e.error.unwrap().code, ErrorCode::BadRequest);
    }

    #[test]
    fn committed_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol.schema.json");
        let fresh = serde_json::to_string_pretty(&schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "protocol.schema.json is stale: run UPDATE_SCHEMA=1 cargo test -p magnetcast --lib protocol"
        );
    }
}
