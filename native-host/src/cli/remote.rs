//! `play` when a daemon runs: the daemon adds and casts; this command shows progress and stops
//! the cast on Ctrl-C.

use anyhow::bail;
use futures::StreamExt;
use magnetcast::TorrentEvent;
use magnetcast::daemon::client::{self, Socket};
use magnetcast::protocol::Command;
use tokio_tungstenite::tungstenite::Message;

use super::PlayArgs;
use super::control::result;
use super::output::Output;
use super::play::shutdown_signal;

pub async fn play(mut socket: Socket, args: PlayArgs) -> anyhow::Result<()> {
    let path = std::path::Path::new(&args.source);
    let (source, torrent_base64) = if path.is_file() {
        let bytes = std::fs::read(path)?;
        (None, Some(data_encoding::BASE64.encode(&bytes)))
    } else {
        (Some(args.source.clone()), None)
    };
    let output = Output::new(args.json);
    let file = args.file.map(|f| match f {
        magnetcast::engine::FileChoice::Index(i) => i.to_string(),
        magnetcast::engine::FileChoice::Name(n) => n,
    });
    let added = result(
        client::request(
            &mut socket,
            Command::Add {
                source,
                torrent_base64,
                file,
                device: None,
                keep: args.keep,
            },
        )
        .await?,
    )?;
    let torrent = added["torrent"].as_str().unwrap_or_default().to_string();
    let mut url = added["stream_url"].as_str().unwrap_or_default().to_string();
    let mut device = None;
    let subtitles = match &args.subtitles {
        Some(file) => {
            let path = std::path::absolute(file)?.to_string_lossy().into_owned();
            let added = result(
                client::request(
                    &mut socket,
                    Command::SubtitlesAdd {
                        torrent: torrent.clone(),
                        path,
                    },
                )
                .await?,
            )?;
            added["track"].as_u64().map(|t| t as u32)
        }
        None => None,
    };
    if args.open {
        let page = added["player_url"].as_str().unwrap_or_default();
        super::play::open_here(&output, page);
    }
    if !args.no_cast {
        match result(
            client::request(
                &mut socket,
                Command::Play {
                    torrent: torrent.clone(),
                    device: args.device.clone(),
                    subtitles,
                },
            )
            .await?,
        ) {
            Ok(cast) => {
                url = cast["stream_url"].as_str().unwrap_or(&url).to_string();
                device = cast["device"].as_str().map(str::to_string);
                if let Some(reason) = cast["verdict"]["reason"].as_str() {
                    output.line(reason);
                }
            }
            Err(e) if args.device.is_some() => return Err(e),
            Err(e) => output.line(&format!("{e:#}; streaming only")),
        }
    }
    output.stream_url(
        &url,
        added["name"].as_str().unwrap_or_default(),
        added["file"]["path"].as_str().unwrap_or_default(),
    );
    loop {
        tokio::select! {
            _ = shutdown_signal() => break,
            m = socket.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(event) = serde_json::from_str::<TorrentEvent>(&t)
                        && concerns(&event, &torrent, device.as_deref())
                    {
                        output.event(&event);
                    }
                }
                Some(Ok(_)) => {}
                _ => bail!("the daemon closed the connection"),
            },
        }
    }
    if let Some(device) = device {
        let _ = client::request(
            &mut socket,
            Command::Stop {
                device: Some(device),
            },
        )
        .await;
    }
    output.finish();
    Ok(())
}

fn concerns(event: &TorrentEvent, torrent: &str, device: Option<&str>) -> bool {
    match event {
        TorrentEvent::Progress(p) => p.torrent == torrent,
        TorrentEvent::Completed { torrent: t } | TorrentEvent::Metadata { torrent: t, .. } => {
            t == torrent
        }
        TorrentEvent::Cast(s) => Some(s.device.as_str()) == device,
        TorrentEvent::Error { torrent: t, .. } => t.as_deref().is_none_or(|t| t == torrent),
        _ => false,
    }
}
