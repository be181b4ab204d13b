//! Downloads a `.torrent` from an http(s) URL. librqbit can do this itself, but without a size
//! cap or a redirect limit; a link on a web page deserves both.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use crate::error::{Error, Result};
use crate::source::{MAX_TORRENT_BYTES, TorrentSource};

pub const MAX_REDIRECTS: usize = 5;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("magnetcast/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("static reqwest config")
}

pub async fn torrent_from_url(client: &reqwest::Client, url: &url::Url) -> Result<Bytes> {
    let fail = |message: String| Error::Fetch {
        url: url.to_string(),
        message,
    };
    let response = client.get(url.clone()).send().await.map_err(|e| {
        if e.is_redirect() {
            fail(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            fail(e.without_url().to_string())
        }
    })?;
    if !response.status().is_success() {
        return Err(fail(format!("the server answered {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_TORRENT_BYTES as u64)
    {
        return Err(fail(format!("larger than {MAX_TORRENT_BYTES} bytes")));
    }
    let mut body = BytesMut::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| fail(e.without_url().to_string()))?;
        if body.len() + chunk.len() > MAX_TORRENT_BYTES {
            return Err(fail(format!("larger than {MAX_TORRENT_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    match TorrentSource::from_bytes(body.freeze())? {
        TorrentSource::Bytes(b) => Ok(b),
        _ => unreachable!("from_bytes only builds Bytes"),
    }
}
