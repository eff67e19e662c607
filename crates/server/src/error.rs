//! API errors: one JSON shape `{"code", "message", "field"}` with a stable
//! code and the right status, and the extractors (JSON body, query string,
//! path) whose rejections use it, naming the field.

use app::Refusal;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use dispatch::DispatchError;
use serde::de::DeserializeOwned;

/// Declares the error codes: the one table of code, HTTP status and meaning.
macro_rules! codes {
    ($($variant:ident = $code:literal, $status:ident, $meaning:literal;)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as it is written on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)* }
            }

            /// One line: what it means, what to do.
            pub fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

codes! {
    MalformedJson = "malformed_json", BAD_REQUEST, "The body is not JSON.";
    InvalidBody = "invalid_body", BAD_REQUEST, "The body could not be read.";
    Unauthorized = "unauthorized", UNAUTHORIZED, "No session, or it expired or was revoked: log in.";
    Forbidden = "forbidden", FORBIDDEN, "The account's role or jurisdiction does not allow this.";
    NotFound = "not_found", NOT_FOUND, "No such record in the account's jurisdiction.";
    NoSuchEndpoint = "no_such_endpoint", NOT_FOUND, "No such path or method: see /api/v1/openapi.json.";
    OutsideJurisdiction = "outside_jurisdiction", NOT_FOUND, "The place lies in no jurisdiction of this agency.";
    Conflict = "conflict", CONFLICT, "The record's state or another record prevents this (or an idempotency key was reused differently).";
    IllegalTransition = "illegal_transition", CONFLICT, "The status cannot go from its current value to the one asked.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "The body is larger than this server accepts.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body's Content-Type is not the one expected.";
    InvalidField = "invalid_field", UNPROCESSABLE_ENTITY, "A field of the body, query string or path is missing or malformed; `field` names it.";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "The server failed on this request; it was logged and nothing else is affected.";
    StoreUnavailable = "store_unavailable", SERVICE_UNAVAILABLE, "The store did not confirm the write: nothing was saved; retry.";
}

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    /// Stable machine-readable code (its HTTP status with it).
    pub code: Code,
    /// A sentence for a person.
    pub message: String,
    /// The offending field, when one is.
    pub field: Option<String>,
}

impl ApiError {
    /// Builds one.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
        }
    }
    /// Names the field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl app::Refusal for ApiError {}

impl From<DispatchError> for ApiError {
    fn from(e: DispatchError) -> Self {
        app::AppError::from(e).into()
    }
}

impl From<app::AppError> for ApiError {
    fn from(e: app::AppError) -> Self {
        use app::ErrorKind as K;
        let code = match e.kind {
            K::Invalid => Code::InvalidField,
            K::NotFound => Code::NotFound,
            K::Forbidden => Code::Forbidden,
            K::Unauthorized => Code::Unauthorized,
            K::Conflict => Code::Conflict,
            K::IllegalTransition => Code::IllegalTransition,
            K::StoreUnavailable => Code::StoreUnavailable,
            K::Internal => Code::InternalError,
        };
        ApiError {
            code,
            message: e.message,
            field: e.field,
        }
    }
}

impl From<community::CommunityError> for ApiError {
    fn from(e: community::CommunityError) -> Self {
        app::AppError::from(e).into()
    }
}

impl From<analysis::AnalysisError> for ApiError {
    fn from(e: analysis::AnalysisError) -> Self {
        match e {
            analysis::AnalysisError::Param { field, message } => ApiError::invalid(field, message),
            other => ApiError::new(Code::InvalidField, other.to_string()),
        }
    }
}

impl From<coverage::CoverageError> for ApiError {
    fn from(e: coverage::CoverageError) -> Self {
        match e {
            coverage::CoverageError::Invalid { field, message } => {
                ApiError::invalid(field, message)
            }
            other => ApiError::new(Code::InternalError, other.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        app::AppError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = crate::wire::ErrorBody {
            code: self.code.as_str().into(),
            message: self.message,
            field: self.field,
        };
        let mut res = (self.code.status(), axum::Json(body)).into_response();
        res.extensions_mut().insert(ErrorCode(self.code.as_str()));
        res
    }
}

/// The answer to a request whose handler panicked: 500 in the usual
/// envelope. The panic is logged; the server and dispatch go on (a lock
/// the handler held is recovered by [`crate::App`]).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(message = "request panicked", panic = what);
    metrics::counter!("pingan_panics_total").increment(1);
    ApiError::new(
        Code::InternalError,
        "the server failed on this request; it was logged and nothing else is affected",
    )
    .into_response()
}

/// The error code of a response, for logs and metrics.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("kaboom")
    }

    #[test]
    fn the_code_table_is_the_one_the_readme_lists() {
        let readme = include_str!("../../../README.md");
        let mut seen = std::collections::HashSet::new();
        for code in super::Code::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            let row = format!(
                "| `{}` | {} | {} |",
                code.as_str(),
                code.status().as_u16(),
                code.meaning()
            );
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
        // And no row for a code the server does not have.
        let rows = readme
            .lines()
            .filter(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                l.starts_with("| `")
                    && cells
                        .get(2)
                        .and_then(|c| c.parse::<u16>().ok())
                        .is_some_and(|s| (400..600).contains(&s))
            })
            .count();
        assert_eq!(rows, super::Code::ALL.len(), "README's error table");
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_in_the_envelope() {
        let app: Router = Router::new().route("/boom", get(boom)).layer(
            tower_http::catch_panic::CatchPanicLayer::custom(super::panic_response),
        );
        let res = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), 500);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "internal_error");
        assert!(v["message"].as_str().unwrap().contains("logged"));
    }
}

/// A JSON body whose problems are reported as [`ApiError`]s naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json_type {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        Code::PayloadTooLarge,
                        "the body is larger than this server accepts",
                    )
                } else {
                    ApiError::new(Code::InvalidBody, e.body_text())
                }
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiJson)
            .map_err(|e| {
                let syntax = e.inner().is_syntax() || e.inner().is_eof();
                if syntax {
                    ApiError::new(Code::MalformedJson, e.into_inner().to_string())
                } else {
                    invalid_at(e.path().to_string(), e.into_inner().to_string(), "")
                }
            })
    }
}

/// `value` as a `T`; a value serde refuses is a 422 naming the field,
/// its path under `prefix` (`fixes[3].lat`).
pub fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let path = match (prefix, path.as_str()) {
            ("", _) => path,
            (p, ".") => p.to_string(),
            (p, rest) if rest.starts_with('[') => format!("{p}{rest}"),
            (p, rest) => format!("{p}.{rest}"),
        };
        invalid_at(path, e.into_inner().to_string(), "")
    })
}

/// A `text/csv` body as text: 415 when it is sent as something else (with
/// `what` to say what to send), 422 when it is not UTF-8.
pub fn csv_text<'a>(
    headers: &axum::http::HeaderMap,
    body: &'a [u8],
    what: &str,
) -> Result<&'a str, ApiError> {
    let csv_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    if !csv_type {
        return Err(ApiError::new(
            Code::UnsupportedMediaType,
            format!("send {what}"),
        ));
    }
    std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid("csv", "not UTF-8 text; save the file as UTF-8 CSV"))
}

/// A numeric parameter: its value (or `default`) when within `range`,
/// else 422 `invalid_field` naming it and the range.
pub fn bounded<T>(
    field: &str,
    value: Option<T>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ApiError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    let v = value.unwrap_or(default);
    if range.contains(&v) {
        return Ok(v);
    }
    Err(ApiError::new(
        Code::InvalidField,
        format!(
            "{field} must be {}..={}, got {v}",
            range.start(),
            range.end()
        ),
    )
    .field(field))
}

/// 422 `invalid_field` for a value serde refused at `path`: "missing field
/// `lat`" and "unknown field `x`" carry their field in the message, not the
/// path. `what` says where the field was (", in the query string").
fn invalid_at(path: String, message: String, what: &str) -> ApiError {
    let field = match message.split('`').nth(1) {
        Some(f) if message.starts_with("missing field") || message.starts_with("unknown field") => {
            // An unknown key is already the path's last segment.
            if path == "." || path.rsplit('.').next() == Some(f) {
                if path == "." { f.to_string() } else { path }
            } else {
                format!("{path}.{f}")
            }
        }
        // Tagged bodies (`{"action": "close", …}`) name an unknown variant
        // at the top: the tag is the field at fault.
        _ if path == "." && message.starts_with("unknown variant") => "action".to_string(),
        _ => path,
    };
    let mut err = ApiError::new(
        Code::InvalidField,
        if field == "." || what.is_empty() {
            message
        } else {
            format!("{field}{what}: {message}")
        },
    );
    if field != "." {
        err = err.field(field);
    }
    err
}

/// The query string, deserialised; a wrong or missing parameter is a 422
/// `invalid_field` naming it, in the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// Reads the query string of `uri`.
    pub fn try_from_uri(uri: &axum::http::Uri) -> Result<Self, ApiError> {
        let q = uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                invalid_at(
                    e.path().to_string(),
                    e.into_inner().to_string(),
                    " (in the query string)",
                )
            })
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::try_from_uri(&parts.uri)
    }
}

/// Path parameters; one that does not parse is a 422 `invalid_field`
/// naming it, in the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = e.body_text();
                let err = ApiError::new(Code::InvalidField, message);
                Err(match e.into_kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key }
                    | ErrorKind::DeserializeError { key, .. } => err.field(key),
                    // A tuple of parameters is parsed by position: name it.
                    ErrorKind::ParseErrorAtIndex { index, .. } => {
                        match axum::extract::RawPathParams::from_request_parts(parts, state).await {
                            Ok(raw) => match raw.iter().nth(index) {
                                Some((key, _)) => err.field(key),
                                None => err,
                            },
                            Err(_) => err,
                        }
                    }
                    _ => err,
                })
            }
            Err(e) => Err(ApiError::new(Code::InternalError, e.body_text())),
        }
    }
}
