//! `magnetcast play`: engine + stream server + one torrent, until Ctrl-C / SIGTERM.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context;
use magnetcast::engine::{AddOptions, Torrent};
use magnetcast::{Config, Paths, StreamServer, TorrentEngine, TorrentSource};

use super::output::Output;
use super::{Ctx, PlayArgs, cast};

/// A torrent being served: what `play` and `demo` share.
pub struct Playback {
    pub engine: Arc<TorrentEngine>,
    pub server: StreamServer,
    pub torrent: Arc<Torrent>,
    pub url: String,
    pub output: Arc<Output>,
    printer: tokio::task::JoinHandle<()>,
}

impl Playback {
    pub async fn start(
        config: Config,
        paths: &Paths,
        source: TorrentSource,
        add: AddOptions,
        target: Option<IpAddr>,
        json: bool,
    ) -> anyhow::Result<Self> {
        let engine = TorrentEngine::new(config, paths)
            .await
            .context("cannot start the torrent engine")?;
        let server = StreamServer::start(engine.clone(), None).await?;
        tokio::spawn(magnetcast::awake::run(engine.clone()));
        let output = Arc::new(Output::new(json));
        let printer = tokio::spawn({
            let output = output.clone();
            let events = engine.subscribe();
            async move { output.follow(events).await }
        });
        let torrent = tokio::select! {
            t = engine.add(source, add) => t,
            _ = shutdown_signal() => {
                engine.shutdown().await;
                anyhow::bail!("interrupted while fetching metadata");
            }
        };
        let torrent = match torrent {
            Ok(t) => t,
            Err(e) => {
                output.finish();
                engine.shutdown().await;
                return Err(e.into());
            }
        };
        // Reads wait for pieces, so the URL is servable the moment the torrent is added.
        let path = server.publish(&torrent, torrent.selected());
        let url = server.url(&path, target);
        output.stream_url(&url, &torrent.name, &torrent.selected_file().path);
        Ok(Self {
            engine,
            server,
            torrent,
            url,
            output,
            printer,
        })
    }

    pub async fn stop(self) {
        self.server.shutdown();
        self.engine.shutdown().await;
        self.printer.abort();
        self.output.finish();
    }
}

pub async fn run(ctx: Ctx, args: PlayArgs) -> anyhow::Result<()> {
    // A running daemon owns the engine: hand the torrent to it so the cast outlives this command.
    if let Ok(socket) = magnetcast::daemon::client::connect(&ctx.paths).await {
        return super::remote::play(socket, args).await;
    }
    let source = TorrentSource::parse_arg(&args.source)?;
    let add = AddOptions {
        file: args.file,
        peers: args.peers,
        keep: args.keep,
    };
    // Choose the device first: a wrong name should fail before any download starts.
    let device = match args.no_cast {
        true => Err("--no-cast: streaming only".to_string()),
        false => cast::choose(&ctx.config, args.device.as_deref()).await?,
    };
    let target = device.as_ref().ok().map(|d| d.addr.ip());
    let playback = Playback::start(ctx.config, &ctx.paths, source, add, target, args.json).await?;
    let subtitles = match &args.subtitles {
        Some(file) => match playback
            .server
            .add_local_subtitles(&playback.torrent, std::path::absolute(file)?)
        {
            Ok(id) => Some(id),
            Err(e) => {
                playback.stop().await;
                return Err(e.into());
            }
        },
        None => None,
    };
    if args.open {
        let t = &playback.torrent;
        let page = playback
            .server
            .publish_full(t, t.selected(), None)
            .player_path();
        open_here(&playback.output, &playback.server.local_url(&page));
    }
    let session = match device {
        Ok(device) => match cast::start(
            &playback.engine,
            &playback.server,
            device,
            &playback.torrent,
            subtitles,
        )
        .await
        {
            Ok((session, said)) => {
                if let Some(said) = said {
                    playback.output.line(&said);
                }
                Some(session)
            }
            Err(e) => {
                playback.stop().await;
                return Err(e);
            }
        },
        Err(why) => {
            if !args.no_cast {
                playback.output.line(&why);
            }
            None
        }
    };
    let quit = Arc::new(tokio::sync::Notify::new());
    if session.is_some() && super::keys::Keys::available() {
        playback
            .output
            .line("keys: space pause/resume · ←/→ seek 30 s · ↑/↓ volume · m mute · q quit");
    }
    let keys = session
        .clone()
        .and_then(|s| super::keys::Keys::start(s, quit.clone()));
    tokio::select! {
        _ = shutdown_signal() => {}
        _ = quit.notified() => {}
    }
    drop(keys);
    if let Some(session) = session {
        cast::stop(session).await;
    }
    playback.stop().await;
    Ok(())
}

/// "Play here": the stream's page in the default browser (`$BROWSER` when set).
pub fn open_here(output: &Output, page: &str) {
    match webbrowser::open(page) {
        Ok(()) => output.line(&format!("playing here: {page}")),
        Err(e) => output.line(&format!("cannot open a browser ({e}); open {page}")),
    }
}

/// Ctrl-C, or SIGTERM on Unix (what service managers and `kill` send).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
