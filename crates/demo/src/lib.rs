//! The demo: a city generated on a real road network, its past (closed
//! incidents, case transfers, ledgers), and a simulator that places 110
//! calls and drives the units along the roads, so a new user sees the
//! system alive from the first minute.
//!
//! It is a client of the server's [`app::App`] like any other: it reads
//! the engine through `App::read` and acts only through the engine's
//! commands, as a dispatcher and the units' crews would. It is not the
//! city generator (crates/citygen, pure) nor the server.

pub mod city;
pub mod places;
pub mod seed;
pub mod sim;

pub use crate::city::{Account, CreatedCity, SavedCity};
pub use crate::sim::SimOptions;

/// What can go wrong creating or seeding a demo city.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store refused.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// A worker thread failed.
    #[error("worker: {0}")]
    Worker(#[from] tokio::task::JoinError),
    /// What the store holds cannot be read.
    #[error("{0}")]
    Unreadable(String),
}
