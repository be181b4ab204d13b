//! `GET /r/<token>/<name>.mp4[?start=SECONDS]`: the file converted by ffmpeg as it plays.
//! There are no byte ranges in a stream that does not exist yet: a player seeks by asking for
//! `?start=`, which starts a new ffmpeg at that time. Each response owns its ffmpeg, which is
//! killed when the player goes away.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::io::{AsyncBufReadExt, AsyncRead, ReadBuf};
use tokio::process::{Child, ChildStdout};
use tokio_util::io::ReaderStream;

use super::Registry;
use super::handler::error;

/// ffmpeg's output with the process that writes it: dropping one ends the other.
struct Piped {
    _child: Child,
    out: ChildStdout,
}

impl AsyncRead for Piped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.out).poll_read(cx, buf)
    }
}

pub(super) async fn serve(
    State(registry): State<Arc<Registry>>,
    method: Method,
    Path((token, _name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(target) = registry.lookup(&token) else {
        return error(StatusCode::NOT_FOUND, "no such stream".into());
    };
    let Some(recipe) = target.recipe else {
        return error(StatusCode::NOT_FOUND, "this stream is not converted".into());
    };
    let start = match query.get("start").map(|s| s.parse::<f64>()) {
        None => 0.0,
        Some(Ok(t)) if t.is_finite() && t >= 0.0 => t,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "start must be a number of seconds".into(),
            );
        }
    };
    // Players open with `bytes=0-`; anything else asks for bytes that do not exist yet.
    if let Some(range) = headers.get(header::RANGE) {
        let from_start = range
            .to_str()
            .is_ok_and(|r| r.trim() == "bytes=0-" || r.trim() == "bytes=0");
        if !from_start {
            return error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "this stream is converted as it plays and has no byte ranges; seek with ?start=SECONDS".into(),
            );
        }
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        let input = registry.raw_local_url(&token, &target);
        let mut child = match crate::media::convert::command(&input, &recipe, start)
            .and_then(|mut c| Ok(c.spawn()?))
        {
            Ok(c) => c,
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        };
        if let Some(stderr) = child.stderr.take() {
            let name = target.file_name.clone();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::warn!(file = %name, "ffmpeg: {line}");
                }
            });
        }
        let out = child.stdout.take().expect("stdout is piped");
        tracing::info!(file = %target.file_name, start, ?recipe, "converting");
        Body::from_stream(ReaderStream::with_capacity(
            Piped { _child: child, out },
            64 * 1024,
        ))
    };
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("none"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
