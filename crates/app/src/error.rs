//! The service layer's error: what went wrong, in terms the API maps to its
//! code table (`server::error::Code`) and a person can act on. No HTTP here.

use dispatch::DispatchError;

/// The kind of failure; the API gives each one a code and a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A field is missing or malformed (`field` names it).
    Invalid,
    /// No such record in the caller's jurisdiction.
    NotFound,
    /// The role or jurisdiction does not allow it.
    Forbidden,
    /// No valid session.
    Unauthorized,
    /// The record's state or another record prevents it.
    Conflict,
    /// A status cannot go from its value to the one asked.
    IllegalTransition,
    /// The store did not confirm: nothing was saved.
    StoreUnavailable,
    /// A bug or an unexpected state: logged.
    Internal,
}

/// An error of the service layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A sentence for a person.
    pub message: String,
    /// The offending field, when one is.
    pub field: Option<String>,
}

impl AppError {
    /// Builds one.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError {
            kind,
            message: message.into(),
            field: None,
        }
    }
}

/// The ways to refuse, written once for the service layer's error and the
/// API's (which converts from [`AppError`]): bring the trait into scope and
/// call `AppError::invalid(…)` or `ApiError::invalid(…)` alike.
pub trait Refusal: From<AppError> {
    /// A missing or malformed field.
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError {
            field: Some(field.into()),
            ..AppError::new(ErrorKind::Invalid, message)
        }
        .into()
    }
    /// Not found (also for what lies outside the caller's jurisdiction).
    fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        AppError::new(ErrorKind::NotFound, format!("{what} {id} not found")).into()
    }
    /// Not allowed.
    fn forbidden(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Forbidden, message).into()
    }
    /// No session.
    fn unauthorized(message: impl Into<String>) -> Self {
        AppError::new(ErrorKind::Unauthorized, message).into()
    }
    /// The store did not confirm; the cause is logged, not shown.
    fn store(e: impl std::fmt::Display) -> Self {
        tracing::error!(message = "store error", error = %e);
        AppError::new(
            ErrorKind::StoreUnavailable,
            "the store did not confirm the write; nothing was saved, retry",
        )
        .into()
    }
}

impl Refusal for AppError {}

impl From<DispatchError> for AppError {
    fn from(e: DispatchError) -> Self {
        let kind = match &e {
            DispatchError::NotFound { .. } => ErrorKind::NotFound,
            DispatchError::IllegalTransition { .. } => ErrorKind::IllegalTransition,
            DispatchError::Conflict { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        };
        AppError {
            kind,
            field: e.field().map(str::to_string),
            message: e.to_string(),
        }
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        AppError::store(e)
    }
}

impl From<community::CommunityError> for AppError {
    fn from(e: community::CommunityError) -> Self {
        match e {
            community::CommunityError::Invalid { field, message } => {
                AppError::invalid(field, message)
            }
            community::CommunityError::Conflict(m) => AppError::new(ErrorKind::Conflict, m),
            other => AppError::invalid("body", other.to_string()),
        }
    }
}
