//! `GET /v/<token>/<id>.vtt`: a subtitle track as WebVTT, with CORS, because Cast receivers
//! and browser players fetch text tracks cross-origin.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Registry;
use super::handler::error;
use super::tracks::Source;
use crate::error::{Error, Result};

/// Subtitle files are small; a bigger one is not a subtitle file.
const MAX_SUBTITLE: u64 = 8 * 1024 * 1024;

pub(super) async fn serve(
    State(registry): State<Arc<Registry>>,
    Path((token, track)): Path<(String, String)>,
) -> Response {
    let Some((target, torrent)) = registry.lookup_torrent(&token) else {
        return error(StatusCode::NOT_FOUND, "no such stream".into());
    };
    let id = track
        .strip_suffix(".vtt")
        .and_then(|i| i.parse::<u32>().ok());
    let Some(track) = id.and_then(|id| registry.tracks(&torrent).into_iter().find(|t| t.id == id))
    else {
        return error(StatusCode::NOT_FOUND, "no such subtitle track".into());
    };
    let vtt = match webvtt(&registry, &token, &target, &torrent, &track.source).await {
        Ok(v) => v,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let mut r = vtt.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/vtt; charset=utf-8"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn webvtt(
    registry: &Registry,
    token: &str,
    target: &super::StreamTarget,
    torrent: &crate::engine::Torrent,
    source: &Source,
) -> Result<String> {
    let path = match source {
        Source::Local(p) => p.clone(),
        Source::File(index) => {
            let len = torrent.files[*index].length;
            if len > MAX_SUBTITLE {
                return Err(Error::Media("the subtitle file is too large".into()));
            }
            // Reading it through the torrent waits for its pieces; then it is whole on disk.
            let mut stream = registry
                .engine
                .open_stream(&torrent.info_hash, *index, 0)
                .await?;
            tokio::io::copy(&mut stream, &mut tokio::io::sink()).await?;
            torrent
                .handle
                .output_folder()
                .join(&torrent.files[*index].path)
        }
        Source::Embedded(nth) => {
            let input = registry.raw_local_url(token, target);
            return crate::media::convert::extract_subtitles(&input, *nth).await;
        }
    };
    tokio::task::spawn_blocking(move || crate::media::subtitle::to_webvtt(&path))
        .await
        .map_err(|e| Error::Media(e.to_string()))?
}
