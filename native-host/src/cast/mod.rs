//! Casting to Chromecast devices: discovery (mDNS or manual addresses), one session thread per
//! device, and the status it reports.

mod device;
pub mod discovery;
pub mod messages;
pub mod prepare;
mod resolve;
mod tls;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use serde::{Deserialize, Serialize};

pub use device::DeviceSession;
pub use messages::{LoadRequest, TextTrack};
pub use resolve::{DISCOVERY, resolve, with_configured};
pub use tls::install_default_provider;

use crate::error::{Error, Result};

pub const DEFAULT_PORT: u16 = 8009;

/// A Cast device or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The friendly name (`fn` in mDNS TXT), or the address for manual devices.
    pub name: String,
    pub model: Option<String>,
    /// The stable id (`id` in TXT).
    pub id: Option<String>,
    pub addr: SocketAddr,
    /// Groups answer on ports other than 8009.
    pub group: bool,
}

impl Device {
    pub fn manual(name: &str, addr: SocketAddr) -> Self {
        Self {
            name: name.to_string(),
            model: None,
            id: None,
            group: addr.port() != DEFAULT_PORT,
            addr,
        }
    }

    /// `HOST[:PORT]` as typed by a user (port 8009 by default). Names are resolved here, once.
    pub fn from_host_arg(arg: &str) -> Option<Self> {
        if let Ok(addr) = arg.parse::<SocketAddr>() {
            return Some(Self::manual(arg, addr));
        }
        if let Ok(ip) = arg.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Some(Self::manual(arg, SocketAddr::new(ip, DEFAULT_PORT)));
        }
        let with_port = if arg
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            arg.to_string()
        } else {
            format!("{arg}:{DEFAULT_PORT}")
        };
        // Only things that look like host names: a friendly name such as "Living Room" is not.
        if arg.contains(' ') || !arg.contains('.') {
            return None;
        }
        let addr = with_port.to_socket_addrs().ok()?.next()?;
        Some(Self::manual(arg, addr))
    }

    pub fn describe(&self) -> String {
        let mut s = format!("{} ({}", self.name, self.addr);
        if let Some(m) = &self.model {
            s.push_str(&format!(", {m}"));
        }
        if self.group {
            s.push_str(", group");
        }
        s.push(')');
        s
    }
}

/// Where the connection to a device stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    Connecting,
    Connected,
    /// Lost or refused; the session retries with backoff.
    Reconnecting,
    Closed,
}

/// A device's state as the `Cast` event reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CastStatus {
    pub device: String,
    pub link: Link,
    /// Why the link is not connected, when it is not.
    pub reason: Option<String>,
    pub app: Option<String>,
    /// The device's own string (`IDLE`, `BUFFERING`, `PLAYING`, `PAUSED`, or anything newer).
    pub player_state: Option<String>,
    pub position: Option<f64>,
    pub duration: Option<f64>,
    pub volume: Option<f64>,
    pub muted: Option<bool>,
    pub idle_reason: Option<String>,
    pub media_url: Option<String>,
    /// How the media reaches the device (direct, remuxed, transcoded) and why.
    #[serde(default)]
    pub verdict: Option<crate::media::verdict::Verdict>,
    /// Subtitle tracks offered with the media, and the ones on.
    #[serde(default)]
    pub tracks: Vec<messages::TextTrack>,
    #[serde(default)]
    pub active_tracks: Vec<u32>,
}

impl CastStatus {
    fn new(device: &str) -> Self {
        Self {
            device: device.to_string(),
            link: Link::Connecting,
            reason: None,
            app: None,
            player_state: None,
            position: None,
            duration: None,
            volume: None,
            muted: None,
            idle_reason: None,
            media_url: None,
            verdict: None,
            tracks: Vec::new(),
            active_tracks: Vec::new(),
        }
    }
}

/// What a user can ask a device to do.
#[derive(Debug, Clone, PartialEq)]
pub enum CastCommand {
    /// Starts the media player on the device ahead of LOAD, to overlap its start with the codec
    /// check (a real TV takes seconds to start it).
    Launch,
    Load(LoadRequest),
    Play,
    Pause,
    /// Absolute position in seconds.
    Seek(f64),
    /// Relative to the current position, in seconds.
    SeekBy(f64),
    /// 0.0..=1.0
    Volume(f64),
    Mute(bool),
    /// Stops playback and closes the receiver app.
    Stop,
    /// A subtitle track on, or `None` for none.
    Subtitles(Option<u32>),
}

/// Picks the device a user named: `HOST[:PORT]`, a configured manual device, or a discovered
/// device by name or id (case-insensitive).
pub fn choose(wanted: &str, known: &[Device]) -> Result<Device> {
    let lower = wanted.to_lowercase();
    if let Some(d) = known.iter().find(|d| {
        d.name.to_lowercase() == lower
            || d.id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(wanted))
    }) {
        return Ok(d.clone());
    }
    if let Some(d) = Device::from_host_arg(wanted) {
        return Ok(d);
    }
    Err(Error::UnknownDevice {
        wanted: wanted.to_string(),
        found: describe_all(known),
    })
}

pub fn describe_all(devices: &[Device]) -> String {
    if devices.is_empty() {
        "no Cast device was found on this network".to_string()
    } else {
        let names: Vec<String> = devices.iter().map(Device::describe).collect();
        format!("found: {}", names.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv() -> Device {
        Device {
            name: "Living Room TV".into(),
            model: Some("Chromecast Ultra".into()),
            id: Some("abc123".into()),
            addr: "192.0.2.7:8009".parse().unwrap(),
            group: false,
        }
    }

    #[test]
    fn choose_by_name_id_or_address() {
        let known = [tv()];
        assert_eq!(choose("living room tv", &known).unwrap().addr, tv().addr);
        assert_eq!(choose("ABC123", &known).unwrap().addr, tv().addr);
        let manual = choose("192.0.2.9", &known).unwrap();
        assert_eq!(manual.addr, "192.0.2.9:8009".parse().unwrap());
        let manual = choose("192.0.2.9:8010", &known).unwrap();
        assert!(manual.group);
        let err = choose("Kitchen", &known).unwrap_err().to_string();
        assert!(
            err.contains("Kitchen")
                && err.contains("Living Room TV (192.0.2.7:8009, Chromecast Ultra)"),
            "{err}"
        );
        let err = choose("Kitchen", &[]).unwrap_err().to_string();
        assert!(err.contains("no Cast device was found"), "{err}");
    }
}
