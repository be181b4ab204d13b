//! `config.toml`. A missing file means defaults; an unknown key or a wrong type is an error that
//! names the key and the line, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::paths::Paths;

/// 16 blocks of 16 KiB: after a seek at 40 Mbit/s the new position's first 1 MiB came in
/// 0.52 s, against 0.72 s with 32 and 0.95 s with librqbit's own 128 (bench, home profile), at
/// the same throughput. The price: one peer gives at most about 20 Mbit/s at 100 ms RTT and
/// 10 Mbit/s at 200 ms; a swarm's peers add up, and a user with one distant fast seeder can
/// raise it.
pub const DEFAULT_REQUEST_WINDOW: usize = 16;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where torrents are written. Default: the user's Downloads folder + `magnetcast`.
    pub download_dir: Option<PathBuf>,
    /// BitTorrent listen port (TCP). 0 picks a free port.
    pub listen_port: u16,
    /// Only listen on this address (default: all). Tests use 127.0.0.1.
    pub listen_host: Option<String>,
    pub dht: bool,
    pub local_discovery: bool,
    pub upnp: bool,
    /// Extra trackers announced for every torrent.
    pub trackers: Vec<String>,
    /// Host put in stream URLs instead of the address that routes to the device.
    pub stream_host: Option<String>,
    /// Stream server port. 0 picks a free port.
    pub stream_port: u16,
    /// How long a magnet link may take to produce its metadata.
    pub metadata_timeout_secs: u64,
    /// The device `play` casts to when none is named: a name, an id or `HOST[:PORT]`.
    pub default_device: Option<String>,
    /// Devices mDNS cannot see (other VLANs, VPNs).
    pub devices: Vec<ManualDevice>,
    /// The daemon leaves after this long with no client, torrent or cast.
    pub idle_exit_secs: u64,
    /// Send all torrent traffic (peers, trackers, DHT) through this network interface only, e.g.
    /// a VPN's `wg0`. The control API and the stream server are not bound to it.
    pub bind_interface: Option<String>,
    /// Stop seeding at this upload ratio (uploaded / size). Unset: no ratio limit; 0: never seed.
    pub seed_ratio: Option<f64>,
    /// Stop seeding after this many seconds of seeding. Unset: no time limit; 0: never seed.
    pub seed_time_secs: Option<u64>,
    /// At most this many torrents download at once; the others wait, `queued`. A torrent being
    /// streamed always downloads. Unset or 0: no limit.
    pub max_active: Option<usize>,
    /// Cap on all torrents' download, bytes per second. Unset: no cap. Changeable while running.
    pub download_limit: Option<u64>,
    /// Cap on all torrents' upload, bytes per second. Unset: no cap. Changeable while running.
    pub upload_limit: Option<u64>,
    /// Where torrents started for streaming live until evicted (one folder each). Default: the
    /// user's cache folder + `torrents`. Torrents the user keeps move to `download_dir`.
    pub cache_dir: Option<PathBuf>,
    /// Most bytes the cache may hold; least recently watched torrents are evicted to stay under
    /// it. Default: 20 GiB or a quarter of the cache's disk (free + cached), whichever is less.
    pub cache_limit: Option<u64>,
    /// Keep the computer from sleeping while a cast plays or a stream is read.
    pub stay_awake: bool,
    /// Subtitles in this language are turned on when a video has them (`en`, `fr`, `English`…).
    /// Unset: subtitles are offered but off.
    pub subtitle_language: Option<String>,
    /// The TV takes AC-3/E-AC-3 from the Chromecast over HDMI (passthrough), so that audio
    /// need not be converted. Off unless you know it works.
    pub audio_passthrough: bool,
    /// Most block requests (16 KiB each) kept outstanding per peer. After a seek, the blocks
    /// already asked for arrive before the new position's, so a small window resumes sooner; a
    /// peer's rate is capped near window × 16 KiB / RTT. See [`DEFAULT_REQUEST_WINDOW`].
    pub request_window: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManualDevice {
    pub name: String,
    pub host: String,
    #[serde(default = "default_cast_port")]
    pub port: u16,
}

fn default_cast_port() -> u16 {
    crate::cast::DEFAULT_PORT
}

impl Default for Config {
    fn default() -> Self {
        Self {
            download_dir: None,
            listen_port: 0,
            listen_host: None,
            dht: true,
            local_discovery: true,
            upnp: true,
            trackers: Vec::new(),
            stream_host: None,
            stream_port: 0,
            metadata_timeout_secs: 60,
            request_window: DEFAULT_REQUEST_WINDOW,
            default_device: None,
            devices: Vec::new(),
            idle_exit_secs: 300,
            bind_interface: None,
            seed_ratio: None,
            seed_time_secs: None,
            max_active: None,
            download_limit: None,
            upload_limit: None,
            cache_dir: None,
            cache_limit: None,
            stay_awake: true,
            subtitle_language: None,
            audio_passthrough: false,
        }
    }
}

impl Config {
    /// Loads `config.toml` from `paths`; a missing file gives the defaults.
    pub fn load(paths: &Paths) -> Result<Self> {
        Self::load_file(&paths.config_file())
    }

    pub fn load_file(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|message| Error::Config {
                path: path.to_path_buf(),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(Error::ReadFile {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses TOML text. The error names the offending key (via `serde_path_to_error`) and
    /// the line (from the TOML span).
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| one_line(&e.to_string()))?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1
            });
            let what = inner.message().to_string();
            match (key.as_str(), line) {
                (".", Some(line)) => format!("line {line}: {what}"),
                (".", None) => what,
                (key, Some(line)) => format!("key `{key}` (line {line}): {what}"),
                (key, None) => format!("key `{key}`: {what}"),
            }
        })
    }

    pub fn download_dir(&self, paths: &Paths) -> PathBuf {
        self.download_dir
            .clone()
            .unwrap_or_else(|| paths.default_download_dir.clone())
    }

    pub fn cache_dir(&self, paths: &Paths) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| paths.cache_dir.join("torrents"))
    }
}

/// TOML's syntax errors draw a caret diagram over several lines; keep the first and the last.
fn one_line(msg: &str) -> String {
    let lines: Vec<&str> = msg.lines().filter(|l| !l.trim().is_empty()).collect();
    match (lines.first(), lines.last()) {
        (Some(first), Some(last)) if lines.len() > 1 => format!("{first}: {last}"),
        (Some(first), _) => first.to_string(),
        _ => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn known_keys_parse() {
        let c =
            Config::parse("dht = false\nlisten_port = 6881\ntrackers = [\"udp://t:1\"]\n").unwrap();
        assert!(!c.dht);
        assert_eq!(c.listen_port, 6881);
        assert_eq!(c.trackers, vec!["udp://t:1".to_string()]);
    }

    #[test]
    fn manual_devices_parse_with_a_default_port() {
        let c = Config::parse(
            "default_device = \"tv\"\n[[devices]]\nname = \"tv\"\nhost = \"10.1.2.3\"\n",
        )
        .unwrap();
        assert_eq!(c.devices[0].port, 8009);
        let err = Config::parse("[[devices]]\nname = \"tv\"\nhots = \"x\"\n").unwrap_err();
        assert!(err.contains("hots"), "{err}");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse("dht = false\n\nstreem_port = 8000\n").unwrap_err();
        assert!(err.contains("streem_port"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_key_and_line() {
        let err = Config::parse("upnp = true\ndht = \"yes\"\n").unwrap_err();
        assert!(err.contains("`dht`"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = Config::parse("dht = \n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load_file(&dir.path().join("nope.toml")).unwrap(),
            Config::default()
        );
    }
}
