//! `GET /p/<token>/<name>`: "Play here", for when there is no TV. A page with the browser's own
//! player and the same subtitle tracks a TV gets; a file the browser cannot read is converted
//! like it would be for a first-generation Chromecast.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::handler::error;
use super::{Published, Registry};
use crate::media::{probe, tools, verdict};

pub(super) async fn serve(
    State(registry): State<Arc<Registry>>,
    Path((token, _name)): Path<(String, String)>,
) -> Response {
    let Some((target, torrent)) = registry.lookup_torrent(&token) else {
        return error(StatusCode::NOT_FOUND, "no such stream".into());
    };
    let raw = Published::of(&token, &target);
    registry
        .engine
        .prefetch_index(&target.info_hash, target.file_index);
    let decided = match probe::probe(&registry.raw_local_url(&token, &target)).await {
        Ok(Some(p)) => {
            registry.add_embedded(&torrent, &p.subtitles);
            Some(verdict::decide(
                &p,
                &target.file_name,
                &verdict::browser(),
                tools::ffmpeg().is_some(),
            ))
        }
        Ok(None) => None,
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let media = match &decided {
        Some(v) if v.plan == verdict::Plan::Unplayable => {
            return error(StatusCode::UNPROCESSABLE_ENTITY, v.reason.clone());
        }
        Some(v) if v.recipe.is_some() => registry
            .publish(&torrent, target.file_index, v.recipe)
            .path(),
        _ => raw.raw_path(),
    };
    let tracks: String = registry
        .tracks(&torrent)
        .iter()
        .map(|t| {
            format!(
                r#"<track kind="subtitles" src="{}" label="{}" srclang="{}">"#,
                attr(&raw.track_path(t.id)),
                attr(&t.name),
                attr(t.language.as_deref().unwrap_or(""))
            )
        })
        .collect();
    let note = decided.map(|v| v.reason).unwrap_or_default();
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — magnetcast</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>html,body{{margin:0;height:100%;background:#000;color:#ccc;font:14px system-ui,sans-serif}}
video{{width:100%;height:calc(100% - 2em);display:block}}p{{margin:.4em .8em}}</style></head>
<body><video controls autoplay preload="auto" crossorigin="anonymous" src="{src}">{tracks}</video>
<p>{title} · {note}</p></body></html>
"#,
        title = text(&torrent.name),
        src = attr(&media),
        note = text(&note),
    );
    let mut r = Html(page).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
