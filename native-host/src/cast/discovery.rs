//! Finding Cast devices with mDNS (`_googlecast._tcp.local.`). mDNS does not cross VLANs or VPNs,
//! which is why manual devices exist too.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent};

use super::{DEFAULT_PORT, Device};
use crate::error::{Error, Result};

pub const SERVICE: &str = "_googlecast._tcp.local.";

/// Browses for `timeout` and returns what answered, sorted by name.
pub async fn discover(timeout: Duration) -> Result<Vec<Device>> {
    browse(timeout, |_| false).await
}

/// Browses until a device matches `wanted` (name or id, case-insensitive) or `timeout` passes;
/// returns everything seen so far.
pub async fn find(wanted: &str, timeout: Duration) -> Result<Vec<Device>> {
    let wanted = wanted.to_lowercase();
    browse(timeout, move |d| {
        d.name.to_lowercase() == wanted
            || d.id
                .as_deref()
                .is_some_and(|id| id.to_lowercase() == wanted)
    })
    .await
}

async fn browse(
    timeout: Duration,
    done: impl Fn(&Device) -> bool + Send + 'static,
) -> Result<Vec<Device>> {
    tokio::task::spawn_blocking(move || browse_blocking(timeout, done))
        .await
        .map_err(|e| Error::Discovery(e.to_string()))?
}

fn browse_blocking(timeout: Duration, done: impl Fn(&Device) -> bool) -> Result<Vec<Device>> {
    let daemon = ServiceDaemon::new().map_err(|e| Error::Discovery(e.to_string()))?;
    let events = daemon
        .browse(SERVICE)
        .map_err(|e| Error::Discovery(e.to_string()))?;
    let deadline = Instant::now() + timeout;
    let mut found: HashMap<String, Device> = HashMap::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(info)) => {
                let mut addrs: Vec<IpAddr> = info
                    .get_addresses_v4()
                    .into_iter()
                    .map(IpAddr::V4)
                    .collect();
                addrs.sort();
                let Some(ip) = addrs.first().copied() else {
                    continue;
                };
                let port = info.get_port();
                let txt = |k: &str| info.get_property_val_str(k).map(str::to_string);
                let model = txt("md");
                let device = Device {
                    name: txt("fn").unwrap_or_else(|| info.get_fullname().to_string()),
                    group: port != DEFAULT_PORT || model.as_deref() == Some("Google Cast Group"),
                    model,
                    id: txt("id"),
                    addr: SocketAddr::new(ip, port),
                };
                let stop = done(&device);
                found.insert(info.get_fullname().to_string(), device);
                if stop {
                    break;
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let _ = daemon.shutdown();
    let mut devices: Vec<Device> = found.into_values().collect();
    devices.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(devices)
}
