//! Native-messaging framing: a u32 length in native byte order, then that many bytes of UTF-8
//! JSON. Blocking std I/O on purpose: stdin and stdout are pipes the relay owns for its life.

use std::io::{self, Read, Write};

use byteorder::{NativeEndian, ReadBytesExt, WriteBytesExt};

/// A large `.torrent` travels base64-encoded; Chrome itself allows 64 MiB towards the host.
pub const MAX_INCOMING: u32 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended cleanly between frames: the browser closed the port.
    #[error("end of input")]
    Eof,
    /// The stream ended inside a frame: nothing more can be read in step.
    #[error("input ended inside a frame")]
    Truncated,
    /// The frame was skipped; the stream is still in step.
    #[error("message of {0} bytes is over the {MAX_INCOMING}-byte limit")]
    TooLarge(u32),
    #[error("{0}")]
    Io(io::Error),
}

/// Reads one frame. An oversized frame is read past (not kept) so the next one can be read.
pub fn read_frame(r: &mut impl Read, max: u32) -> Result<Vec<u8>, FrameError> {
    let mut len_bytes = [0u8; 4];
    match read_full(r, &mut len_bytes)? {
        0 => return Err(FrameError::Eof),
        4 => {}
        _ => return Err(FrameError::Truncated),
    }
    let len = (&len_bytes[..])
        .read_u32::<NativeEndian>()
        .expect("4 bytes");
    if len > max {
        let skipped =
            io::copy(&mut r.take(u64::from(len)), &mut io::sink()).map_err(FrameError::Io)?;
        if skipped < u64::from(len) {
            return Err(FrameError::Truncated);
        }
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len as usize];
    if read_full(r, &mut body)? < body.len() {
        return Err(FrameError::Truncated);
    }
    Ok(body)
}

pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| io::Error::other("message over 4 GiB"))?;
    w.write_u32::<NativeEndian>(len)?;
    w.write_all(payload)?;
    w.flush()
}

/// Like `read_exact`, but says how much it got before EOF.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, FrameError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_frame(&mut v, payload).unwrap();
        v
    }

    #[test]
    fn oversized_frames_are_skipped_and_the_stream_stays_in_step() {
        let mut input = frame(&[b'x'; 100]);
        input.extend(frame(b"{\"id\":1}"));
        let mut r = &input[..];
        assert!(matches!(
            read_frame(&mut r, 50),
            Err(FrameError::TooLarge(100))
        ));
        assert_eq!(read_frame(&mut r, 50).unwrap(), b"{\"id\":1}");
        assert!(matches!(read_frame(&mut r, 50), Err(FrameError::Eof)));
    }

    #[test]
    fn truncation_is_told_apart_from_a_clean_end() {
        let full = frame(b"hello");
        for cut in 1..full.len() {
            let mut r = &full[..cut];
            assert!(
                matches!(read_frame(&mut r, MAX_INCOMING), Err(FrameError::Truncated)),
                "cut at {cut}"
            );
        }
        let huge_claim = u32::MAX.to_ne_bytes();
        assert!(matches!(
            read_frame(&mut &huge_claim[..], MAX_INCOMING),
            Err(FrameError::Truncated)
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn frames_round_trip(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2048), 0..8)) {
            let mut input = Vec::new();
            for p in &payloads {
                input.extend(frame(p));
            }
            let mut r = &input[..];
            for p in &payloads {
                prop_assert_eq!(&read_frame(&mut r, MAX_INCOMING).unwrap(), p);
            }
            prop_assert!(matches!(read_frame(&mut r, MAX_INCOMING), Err(FrameError::Eof)));
        }

        #[test]
        fn random_bytes_never_panic_and_always_end(bytes in proptest::collection::vec(any::<u8>(), 0..4096), max in 0u32..5000) {
            let mut r = &bytes[..];
            let mut frames = 0;
            loop {
                match read_frame(&mut r, max) {
                    Ok(_) | Err(FrameError::TooLarge(_)) => frames += 1,
                    Err(FrameError::Eof) | Err(FrameError::Truncated) => break,
                    Err(FrameError::Io(e)) => prop_assert!(false, "io error from a slice: {e}"),
                }
                prop_assert!(frames <= bytes.len() / 4 + 1);
            }
        }

        #[test]
        fn any_frame_content_gives_a_reply_not_a_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            // Whatever the bytes, the request parser answers with a request or an error reply.
            let text = String::from_utf8_lossy(&body);
            let _ = crate::protocol::parse_request(&text);
        }
    }
}
