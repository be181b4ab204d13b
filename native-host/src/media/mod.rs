//! What kind of media a file name is, and the `Content-Type` a Cast receiver expects for it.
//! The table is ours rather than a general MIME database's because receivers care about a few
//! exact strings (e.g. `video/mp2t`, where general tables say TypeScript for `.ts`).

pub mod convert;
pub mod probe;
pub mod subtitle;
pub mod tools;
pub mod verdict;

use std::path::Path;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Video,
    Audio,
    Subtitle,
    Other,
}

const TABLE: &[(&str, &str, MediaKind)] = &[
    ("mp4", "video/mp4", MediaKind::Video),
    ("m4v", "video/mp4", MediaKind::Video),
    ("mkv", "video/x-matroska", MediaKind::Video),
    ("webm", "video/webm", MediaKind::Video),
    ("mov", "video/quicktime", MediaKind::Video),
    ("avi", "video/x-msvideo", MediaKind::Video),
    ("ts", "video/mp2t", MediaKind::Video),
    ("m2ts", "video/mp2t", MediaKind::Video),
    ("mpg", "video/mpeg", MediaKind::Video),
    ("mpeg", "video/mpeg", MediaKind::Video),
    ("wmv", "video/x-ms-wmv", MediaKind::Video),
    ("flv", "video/x-flv", MediaKind::Video),
    ("ogv", "video/ogg", MediaKind::Video),
    ("3gp", "video/3gpp", MediaKind::Video),
    ("mp3", "audio/mpeg", MediaKind::Audio),
    ("m4a", "audio/mp4", MediaKind::Audio),
    ("aac", "audio/aac", MediaKind::Audio),
    ("flac", "audio/flac", MediaKind::Audio),
    ("ogg", "audio/ogg", MediaKind::Audio),
    ("opus", "audio/ogg", MediaKind::Audio),
    ("wav", "audio/wav", MediaKind::Audio),
    ("srt", "application/x-subrip", MediaKind::Subtitle),
    ("vtt", "text/vtt", MediaKind::Subtitle),
    ("ass", "text/x-ssa", MediaKind::Subtitle),
];

fn lookup(path: &Path) -> Option<&'static (&'static str, &'static str, MediaKind)> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    TABLE.iter().find(|(e, _, _)| *e == ext)
}

pub fn kind(path: &Path) -> MediaKind {
    lookup(path).map_or(MediaKind::Other, |(_, _, k)| *k)
}

pub fn content_type(path: &Path) -> &'static str {
    lookup(path).map_or("application/octet-stream", |(_, ct, _)| ct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_map_to_receiver_types() {
        for (name, ct) in [
            ("a.mp4", "video/mp4"),
            ("A.MKV", "video/x-matroska"),
            ("b.webm", "video/webm"),
            ("c.avi", "video/x-msvideo"),
            ("d.ts", "video/mp2t"),
            ("e.mov", "video/quicktime"),
            ("f.mp3", "audio/mpeg"),
            ("g.nfo", "application/octet-stream"),
            ("noext", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(name)), ct, "{name}");
        }
        assert_eq!(kind(Path::new("x/y.M4V")), MediaKind::Video);
        assert_eq!(kind(Path::new("y.flac")), MediaKind::Audio);
        assert_eq!(kind(Path::new("readme.txt")), MediaKind::Other);
    }
}
