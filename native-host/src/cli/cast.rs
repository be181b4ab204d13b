//! Choosing the device for `play` and driving it.

use std::sync::Arc;

use magnetcast::cast::{self, CastCommand, Device, DeviceSession};
use magnetcast::engine::Torrent;
use magnetcast::{Config, Error, StreamServer, TorrentEngine};

/// The device `play` should use; when none was named and the network does not make the choice
/// clear, the message to show while streaming on without a TV.
pub async fn choose(
    config: &Config,
    wanted: Option<&str>,
) -> anyhow::Result<Result<Device, String>> {
    match cast::resolve(config, wanted).await {
        Ok(d) => Ok(Ok(d)),
        Err(e @ (Error::NoDevice | Error::AmbiguousDevice(_))) if wanted.is_none() => {
            Ok(Err(format!("{e}; streaming only")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Connects to `device` and asks it to play `torrent`'s selected file from `url`.
/// Returns the session and what the codec check decided.
pub async fn start(
    engine: &TorrentEngine,
    server: &StreamServer,
    device: Device,
    torrent: &Torrent,
    subtitles: Option<u32>,
) -> anyhow::Result<(Arc<DeviceSession>, Option<String>)> {
    let session = DeviceSession::connect(device.clone(), engine.events.clone()).await?;
    session.send(CastCommand::Launch);
    let mut load = cast::prepare::load_request(engine, server, torrent, Some(&device)).await?;
    if let Some(id) = subtitles {
        load.active_tracks = vec![id];
    }
    let said = load.verdict.as_ref().map(|v| v.reason.clone());
    engine.casting.started(&device.name, torrent.info_hash);
    session.send(CastCommand::Load(load));
    Ok((session, said))
}

/// Stops playback on the TV and ends the device thread.
pub async fn stop(session: Arc<DeviceSession>) {
    session.send(CastCommand::Stop);
    let _ = tokio::task::spawn_blocking(move || session.close()).await;
}
