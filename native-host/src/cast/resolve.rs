//! Which device a command means: the one named (name, id or `HOST[:PORT]`), else the configured
//! `default_device`, else the only device on the network. Shared by the CLI and the daemon.

use std::time::Duration;

use super::{Device, choose, discovery};
use crate::config::Config;
use crate::error::{Error, Result};

/// How long to listen for mDNS answers when a device must be found.
pub const DISCOVERY: Duration = Duration::from_secs(3);

/// Discovered devices plus the ones configured by hand.
pub fn with_configured(config: &Config, mut found: Vec<Device>) -> Vec<Device> {
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

pub async fn resolve(config: &Config, wanted: Option<&str>) -> Result<Device> {
    if let Some(wanted) = wanted.or(config.default_device.as_deref()) {
        // Configured devices and addresses need no discovery; names may.
        if let Ok(d) = choose(wanted, &with_configured(config, Vec::new())) {
            return Ok(d);
        }
        return choose(
            wanted,
            &with_configured(config, discovery::find(wanted, DISCOVERY).await?),
        );
    }
    let found = with_configured(config, discovery::discover(DISCOVERY).await?);
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::NoDevice),
        many => Err(Error::AmbiguousDevice(
            many.iter()
                .map(Device::describe)
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}
