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
    /// What a field terminal does for its own unit: read its orders and the
    /// incidents it is sent to, routes, and report its status, position,
    /// acknowledgements and reinforcement requests.
    Field,
}

/// The roles, as stored.
pub const ROLES: [&str; 7] = [
    "call_taker",
    "dispatcher",
    "station_officer",
    "analyst",
    "commander",
    "admin",
    UNIT_ROLE,
];

/// The role of a field terminal's account, bound to one unit.
pub const UNIT_ROLE: &str = "unit";

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
        UNIT_ROLE => action == Field,
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
    /// A field terminal's account: its unit.
    pub unit_id: Option<String>,
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
    /// Refuses unless the role allows `action` — or the account is a
    /// field terminal's, which the caller then limits to its own unit.
    pub fn require_or_field(&self, action: Action) -> Result<(), AppError> {
        if self.is_unit() {
            self.require(Action::Field)
        } else {
            self.require(action)
        }
    }
    /// Whether this is a field terminal's account.
    pub fn is_unit(&self) -> bool {
        self.role == UNIT_ROLE
    }
    /// Whether a place lies in the user's jurisdiction.
    pub fn sees_place(&self, place: &Place) -> bool {
        self.scope.as_deref().is_none_or(|s| place.within(s))
    }
    /// Whether the user sees an incident (a terminal: one its unit is or
    /// was sent to).
    pub fn sees(&self, i: &Incident) -> bool {
        if self.is_unit() {
            return self
                .unit_id
                .as_deref()
                .is_some_and(|u| i.assignments.iter().any(|a| a.unit_id == u));
        }
        self.sees_place(&i.place)
    }
    /// Whether the user sees a unit (its home station in scope; a terminal:
    /// its own unit only).
    pub fn sees_unit(&self, app: &App, u: &Unit) -> bool {
        if self.is_unit() {
            return self.unit_id.as_deref() == Some(u.id.as_str());
        }
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
