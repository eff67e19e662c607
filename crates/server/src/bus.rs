//! The live feed's event bus: what the server publishes (after the store
//! committed it, in commit order) and what every console's WebSocket
//! subscribes to. In process now; a second instance needs a bus between
//! instances (e.g. NATS) behind the same trait.

use std::sync::Arc;

use tokio::sync::broadcast;

/// A message on the live feed with the jurisdictions it concerns.
#[derive(Debug)]
pub struct FeedItem {
    /// Jurisdiction ids the item belongs to (empty: everyone sees it).
    pub scopes: Vec<String>,
    /// The JSON text sent.
    pub json: String,
    /// For position batches: each unit's scopes and entry, so scoped consoles get only theirs.
    pub positions: Option<Vec<(Vec<String>, serde_json::Value)>>,
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
