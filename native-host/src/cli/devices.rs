//! `magnetcast devices`.

use std::time::Duration;

use super::{Ctx, DevicesArgs};

pub async fn run(ctx: Ctx, args: DevicesArgs) -> anyhow::Result<()> {
    let timeout = Duration::from_secs_f64(args.timeout.clamp(0.1, 60.0));
    let devices = magnetcast::cast::with_configured(
        &ctx.config,
        magnetcast::cast::discovery::discover(timeout).await?,
    );
    if args.json {
        println!("{}", serde_json::to_string(&devices)?);
        return Ok(());
    }
    if devices.is_empty() {
        println!(
            "no Cast device found in {timeout:?}; add one with --device HOST or a [[devices]] entry in config.toml"
        );
    }
    for d in &devices {
        println!(
            "{}\t{}\t{}{}",
            d.name,
            d.addr,
            d.model.as_deref().unwrap_or("-"),
            if d.group { "\tgroup" } else { "" }
        );
    }
    Ok(())
}
