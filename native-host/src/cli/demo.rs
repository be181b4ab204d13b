//! `magnetcast demo`: proves the whole path works on this machine, offline. A local seeder
//! (a second librqbit session on loopback) serves the bundled sample; we add its magnet link,
//! stream it over real HTTP and compare every byte.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use futures::StreamExt;
use magnetcast::engine::AddOptions;
use magnetcast::seed::{LocalSeeder, SeedOptions};
use magnetcast::{Config, MagnetLink, TorrentSource};

use super::play::{Playback, shutdown_signal};
use super::{Ctx, DemoArgs};

const SAMPLE: &[u8] = include_bytes!("../../assets/sample.mp4");
const SAMPLE_NAME: &str = "magnetcast-sample.mp4";

pub async fn run(ctx: Ctx, args: DemoArgs) -> anyhow::Result<()> {
    let work = tempfile::Builder::new()
        .prefix("magnetcast-demo-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let seed_dir = work.path().join("seed");
    std::fs::create_dir_all(&seed_dir)?;
    let sample = seed_dir.join(SAMPLE_NAME);
    std::fs::write(&sample, SAMPLE)?;
    let seeder = LocalSeeder::start(
        &sample,
        SeedOptions {
            // Small pieces, so even the short sample downloads in many verified pieces.
            piece_length: Some(32 * 1024),
            ..Default::default()
        },
    )
    .await
    .context("cannot start the local seeder")?;

    // The user's config, minus everything that would reach beyond this machine.
    let config = Config {
        download_dir: Some(work.path().join("download")),
        listen_host: Some("127.0.0.1".into()),
        listen_port: 0,
        dht: false,
        local_discovery: false,
        upnp: false,
        trackers: Vec::new(),
        ..ctx.config
    };
    let magnet = seeder.magnet();
    // The demo's torrent lives and dies with the temporary folder, not in the user's session.
    let mut paths = magnetcast::Paths::under(&work.path().join("home"));
    paths.config_dir = ctx.paths.config_dir.clone();
    let started = Instant::now();
    let playback = Playback::start(
        config,
        &paths,
        TorrentSource::Magnet(MagnetLink::parse(&magnet)?),
        AddOptions::default(),
        None,
        args.json,
    )
    .await?;
    let out = playback.output.clone();
    out.line(&format!(
        "seeding {SAMPLE_NAME} from {} — magnet: {magnet}",
        seeder.addr
    ));
    let url_after = started.elapsed();

    let check = verify(&playback.url).await;
    let result = check.map(|(first_byte, whole)| {
        out.line(&format!(
            "demo: OK — {} bytes streamed and verified; stream URL after {} ms, first byte after {} ms, whole file after {} ms",
            SAMPLE.len(),
            url_after.as_millis(),
            (url_after + first_byte).as_millis(),
            (url_after + whole).as_millis(),
        ));
    });
    if result.is_ok() && args.serve {
        out.line("serving until Ctrl-C; open the stream URL in a player");
        shutdown_signal().await;
    }
    playback.stop().await;
    seeder.stop().await;
    result
}

/// Fetches the stream like a player would (a full GET, then a Range in the middle) and
/// compares it with the sample. Returns (time to first byte, time to the whole file).
async fn verify(url: &str) -> anyhow::Result<(Duration, Duration)> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let response = client.get(url).send().await.context("GET stream")?;
    ensure!(
        response.status().is_success(),
        "stream answered {}",
        response.status()
    );
    let mut body = Vec::with_capacity(SAMPLE.len());
    let mut first_byte = None;
    let mut chunks = response.bytes_stream();
    let deadline = Duration::from_secs(120);
    while let Some(chunk) = tokio::time::timeout(deadline, chunks.next())
        .await
        .context("the stream stalled for 120 s")?
    {
        let chunk = chunk.context("reading the stream")?;
        first_byte.get_or_insert_with(|| start.elapsed());
        body.extend_from_slice(&chunk);
    }
    let whole = start.elapsed();
    ensure!(
        body == SAMPLE,
        "streamed bytes differ from the sample ({} of {} bytes)",
        body.len(),
        SAMPLE.len()
    );

    let (a, b) = (SAMPLE.len() / 2, SAMPLE.len() / 2 + 9999);
    let part = client
        .get(url)
        .header("Range", format!("bytes={a}-{b}"))
        .send()
        .await?;
    ensure!(
        part.status() == 206,
        "Range request answered {}",
        part.status()
    );
    ensure!(
        part.bytes().await?[..] == SAMPLE[a..=b],
        "Range bytes differ from the sample"
    );
    Ok((first_byte.unwrap_or(whole), whole))
}
