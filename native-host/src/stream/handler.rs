//! `GET`/`HEAD /s/<token>/<file-name>`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use super::Registry;
use super::range::{self, RangeError, RangeRequest};

/// Large enough to keep syscalls few, small enough that a paused TV does not pin memory.
const CHUNK: usize = 64 * 1024;

pub(super) async fn serve(
    State(registry): State<Arc<Registry>>,
    method: Method,
    Path((token, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(target) = registry.lookup(&token).filter(|t| t.file_name == name) else {
        return error(StatusCode::NOT_FOUND, "no such stream".into());
    };
    // Two Range fields are no valid request (RFC 9110 §5.3); serving either would guess.
    if headers.get_all(header::RANGE).iter().count() > 1 {
        return error(
            StatusCode::BAD_REQUEST,
            "more than one Range header; send one".into(),
        );
    }
    let range_header = match headers.get(header::RANGE).map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "Range header is not ASCII".into()),
    };
    let (status, first, len) = match range::parse(range_header, target.len) {
        Ok(RangeRequest::Full) => (StatusCode::OK, 0, target.len),
        Ok(RangeRequest::Partial { first, last }) => {
            (StatusCode::PARTIAL_CONTENT, first, last - first + 1)
        }
        Err(e @ RangeError::Malformed { .. }) => {
            return error(StatusCode::BAD_REQUEST, e.to_string());
        }
        Err(e) => {
            let mut r = error(StatusCode::RANGE_NOT_SATISFIABLE, e.to_string());
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{}", target.len)).expect("ascii"),
            );
            return r;
        }
    };

    let mut response = if method == Method::HEAD {
        // HEAD answers from metadata alone: opening a torrent stream would take a blocking
        // permit and reprioritise pieces for a request that reads nothing.
        Response::new(Body::empty())
    } else {
        match registry
            .engine
            .open_stream(&target.info_hash, target.file_index, first)
            .await
        {
            Ok(stream) => Response::new(Body::from_stream(ReaderStream::with_capacity(
                stream.take(len),
                CHUNK,
            ))),
            Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        }
    };
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(target.content_type),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {first}-{}/{}", first + len - 1, target.len);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).expect("ascii"),
        );
    }
    response
}

pub(super) fn error(status: StatusCode, message: String) -> Response {
    let mut r = (status, format!("{message}\n")).into_response();
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}
