//! The live feed: a WebSocket that carries incident, unit, event and
//! position messages as they become durable, filtered by the user's scope.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use app::{FeedMessage, Position};

use crate::App;
use crate::api::{event_json, incident_json, unit_json};
use crate::auth::{Action, User};
use crate::error::ApiError;

/// `GET /api/v1/feed` (WebSocket; token in `Authorization` or `?token=`).
#[utoipa::path(get, path = "/api/v1/feed", tag = "feed", summary = "Live feed (WebSocket upgrade; token in Authorization or ?token=): incident, unit, event, positions, resync messages",
    params(("token" = Option<String>, Query)), responses((status = 101, description = "Switching protocols")))]
pub async fn feed(
    State(app): crate::api::AppState,
    user: User,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    user.require(Action::Read)?;
    Ok(ws.on_upgrade(move |socket| run(app, user, socket)))
}

async fn run(app: Arc<App>, user: User, mut socket: WebSocket) {
    let mut rx = app.subscribe();
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
                    let text = match (&user.scope, &item.message) {
                        (None, _) => item.text(|m| render(&app, m)).to_string(),
                        (Some(scope), FeedMessage::Positions(all)) => {
                            let mine: Vec<&Position> = all.iter().filter(|p| p.scopes.contains(scope)).collect();
                            if mine.is_empty() {
                                continue;
                            }
                            positions_json(&mine)
                        }
                        (Some(scope), _) => {
                            if !item.scopes.is_empty() && !item.scopes.contains(scope) {
                                continue;
                            }
                            item.text(|m| render(&app, m)).to_string()
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

/// A feed message in the wire format.
fn render(app: &App, m: &FeedMessage) -> String {
    match m {
        FeedMessage::Incident { seq, incident } => {
            serde_json::json!({"type": "incident", "seq": seq,
            "incident": incident_json(incident, &app.settings().dispatch, app.now())})
        }
        FeedMessage::Unit { seq, unit } => {
            serde_json::json!({"type": "unit", "seq": seq, "unit": unit_json(unit)})
        }
        FeedMessage::Event(e) => {
            serde_json::json!({"type": "event", "seq": e.seq, "event": event_json(e)})
        }
        FeedMessage::Positions(all) => return positions_json(&all.iter().collect::<Vec<_>>()),
    }
    .to_string()
}

/// A batch of positions: `[unit id, lat, lon, status]` each.
fn positions_json(units: &[&Position]) -> String {
    let units: Vec<serde_json::Value> = units
        .iter()
        .map(|p| serde_json::json!([p.unit_id, p.lat, p.lon, p.status]))
        .collect();
    serde_json::json!({"type": "positions", "units": units}).to_string()
}
