//! The control API on 127.0.0.1: `/api/v1/ws` (the protocol, plus every event), and read-only
//! `GET /api/v1/torrents` and `/api/v1/devices` for scripts. Every request needs the bearer token;
//! a foreign Host (DNS rebinding) or any browser Origin is refused before anything else runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc};

use crate::protocol::{self, Command, ErrorCode, HostMessage, MAX_HOST_MESSAGE, Reply};
use crate::service::Service;

#[derive(Clone)]
struct Api {
    service: Arc<Service>,
    token: Arc<String>,
    port: u16,
    clients: Arc<AtomicUsize>,
}

pub fn router(
    service: Arc<Service>,
    token: String,
    port: u16,
    clients: Arc<AtomicUsize>,
) -> Router {
    let api = Api {
        service,
        token: Arc::new(token),
        port,
        clients,
    };
    Router::new()
        .route("/api/v1/ws", get(ws))
        .route("/api/v1/torrents", get(torrents))
        .route("/api/v1/devices", get(devices))
        .layer(middleware::from_fn_with_state(api.clone(), guard))
        .with_state(api)
}

async fn guard(State(api): State<Api>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host != format!("127.0.0.1:{}", api.port) && host != format!("localhost:{}", api.port) {
        return (StatusCode::FORBIDDEN, "forbidden: unexpected Host\n").into_response();
    }
    if headers.contains_key(header::ORIGIN) {
        return (
            StatusCode::FORBIDDEN,
            "forbidden: browsers talk to magnetcast through the extension\n",
        )
            .into_response();
    }
    let expected = format!("Bearer {}", api.token);
    let authorised = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| constant_time_eq(h.as_bytes(), expected.as_bytes()));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            "unauthorized: the token is in the daemon's runtime file\n",
        )
            .into_response();
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn torrents(State(api): State<Api>) -> Response {
    read_only(
        &api,
        Command::List {
            offset: 0,
            limit: None,
        },
    )
    .await
}

async fn devices(State(api): State<Api>) -> Response {
    read_only(&api, Command::Devices { timeout_secs: None }).await
}

/// The GET endpoints answer like the protocol, with the result (or the error) as the body.
async fn read_only(api: &Api, command: Command) -> Response {
    let request = protocol::Request {
        v: protocol::VERSION,
        id: 0,
        command,
    };
    reply_json(api.service.handle(request).await)
}

fn reply_json(reply: Reply) -> Response {
    let status = if reply.ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        axum::Json(
            reply
                .result
                .unwrap_or_else(|| serde_json::to_value(reply.error).unwrap_or_default()),
        ),
    )
        .into_response()
}

async fn ws(State(api): State<Api>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(crate::framing::MAX_INCOMING as usize + 1024)
        .on_upgrade(move |socket| session(api, socket))
}

/// One client: requests in, replies and every event out.
async fn session(api: Api, socket: WebSocket) {
    api.clients.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (out_tx, mut out_rx) = mpsc::channel::<String>(256);
    let writer = tokio::spawn(async move {
        while let Some(text) = out_rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let mut events = api.service.engine.subscribe();
    let forward = {
        let out_tx = out_tx.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) => {
                        if out_tx.send(encode(&HostMessage::from(e))).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("a client lagged {n} events")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };
    while let Some(Ok(message)) = stream.next().await {
        let text = match message {
            Message::Text(t) => t.to_string(),
            Message::Binary(_) => {
                let _ = out_tx
                    .send(encode(&HostMessage::Reply(Reply::error(
                        0,
                        ErrorCode::BadRequest,
                        "send text frames",
                    ))))
                    .await;
                continue;
            }
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = match protocol::parse_request(&text) {
            Ok(request) => api.service.handle(request).await,
            Err(reply) => reply,
        };
        if out_tx
            .send(encode(&HostMessage::Reply(reply)))
            .await
            .is_err()
        {
            break;
        }
    }
    forward.abort();
    drop(out_tx);
    let _ = writer.await;
    api.clients.fetch_sub(1, Ordering::Relaxed);
}

/// Serialises a host message, replacing one that would pass the 1 MiB cap with an error.
fn encode(message: &HostMessage) -> String {
    let text = serde_json::to_string(message).unwrap_or_default();
    if text.len() < MAX_HOST_MESSAGE {
        return text;
    }
    let id = match message {
        HostMessage::Reply(r) => r.id,
        HostMessage::Event(_) => 0,
    };
    serde_json::to_string(&HostMessage::Reply(Reply::error(
        id,
        ErrorCode::Internal,
        "reply over 1 MiB; ask for a smaller page",
    )))
    .unwrap_or_default()
}
