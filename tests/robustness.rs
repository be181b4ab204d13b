//! Faults and bad input that must end in a clear answer and a working engine: the only seeder
//! going away mid-stream and coming back, players that open many connections and drop them,
//! corrupt and hostile `.torrent` files (a seeded mutation fuzz), and HTTP requests no player
//! should send. (The rest of the matrix is in specs/006-robustness/spec.md with its tests.)

#[path = "harness/mod.rs"]
mod harness;

use std::time::Duration;

use bytes::Bytes;
use harness::{Rig, Seeded, get, seeded, wait_for};
use magnetcast::seed::{LocalSeeder, SeedOptions};
use magnetcast::{MagnetLink, TorrentSource};
use tokio::io::AsyncReadExt;

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_only_seeder_going_away_stalls_the_stream_and_its_return_resumes_it() {
    let Seeded {
        src,
        original,
        work,
        seed,
    } = seeded(20, 2000, Some(500_000)).await;
    let rig = Rig::new().await;
    let t = rig.add_magnet(&seed.magnet()).await;
    let mut stream = rig
        .engine
        .open_stream(&t.info_hash, t.selected(), 0)
        .await
        .unwrap();
    let mut got = vec![0u8; 1_000_000];
    tokio::time::timeout(T, stream.read_exact(&mut got))
        .await
        .expect("the first MB within 60 s")
        .unwrap();

    // The seeder's process is gone: no peer is left and the stream waits, it does not fail.
    let (addr, dir) = (seed.addr, work.path().join("seed"));
    seed.stop().await;
    drop(seed);
    let progress = || rig.engine.progress(&t.info_hash).unwrap();
    wait_for("no peer left", T, || async {
        (progress().peers == 0).then_some(())
    })
    .await;
    let stalled = progress();
    assert!(!stalled.finished, "{stalled:?}");

    // It comes back where it was; the client finds it again and the stream reads to the end.
    let back = LocalSeeder::start(
        &dir.join(src.file_name().unwrap()),
        SeedOptions {
            piece_length: Some(64 * 1024),
            listen_port: addr.port(),
            ..Default::default()
        },
    )
    .await
    .expect("the seeder restarts on its port");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(120), stream.read_to_end(&mut rest))
        .await
        .expect("the stream resumes within 120 s of the seeder's return")
        .unwrap();
    got.extend(rest);
    assert!(got == original, "the stream's bytes equal the source");
    assert!(progress().downloaded > stalled.downloaded);
    back.stop().await;
    rig.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_stream_connections_release_their_streams_and_the_download_goes_on() {
    let Seeded { original, seed, .. } = seeded(20, 2000, Some(800_000)).await;
    let rig = Rig::new().await;
    let t = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&t);
    let len = original.len() as u64;

    // 200 requests at once, far more than the 64 blocking permits streams share with disk
    // writes; each reads its headers and is dropped without reading the body.
    let http = harness::http();
    let opened = futures::future::join_all((0..200u64).map(|i| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let at = i * 7919 % len;
            http.get(&url)
                .header("Range", format!("bytes={at}-"))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    }))
    .await;
    assert!(
        opened.iter().all(|r| matches!(r, Ok(206))),
        "every request answered 206: {:?}",
        opened.iter().find(|r| !matches!(r, Ok(206)))
    );
    // Dropped: every stream is released and the download completes.
    wait_for("the abandoned streams released", T, || async {
        (rig.engine.progress(&t.info_hash).unwrap().streams == 0).then_some(())
    })
    .await;
    rig.finished(&t, T).await;
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert!(body == original);
    rig.engine.shutdown().await;
}

/// A small xorshift generator: the fuzz below is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A bencoded single-file torrent whose file is named by `path` components.
fn torrent_with_path(path: &[&str]) -> Vec<u8> {
    let mut info = Vec::new();
    info.extend(b"d5:filesld6:lengthi100e4:pathl");
    for p in path {
        info.extend(format!("{}:{p}", p.len()).as_bytes());
    }
    info.extend(b"eee4:name4:evil12:piece lengthi16384e6:pieces20:");
    info.extend([0u8; 20]);
    info.extend(b"e");
    let mut t = b"d4:info".to_vec();
    t.extend(info);
    t.extend(b"e");
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_hostile_torrents_are_refused_with_a_reason_and_nothing_changes() {
    let Seeded { seed, .. } = seeded(6, 1000, None).await;
    let rig = Rig::new().await;
    let engine = &rig.engine;
    let add = |bytes: Vec<u8>| {
        let engine = engine.clone();
        async move {
            let source = TorrentSource::from_bytes(Bytes::from(bytes))?;
            engine.add(source, Default::default()).await
        }
    };

    // Paths that climb out of the download folder.
    for path in [&["..", "..", "etc", "passwd"][..], &["a/../../b"], &[""]] {
        let err = add(torrent_with_path(path)).await.unwrap_err().to_string();
        assert!(err.contains("invalid .torrent file"), "{path:?}: {err}");
    }
    let huge = vec![b'd'; 20 * 1024 * 1024];
    let err = add(huge).await.unwrap_err().to_string();
    assert!(err.contains("at most"), "{err}");

    // Mutations of a real .torrent: flipped bytes, cut ends, spliced garbage.
    let good = seed.torrent_bytes.to_vec();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let (mut refused, mut accepted) = (0usize, 0usize);
    const CASES: usize = 3000;
    for case in 0..CASES {
        let mut bytes = good.clone();
        match case % 3 {
            0 => {
                for _ in 0..=rng.below(8) {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            _ => {
                let i = rng.below(bytes.len());
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                bytes.splice(i..i, junk);
            }
        }
        match add(bytes).await {
            Ok(t) => {
                // A mutation librqbit still accepts (e.g. inside a piece hash): a valid torrent.
                accepted += 1;
                engine.remove(&t.info_hash, true).await.unwrap();
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().trim().is_empty());
            }
        }
    }
    eprintln!("torrent mutations: {CASES} cases, {refused} refused, {accepted} still valid");
    assert!(refused > CASES / 2);
    assert!(engine.torrents().is_empty(), "nothing was left behind");

    // The engine still works: the real torrent streams.
    let t = rig.add_magnet(&seed.magnet()).await;
    rig.finished(&t, T).await;
    assert_eq!(
        t.info_hash,
        MagnetLink::parse(&seed.magnet()).unwrap().info_hash
    );
    rig.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_no_player_sends_get_clear_http_errors() {
    let Seeded { original, seed, .. } = seeded(6, 1000, None).await;
    let rig = Rig::new().await;
    let t = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&t);
    let send = |req: reqwest::RequestBuilder| async move {
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    let http = harness::http();

    let two = http
        .get(&url)
        .header("Range", "bytes=0-1")
        .header("Range", "bytes=5-9");
    let (status, body) = send(two).await;
    assert_eq!(status, 400);
    assert!(body.contains("more than one Range header"), "{body}");
    let (status, body) = send(http.get(&url).header("Range", "bytes=0-1,5-9")).await;
    assert_eq!(status, 416);
    assert!(body.contains("multiple ranges are not supported"), "{body}");
    for bad in ["bytes=9-1", "bytes=x-", "items=0-1", "bytes=--1"] {
        let (status, body) = send(http.get(&url).header("Range", bad)).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH"] {
        let req = http.request(method.parse().unwrap(), &url);
        assert_eq!(send(req).await.0, 405, "{method}");
    }
    let traversal = format!("http://{}/s/%2e%2e/%2e%2e/etc/passwd", rig.stream_addr());
    assert_eq!(get(&traversal, None).await.0, 404);

    // None of it disturbed the stream.
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert!(body == original);
    rig.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_clients_are_dropped_and_do_not_block_players() {
    use tokio::io::AsyncWriteExt;
    let Seeded { original, seed, .. } = seeded(6, 1000, None).await;
    let rig = Rig::new().await;
    let t = rig.add_magnet(&seed.magnet()).await;
    let url = rig.url(&t);

    // 300 clients that start a request and never finish their headers.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut s = tokio::net::TcpStream::connect(rig.stream_addr())
            .await
            .unwrap();
        s.write_all(b"GET /s/ HTTP/1.1\r\nHost: tv\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    // A player is served meanwhile.
    let (status, _, body) = get(&url, None).await;
    assert_eq!(status, 200);
    assert!(body == original);
    // Each slow client is cut off after the header timeout (10 s): its socket reads end of file.
    for mut s in slow {
        let mut buf = [0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return 0,
                    Ok(_) => continue, // a 408 before the close is fine
                }
            }
        })
        .await
        .expect("the server closes a client that never sends its headers");
        assert_eq!(n, 0);
    }
    rig.engine.shutdown().await;
}
