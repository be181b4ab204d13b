//! What the user hands us: a magnet link, a bare info hash, a `.torrent` URL, a `.torrent` path
//! or raw `.torrent` bytes. Parsing is strict and length-capped so that a bad link is an error
//! message up front, never a half-added torrent.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::{Error, Result};

/// Longer than any real magnet (hundreds of trackers fit), short enough to reject junk early.
pub const MAX_MAGNET_LEN: usize = 16 * 1024;
/// A `.torrent` travels base64-encoded inside a 16 MiB native-messaging frame.
pub const MAX_TORRENT_BYTES: usize = 12 * 1024 * 1024;
const MAX_PEER_HINTS: usize = 64;

/// A 20-byte BitTorrent v1 info hash, shown as 40 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InfoHash(pub [u8; 20]);

impl InfoHash {
    /// Accepts 40 hex digits or 32 base32 letters (both appear in the wild).
    pub fn parse(s: &str) -> Result<Self> {
        let bytes = match s.len() {
            40 => data_encoding::HEXLOWER_PERMISSIVE
                .decode(s.as_bytes())
                .map_err(|_| Error::InvalidInfoHash(format!("{s:?} is not 40 hex digits")))?,
            32 => data_encoding::BASE32
                .decode(s.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::InvalidInfoHash(format!("{s:?} is not 32 base32 letters")))?,
            n => {
                return Err(Error::InvalidInfoHash(format!(
                    "expected 40 hex digits or 32 base32 letters, got {n} characters"
                )));
            }
        };
        let mut out = [0u8; 20];
        out.copy_from_slice(&bytes);
        Ok(Self(out))
    }

    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    pub fn id20(&self) -> librqbit::dht::Id20 {
        librqbit::dht::Id20::new(self.0)
    }
}

impl std::fmt::Display for InfoHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for InfoHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InfoHash({})", self.to_hex())
    }
}

/// A parsed magnet link. `peers` are BEP 9 `x.pe` peer hints (IP literals only: a link must
/// never make us resolve names an attacker chose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagnetLink {
    pub info_hash: InfoHash,
    pub name: Option<String>,
    pub trackers: Vec<url::Url>,
    pub peers: Vec<SocketAddr>,
}

impl MagnetLink {
    pub fn parse(link: &str) -> Result<Self> {
        let bad = |m: &str| Error::InvalidMagnet(m.to_string());
        if link.len() > MAX_MAGNET_LEN {
            return Err(bad(&format!("longer than {MAX_MAGNET_LEN} bytes")));
        }
        let url = url::Url::parse(link).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "magnet" {
            return Err(bad("does not start with magnet:"));
        }
        let mut info_hash = None;
        let mut saw_v2 = false;
        let mut name = None;
        let mut trackers = Vec::new();
        let mut peers = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "xt" => {
                    if let Some(h) = value.strip_prefix("urn:btih:") {
                        let h = InfoHash::parse(h).map_err(|e| bad(&e.to_string()))?;
                        if info_hash.is_some_and(|old| old != h) {
                            return Err(bad("two different xt=urn:btih info hashes"));
                        }
                        info_hash = Some(h);
                    } else if value.starts_with("urn:btmh:") {
                        saw_v2 = true;
                    } else {
                        return Err(bad(&format!("unsupported xt {value:?}")));
                    }
                }
                "dn" => name = Some(value.into_owned()),
                "tr" => {
                    let tr = url::Url::parse(&value)
                        .map_err(|e| bad(&format!("tracker {value:?}: {e}")))?;
                    if !matches!(tr.scheme(), "http" | "https" | "udp") {
                        return Err(bad(&format!(
                            "tracker {value:?} is not an http, https or udp URL"
                        )));
                    }
                    if !trackers.contains(&tr) {
                        trackers.push(tr);
                    }
                }
                "x.pe" => {
                    let peer: SocketAddr = value
                        .parse()
                        .map_err(|_| bad(&format!("peer hint x.pe={value:?} is not IP:PORT")))?;
                    if peers.len() >= MAX_PEER_HINTS {
                        return Err(bad(&format!("more than {MAX_PEER_HINTS} x.pe peer hints")));
                    }
                    if !peers.contains(&peer) {
                        peers.push(peer);
                    }
                }
                // Other keys (xl, ws, so, as, kt, ...) are optional hints; ignoring them is
                // what every client does.
                _ => {}
            }
        }
        let info_hash = match info_hash {
            Some(h) => h,
            None if saw_v2 => {
                return Err(bad(
                    "only a BitTorrent v2 hash (btmh); v1 xt=urn:btih is needed",
                ));
            }
            None => return Err(bad("no xt=urn:btih")),
        };
        Ok(Self {
            info_hash,
            name,
            trackers,
            peers,
        })
    }

    pub fn from_info_hash(info_hash: InfoHash) -> Self {
        Self {
            info_hash,
            name: None,
            trackers: Vec::new(),
            peers: Vec::new(),
        }
    }

    /// The link as librqbit reads it: hash and trackers (peers go in as `initial_peers`).
    pub fn to_librqbit(&self) -> String {
        librqbit::Magnet::from_id20(
            self.info_hash.id20(),
            self.trackers.iter().map(|t| t.to_string()).collect(),
            None,
        )
        .to_string()
    }
}

/// Where a torrent comes from.
#[derive(Debug, Clone)]
pub enum TorrentSource {
    Magnet(MagnetLink),
    /// An http(s) URL serving a `.torrent` file.
    Url(url::Url),
    /// The bytes of a `.torrent` file.
    Bytes(Bytes),
}

impl TorrentSource {
    /// Interprets one command-line argument.
    pub fn parse_arg(arg: &str) -> Result<Self> {
        let arg = arg.trim();
        // `get`, not indexing: byte 7 may fall inside a character of whatever was pasted.
        if arg
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("magnet:"))
        {
            return Ok(Self::Magnet(MagnetLink::parse(arg)?));
        }
        if (arg.len() == 40 || arg.len() == 32) && arg.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Self::Magnet(MagnetLink::from_info_hash(InfoHash::parse(
                arg,
            )?)));
        }
        if arg.starts_with("http://") || arg.starts_with("https://") {
            let url = url::Url::parse(arg).map_err(|e| Error::Fetch {
                url: arg.to_string(),
                message: format!("not a valid URL: {e}"),
            })?;
            return Ok(Self::Url(url));
        }
        let path = Path::new(arg);
        if path.exists() {
            return Self::from_file(path);
        }
        if arg.contains("://") || arg.starts_with("magnet") {
            return Err(Error::UnsupportedSource(arg.chars().take(200).collect()));
        }
        Err(Error::ReadFile {
            path: PathBuf::from(arg),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        })
    }

    pub fn from_file(path: &Path) -> Result<Self> {
        let read_err = |source| Error::ReadFile {
            path: path.to_path_buf(),
            source,
        };
        let len = std::fs::metadata(path).map_err(read_err)?.len();
        if len > MAX_TORRENT_BYTES as u64 {
            return Err(Error::InvalidTorrent(format!(
                "{} is {len} bytes; a .torrent is at most {MAX_TORRENT_BYTES}",
                path.display()
            )));
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        Self::from_bytes(bytes.into())
    }

    pub fn from_bytes(bytes: Bytes) -> Result<Self> {
        if bytes.len() > MAX_TORRENT_BYTES {
            return Err(Error::InvalidTorrent(format!(
                "{} bytes; a .torrent is at most {MAX_TORRENT_BYTES}",
                bytes.len()
            )));
        }
        // A .torrent is a bencoded dictionary: catch HTML pages and other files early.
        if bytes.first() != Some(&b'd') {
            return Err(Error::InvalidTorrent(
                "not a bencoded torrent (does not start with 'd')".into(),
            ));
        }
        Ok(Self::Bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "c9e15763f722f23e98a29decdfae341b98d53056";

    #[test]
    fn magnet_with_trackers_and_peer_hints() {
        let m = MagnetLink::parse(&format!(
            "magnet:?xt=urn:btih:{HEX}&dn=Big%20Buck&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&x.pe=127.0.0.1:51413&x.pe=[::1]:6881"
        ))
        .unwrap();
        assert_eq!(m.info_hash.to_hex(), HEX);
        assert_eq!(m.name.as_deref(), Some("Big Buck"));
        assert_eq!(m.trackers[0].as_str(), "http://127.0.0.1:6969/announce");
        assert_eq!(m.peers.len(), 2);
        assert!(m.to_librqbit().contains(HEX));
    }

    #[test]
    fn base32_hash_is_the_same_hash() {
        let b32 = data_encoding::BASE32.encode(&InfoHash::parse(HEX).unwrap().0);
        assert_eq!(InfoHash::parse(&b32.to_lowercase()).unwrap().to_hex(), HEX);
    }

    #[test]
    fn clear_errors_for_bad_magnets() {
        let cases = [
            ("magnet:?dn=x", "no xt=urn:btih"),
            ("magnet:?xt=urn:btih:1234", "40 hex digits or 32 base32"),
            (
                "magnet:?xt=urn:btih:zzz15763f722f23e98a29decdfae341b98d53056",
                "not 40 hex",
            ),
            ("magnet:?xt=urn:btmh:1220abcd", "only a BitTorrent v2"),
            (
                &format!("magnet:?xt=urn:btih:{HEX}&x.pe=example.com:1"),
                "is not IP:PORT",
            ),
            (
                &format!("magnet:?xt=urn:btih:{HEX}&tr=ftp://x/"),
                "not an http",
            ),
            (&format!("magnet:?xt=urn:btih:{HEX}&tr=%%%"), "tracker"),
            (
                &format!(
                    "magnet:?xt=urn:btih:{HEX}&dn={}",
                    "a".repeat(MAX_MAGNET_LEN)
                ),
                "longer than",
            ),
        ];
        for (input, want) in cases {
            let err = MagnetLink::parse(input).unwrap_err().to_string();
            assert!(err.starts_with("invalid magnet link: "), "{input}: {err}");
            assert!(err.contains(want), "{input}: {err} (wanted {want})");
        }
    }

    #[test]
    fn arguments_are_told_apart() {
        assert!(matches!(
            TorrentSource::parse_arg(HEX).unwrap(),
            TorrentSource::Magnet(_)
        ));
        assert!(matches!(
            TorrentSource::parse_arg("https://example.org/a.torrent").unwrap(),
            TorrentSource::Url(_)
        ));
        let err = TorrentSource::parse_arg("ftp://example.org/a.torrent").unwrap_err();
        assert!(err.to_string().starts_with("unsupported source"), "{err}");
        let err = TorrentSource::parse_arg("/no/such/file.torrent").unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[test]
    fn torrent_bytes_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("login.torrent");
        std::fs::write(&html, "<html>please log in</html>").unwrap();
        let err = TorrentSource::parse_arg(html.to_str().unwrap()).unwrap_err();
        assert!(err.to_string().contains("not a bencoded torrent"), "{err}");
        let err = TorrentSource::from_bytes(vec![b'd'; MAX_TORRENT_BYTES + 1].into()).unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
    }

    #[test]
    fn a_multibyte_character_across_the_scheme_is_an_error_not_a_panic() {
        assert!(TorrentSource::parse_arg("abcde\u{10AC8}%%").is_err());
        assert!(TorrentSource::parse_arg("magnet\u{e9}:?").is_err());
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// Magnet-shaped input: known and unknown keys with hostile values.
        fn magnetish() -> impl Strategy<Value = String> {
            let key = prop::sample::select(vec![
                "xt", "dn", "tr", "x.pe", "ws", "so", "xt.1", "", "&", "=",
            ]);
            let value = prop_oneof![
                Just(format!("urn:btih:{HEX}")),
                "urn:btih:[0-9a-zA-Z]{0,45}",
                "urn:btmh:[0-9a-f]{0,70}",
                "[0-9.:\\[\\]a-f]{0,50}",
                "(%[0-9A-Fa-f]{0,2}|[^&]){0,40}",
                "\\PC{0,30}",
            ];
            prop::collection::vec((key, value), 0..8).prop_map(|pairs| {
                let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("magnet:?{}", query.join("&"))
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(20_000))]

            #[test]
            fn magnet_links_parse_or_say_why(link in magnetish()) {
                match MagnetLink::parse(&link) {
                    Ok(m) => prop_assert_eq!(m.info_hash.to_hex().len(), 40),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            /// Found a panic: the scheme check sliced a string inside a multi-byte character.
            #[test]
            fn any_text_as_a_source_gives_a_source_or_an_error(text in "\\PC{0,200}") {
                let _ = TorrentSource::parse_arg(&text);
                let _ = InfoHash::parse(&text);
            }

            #[test]
            fn info_hashes_of_every_length_and_alphabet(text in "[0-9a-zA-Z=]{0,64}") {
                if let Ok(h) = InfoHash::parse(&text) {
                    prop_assert!(text.len() == 40 || text.len() == 32);
                    prop_assert_eq!(InfoHash::parse(&h.to_hex()).unwrap(), h);
                }
            }
        }
    }
}
