//! Subtitles as Cast receivers and browsers take them: WebVTT. SubRip, SubStation and MicroDVD
//! files (in any common encoding) are converted by `aspasia`; embedded text streams are
//! extracted by ffmpeg.

use std::path::Path;

use aspasia::{TimedSubtitleFile, WebVttSubtitle};

use crate::error::{Error, Result};

/// Reads `path` (format and text encoding detected) and returns it as WebVTT.
pub fn to_webvtt(path: &Path) -> Result<String> {
    let parsed = TimedSubtitleFile::new(path)
        .map_err(|e| Error::Media(format!("cannot read subtitles {}: {e}", path.display())))?;
    let vtt = WebVttSubtitle::from(parsed).to_string();
    if !vtt.starts_with("WEBVTT") {
        return Err(Error::Media(format!(
            "{} did not convert to WebVTT",
            path.display()
        )));
    }
    Ok(vtt)
}

/// The language a subtitle file names, as players show it: `Film.en.srt` → `en`,
/// `Subs/English.srt` → `English`.
pub fn language_of(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let stem = name.rsplit_once('.')?.0;
    let tag = stem.rsplit_once('.').map_or(stem, |(_, t)| t);
    let looks_like_language = (2..=3).contains(&tag.len())
        && tag.chars().all(|c| c.is_ascii_alphabetic())
        || KNOWN.iter().any(|k| k.eq_ignore_ascii_case(tag));
    looks_like_language.then(|| tag.to_string())
}

const KNOWN: &[&str] = &[
    "English",
    "French",
    "German",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Russian",
    "Japanese",
    "Chinese",
    "Korean",
    "Arabic",
    "Polish",
    "Swedish",
    "Turkish",
];

/// Whether `language` (a tag or a name) is what the user prefers (`en`, `eng`, `English`…).
pub fn matches_preference(language: Option<&str>, preferred: &str) -> bool {
    let Some(l) = language else { return false };
    let (l, p) = (l.to_lowercase(), preferred.to_lowercase());
    if l == p {
        return true;
    }
    // ISO 639-1 vs 639-2 vs English names: compare the first two letters, which agree for the
    // common languages (en/eng/english, fr/fre/french, de/ger… is the exception users type).
    l.len() >= 2 && p.len() >= 2 && l[..2] == p[..2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_becomes_webvtt() {
        let dir = tempfile::tempdir().unwrap();
        let srt = dir.path().join("film.en.srt");
        // Latin-1, as many old subtitle files are.
        std::fs::write(
            &srt,
            b"1\r\n00:00:01,500 --> 00:00:03,000\r\nCaf\xe9 <i>ouvert</i>\r\n\r\n2\r\n00:01:00,000 --> 00:01:02,250\r\nSecond line\r\n",
        )
        .unwrap();
        let vtt = to_webvtt(&srt).unwrap();
        assert!(vtt.starts_with("WEBVTT"), "{vtt}");
        assert!(vtt.contains("00:00:01.500 --> 00:00:03.000"), "{vtt}");
        assert!(vtt.contains("Café"), "{vtt}");
        assert!(vtt.contains("00:01:00.000 --> 00:01:02.250"), "{vtt}");
    }

    #[test]
    fn ass_becomes_webvtt() {
        let dir = tempfile::tempdir().unwrap();
        let ass = dir.path().join("film.ass");
        std::fs::write(
            &ass,
            "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Default,Arial,20\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:02.00,0:00:04.50,Default,,0,0,0,,Hello {\\i1}there{\\i0}\n",
        )
        .unwrap();
        let vtt = to_webvtt(&ass).unwrap();
        assert!(vtt.contains("00:00:02.000 --> 00:00:04.500"), "{vtt}");
        assert!(vtt.contains("Hello"), "{vtt}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("x.srt");
        std::fs::write(&bad, [0xffu8, 0, 1, 2, 3]).unwrap();
        // Either refused or an empty WebVTT: never a panic.
        if let Ok(v) = to_webvtt(&bad) {
            assert!(!v.contains("-->"), "{v}");
        }
    }

    #[test]
    fn languages_from_names() {
        assert_eq!(language_of("Film/Film.en.srt").as_deref(), Some("en"));
        assert_eq!(language_of("Subs/English.srt").as_deref(), Some("English"));
        assert_eq!(language_of("Film.srt"), None);
        assert!(matches_preference(Some("eng"), "en"));
        assert!(matches_preference(Some("English"), "en"));
        assert!(!matches_preference(Some("fr"), "en"));
        assert!(!matches_preference(None, "en"));
    }
}
