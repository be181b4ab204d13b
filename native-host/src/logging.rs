//! Logs go to stderr and to a daily file under the data dir, never to stdout: in relay mode
//! stdout is the native-messaging protocol, and in the CLI it carries the stream URL and JSON.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// `stderr_level` is what the terminal sees; the file always gets `info` and up (or `RUST_LOG`).
/// Keep the guard alive for the life of the process, or buffered lines are lost.
pub fn init(log_dir: &Path, stderr_level: tracing::Level) -> Option<WorkerGuard> {
    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new("info,librqbit=warn,librqbit_dht=warn,librqbit_utp=warn")
        })
    };
    let stderr = std::io::stderr.with_max_level(stderr_level);
    let (file, guard) = match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::daily(log_dir, "magnetcast.log");
            let (w, g) = tracing_appender::non_blocking(appender);
            (Some(w), Some(g))
        }
        Err(_) => (None, None),
    };
    let result = match file {
        Some(file) => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(stderr.and(file))
            .with_ansi(false)
            .try_init(),
        None => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(stderr)
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
    guard
}
