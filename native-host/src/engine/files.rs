//! Which file of a torrent to play: the largest video unless the user names one.

use std::path::Path;

use crate::engine::events::{FileEntry, MAX_FILES_IN_EVENT};
use crate::error::{Error, Result};
use crate::media::{self, MediaKind};

/// The user's `--file`: an index or (part of) a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChoice {
    Index(usize),
    Name(String),
}

impl std::str::FromStr for FileChoice {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(s.parse()
            .map_or_else(|_| Self::Name(s.to_string()), Self::Index))
    }
}

pub fn entries<'a>(files: impl Iterator<Item = (String, u64)> + 'a) -> Vec<FileEntry> {
    files
        .enumerate()
        .map(|(index, (path, length))| FileEntry {
            kind: media::kind(Path::new(&path)),
            index,
            path,
            length,
        })
        .collect()
}

pub fn select(files: &[FileEntry], choice: Option<&FileChoice>) -> Result<usize> {
    match choice {
        Some(FileChoice::Index(i)) if *i < files.len() => Ok(*i),
        Some(FileChoice::Name(name)) => files
            .iter()
            .filter(|f| f.path == *name || f.path.ends_with(&format!("/{name}")))
            .chain(files.iter().filter(|f| f.path.contains(name.as_str())))
            .map(|f| f.index)
            .next()
            .ok_or_else(|| Error::NoSuchFile {
                wanted: name.clone(),
                available: describe(files),
            }),
        Some(FileChoice::Index(i)) => Err(Error::NoSuchFile {
            wanted: i.to_string(),
            available: describe(files),
        }),
        None => [MediaKind::Video, MediaKind::Audio]
            .iter()
            .find_map(|kind| {
                files
                    .iter()
                    .filter(|f| f.kind == *kind)
                    .max_by_key(|f| f.length)
                    .map(|f| f.index)
            })
            .ok_or_else(|| Error::NoMediaFile(describe(files))),
    }
}

/// What is downloaded when `selected` plays: that file and the torrent's subtitle files.
pub fn wanted(files: &[FileEntry], selected: usize) -> Vec<usize> {
    let mut wanted = vec![selected];
    wanted.extend(
        files
            .iter()
            .filter(|f| f.index != selected)
            .filter(|f| crate::stream::tracks::worth_downloading(f.kind, f.length))
            .map(|f| f.index)
            .take(32),
    );
    wanted
}

/// The files worth showing a user choosing what to play: media first, then the rest, capped.
pub fn for_display(files: &[FileEntry]) -> Vec<FileEntry> {
    let mut shown: Vec<FileEntry> = files.to_vec();
    shown.sort_by_key(|f| (f.kind, f.index));
    shown.truncate(MAX_FILES_IN_EVENT);
    shown
}

fn describe(files: &[FileEntry]) -> String {
    let mut s = files
        .iter()
        .take(10)
        .map(|f| format!("[{}] {}", f.index, f.path))
        .collect::<Vec<_>>()
        .join(", ");
    if files.len() > 10 {
        s.push_str(&format!(", … ({} files)", files.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<FileEntry> {
        entries(
            [
                ("Show/sample.mkv", 10),
                ("Show/episode.mkv", 900),
                ("Show/episode.srt", 5),
                ("Show/soundtrack.flac", 2000),
                ("Show/readme.nfo", 1),
            ]
            .into_iter()
            .map(|(p, l)| (p.to_string(), l)),
        )
    }

    #[test]
    fn largest_video_wins_over_larger_audio() {
        assert_eq!(select(&sample(), None).unwrap(), 1);
    }

    #[test]
    fn subtitles_come_with_the_video() {
        assert_eq!(wanted(&sample(), 1), vec![1, 2]);
    }

    #[test]
    fn named_by_index_or_name() {
        let f = sample();
        assert_eq!(select(&f, Some(&"0".parse().unwrap())).unwrap(), 0);
        assert_eq!(select(&f, Some(&"sample.mkv".parse().unwrap())).unwrap(), 0);
        assert_eq!(select(&f, Some(&"soundtrack".parse().unwrap())).unwrap(), 3);
        let err = select(&f, Some(&"9".parse().unwrap()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no file matches \"9\"") && err.contains("[1] Show/episode.mkv"),
            "{err}"
        );
    }

    #[test]
    fn no_media_is_a_clear_error() {
        let f = entries([("a.txt".to_string(), 3)].into_iter());
        let err = select(&f, None).unwrap_err().to_string();
        assert!(
            err.contains("no video or audio file") && err.contains("a.txt"),
            "{err}"
        );
    }
}
