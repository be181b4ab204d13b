//! Casting against the test receiver (CASTV2 over TLS, really fetching the stream) and a real
//! librqbit seeder: LOAD, controls and their status coming back, a dying, disconnecting or hung
//! receiver, bad devices.

#[path = "harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{Receiver, Rig, Seeded, magnetcast, seeded, seeder, stream_url, terminate, video};
use magnetcast::TorrentEvent;
use magnetcast::cast::{CastCommand, CastStatus, Device, DeviceSession, Link};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_with_device_makes_the_receiver_fetch_the_exact_bytes_and_stop_closes_the_app() {
    let Seeded {
        original,
        work,
        seed,
        ..
    } = seeded(12, 1500, None).await;
    let mut tv = Receiver::start(&[]).await;

    let started = Instant::now();
    let mut child = magnetcast(&work.path().join("home"))
        .args(["play", &seed.magnet(), "--device", &tv.addr(), "--json"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = stream_url(&mut lines, T).await;
    tv.wait("LOAD of our URL", T, |v| {
        (v["event"] == "message" && v["type"] == "LOAD").then_some(())
    })
    .await;
    tv.wait("first fetch", T, |v| {
        (v["event"] == "fetch" && v["status"] == 206).then_some(())
    })
    .await;
    eprintln!(
        "play → receiver's first media request: {:?}",
        started.elapsed()
    );
    tv.wait("PLAYING", T, |v| {
        (v["event"] == "state" && v["playerState"] == "PLAYING").then_some(())
    })
    .await;
    eprintln!("play → PLAYING: {:?}", started.elapsed());
    let (offset, bytes) = tv.fetched(0, T).await;
    assert_eq!(offset, 0);
    assert!(
        bytes == original,
        "the receiver got {} bytes, not the source's {}",
        bytes.len(),
        original.len()
    );
    assert!(url.contains("/s/"), "{url}");
    // The TV's state came back as cast events on stdout.
    harness::next_json(&mut lines, T, |v| {
        (v["event"] == "cast" && v["player_state"] == "PLAYING").then_some(())
    })
    .await;

    // Quitting stops the TV's player.
    assert!(
        terminate(&mut child, Duration::from_secs(10))
            .await
            .success()
    );
    tv.wait("app stopped", T, |v| {
        (v["event"] == "app_stopped").then_some(())
    })
    .await;
    seed.stop().await;
}

/// A session to the test TV, the engine's events subscribed before it connects.
async fn session_to(
    rig: &Rig,
    tv: &Receiver,
) -> (
    broadcast::Receiver<TorrentEvent>,
    std::sync::Arc<DeviceSession>,
) {
    let events = rig.engine.subscribe();
    let device = Device::manual("test tv", tv.addr().parse().unwrap());
    let session = DeviceSession::connect(device, rig.engine.events.clone())
        .await
        .unwrap();
    (events, session)
}

/// Casts `url` and waits until the TV plays it.
async fn play(
    session: &DeviceSession,
    events: &mut broadcast::Receiver<TorrentEvent>,
    torrent: &magnetcast::engine::Torrent,
    url: String,
) {
    session.send(CastCommand::Load(
        magnetcast::cast::LoadRequest::for_torrent(torrent, url),
    ));
    cast_state(events, "PLAYING", |s| {
        s.player_state.as_deref() == Some("PLAYING")
    })
    .await;
}

/// Waits for an engine event that `pick` accepts.
async fn next_event<T>(
    rx: &mut broadcast::Receiver<TorrentEvent>,
    what: &str,
    pick: impl Fn(TorrentEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + T;
    loop {
        match tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            rx.recv(),
        )
        .await
        {
            Ok(Ok(e)) => {
                if let Some(t) = pick(e) {
                    return t;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event bus closed: {e}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn cast_state(
    rx: &mut broadcast::Receiver<TorrentEvent>,
    what: &str,
    ok: impl Fn(&CastStatus) -> bool,
) -> CastStatus {
    next_event(rx, what, |e| match e {
        TorrentEvent::Cast(s) if ok(&s) => Some(s),
        _ => None,
    })
    .await
}

async fn error_event(rx: &mut broadcast::Receiver<TorrentEvent>, what: &str) -> String {
    next_event(rx, what, |e| match e {
        TorrentEvent::Error { message, .. } => Some(message),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_seek_volume_and_stop_reach_the_receiver_and_come_back_as_status() {
    let Seeded {
        original,
        work: _work,
        seed,
        ..
    } = seeded(12, 1500, None).await;
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&torrent);
    let mut tv = Receiver::start(&["--rate", "2000000"]).await;
    let (mut events, session) = session_to(&rig, &tv).await;
    play(&session, &mut events, &torrent, url.clone()).await;

    session.send(CastCommand::Pause);
    tv.wait("PAUSE", T, |v| {
        (v["event"] == "message" && v["type"] == "PAUSE").then_some(())
    })
    .await;
    cast_state(&mut events, "PAUSED", |s| {
        s.player_state.as_deref() == Some("PAUSED")
    })
    .await;

    // Seek to the middle: a new Range request near the matching byte offset, answered 206.
    let sent = Instant::now();
    session.send(CastCommand::Seek(6.0));
    let (status, offset) = tv
        .wait("fetch after seek", T, |v| {
            (v["event"] == "fetch" && v["index"] == 1)
                .then(|| (v["status"].as_u64().unwrap(), v["offset"].as_u64().unwrap()))
        })
        .await;
    eprintln!(
        "seek → receiver's request at the new offset: {:?}",
        sent.elapsed()
    );
    assert_eq!(status, 206);
    let len = original.len() as u64;
    assert!(
        offset > len * 4 / 10 && offset < len * 6 / 10,
        "offset {offset} of {len}"
    );
    let (_, bytes) = tv.fetched(1, T).await;
    assert!(
        bytes[..] == original[offset as usize..],
        "bytes after the seek differ"
    );
    let s = cast_state(&mut events, "position near 6 s", |s| {
        s.position.is_some_and(|p| (5.5..8.0).contains(&p))
    })
    .await;
    assert_eq!(s.link, Link::Connected);

    session.send(CastCommand::Volume(0.3));
    tv.wait("volume", T, |v| {
        (v["event"] == "volume" && v["level"] == 0.3).then_some(())
    })
    .await;
    cast_state(&mut events, "volume 0.3", |s| s.volume == Some(0.3)).await;
    session.send(CastCommand::Mute(true));
    cast_state(&mut events, "muted", |s| s.muted == Some(true)).await;

    session.send(CastCommand::Stop);
    tv.wait("app stopped", T, |v| {
        (v["event"] == "app_stopped").then_some(())
    })
    .await;
    cast_state(&mut events, "no app", |s| {
        s.app.is_none() && s.player_state.is_none()
    })
    .await;

    // The receiver dies: a clear event and reconnect attempts, not a hang.
    tv.child.kill().await.unwrap();
    let s = cast_state(&mut events, "reconnecting", |s| {
        s.link == Link::Reconnecting
    })
    .await;
    assert!(
        s.reason.as_deref().is_some_and(|r| r.contains("test tv")),
        "{s:?}"
    );
    let s = cast_state(&mut events, "a failed reconnect", |s| {
        s.reason
            .as_deref()
            .is_some_and(|r| r.contains("cannot connect"))
    })
    .await;
    eprintln!("after the receiver died: {:?}", s.reason);
    let closing = tokio::task::spawn_blocking(move || session.close());
    tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .expect("close without hanging")
        .unwrap();
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unsupported_file_gives_an_error_naming_the_url_the_type_and_the_device_reason() {
    let src = video(12, 1500);
    let work = tempfile::tempdir().unwrap();
    let avi = work.path().join("seed/film.avi");
    std::fs::create_dir_all(avi.parent().unwrap()).unwrap();
    std::fs::copy(&src, &avi).unwrap();
    let seed = seeder(&avi, None).await;
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&torrent);
    let tv = Receiver::start(&[]).await;
    let (mut events, session) = session_to(&rig, &tv).await;
    // The file itself, with no conversion to fall back to (as without ffmpeg).
    session.send(CastCommand::Load(magnetcast::cast::LoadRequest {
        content_type: magnetcast::media::content_type(std::path::Path::new("film.avi")).into(),
        ..magnetcast::cast::LoadRequest::for_torrent(&torrent, url.clone())
    }));
    let message = error_event(&mut events, "LOAD_FAILED").await;
    assert!(
        message.contains(&url)
            && message.contains("video/x-msvideo")
            && message.contains("MEDIA_SRC_NOT_SUPPORTED"),
        "{message}"
    );
    tokio::task::spawn_blocking(move || session.close())
        .await
        .unwrap();
    seed.stop().await;
}

#[tokio::test]
async fn unknown_devices_and_refused_ports_are_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let Seeded {
        work: _work, seed, ..
    } = seeded(12, 1500, None).await;
    let refusal = |device: String| {
        let mut cmd = magnetcast(home.path());
        cmd.args(["play", &seed.magnet(), "--device", &device]);
        async move {
            let out = cmd.output().await.unwrap();
            assert!(!out.status.success(), "{device}: play succeeded");
            String::from_utf8_lossy(&out.stderr).into_owned()
        }
    };
    let stderr = refusal("Nonexistent TV".into()).await;
    assert!(
        stderr.contains("no Cast device named \"Nonexistent TV\""),
        "{stderr}"
    );

    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let stderr = refusal(refused.to_string()).await;
    assert!(
        stderr.contains(&format!("cannot connect to {refused}")) && stderr.contains("refused"),
        "{stderr}"
    );
    seed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dropped_connection_and_a_hung_tv_are_noticed_and_the_session_reconnects() {
    let Seeded {
        work: _work, seed, ..
    } = seeded(12, 1500, None).await;
    let rig = Rig::new().await;
    let torrent = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&torrent);
    let mut tv = Receiver::start(&[]).await;
    let (mut events, session) = session_to(&rig, &tv).await;
    play(&session, &mut events, &torrent, url).await;
    let pid = tv.child.id().unwrap().to_string();
    let signal = |name: &str| {
        assert!(
            std::process::Command::new("kill")
                .args(["-s", name, &pid])
                .status()
                .unwrap()
                .success()
        );
    };

    // The TV's TCP connection breaks: noticed at once, and the link comes back by itself.
    signal("USR1");
    // Past the first connection's report, so that "a new connection" below is the new one: the
    // hang must reach it.
    tv.wait("the drop", T, |v| (v["event"] == "dropped").then_some(()))
        .await;
    cast_state(&mut events, "reconnecting after the drop", |s| {
        s.link == Link::Reconnecting
    })
    .await;
    cast_state(&mut events, "connected again", |s| {
        s.link == Link::Connected
    })
    .await;
    tv.wait("a new connection", T, |v| {
        (v["event"] == "connected").then_some(())
    })
    .await;

    // The TV hangs with its socket open: no PONG, so it is given up within the silence limit
    // (15 s) and reached again on a new connection.
    signal("USR2");
    let started = Instant::now();
    let s = cast_state(&mut events, "reconnecting after silence", |s| {
        s.link == Link::Reconnecting
    })
    .await;
    eprintln!(
        "hung TV noticed after {:?}: {:?}",
        started.elapsed(),
        s.reason
    );
    assert!(
        s.reason
            .as_deref()
            .is_some_and(|r| r.contains("stopped answering")),
        "{s:?}"
    );
    cast_state(&mut events, "connected after the hang", |s| {
        s.link == Link::Connected
    })
    .await;
    let closing = tokio::task::spawn_blocking(move || session.close());
    tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .expect("close without hanging")
        .unwrap();
    rig.engine.shutdown().await;
}
