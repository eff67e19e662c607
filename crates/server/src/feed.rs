//! The live feed: a WebSocket that carries incident, unit, event and
//! position messages as they become durable, filtered by the user's scope.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use app::{FeedMessage, Position};

use crate::App;
use crate::auth::{Action, User};
use crate::error::ApiError;
use crate::wire::{FeedOut, IncidentOut};

/// `GET /api/v1/feed` (WebSocket; token in `Authorization` or `?token=`).
#[utoipa::path(get, path = "/api/v1/feed", tag = "feed", summary = "Live feed (WebSocket upgrade; token in Authorization or ?token=): incident, unit, event, positions, resync messages",
    params(("token" = Option<String>, Query)), responses((status = 101, description = "Switching protocols")))]
pub async fn feed(
    State(app): crate::api::AppState,
    user: User,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // A field terminal gets its own unit's orders, state and incidents.
    user.require_or_field(Action::Read)?;
    Ok(ws.on_upgrade(move |socket| run(app, user, socket)))
}

async fn run(app: Arc<App>, user: User, mut socket: WebSocket) {
    let mut rx = app.subscribe();
    metrics::gauge!("pingan_feed_clients").increment(1.0);
    let hello = text(&FeedOut::Hello {
        user: user.username.clone(),
        scope: user.scope.clone(),
        at: dispatch::time::format_rfc3339(app.now()),
    });
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
                    let mut delivers = None;
                    let text = if user.is_unit() {
                        match for_terminal(&app, &user, &item.message) {
                            Some(Terminal::Text(text)) => text,
                            Some(Terminal::Order(text, seq)) => {
                                delivers = Some(seq);
                                text
                            }
                            Some(Terminal::Resend(seq)) => {
                                let own = user.unit_id.clone().unwrap_or_default();
                                match app.store().unit_order(&own, seq).await {
                                    Ok(Some(order)) => {
                                        delivers = Some(seq);
                                        text(&FeedOut::Order { order: (&order).into() })
                                    }
                                    _ => continue,
                                }
                            }
                            None => continue,
                        }
                    } else { match (&user.scope, &item.message) {
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
                    } };
                    if user.expires_at <= app.now() || socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                    if let (Some(seq), Some(unit)) = (delivers, user.unit_id.clone()) {
                        // On the terminal's socket: delivered (recorded off the feed's path).
                        let (app, actor) = (app.clone(), user.username.clone());
                        tokio::spawn(async move {
                            if let Err(e) = app.order_delivered(&actor, &unit, seq).await {
                                tracing::warn!(message = "could not record an order's delivery", unit = %unit, seq, error = %e.message);
                            }
                        });
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    // A slow console missed messages: tell it to reload its state.
                    let msg = text(&FeedOut::Resync { missed: n });
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

/// What a terminal is sent of one feed message.
enum Terminal {
    /// A message as it is.
    Text(String),
    /// An order (its delivery is recorded once sent).
    Order(String, i64),
    /// The dispatcher resent this order: read it and send it again.
    Resend(i64),
}

/// What a unit's terminal is sent of a feed message: its unit's state, the
/// incidents it is sent to, and each dispatch, release or message to it as
/// an order.
fn for_terminal(app: &App, user: &User, m: &FeedMessage) -> Option<Terminal> {
    use dispatch::EventKind as K;
    let own = user.unit_id.as_deref()?;
    match m {
        FeedMessage::Unit { unit, .. } if unit.id == own => Some(Terminal::Text(render(app, m))),
        FeedMessage::Incident { incident, .. } if user.sees(incident) => {
            Some(Terminal::Text(render(app, m)))
        }
        FeedMessage::Event(e) if e.unit_id.as_deref() == Some(own) => match &e.kind {
            k if k.is_order() => {
                let order = store::OrderRecord::issued(e)?;
                let order_text = text(&FeedOut::Order {
                    order: (&order).into(),
                });
                Some(Terminal::Order(order_text, e.seq))
            }
            K::OrderResent { order_seq } => Some(Terminal::Resend(*order_seq)),
            // Its own deliveries are no news to it.
            K::OrderDelivered { .. } => None,
            _ => Some(Terminal::Text(render(app, m))),
        },
        FeedMessage::Positions(all) => {
            let mine: Vec<&Position> = all.iter().filter(|p| p.unit_id == own).collect();
            (!mine.is_empty()).then(|| Terminal::Text(positions_json(&mine)))
        }
        _ => None,
    }
}

/// A feed message in the wire format.
fn render(app: &App, m: &FeedMessage) -> String {
    let out = match m {
        FeedMessage::Incident { seq, incident } => FeedOut::Incident {
            seq: *seq,
            incident: Box::new(IncidentOut::new(
                incident,
                &app.settings().dispatch,
                app.now(),
            )),
        },
        FeedMessage::Unit { seq, unit } => FeedOut::Unit {
            seq: *seq,
            unit: unit.into(),
        },
        FeedMessage::Event(e) => FeedOut::Event {
            seq: e.seq,
            event: e.into(),
        },
        FeedMessage::Positions(all) => return positions_json(&all.iter().collect::<Vec<_>>()),
    };
    text(&out)
}

fn text(m: &FeedOut) -> String {
    serde_json::to_string(m).expect("serialises")
}

/// A batch of positions: `[unit id, lat, lon, status]` each.
fn positions_json(units: &[&Position]) -> String {
    let units = units
        .iter()
        .map(|p| (p.unit_id.clone(), p.lat, p.lon, p.status.as_str()));
    text(&FeedOut::Positions {
        units: units.collect(),
    })
}
