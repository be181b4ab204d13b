//! A torrent file opened for reading. librqbit's `FileStream` prioritises pieces from its read
//! position; we wrap it to know where each open stream's playhead is (for `buffered_ahead` and
//! the progress rate) and to forget it the moment the reader is dropped.

use std::io::SeekFrom;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

/// librqbit does not export `FileStream` by name.
pub type BoxedFileStream = Pin<Box<dyn AsyncReadSeek + Send + Sync>>;

pub trait AsyncReadSeek: AsyncRead + AsyncSeek {}
impl<T: AsyncRead + AsyncSeek> AsyncReadSeek for T {}

/// Where one open stream is reading.
#[derive(Debug)]
pub struct StreamCursor {
    pub file_index: usize,
    pub position: AtomicU64,
    /// Milliseconds since `epoch` of the last read, to find the stream the player uses now.
    last_read_ms: AtomicU64,
    /// Since when (ms since `epoch`, plus one) a read waits for a piece; 0 while none does.
    waiting_since_ms: AtomicU64,
    epoch: Instant,
}

impl StreamCursor {
    pub fn last_read_ms(&self) -> u64 {
        self.last_read_ms.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        ms_since(self.epoch)
    }

    /// How long the reader has been waiting for a piece that is not verified yet.
    pub fn waiting(&self) -> Option<std::time::Duration> {
        match self.waiting_since_ms.load(Ordering::Relaxed) {
            0 => None,
            since => Some(std::time::Duration::from_millis(
                self.now_ms().saturating_sub(since - 1),
            )),
        }
    }
}

/// Cursor times are milliseconds since their set's epoch, so they fit an atomic.
fn ms_since(epoch: Instant) -> u64 {
    epoch.elapsed().as_millis() as u64
}

/// The open streams of one torrent.
#[derive(Debug)]
pub struct StreamSet {
    cursors: Mutex<Vec<Weak<StreamCursor>>>,
    epoch: Instant,
    /// When the last stream was opened, if ever. Watched by the progress poller and the slow
    /// peer check: a new stream switches them to their streaming rate at once.
    opened: tokio::sync::watch::Sender<Option<Instant>>,
}

impl Default for StreamSet {
    fn default() -> Self {
        Self {
            cursors: Mutex::default(),
            epoch: Instant::now(),
            opened: tokio::sync::watch::Sender::new(None),
        }
    }
}

impl StreamSet {
    fn register(&self, file_index: usize) -> Arc<StreamCursor> {
        let cursor = Arc::new(StreamCursor {
            file_index,
            position: AtomicU64::new(0),
            last_read_ms: AtomicU64::new(ms_since(self.epoch)),
            waiting_since_ms: AtomicU64::new(0),
            epoch: self.epoch,
        });
        let mut cursors = self.cursors.lock().unwrap();
        cursors.retain(|c| c.strong_count() > 0);
        cursors.push(Arc::downgrade(&cursor));
        self.opened.send_replace(Some(Instant::now()));
        cursor
    }

    /// Changes each time a stream is opened (from the moment of this call).
    pub fn watch_opened(&self) -> tokio::sync::watch::Receiver<Option<Instant>> {
        self.opened.subscribe()
    }

    /// When the last stream was opened, if ever.
    pub fn last_opened(&self) -> Option<Instant> {
        *self.opened.borrow()
    }

    /// A stream is open, or one was opened within `grace` (a player between two requests).
    pub fn watched(&self, grace: std::time::Duration) -> bool {
        !self.live().is_empty() || self.last_opened().is_some_and(|t| t.elapsed() < grace)
    }

    /// Live cursors; dropped streams disappear here without any explicit close.
    pub fn live(&self) -> Vec<Arc<StreamCursor>> {
        let mut cursors = self.cursors.lock().unwrap();
        cursors.retain(|c| c.strong_count() > 0);
        cursors.iter().filter_map(Weak::upgrade).collect()
    }

    /// An open stream was read (or opened, or moved) within `window`.
    pub fn read_within(&self, window: std::time::Duration) -> bool {
        let now = ms_since(self.epoch);
        self.live()
            .iter()
            .any(|c| now.saturating_sub(c.last_read_ms()) < window.as_millis() as u64)
    }

    /// The longest a reader has been waiting for a piece, if one is.
    pub fn longest_wait(&self) -> Option<std::time::Duration> {
        self.live().iter().filter_map(|c| c.waiting()).max()
    }

    /// The stream the player is using now: the most recently read one.
    pub fn playhead(&self) -> Option<(usize, u64)> {
        self.live()
            .into_iter()
            .max_by_key(|c| c.last_read_ms())
            .map(|c| (c.file_index, c.position.load(Ordering::Relaxed)))
    }
}

pub struct TrackedStream {
    inner: BoxedFileStream,
    cursor: Arc<StreamCursor>,
    len: u64,
}

impl TrackedStream {
    pub(crate) fn new(
        inner: BoxedFileStream,
        set: &StreamSet,
        file_index: usize,
        len: u64,
    ) -> Self {
        Self {
            inner,
            cursor: set.register(file_index),
            len,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = self.inner.as_mut().poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        let c = &self.cursor;
        if n > 0 {
            c.position.fetch_add(n, Ordering::Relaxed);
            c.last_read_ms.store(c.now_ms(), Ordering::Relaxed);
        }
        // librqbit's stream is pending only while the piece under the read is not verified.
        if res.is_pending() {
            let _ = c.waiting_since_ms.compare_exchange(
                0,
                c.now_ms() + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else {
            c.waiting_since_ms.store(0, Ordering::Relaxed);
        }
        res
    }
}

impl AsyncSeek for TrackedStream {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> std::io::Result<()> {
        self.inner.as_mut().start_seek(position)
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        let res = self.inner.as_mut().poll_complete(cx);
        if let Poll::Ready(Ok(pos)) = &res {
            let c = &self.cursor;
            c.position.store(*pos, Ordering::Relaxed);
            c.last_read_ms.store(c.now_ms(), Ordering::Relaxed);
            c.waiting_since_ms.store(0, Ordering::Relaxed);
        }
        res
    }
}
