//! The live feed's event bus: what the service layer publishes (after the
//! store committed it, in commit order) and what every console's feed
//! subscribes to. Messages are typed; the API renders each one to its wire
//! format once, for all subscribers. In process now; a second instance
//! needs a bus between instances (e.g. NATS) behind the same trait.

use std::sync::{Arc, OnceLock};

use dispatch::{Event, Incident, Unit, UnitStatus};
use tokio::sync::broadcast;

/// What happened, as published.
#[derive(Debug)]
pub enum FeedMessage {
    /// An incident's new state; `seq` is its last event's sequence number.
    Incident {
        /// Sequence number of the incident's last event in this commit.
        seq: Option<i64>,
        /// The incident (boxed: it is much the largest message).
        incident: Box<Incident>,
    },
    /// A unit's new state; `seq` is its last event's sequence number.
    Unit {
        /// Sequence number of the unit's last event in this commit.
        seq: Option<i64>,
        /// The unit.
        unit: Unit,
    },
    /// A new timeline event.
    Event(Event),
    /// Units that moved in the last second.
    Positions(Vec<Position>),
}

/// A unit's position on the feed, with the jurisdictions that see it.
#[derive(Debug, Clone)]
pub struct Position {
    /// Jurisdiction ids of the unit's home station and its ancestors.
    pub scopes: Vec<String>,
    /// The unit.
    pub unit_id: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Its status.
    pub status: UnitStatus,
}

/// A message on the live feed with the jurisdictions it concerns.
#[derive(Debug)]
pub struct FeedItem {
    /// Jurisdiction ids the item belongs to (empty: everyone sees it;
    /// positions are filtered one by one).
    pub scopes: Vec<String>,
    /// The message.
    pub message: FeedMessage,
    text: OnceLock<String>,
}

impl FeedItem {
    /// An item for `scopes`.
    pub fn new(scopes: Vec<String>, message: FeedMessage) -> FeedItem {
        FeedItem {
            scopes,
            message,
            text: OnceLock::new(),
        }
    }

    /// The item in the wire format, rendered by the first subscriber that
    /// asks and shared by the others.
    pub fn text(&self, render: impl FnOnce(&FeedMessage) -> String) -> &str {
        self.text.get_or_init(|| render(&self.message))
    }
}

/// Publishes feed items to every subscriber, in the order published.
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Sends one item to every current subscriber.
    fn publish(&self, item: Arc<FeedItem>);
    /// A new subscriber; a slow one that falls behind is told it lagged.
    fn subscribe(&self) -> broadcast::Receiver<Arc<FeedItem>>;
    /// How many subscribers there are (nothing is built for nobody).
    fn subscribers(&self) -> usize;
}

/// The bus inside one process.
#[derive(Debug)]
pub struct InProcessBus {
    tx: broadcast::Sender<Arc<FeedItem>>,
}

impl InProcessBus {
    /// A bus that keeps up to `capacity` items for a slow subscriber.
    pub fn new(capacity: usize) -> InProcessBus {
        InProcessBus {
            tx: broadcast::channel(capacity).0,
        }
    }
}

impl EventBus for InProcessBus {
    fn publish(&self, item: Arc<FeedItem>) {
        let _ = self.tx.send(item);
    }
    fn subscribe(&self) -> broadcast::Receiver<Arc<FeedItem>> {
        self.tx.subscribe()
    }
    fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}
