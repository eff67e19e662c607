//! The live feed: a WebSocket that carries incident, unit, event and
//! position messages as they become durable, filtered by the user's scope.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use crate::App;
use crate::auth::{Action, User};
use crate::error::ApiError;

/// `GET /api/v1/feed` (WebSocket; token in `Authorization` or `?token=`).
pub async fn feed(
    State(app): State<Arc<App>>,
    user: User,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    user.require(Action::Read)?;
    Ok(ws.on_upgrade(move |socket| run(app, user, socket)))
}

async fn run(app: Arc<App>, user: User, mut socket: WebSocket) {
    let mut rx = app.feed.subscribe();
    metrics::gauge!("pingan_feed_clients").increment(1.0);
    let hello = serde_json::json!({"type": "hello", "user": user.username, "scope": user.scope, "at": dispatch::time::format_rfc3339(app.now())});
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        metrics::gauge!("pingan_feed_clients").decrement(1.0);
        return;
    }
    loop {
        tokio::select! {
            item = rx.recv() => match item {
                Ok(item) => {
                    let text = match (&user.scope, &item.positions) {
                        (None, _) => item.json.clone(),
                        (Some(scope), Some(units)) => {
                            let mine: Vec<&serde_json::Value> = units.iter().filter(|(s, _)| s.contains(scope)).map(|(_, v)| v).collect();
                            if mine.is_empty() {
                                continue;
                            }
                            serde_json::json!({"type": "positions", "units": mine}).to_string()
                        }
                        (Some(scope), None) => {
                            if !item.scopes.is_empty() && !item.scopes.contains(scope) {
                                continue;
                            }
                            item.json.clone()
                        }
                    };
                    if user.expires_at <= app.now() || socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    // A slow console missed messages: tell it to reload its state.
                    let msg = serde_json::json!({"type": "resync", "missed": n});
                    if socket.send(Message::Text(msg.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            },
        }
    }
    metrics::gauge!("pingan_feed_clients").decrement(1.0);
}
