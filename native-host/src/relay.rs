//! Relay mode: what the browser starts. It frames stdin/stdout (native messaging) and forwards
//! each message unchanged to the daemon's WebSocket and back, starting the daemon when none
//! answers. It stays small: all logic lives in the daemon.

use std::io::Read;

use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::daemon::client;
use crate::framing::{self, FrameError, MAX_INCOMING};
use crate::paths::Paths;
use crate::protocol::{ErrorCode, HostMessage, MAX_HOST_MESSAGE, Reply};

/// Chrome passes the caller's origin (`chrome-extension://ID/`); Firefox passes the manifest's
/// path and the add-on's id.
pub fn is_browser_launch(args: &[String]) -> bool {
    args.iter()
        .skip(1)
        .any(|a| a.starts_with("chrome-extension://"))
        || (args.len() >= 3
            && args[1].ends_with(".json")
            && (args[2].contains('@') || args[2].starts_with('{')))
}

enum FromBrowser {
    Message(String),
    Refused(Reply),
    End,
}

/// Runs until the browser closes stdin (or the daemon goes away).
pub async fn run(paths: Paths) -> crate::Result<()> {
    let (to_browser, mut outgoing) = mpsc::channel::<Vec<u8>>(256);
    // stdout: only frames, written by one thread.
    let writer = std::thread::spawn(move || {
        let mut stdout = std::io::stdout().lock();
        while let Some(frame) = outgoing.blocking_recv() {
            if framing::write_frame(&mut stdout, &frame).is_err() {
                break;
            }
        }
    });
    let (from_browser_tx, mut from_browser) = mpsc::channel::<FromBrowser>(64);
    std::thread::spawn(move || read_stdin(std::io::stdin().lock(), from_browser_tx));

    let send_reply =
        |reply: Reply| serde_json::to_vec(&HostMessage::Reply(reply)).unwrap_or_default();
    let socket = match client::connect_or_start(&paths).await {
        Ok(s) => s,
        Err(e) => {
            let _ = to_browser
                .send(send_reply(Reply::error(
                    0,
                    ErrorCode::Internal,
                    e.to_string(),
                )))
                .await;
            drop(to_browser);
            let _ = writer.join();
            return Err(e);
        }
    };
    let (mut ws_tx, mut ws_rx) = socket.split();
    loop {
        tokio::select! {
            incoming = from_browser.recv() => match incoming {
                Some(FromBrowser::Message(text)) => {
                    if ws_tx.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(FromBrowser::Refused(reply)) => {
                    let _ = to_browser.send(send_reply(reply)).await;
                }
                Some(FromBrowser::End) | None => break,
            },
            message = ws_rx.next() => match message {
                Some(Ok(Message::Text(text))) if text.len() < MAX_HOST_MESSAGE => {
                    if to_browser.send(text.as_bytes().to_vec()).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    let reply = Reply::error(0, ErrorCode::Internal, "the magnetcast daemon went away");
                    let _ = to_browser.send(send_reply(reply)).await;
                    break;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = ws_tx.close().await;
    drop(to_browser);
    let _ = writer.join();
    Ok(())
}

/// Reads frames until EOF; bad frames are answered, and the relay goes on while it can.
fn read_stdin(mut stdin: impl Read, tx: mpsc::Sender<FromBrowser>) {
    loop {
        let item = match framing::read_frame(&mut stdin, MAX_INCOMING) {
            Ok(bytes) => check(bytes),
            Err(FrameError::TooLarge(n)) => FromBrowser::Refused(Reply::error(
                0,
                ErrorCode::FrameTooLarge,
                format!("message of {n} bytes is over the {MAX_INCOMING}-byte limit"),
            )),
            Err(FrameError::Eof | FrameError::Truncated | FrameError::Io(_)) => {
                let _ = tx.blocking_send(FromBrowser::End);
                return;
            }
        };
        if tx.blocking_send(item).is_err() {
            return;
        }
    }
}

/// Only well-formed JSON objects go to the daemon; the rest is answered here.
fn check(bytes: Vec<u8>) -> FromBrowser {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            return FromBrowser::Refused(Reply::error(
                0,
                ErrorCode::BadRequest,
                "message is not UTF-8",
            ));
        }
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(_)) => FromBrowser::Message(text),
        Ok(_) => FromBrowser::Refused(Reply::error(
            0,
            ErrorCode::BadRequest,
            "a request is a JSON object",
        )),
        Err(e) => FromBrowser::Refused(Reply::error(
            0,
            ErrorCode::BadRequest,
            format!("not JSON: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_launches_are_recognised() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_browser_launch(&a(&[
            "magnetcast",
            "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
        ])));
        assert!(is_browser_launch(&a(&[
            "magnetcast",
            "--parent-window=0",
            "chrome-extension://x/"
        ])));
        assert!(is_browser_launch(&a(&[
            "magnetcast",
            "/home/u/.mozilla/native-messaging-hosts/org.magnetcast.host.json",
            "magnetcast@magnetcast.org"
        ])));
        assert!(!is_browser_launch(&a(&[
            "magnetcast",
            "play",
            "magnet:?xt=urn:btih:x"
        ])));
        assert!(!is_browser_launch(&a(&["magnetcast", "status"])));
    }

    #[test]
    fn only_json_objects_pass() {
        assert!(matches!(
            check(b"{\"id\":1}".to_vec()),
            FromBrowser::Message(_)
        ));
        assert!(matches!(check(b"[1]".to_vec()), FromBrowser::Refused(_)));
        assert!(matches!(check(vec![0xff, 0xfe]), FromBrowser::Refused(_)));
        assert!(matches!(check(b"{nope".to_vec()), FromBrowser::Refused(_)));
    }
}
