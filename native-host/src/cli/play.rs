//! `magnetcast play`: engine + stream server + one torrent, until Ctrl-C / SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use magnetcast::engine::AddOptions;
use magnetcast::{Config, Paths, StreamServer, TorrentEngine, TorrentSource};

use super::output::Output;
use super::{Ctx, PlayArgs};

/// A torrent being served: what `play` and `demo` share.
pub struct Playback {
    pub engine: Arc<TorrentEngine>,
    pub server: StreamServer,
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
        json: bool,
    ) -> anyhow::Result<Self> {
        let engine = TorrentEngine::new(config, paths)
            .await
            .context("cannot start the torrent engine")?;
        let server = StreamServer::start(engine.clone(), None).await?;
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
        let path = server.publish(&torrent, torrent.selected);
        let url = server.url(&path, None);
        output.stream_url(&url, &torrent.name, &torrent.selected_file().path);
        Ok(Self {
            engine,
            server,
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
    let source = TorrentSource::parse_arg(&args.source)?;
    let add = AddOptions {
        file: args.file,
        peers: args.peers,
    };
    let playback = Playback::start(ctx.config, &ctx.paths, source, add, args.json).await?;
    if !args.no_cast {
        playback
            .output
            .line("no Cast device support in this build yet: open the stream URL in a player");
    }
    shutdown_signal().await;
    playback.stop().await;
    Ok(())
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
