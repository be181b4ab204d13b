//! Choosing the device for `play` and driving it.

use std::sync::Arc;
use std::time::Duration;

use magnetcast::cast::{self, CastCommand, Device, DeviceSession, LoadRequest, discovery};
use magnetcast::{Config, TorrentEngine};

const DISCOVERY: Duration = Duration::from_secs(3);

/// Discovered devices plus the ones configured by hand.
pub fn known_devices(config: &Config, mut found: Vec<Device>) -> Vec<Device> {
    for m in &config.devices {
        match Device::from_host_arg(&format!("{}:{}", m.host, m.port)) {
            Some(mut d) => {
                d.name = m.name.clone();
                found.push(d);
            }
            None => {
                tracing::warn!(host = %m.host, "config device {:?}: cannot resolve its host", m.name)
            }
        }
    }
    found
}

/// The device `play` should use, or `Ok(None)` with a message when the choice is not clear.
pub async fn choose(
    config: &Config,
    wanted: Option<&str>,
) -> anyhow::Result<Result<Device, String>> {
    if let Some(wanted) = wanted.or(config.default_device.as_deref()) {
        let configured = known_devices(config, Vec::new());
        if let Ok(d) = cast::choose(wanted, &configured) {
            return Ok(Ok(d));
        }
        let found = known_devices(config, discovery::find(wanted, DISCOVERY).await?);
        return Ok(Ok(cast::choose(wanted, &found)?));
    }
    let found = known_devices(config, discovery::discover(DISCOVERY).await?);
    Ok(match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            Err("no Cast device found; streaming only (name one with --device HOST[:PORT])".into())
        }
        many => Err(format!(
            "{} Cast devices found, choose one with --device: {}",
            many.len(),
            many.iter()
                .map(Device::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )),
    })
}

/// Connects to `device` and asks it to play `url`.
pub async fn start(
    engine: &TorrentEngine,
    device: Device,
    load: LoadRequest,
) -> anyhow::Result<Arc<DeviceSession>> {
    let session = DeviceSession::connect(device, engine.events.clone()).await?;
    session.send(CastCommand::Load(load));
    Ok(session)
}

/// Stops playback on the TV and ends the device thread.
pub async fn stop(session: Arc<DeviceSession>) {
    session.send(CastCommand::Stop);
    let _ = tokio::task::spawn_blocking(move || session.close()).await;
}
