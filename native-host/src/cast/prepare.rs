//! What to LOAD on a device: the file as it is when the device can read it, else the stream
//! converted by ffmpeg (with the file itself never tried), with the subtitle tracks and where
//! the viewer left off. The codec check reads the file through our own stream server, which
//! also fetches the pieces the TV will ask for first (the header, and the index at the tail).

use std::net::IpAddr;

use tracing::{info, warn};

use super::{Device, LoadRequest};
use crate::engine::{Torrent, TorrentEngine};
use crate::error::{Error, Result};
use crate::media::probe::Probe;
use crate::media::verdict::{self, Plan, Recipe};
use crate::media::{probe, subtitle, tools};
use crate::stream::StreamServer;

/// `device` is `None` for a player that is not a Cast device (a browser).
pub async fn load_request(
    engine: &TorrentEngine,
    server: &StreamServer,
    torrent: &Torrent,
    device: Option<&Device>,
) -> Result<LoadRequest> {
    let config = engine.config();
    let target: Option<IpAddr> = device.map(|d| d.addr.ip());
    let raw = server.publish_full(torrent, torrent.selected(), None);
    engine.prefetch_index(&torrent.info_hash, torrent.selected());
    let caps = match device {
        Some(d) => verdict::capabilities(d.model.as_deref(), config.audio_passthrough),
        None => verdict::browser(),
    };
    let found = match probe::probe(&server.local_url(&raw.raw_path())).await {
        Ok(p) => p,
        Err(e) => {
            // The device may still read what ffprobe could not: try it, with a conversion
            // ready for when it cannot.
            warn!(torrent = %torrent.name, "codec check failed: {e}");
            None
        }
    };
    let have_ffmpeg = tools::ffmpeg().is_some();
    let file_name = torrent.selected_file().path.clone();
    let decided = match &found {
        Some(p) => Some(verdict::decide(p, &file_name, &caps, have_ffmpeg)),
        None if tools::ffprobe().is_none() => Some(verdict::Verdict {
            plan: Plan::Direct,
            reason: format!(
                "not checked: ffprobe is missing, so the file is sent as it is; to have files checked and converted, {}",
                tools::INSTALL_HINT
            ),
            recipe: None,
        }),
        None => None,
    };
    if let Some(v) = &decided {
        info!(torrent = %torrent.name, plan = ?v.plan, "{}", v.reason);
        if v.plan == Plan::Unplayable {
            return Err(Error::Media(v.reason.clone()));
        }
    }
    if let Some(p) = &found {
        server.add_embedded_subtitles(torrent, &p.subtitles);
    }

    let mut load = LoadRequest::for_torrent(torrent, server.url(&raw.path(), target));
    load.start_at = crate::resume::start_at(engine, &torrent.info_hash);
    load.duration = found.as_ref().and_then(|p| p.duration);
    load.tracks = server.tracks(torrent, &raw, target);
    load.active_tracks = config
        .subtitle_language
        .as_deref()
        .and_then(|want| {
            load.tracks.iter().find(|t| {
                subtitle::matches_preference(t.language.as_deref().or(Some(&t.name)), want)
            })
        })
        .map(|t| vec![t.id])
        .unwrap_or_default();
    load.verdict = decided.clone();

    let convert = |recipe: Recipe, base: &LoadRequest| {
        let published = server.publish_full(torrent, torrent.selected(), Some(recipe));
        LoadRequest {
            url: server.url(&published.path(), target),
            content_type: "video/mp4".into(),
            live: true,
            offset: base.start_at,
            fallback: None,
            ..base.clone()
        }
    };
    match decided.as_ref().and_then(|v| v.recipe) {
        Some(recipe) => Ok(convert(recipe, &load)),
        None if have_ffmpeg => {
            let recipe = fallback_recipe(found.as_ref());
            let mut fallback = convert(recipe, &load);
            fallback.verdict = Some(verdict::Verdict {
                plan: Plan::Transcode,
                reason: "the device refused the file as it is, so it is converted as it plays"
                    .into(),
                recipe: Some(recipe),
            });
            load.fallback = Some(Box::new(fallback));
            Ok(load)
        }
        None => Ok(load),
    }
}

/// For a device that refused a file we thought it reads: keep H.264 video as it is (every
/// device decodes it; the audio is the usual culprit), convert everything else.
fn fallback_recipe(found: Option<&Probe>) -> Recipe {
    let video = found.and_then(|p| p.video.as_ref());
    Recipe {
        copy_video: video.is_some_and(|v| v.codec == "h264" && v.height <= 1080),
        copy_audio: false,
        has_video: found.is_none_or(|p| p.video.is_some()),
        has_audio: found.is_none_or(|p| !p.audio.is_empty()),
    }
}
