//! The pingan HTTP server: the JSON API under `/api/v1`, the live WebSocket
//! feed, the dashboard's files and map tiles, Prometheus metrics. The only
//! crate that knows HTTP and the JSON wire format: routes, extractors, the
//! answers' shapes and the one error-code table. Everything a request does
//! goes through the service layer's [`App`] (crates/app).
//!
//! It is not the service layer (crates/app), the engine (crates/dispatch),
//! the store (crates/store) nor the demo (crates/demo).

pub mod analysis_api;
pub mod api;
pub mod assessment_api;
pub mod auth;
pub mod community_api;
pub mod coverage_api;
pub mod error;
pub mod feed;
pub mod ledgers_api;
pub mod openapi;
pub mod people_api;
pub mod places_api;
pub mod reports_api;
pub mod terminal_api;
pub mod wire;

use std::sync::Arc;

pub use app::{App, Clock, LOCAL_UTC_OFFSET_MIN, Settings};

/// The whole HTTP surface.
pub fn router(app: Arc<App>) -> axum::Router {
    api::routes(app)
}
