//! Disk space: a torrent whose file cannot fit on the disk is refused with a clear
//! error before anything is written, and one that fits downloads. The folder is a small tmpfs the
//! test mounts (as root; skipped otherwise).

#[path = "harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::{Rig, seeded, wait_for};

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_cannot_fit_is_refused_before_download_and_one_that_fits_downloads() {
    let big = seeded(20, 2000, None).await; // about 5 MB
    let small = seeded(6, 1000, None).await; // about 0.8 MB
    let work = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&work.path().join("small-disk"), "3m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let rig = Rig::with_config(|c| on_small_disk(c, &disk.0)).await;

    let source = magnetcast::TorrentSource::Magnet(
        magnetcast::MagnetLink::parse(&big.seed.magnet()).unwrap(),
    );
    let err = rig
        .engine
        .add(source, Default::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not enough disk space")
            && err.contains("MB free")
            && err.contains(&big.seed.name),
        "{err}"
    );
    assert!(rig.engine.torrents().is_empty(), "nothing was added");
    assert_eq!(
        std::fs::read_dir(&disk.0).unwrap().count(),
        0,
        "nothing was written"
    );

    let t = rig.add_magnet(&small.seed.magnet()).await;
    rig.finished(&t, std::time::Duration::from_secs(60)).await;
    assert!(std::fs::read(rig.file_of(&t)).unwrap() == small.original);
    rig.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_pause_when_the_disk_fills_up_and_resume_when_there_is_room() {
    use magnetcast::engine::TorrentEvent;
    let big = seeded(20, 2000, Some(300_000)).await; // about 5 MB, slowly
    let work = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&work.path().join("small-disk"), "8m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let rig = Rig::with_config(|c| on_small_disk(c, &disk.0)).await;
    let mut events = rig.engine.subscribe();
    let t = rig.add_magnet(&big.seed.magnet()).await;
    let progress = || rig.engine.progress(&t.info_hash).unwrap();
    let t60 = std::time::Duration::from_secs(60);
    wait_for("the download under way", t60, || async {
        (progress().downloaded > 0).then_some(())
    })
    .await;

    // Something else takes the space: 1.5 MB are left for the 4+ MB still to come.
    let filler = work.path().join("small-disk/filler");
    let free = free_bytes(&disk.0);
    std::fs::write(&filler, vec![0u8; (free - 1_500_000) as usize]).unwrap();
    let paused = wait_for("downloads paused for space", t60, || async {
        let p = progress();
        (p.state == "paused").then_some(p)
    })
    .await;
    assert!(
        paused
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("disk full"),
        "{paused:?}"
    );
    let said = std::iter::from_fn(|| events.try_recv().ok()).find_map(|e| match e {
        TorrentEvent::Error { message, .. } if message.contains("disk full") => Some(message),
        _ => None,
    });
    assert!(
        said.is_some_and(|m| m.contains("paused until there is room")),
        "an error event tells why"
    );
    assert!(paused.downloaded < paused.total);

    // Room again: the download resumes by itself, keeps what it had, and completes intact.
    std::fs::remove_file(&filler).unwrap();
    wait_for("the download complete", t60, || async {
        let p = progress();
        assert!(
            p.downloaded >= paused.downloaded,
            "verified bytes were lost"
        );
        p.finished.then_some(())
    })
    .await;
    assert!(std::fs::read(rig.file_of(&t)).unwrap() == big.original);
    rig.engine.shutdown().await;
}

/// Streams to the small disk; the cache's own limit is lifted so that the disk is what runs out.
fn on_small_disk(config: &mut magnetcast::Config, dir: &Path) {
    config.cache_dir = Some(dir.to_path_buf());
    config.cache_limit = Some(u64::MAX);
}

/// Free bytes for an unprivileged writer, as coreutils `stat -f` reads them from statvfs.
fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("stat")
        .args(["-f", "-c", "%a %S"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut it = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
    it.next().unwrap() * it.next().unwrap()
}
