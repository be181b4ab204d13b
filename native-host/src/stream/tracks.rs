//! The subtitle tracks offered with a video: subtitle files in the torrent first, then the
//! user's own files and the text streams inside the video, numbered from 1 in that order. The
//! order only grows, so a track keeps its id while the torrent is loaded.

use std::path::PathBuf;

use crate::engine::Torrent;
use crate::media::MediaKind;
use crate::media::probe::SubtitleStream;
use crate::media::subtitle::language_of;

#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    Local(PathBuf),
    Embedded(SubtitleStream),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file of the torrent, by index.
    File(usize),
    Local(PathBuf),
    Embedded(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: u32,
    pub name: String,
    pub language: Option<String>,
    pub source: Source,
}

/// Subtitle files of the torrent.
pub fn from_files(torrent: &Torrent) -> Vec<(usize, &str)> {
    torrent
        .files
        .iter()
        .filter(|f| f.kind == MediaKind::Subtitle)
        .map(|f| (f.index, f.path.as_str()))
        .collect()
}

pub fn all(torrent: &Torrent, extra: &[Extra]) -> Vec<Track> {
    let own = from_files(torrent)
        .into_iter()
        .map(|(index, path)| (file_name(path), language_of(path), Source::File(index)));
    let extra = extra.iter().map(|e| match e {
        Extra::Local(p) => {
            let path = p.to_string_lossy();
            (
                file_name(&path),
                language_of(&path),
                Source::Local(p.clone()),
            )
        }
        Extra::Embedded(s) => (
            s.title
                .clone()
                .or(s.language.clone())
                .unwrap_or_else(|| format!("Subtitles {}", s.nth + 1)),
            s.language.clone(),
            Source::Embedded(s.nth),
        ),
    });
    own.chain(extra)
        .enumerate()
        .map(|(i, (name, language, source))| Track {
            id: i as u32 + 1,
            name,
            language,
            source,
        })
        .collect()
}

fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// Subtitle files are small: they are downloaded with the video so they are there when asked.
pub fn worth_downloading(kind: MediaKind, length: u64) -> bool {
    kind == MediaKind::Subtitle && length <= 4 * 1024 * 1024
}
