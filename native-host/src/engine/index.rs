//! The MP4 index (`moov`) a player needs before its first frame. Encoders that do not
//! "fast-start" write it after the media data, at the tail. librqbit gives early priority to
//! the file's first and last piece only, so an index larger than the last piece (a long film's
//! is several MiB) would otherwise be fetched only when the player asks for it, after the head,
//! one round trip later. When a player is prepared for a video (a cast, Play here), this finds
//! where the index is from the box headers and reads it at once, side by side with the head.

use std::io::SeekFrom;
use std::sync::Arc;

use byteorder::{BigEndian, ByteOrder};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tracing::{debug, info};

use super::{Torrent, stream::BoxedFileStream};

/// Top-level boxes walked before giving up (ftyp, free, mdat, moov… real files have a handful).
const MAX_BOXES: usize = 16;

/// Whether `path` is an ISO media file (MP4, MOV, M4V…), by the media table's content type.
pub fn is_iso_media(path: &str) -> bool {
    matches!(
        crate::media::content_type(std::path::Path::new(path)),
        "video/mp4" | "video/quicktime" | "audio/mp4" | "video/3gpp"
    )
}

/// One box header: its type and its whole size (0 = to the end of the file).
fn header(bytes: &[u8; 16]) -> ([u8; 4], u64, u64) {
    let size = BigEndian::read_u32(&bytes[0..4]) as u64;
    let kind = [bytes[4], bytes[5], bytes[6], bytes[7]];
    match size {
        1 => (kind, BigEndian::read_u64(&bytes[8..16]), 16),
        _ => (kind, size, 8),
    }
}

/// Where the `moov` box is (offset, length), walking top-level box headers from the start.
async fn find_moov(
    stream: &mut BoxedFileStream,
    file_len: u64,
) -> std::io::Result<Option<(u64, u64)>> {
    let mut at = 0u64;
    for _ in 0..MAX_BOXES {
        if at + 8 > file_len {
            return Ok(None);
        }
        stream.seek(SeekFrom::Start(at)).await?;
        let mut buf = [0u8; 16];
        let want = (file_len - at).min(16) as usize;
        stream.read_exact(&mut buf[..want]).await?;
        let (kind, size, _) = header(&buf);
        let size = if size == 0 { file_len - at } else { size };
        if &kind == b"moov" {
            return Ok(Some((at, size)));
        }
        if size < 8 {
            return Ok(None);
        }
        at += size;
    }
    Ok(None)
}

/// Reads the index of `file_index` ahead of the player when it is not all in the last piece.
/// Returns the index's (offset, length) when it was fetched.
pub async fn prefetch(torrent: Arc<Torrent>, file_index: usize) -> Option<(u64, u64)> {
    let file = torrent.files.get(file_index)?;
    let piece_len = torrent
        .handle
        .with_metadata(|m| m.info.lengths().default_piece_length() as u64)
        .ok()?;
    let mut stream: BoxedFileStream =
        Box::pin(torrent.handle.clone().stream(file_index).await.ok()?);
    let found = find_moov(&mut stream, file.length).await;
    let (offset, len) = match found {
        Ok(Some(moov)) => moov,
        Ok(None) => return None,
        Err(e) => {
            debug!(torrent = %torrent.name, "no index to prefetch: {e}");
            return None;
        }
    };
    // In the head (fast-start): the player reads it with the first bytes anyway.
    let last_piece_start = file.length.saturating_sub(piece_len);
    if offset < piece_len || offset >= last_piece_start {
        return None;
    }
    info!(torrent = %torrent.name, offset, len, "fetching the MP4 index at the tail first");
    let mut sink = tokio::io::sink();
    stream.seek(SeekFrom::Start(offset)).await.ok()?;
    tokio::io::copy(&mut (&mut stream).take(len), &mut sink)
        .await
        .ok()?;
    Some((offset, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_headers_small_and_large() {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&24u32.to_be_bytes());
        b[4..8].copy_from_slice(b"ftyp");
        assert_eq!(header(&b), (*b"ftyp", 24, 8));
        b[0..4].copy_from_slice(&1u32.to_be_bytes());
        b[4..8].copy_from_slice(b"mdat");
        b[8..16].copy_from_slice(&(5u64 << 32).to_be_bytes());
        assert_eq!(header(&b), (*b"mdat", 5u64 << 32, 16));
        assert!(is_iso_media("Film/Film.MP4") && !is_iso_media("a.mkv"));
    }
}
