//! Authentication and authorisation: argon2 password hashes, opaque
//! revocable session tokens (only their SHA-256 is stored), roles, and
//! jurisdiction scope. Reading a token off a request is the API's job.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use dispatch::{Incident, Place, Unit};
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{AppError, Refusal};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read incidents, units and recommendations in scope.
    Read,
    /// Take calls.
    CreateIncident,
    /// Send, release and reassign units; merge.
    Dispatch,
    /// Move incidents along their lifecycle; report unit status and position.
    UpdateStatus,
    /// Response figures.
    Figures,
    /// Users, units, jurisdictions.
    Admin,
    /// Community records: case transfers, leads, ledgers (a station's own work).
    CommunityWrite,
    /// Accept or return transferred cases, answer leads (the specialised units).
    CaseDecide,
}

/// The roles, as stored.
pub const ROLES: [&str; 6] = [
    "call_taker",
    "dispatcher",
    "station_officer",
    "analyst",
    "commander",
    "admin",
];

/// Whether `role` may do `action`.
pub fn allowed(role: &str, action: Action) -> bool {
    use Action::*;
    match role {
        "admin" => true,
        "commander" => action != Admin,
        "dispatcher" => matches!(
            action,
            Read | CreateIncident | Dispatch | UpdateStatus | Figures | CaseDecide
        ),
        "call_taker" => matches!(action, Read | CreateIncident),
        "station_officer" => matches!(
            action,
            Read | CreateIncident | Dispatch | UpdateStatus | Figures | CommunityWrite
        ),
        "analyst" => matches!(action, Read | Figures),
        _ => false,
    }
}

/// The logged-in user of a request.
#[derive(Debug, Clone)]
pub struct User {
    /// Login.
    pub username: String,
    /// Role.
    pub role: String,
    /// Jurisdiction (`None`: the whole agency).
    pub scope: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Hash of the session token.
    pub token_hash: String,
    /// When the session ends.
    pub expires_at: i64,
}

impl User {
    /// Refuses unless the role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if allowed(&self.role, action) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "role {} may not do this ({action:?})",
                self.role
            )))
        }
    }
    /// Whether a place lies in the user's jurisdiction.
    pub fn sees_place(&self, place: &Place) -> bool {
        self.scope.as_deref().is_none_or(|s| place.within(s))
    }
    /// Whether the user sees an incident.
    pub fn sees(&self, i: &Incident) -> bool {
        self.sees_place(&i.place)
    }
    /// Whether the user sees a unit (its home station in scope).
    pub fn sees_unit(&self, app: &App, u: &Unit) -> bool {
        match &self.scope {
            None => true,
            Some(s) => app.jurisdictions.is_within(&u.home_station, s),
        }
    }
}

/// SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).expect("the OS gives random bytes");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A readable random password (for generated accounts).
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 14];
    getrandom::fill(&mut buf).expect("the OS gives random bytes");
    buf.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 hashes")
        .to_string()
}

/// Checks `password` against a PHC string (constant time).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}
