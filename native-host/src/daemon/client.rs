//! Reaching the daemon: read its runtime file, connect the WebSocket with the token, and start a
//! detached daemon when none answers.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::read_runtime;
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::protocol::{Command, Reply, Request, VERSION};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to the running daemon, if any.
pub async fn connect(paths: &Paths) -> Result<Socket> {
    let info = read_runtime(paths).ok_or_else(|| Error::Daemon("no daemon is running".into()))?;
    let mut request = format!("ws://127.0.0.1:{}/api/v1/ws", info.port)
        .into_client_request()
        .map_err(|e| Error::Daemon(e.to_string()))?;
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", info.token)
            .parse()
            .expect("ascii token"),
    );
    let (socket, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(request),
    )
    .await
    .map_err(|_| Error::Daemon("the daemon did not answer in 5 s".into()))?
    .map_err(|e| Error::Daemon(format!("cannot reach the daemon: {e}")))?;
    Ok(socket)
}

/// Connects, starting a detached daemon first when none answers.
pub async fn connect_or_start(paths: &Paths) -> Result<Socket> {
    if let Ok(s) = connect(paths).await {
        return Ok(s);
    }
    spawn_daemon()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match connect(paths).await {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() >= deadline => {
                return Err(Error::Daemon(format!(
                    "started a daemon but cannot reach it: {e}"
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Starts `magnetcast daemon` outside the caller's session and process group, so the browser
/// killing its native host (Chrome: SIGKILL; Firefox: SIGTERM, on Windows the job object) does
/// not kill the daemon.
pub fn spawn_daemon() -> Result<()> {
    let exe = std::env::current_exe()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("daemon")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    unsafe {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;
        cmd.creation_flags(DETACHED_PROCESS | CREATE_BREAKAWAY_FROM_JOB);
    }
    cmd.spawn()?;
    Ok(())
}

/// Sends one request and waits for its reply, skipping events.
pub async fn request(socket: &mut Socket, command: Command) -> Result<Reply> {
    let id = rand::random::<u32>() as u64;
    let text = serde_json::to_string(&Request {
        v: VERSION,
        id,
        command,
    })?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| Error::Daemon(e.to_string()))?;
    while let Some(message) = socket.next().await {
        let message = message.map_err(|e| Error::Daemon(e.to_string()))?;
        if let Message::Text(t) = message
            && let Ok(reply) = serde_json::from_str::<Reply>(&t)
            && reply.id == id
        {
            return Ok(reply);
        }
    }
    Err(Error::Daemon("the daemon closed the connection".into()))
}
