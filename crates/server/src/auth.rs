//! The caller of a request: the session token read off the `Authorization`
//! header (or `?token=` for the feed's WebSocket; HTTP Basic for trackers
//! such as OwnTracks), resolved to the
//! service layer's [`app::auth::User`]. Roles, scope and passwords live in
//! `app::auth`.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;

pub use app::auth::{
    Action, ROLES, allowed, hash_password, new_password, new_token, token_hash, verify_password,
};

use crate::App;
use crate::error::{ApiError, Query};
use app::Refusal;

/// The logged-in user of a request (an extractor: a handler that takes one
/// refuses requests without a valid session).
#[derive(Debug, Clone)]
pub struct User(pub app::auth::User);

impl Deref for User {
    type Target = app::auth::User;
    fn deref(&self) -> &app::auth::User {
        &self.0
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

impl FromRequestParts<Arc<App>> for User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = match header {
            Some(h) if h.starts_with("Basic ") => {
                let (name, password) = basic_credentials(&h["Basic ".len()..])?;
                return Ok(User(app.password_user(&name, &password).await?));
            }
            Some(h) => h
                .strip_prefix("Bearer ")
                .map(str::to_string)
                .ok_or_else(|| ApiError::unauthorized("Authorization must be \"Bearer <token>\" (or \"Basic …\" for a terminal's tracker)"))?,
            // Browsers cannot set headers on a WebSocket: the feed takes ?token=.
            None => Query::<TokenQuery>::try_from_uri(&parts.uri)
                .ok()
                .and_then(|q| q.0.token)
                .ok_or_else(|| ApiError::unauthorized("log in first: POST /api/v1/auth/login, then send Authorization: Bearer <token>"))?,
        };
        Ok(User(app.session(&token_hash(&token)).await?))
    }
}

/// The user name and password of an HTTP Basic `Authorization` value.
fn basic_credentials(encoded: &str) -> Result<(String, String), ApiError> {
    use base64::Engine as _;
    let bad = || ApiError::unauthorized("Authorization: Basic needs base64 of user:password");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (name, password) = text.split_once(':').ok_or_else(bad)?;
    Ok((name.to_string(), password.to_string()))
}
