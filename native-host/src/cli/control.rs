//! The CLI as a client of the daemon, and `magnetcast daemon` itself.

use std::time::Duration;

use anyhow::{Context, bail};
use futures::StreamExt;
use magnetcast::daemon::{Daemon, client};
use magnetcast::protocol::Command;
use tokio_tungstenite::tungstenite::Message;

use super::Ctx;
use super::play::shutdown_signal;

pub async fn daemon(ctx: Ctx) -> anyhow::Result<()> {
    let idle = Duration::from_secs(ctx.config.idle_exit_secs.max(1));
    let daemon = Daemon::start(ctx.config, ctx.paths).await?;
    daemon.run_until(idle, shutdown_signal()).await;
    daemon.shutdown().await;
    Ok(())
}

/// Sends one command and prints its result (JSON) or fails with its error.
pub async fn send(ctx: Ctx, command: Command) -> anyhow::Result<()> {
    let mut socket = client::connect(&ctx.paths)
        .await
        .context("start one with `magnetcast daemon` or from the browser")?;
    println!("{}", result(client::request(&mut socket, command).await?)?);
    Ok(())
}

/// A reply's result, or its error as ours.
pub fn result(reply: magnetcast::protocol::Reply) -> anyhow::Result<serde_json::Value> {
    match (reply.ok, reply.error) {
        (true, _) => Ok(reply.result.unwrap_or_default()),
        (false, Some(e)) => bail!("{}", e.message),
        (false, None) => bail!("the daemon refused without a reason"),
    }
}

/// `magnetcast keep`: by info hash, or by a part of the name only one torrent has.
pub async fn keep(ctx: Ctx, wanted: &str) -> anyhow::Result<()> {
    let mut socket = client::connect(&ctx.paths)
        .await
        .context("start one with `magnetcast daemon` or from the browser")?;
    let torrent = match magnetcast::InfoHash::parse(wanted) {
        Ok(h) => h.to_hex(),
        Err(_) => {
            let list = Command::List {
                offset: 0,
                limit: None,
            };
            let listed = result(client::request(&mut socket, list).await?)?;
            let needle = wanted.to_lowercase();
            let matches: Vec<_> = listed["torrents"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    let name = t["name"].as_str().unwrap_or_default();
                    name.to_lowercase().contains(&needle)
                })
                .filter_map(|t| t["torrent"].as_str().map(str::to_string))
                .collect();
            match matches.as_slice() {
                [one] => one.clone(),
                [] => bail!("no torrent's name contains {wanted:?} (see `magnetcast status`)"),
                _ => bail!(
                    "{} torrents' names contain {wanted:?}: give its info hash",
                    matches.len()
                ),
            }
        }
    };
    let kept = result(client::request(&mut socket, Command::Keep { torrent }).await?)?;
    let path = kept["path"].as_str().unwrap_or_default();
    match kept["moving"].as_bool() {
        Some(true) => println!("kept; it moves out of the cache when playback ends (now {path})"),
        _ => println!("kept: {path}"),
    }
    Ok(())
}

/// `magnetcast limit`: the caps go through `settings_set`, so the daemon applies them at once.
pub async fn limit(ctx: Ctx, down: Option<String>, up: Option<String>) -> anyhow::Result<()> {
    let mut settings = serde_json::Map::new();
    for (key, rate) in [("download_limit", down), ("upload_limit", up)] {
        if let Some(rate) = rate {
            settings.insert(key.into(), serde_json::to_value(parse_rate(&rate)?)?);
        }
    }
    let mut socket = client::connect(&ctx.paths)
        .await
        .context("start one with `magnetcast daemon` or from the browser")?;
    let command = if settings.is_empty() {
        Command::SettingsGet
    } else {
        Command::SettingsSet {
            settings: settings.into(),
        }
    };
    let config = result(client::request(&mut socket, command).await?)?;
    for (label, key) in [("download", "download_limit"), ("upload", "upload_limit")] {
        match config[key].as_u64() {
            Some(bps) => println!("{label}: {bps} bytes/s"),
            None => println!("{label}: no cap"),
        }
    }
    // A cap below what a video being watched needs: say so now, not when the TV stalls.
    let status = result(client::request(&mut socket, Command::Status { torrent: None }).await?)?;
    for t in status["torrents"].as_array().into_iter().flatten() {
        if let Some(w) = t["warning"].as_str() {
            println!("warning: {w}");
        }
    }
    Ok(())
}

/// A rate in bytes per second; `off` (or 0) is no cap.
fn parse_rate(text: &str) -> anyhow::Result<Option<u64>> {
    if matches!(text.trim(), "off" | "none" | "0") {
        return Ok(None);
    }
    let bps = parse_size::parse_size(text.trim_end_matches("/s"))
        .with_context(|| format!("{text:?} is not a rate: try 2MB, 1.5MiB, 800k or off"))?;
    Ok(Some(bps))
}

pub async fn seek(ctx: Ctx, position: &str, device: Option<String>) -> anyhow::Result<()> {
    let value: f64 = position
        .parse()
        .with_context(|| format!("{position:?} is not a number of seconds"))?;
    let command = if position.starts_with(['+', '-']) {
        Command::Seek {
            seconds: None,
            by: Some(value),
            device,
        }
    } else {
        Command::Seek {
            seconds: Some(value),
            by: None,
            device,
        }
    };
    send(ctx, command).await
}

pub async fn volume(ctx: Ctx, level: &str, device: Option<String>) -> anyhow::Result<()> {
    let command = match level {
        "mute" => Command::Volume {
            level: None,
            muted: Some(true),
            device,
        },
        "unmute" => Command::Volume {
            level: None,
            muted: Some(false),
            device,
        },
        n => {
            let level: f64 = n
                .parse()
                .with_context(|| format!("{n:?}: give 0–100, mute or unmute"))?;
            Command::Volume {
                level: Some(level),
                muted: None,
                device,
            }
        }
    };
    send(ctx, command).await
}

pub async fn status(ctx: Ctx, json: bool, follow: bool) -> anyhow::Result<()> {
    let mut socket = client::connect(&ctx.paths)
        .await
        .context("start one with `magnetcast daemon` or from the browser")?;
    let reply = client::request(&mut socket, Command::Status { torrent: None }).await?;
    let result = reply.result.unwrap_or_default();
    if json || follow {
        println!("{result}");
    } else {
        let torrents = result["torrents"].as_array().cloned().unwrap_or_default();
        if torrents.is_empty() {
            println!("no torrents");
        }
        for t in torrents {
            let pct = t["downloaded"].as_f64().unwrap_or(0.0) * 100.0
                / t["total"].as_f64().unwrap_or(1.0).max(1.0);
            println!(
                "{}  {:>5.1}%  {}  {} peers",
                t["torrent"].as_str().unwrap_or(""),
                pct,
                t["state"].as_str().unwrap_or(""),
                t["peers"]
            );
        }
        if let Some(cache) = result.get("cache").filter(|c| c.is_object()) {
            let mb = |k: &str| cache[k].as_f64().unwrap_or(0.0) / 1e6;
            println!(
                "cache: {:.1} MB of {:.1} MB ({}%) in {}, {} torrents",
                mb("used"),
                mb("limit"),
                (mb("used") * 100.0 / mb("limit").max(1e-6)).round(),
                cache["dir"].as_str().unwrap_or(""),
                cache["torrents"]
            );
        }
        for c in result["casts"].as_array().cloned().unwrap_or_default() {
            println!(
                "{}: {} {}",
                c["device"].as_str().unwrap_or(""),
                c["link"].as_str().unwrap_or(""),
                c["player_state"].as_str().unwrap_or("")
            );
        }
    }
    if follow {
        loop {
            tokio::select! {
                _ = shutdown_signal() => return Ok(()),
                m = socket.next() => match m {
                    Some(Ok(Message::Text(t))) => println!("{t}"),
                    Some(Ok(_)) => {}
                    _ => bail!("the daemon closed the connection"),
                },
            }
        }
    }
    Ok(())
}
