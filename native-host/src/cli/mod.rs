//! Command-line interface definitions and dispatch.

mod cast;
mod control;
mod demo;
mod devices;
mod keys;
mod output;
mod play;
mod remote;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use magnetcast::engine::FileChoice;
use magnetcast::{Config, Paths};

/// Cast torrents to a Chromecast while they download.
///
/// magnetcast adds a magnet link or .torrent to a BitTorrent engine, downloads the video
/// playhead-first and serves the growing file over HTTP with Range support, so a TV (or any
/// player) can start watching within seconds.
#[derive(Debug, Parser)]
#[command(name = "magnetcast", version, propagate_version = true)]
pub struct Cli {
    /// Keep config, data, cache and runtime files under DIR instead of the OS defaults.
    #[arg(long, global = true, env = "MAGNETCAST_HOME", value_name = "DIR")]
    home: Option<PathBuf>,

    /// Log more on stderr (-v: debug, -vv: trace). The log file always gets info and up.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Download a torrent's video and stream it while it downloads.
    ///
    /// SOURCE is a magnet link, a 40-hex or 32-base32 info hash, an http(s) URL of a
    /// .torrent, or the path of a .torrent file. The stream URL is printed as soon as it can
    /// be served; Ctrl-C stops.
    Play(PlayArgs),
    /// Check your setup offline: seed a bundled sample video from a local seeder and play it
    /// through the real path (magnet → engine → HTTP stream), then verify the streamed bytes.
    Demo(DemoArgs),
    /// List the Cast devices on this network (mDNS) and the ones in config.toml.
    Devices(DevicesArgs),
    /// Run the background daemon (the browser extension starts it on demand).
    Daemon,
    /// Show the daemon's torrents and casts.
    Status {
        /// JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Keep printing events (JSON lines) until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// Pause the TV (through the daemon).
    Pause {
        #[arg(long)]
        device: Option<String>,
    },
    /// Resume the TV (through the daemon).
    Resume {
        #[arg(long)]
        device: Option<String>,
    },
    /// Seek: `90` goes to 1:30, `+30` / `-30` move by seconds (through the daemon).
    Seek {
        #[arg(allow_hyphen_values = true)]
        position: String,
        #[arg(long)]
        device: Option<String>,
    },
    /// Volume 0–100, or `mute` / `unmute` (through the daemon).
    Volume {
        level: String,
        #[arg(long)]
        device: Option<String>,
    },
    /// Stop casting (through the daemon).
    Stop {
        #[arg(long)]
        device: Option<String>,
    },
    /// Subtitles on the TV: a track id (as `status --json` lists under `tracks`) or `off`.
    Subtitles {
        #[arg(value_name = "ID|off")]
        track: String,
        #[arg(long)]
        device: Option<String>,
    },
    /// Keep a torrent: move it out of the streaming cache into `download_dir`, never evicted.
    Keep {
        /// Its info hash (as `magnetcast status` shows), or a unique part of its name.
        torrent: String,
    },
    /// Let the browsers start magnetcast: write the native-messaging host manifests.
    Install {
        /// Which browsers (repeatable). Default: all of them.
        #[arg(long, value_enum)]
        browser: Vec<magnetcast::install::Browser>,
        /// Write into this folder instead (portable browsers, test profiles).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// For every user of this machine (needs root / administrator).
        #[arg(long)]
        system: bool,
    },
    /// Remove exactly what `install` wrote.
    Uninstall,
    /// List network interfaces (candidates for `bind_interface`, e.g. a VPN's `wg0`).
    Interfaces,
    /// Cap the daemon's total download and/or upload rate, at once and in config.toml.
    ///
    /// RATE is bytes per second with an optional unit: `2MB` (2,000,000), `1.5MiB`, `800k`;
    /// `off` removes the cap. Without options, prints the current caps.
    Limit {
        #[arg(long, value_name = "RATE")]
        down: Option<String>,
        #[arg(long, value_name = "RATE")]
        up: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// One JSON array on stdout.
    #[arg(long)]
    json: bool,
    /// How long to listen for devices.
    #[arg(long, default_value_t = 3.0, value_name = "SECS")]
    timeout: f64,
}

#[derive(Debug, Args)]
pub struct PlayArgs {
    /// Magnet link, info hash, .torrent URL or .torrent path.
    pub source: String,
    /// Only serve the stream; do not cast to a device.
    #[arg(long, conflicts_with = "device")]
    pub no_cast: bool,
    /// The Cast device: its name or id (as `magnetcast devices` shows) or HOST[:PORT].
    /// Default: `default_device` from config.toml, else the only device found.
    #[arg(long, value_name = "NAME|ID|HOST[:PORT]")]
    pub device: Option<String>,
    /// The file to play, by index or (part of) its name. Default: the largest video.
    #[arg(long, value_name = "INDEX|NAME")]
    pub file: Option<FileChoice>,
    /// Print events as JSON lines on stdout instead of a progress bar.
    #[arg(long)]
    pub json: bool,
    /// Also connect to this peer (IP:PORT); may be repeated.
    #[arg(long = "peer", value_name = "IP:PORT")]
    pub peers: Vec<SocketAddr>,
    /// Download into `download_dir` to keep, instead of the streaming cache.
    #[arg(long)]
    pub keep: bool,
    /// Show this subtitle file (.srt, .vtt, .ass…) from this computer.
    #[arg(long, value_name = "FILE")]
    pub subtitles: Option<std::path::PathBuf>,
    /// Play here: open the stream in this computer's browser (with its subtitles).
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep serving the stream after the check, until Ctrl-C, to open it in a player.
    #[arg(long)]
    serve: bool,
    /// Print events as JSON lines on stdout.
    #[arg(long)]
    json: bool,
}

pub struct Ctx {
    pub paths: Paths,
    pub config: Config,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    magnetcast::cast::install_default_provider();
    let paths = Paths::resolve(cli.home.as_deref())?;
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _log_guard = magnetcast::logging::init(&paths.log_dir(), level);
    let config = Config::load(&paths)?;
    let ctx = Ctx { paths, config };
    match cli.command {
        Command::Play(args) => play::run(ctx, args).await,
        Command::Demo(args) => demo::run(ctx, args).await,
        Command::Devices(args) => devices::run(ctx, args).await,
        Command::Daemon => control::daemon(ctx).await,
        Command::Status { json, follow } => control::status(ctx, json, follow).await,
        Command::Pause { device } => {
            control::send(ctx, magnetcast::protocol::Command::Pause { device }).await
        }
        Command::Resume { device } => {
            control::send(ctx, magnetcast::protocol::Command::Resume { device }).await
        }
        Command::Seek { position, device } => control::seek(ctx, &position, device).await,
        Command::Volume { level, device } => control::volume(ctx, &level, device).await,
        Command::Stop { device } => {
            control::send(ctx, magnetcast::protocol::Command::Stop { device }).await
        }
        Command::Subtitles { track, device } => {
            let track = match track.as_str() {
                "off" | "none" => None,
                id => Some(id.parse().map_err(|_| {
                    anyhow::anyhow!("subtitles takes a track id or `off`, not {id:?}")
                })?),
            };
            control::send(
                ctx,
                magnetcast::protocol::Command::Subtitles { track, device },
            )
            .await
        }
        Command::Install {
            browser,
            dir,
            system,
        } => {
            let browsers = match (browser.is_empty(), &dir) {
                (false, _) => browser,
                (true, None) => magnetcast::install::Browser::ALL.to_vec(),
                (true, Some(_)) => anyhow::bail!(
                    "with --dir, name the browser (--browser chromium or --browser firefox)"
                ),
            };
            let said = magnetcast::install::install(&ctx.paths, &browsers, dir.as_deref(), system)?;
            said.iter().for_each(|line| println!("{line}"));
            Ok(())
        }
        Command::Limit { down, up } => control::limit(ctx, down, up).await,
        Command::Keep { torrent } => control::keep(ctx, &torrent).await,
        Command::Interfaces => {
            magnetcast::engine::interface_names()
                .iter()
                .for_each(|n| println!("{n}"));
            Ok(())
        }
        Command::Uninstall => {
            let said = magnetcast::install::uninstall(&ctx.paths)?;
            said.iter().for_each(|line| println!("{line}"));
            Ok(())
        }
    }
}

/// Relay mode, as the browser starts us: paths from `MAGNETCAST_HOME` or the OS defaults.
pub async fn relay() -> anyhow::Result<()> {
    let home = std::env::var_os("MAGNETCAST_HOME").map(PathBuf::from);
    let paths = Paths::resolve(home.as_deref())?;
    let _log_guard = magnetcast::logging::init(&paths.log_dir(), tracing::Level::WARN);
    magnetcast::relay::run(paths).await?;
    Ok(())
}
