//! One error type for HTTP, rendered as RFC 9457 `application/problem+json`.
//!
//! Every error a handler, an extractor or a middleware can produce becomes an [`ApiError`] with a
//! stable problem `type` ([`ProblemType`]), a human `detail`, and for validation a list of
//! [`FieldError`]s naming each bad field by JSON pointer. The `instance` and `request_id` members
//! are filled in by the problem middleware (`http::problem`), which sees the request.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::validation::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The stable kinds of problem. `type` is `urn:oretrace:problem:<code>`; docs/API.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemType {
    /// The request body or a field of it is invalid (422).
    Validation,
    /// The body is not well-formed JSON, CSV or form data (400).
    MalformedBody,
    /// A path or query parameter is missing, unknown or invalid (400).
    InvalidParameter,
    /// The pagination cursor was not issued by this API or was altered (400).
    InvalidCursor,
    /// No bearer token, or a token that fails verification (401).
    Unauthenticated,
    /// The token is valid but lacks the scope the operation needs (403).
    InsufficientScope,
    /// The operation is not allowed for this caller or this kind of organisation (403).
    Forbidden,
    /// No such resource, or not one the caller may see (404).
    NotFound,
    /// The path exists but not with this method (405).
    MethodNotAllowed,
    /// The `Accept` header names no representation this operation offers (406).
    NotAcceptable,
    /// The change conflicts with the current state, such as a duplicate unique value (409).
    Conflict,
    /// A request with the same `Idempotency-Key` is still being processed (409).
    IdempotencyInProgress,
    /// The `Idempotency-Key` was used before with a different request (409).
    IdempotencyKeyReused,
    /// The body is larger than this operation accepts (413).
    PayloadTooLarge,
    /// The `Content-Type` is not one this operation accepts (415).
    UnsupportedMediaType,
    /// The organisation sent more requests than its rate limit allows (429).
    RateLimited,
    /// The database is unreachable or busy; retry after `Retry-After` seconds (503).
    ServiceUnavailable,
    /// A fault on our side; the request id lets the operator find it in the logs (500).
    Internal,
    /// OAuth 2.0 token endpoint errors (RFC 6749 §5.2); the `error` member carries the code.
    OAuth(OAuthError),
}

/// RFC 6749 §5.2 error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
}

impl OAuthError {
    pub fn code(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
        }
    }
}

impl ProblemType {
    pub fn code(self) -> &'static str {
        match self {
            ProblemType::Validation => "validation",
            ProblemType::MalformedBody => "malformed-body",
            ProblemType::InvalidParameter => "invalid-parameter",
            ProblemType::InvalidCursor => "invalid-cursor",
            ProblemType::Unauthenticated => "unauthenticated",
            ProblemType::InsufficientScope => "insufficient-scope",
            ProblemType::Forbidden => "forbidden",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::NotAcceptable => "not-acceptable",
            ProblemType::Conflict => "conflict",
            ProblemType::IdempotencyInProgress => "idempotency-in-progress",
            ProblemType::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::RateLimited => "rate-limited",
            ProblemType::ServiceUnavailable => "service-unavailable",
            ProblemType::Internal => "internal",
            ProblemType::OAuth(e) => match e {
                OAuthError::InvalidRequest => "oauth-invalid-request",
                OAuthError::InvalidClient => "oauth-invalid-client",
                OAuthError::InvalidGrant => "oauth-invalid-grant",
                OAuthError::UnauthorizedClient => "oauth-unauthorized-client",
                OAuthError::UnsupportedGrantType => "oauth-unsupported-grant-type",
                OAuthError::InvalidScope => "oauth-invalid-scope",
            },
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemType::Validation => "The request is invalid",
            ProblemType::MalformedBody => "The request body is malformed",
            ProblemType::InvalidParameter => "A request parameter is invalid",
            ProblemType::InvalidCursor => "The pagination cursor is invalid",
            ProblemType::Unauthenticated => "Authentication is required",
            ProblemType::InsufficientScope => "The token lacks a required scope",
            ProblemType::Forbidden => "The operation is not allowed",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::NotAcceptable => "No acceptable representation",
            ProblemType::Conflict => "The request conflicts with the current state",
            ProblemType::IdempotencyInProgress => {
                "A request with this Idempotency-Key is in progress"
            }
            ProblemType::IdempotencyKeyReused => "The Idempotency-Key was used for another request",
            ProblemType::PayloadTooLarge => "The request body is too large",
            ProblemType::UnsupportedMediaType => "Unsupported content type",
            ProblemType::RateLimited => "Too many requests",
            ProblemType::ServiceUnavailable => "The service is temporarily unavailable",
            ProblemType::Internal => "Internal server error",
            ProblemType::OAuth(_) => "The token request was refused",
        }
    }

    pub fn uri(self) -> String {
        format!("urn:oretrace:problem:{}", self.code())
    }
}

/// An RFC 9457 problem details object, as every error response carries it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, `urn:oretrace:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request path this problem occurred on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The `X-Request-Id` of the request: quote it to the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Each invalid field or parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// OAuth 2.0 error code (RFC 6749 §5.2), on token endpoint errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// OAuth 2.0 error description, on token endpoint errors only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// The error every fallible handler returns.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub problem: ProblemType,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// Rarely set, so kept out of line to keep `Result<_, ApiError>` small.
    pub extras: Option<Box<ErrorExtras>>,
}

/// Headers and log context that only some errors carry.
#[derive(Clone, Debug, Default)]
pub struct ErrorExtras {
    /// `Allow`, on 405.
    pub allow: Option<String>,
    /// `WWW-Authenticate`, on 401 and 403.
    pub www_authenticate: Option<String>,
    /// The cause, logged (never shown) for 5xx.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, problem: ProblemType, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problem,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            extras: None,
        }
    }

    fn extras_mut(&mut self) -> &mut ErrorExtras {
        self.extras.get_or_insert_with(Default::default)
    }

    /// Adds an `Allow` header (405).
    pub fn with_allow(mut self, allow: impl Into<String>) -> ApiError {
        self.extras_mut().allow = Some(allow.into());
        self
    }

    /// Adds a `WWW-Authenticate` challenge (401, 403).
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> ApiError {
        self.extras_mut().www_authenticate = Some(challenge.into());
        self
    }

    /// Records the cause for the logs.
    pub fn with_cause(mut self, cause: impl fmt::Display) -> ApiError {
        self.extras_mut().cause = Some(cause.to_string());
        self
    }

    /// Adds field or parameter errors.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> ApiError {
        self.errors = errors;
        self
    }

    pub fn cause(&self) -> Option<&str> {
        self.extras.as_ref().and_then(|e| e.cause.as_deref())
    }

    /// 422 with the invalid fields. `errors` must not be empty.
    pub fn validation(errors: Vec<FieldError>) -> ApiError {
        let detail = match errors.as_slice() {
            [one] => match (&one.pointer, &one.parameter) {
                (Some(p), _) => format!("{}: {}", p, one.detail),
                (None, Some(p)) => format!("{}: {}", p, one.detail),
                _ => one.detail.clone(),
            },
            many => format!("{} fields are invalid; see `errors`", many.len()),
        };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::Validation,
            detail,
        )
        .with_errors(errors)
    }

    /// 422 for one field.
    pub fn invalid_field(pointer: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::validation(vec![FieldError::at(pointer, detail)])
    }

    /// 400 for a path, query or header parameter.
    pub fn invalid_parameter(name: impl Into<String>, detail: impl Into<String>) -> ApiError {
        let name = name.into();
        let detail = detail.into();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ProblemType::InvalidParameter,
            format!("{name}: {detail}"),
        )
        .with_errors(vec![FieldError::parameter(name, detail)])
    }

    pub fn malformed(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ProblemType::MalformedBody, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ProblemType::NotFound, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, ProblemType::Conflict, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ProblemType::Forbidden, detail)
    }

    pub fn unauthenticated(detail: impl Into<String>, invalid_token: bool) -> ApiError {
        let detail = detail.into();
        let challenge = if invalid_token {
            format!(
                "Bearer realm=\"oretrace\", error=\"invalid_token\", error_description=\"{}\"",
                detail.replace(['"', '\\'], "'")
            )
        } else {
            "Bearer realm=\"oretrace\"".to_owned()
        };
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ProblemType::Unauthenticated,
            detail,
        )
        .with_challenge(challenge)
    }

    pub fn insufficient_scope(scope: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ProblemType::InsufficientScope,
            format!("this operation needs the `{scope}` scope"),
        )
        .with_challenge(format!(
            "Bearer realm=\"oretrace\", error=\"insufficient_scope\", scope=\"{scope}\""
        ))
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::ServiceUnavailable,
            detail,
        )
        .with_retry_after(2)
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::PayloadTooLarge,
            format!("the body is larger than the {limit} bytes this operation accepts"),
        )
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::UnsupportedMediaType,
            detail,
        )
    }

    pub fn oauth(status: StatusCode, error: OAuthError, detail: impl Into<String>) -> ApiError {
        ApiError::new(status, ProblemType::OAuth(error), detail)
    }

    /// 500: the cause is logged with the request id and never shown to the caller.
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemType::Internal,
            "an unexpected error occurred; the operator can find it in the logs by request id",
        )
        .with_cause(cause)
    }

    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// The RFC 9457 body. `instance` and `request_id` come from the request, when known.
    pub fn to_problem(&self, instance: Option<String>, request_id: Option<String>) -> Problem {
        let (error, error_description) = match self.problem {
            ProblemType::OAuth(e) => (Some(e.code().to_owned()), Some(self.detail.clone())),
            _ => (None, None),
        };
        Problem {
            problem_type: self.problem.uri(),
            title: self.problem.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            instance,
            request_id,
            errors: self.errors.clone(),
            error,
            error_description,
        }
    }

    /// Renders the response, with `instance` and `request_id` when the caller knows them.
    pub fn render(&self, instance: Option<String>, request_id: Option<String>) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(extras) = &self.extras {
            if let Some(allow) = &extras.allow
                && let Ok(value) = HeaderValue::from_str(allow)
            {
                response.insert_header((header::ALLOW, value));
            }
            if let Some(challenge) = &extras.www_authenticate
                && let Ok(value) = HeaderValue::from_str(challenge)
            {
                response.insert_header((header::WWW_AUTHENTICATE, value));
            }
        }
        let body = serde_json::to_string(&self.to_problem(instance, request_id))
            .unwrap_or_else(|_| String::from("{}"));
        response.body(body)
    }
}

impl From<crate::auth::caller::MissingScope> for ApiError {
    fn from(missing: crate::auth::caller::MissingScope) -> ApiError {
        ApiError::insufficient_scope(missing.0.as_str())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.problem.code(),
            self.detail
        )?;
        if let Some(cause) = self.cause() {
            write!(f, "; cause: {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(None, None)
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(error: r2d2::Error) -> ApiError {
        ApiError::from(crate::db::Unavailable::from(error))
    }
}

impl From<crate::auth::secret_checks::Busy> for ApiError {
    fn from(_: crate::auth::secret_checks::Busy) -> ApiError {
        ApiError::unavailable(
            "too many client authentications are in progress; retry after Retry-After seconds",
        )
    }
}

impl From<crate::db::Unavailable> for ApiError {
    fn from(error: crate::db::Unavailable) -> ApiError {
        ApiError::unavailable(error.0)
    }
}

impl From<crate::domain::validation::Invalid> for ApiError {
    fn from(invalid: crate::domain::validation::Invalid) -> ApiError {
        ApiError::validation(invalid.0)
    }
}

/// At most this many refused values are listed in one problem.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// Refusals become one 422 naming every refused value by pointer; the only place a row index is
/// written into a pointer. A batch's refusals (those with a row) share one shape, whatever the
/// kind of batch: the row index first in each pointer (`/17/country`), the row counted from 1 in
/// each detail (`row 18: …`, as a spreadsheet numbers it), at most [`MAX_LISTED_ERRORS`] listed,
/// and a summary that says nothing was written.
pub fn rejected(rejections: Vec<crate::store::Rejection>, detail: Option<String>) -> ApiError {
    let in_batch = rejections.iter().any(|r| r.row.is_some());
    let total = rejections.len();
    let errors: Vec<FieldError> = rejections
        .into_iter()
        .take(MAX_LISTED_ERRORS)
        .map(|r| {
            let detail = match r.row {
                Some(row) => format!("row {}: {}", row + 1, r.detail),
                None => r.detail.clone(),
            };
            FieldError::at(r.pointer(), detail)
        })
        .collect();
    let mut error = ApiError::validation(errors);
    if in_batch {
        error.detail = format!(
            "{total} error(s) in the batch; nothing was written{}",
            if total > MAX_LISTED_ERRORS {
                format!(" (the first {MAX_LISTED_ERRORS} are listed)")
            } else {
                String::new()
            }
        );
    }
    if let Some(detail) = detail {
        error.detail = detail;
    }
    error
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError;
        match error {
            StoreError::Database(e) => ApiError::from(e),
            StoreError::Unavailable(detail) => ApiError::unavailable(detail),
            StoreError::Corrupt(detail) => ApiError::internal(detail),
            StoreError::Rejected { rejections, detail } => rejected(rejections, detail),
            StoreError::Conflict(detail) => ApiError::conflict(detail),
            StoreError::BadParameter { name, detail } => ApiError::invalid_parameter(name, detail),
        }
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(error: crate::app::AppError) -> ApiError {
        use crate::app::AppError;
        match error {
            AppError::Rejected { rejections, detail } => rejected(rejections, detail),
            AppError::NotFound(detail) => ApiError::not_found(detail),
            AppError::Conflict(detail) => ApiError::conflict(detail),
            AppError::Forbidden(detail) => {
                ApiError::new(StatusCode::FORBIDDEN, ProblemType::Forbidden, detail)
            }
            AppError::TooLarge(detail) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemType::PayloadTooLarge,
                detail,
            ),
            AppError::BadParameter { name, detail } => ApiError::invalid_parameter(name, detail),
            AppError::Store(e) => ApiError::from(e),
            AppError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> ApiError {
        match &error {
            DieselError::NotFound => ApiError::not_found("no such resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => ApiError::conflict(format!(
                    "a record with the same unique value already exists ({})",
                    info.constraint_name().unwrap_or("unique constraint")
                )),
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::UnableToSendCommand
                | DatabaseErrorKind::SerializationFailure => {
                    log::warn!("database: {error}");
                    ApiError::unavailable("the database connection failed; retry shortly")
                }
                // A NUL (`\u0000`) in a JSON string is valid JSON but not storable text.
                _ if info.message().contains("invalid byte sequence")
                    || info
                        .message()
                        .contains("unsupported Unicode escape sequence") =>
                {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ProblemType::Validation,
                        "a text value contains a NUL character, which cannot be stored",
                    )
                }
                _ if is_transient(info.message()) => {
                    log::warn!("database: {error}");
                    ApiError::unavailable("the database is busy; retry shortly")
                }
                _ => ApiError::internal(format!("database: {error}")),
            },
            // The connection died inside a transaction (PostgreSQL restarted, or the backend
            // was terminated) and the rollback could not be sent: nothing was committed, and the
            // pool discards the connection. Found by scripts/faults.sh.
            DieselError::BrokenTransactionManager => {
                log::warn!("database: {error}");
                ApiError::unavailable("the database connection failed; retry shortly")
            }
            _ => ApiError::internal(format!("database: {error}")),
        }
    }
}

/// SQLite's busy and locked errors, and PostgreSQL's shutdown and timeout messages, are worth a
/// retry rather than a 500.
fn is_transient(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database is locked")
        || m.contains("database is busy")
        || m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("the database system is")
        || m.contains("canceling statement due to statement timeout")
        || m.contains("could not connect")
        || m.contains("connection refused")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_detail_names_the_single_field() {
        let e = ApiError::invalid_field("/name", "must not be empty");
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.detail, "/name: must not be empty");
        let p = e.to_problem(Some("/v1/x".into()), Some("r1".into()));
        assert_eq!(p.problem_type, "urn:oretrace:problem:validation");
        assert_eq!(p.errors.len(), 1);
    }

    #[test]
    fn oauth_errors_carry_the_rfc6749_code() {
        let e = ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            OAuthError::InvalidClient,
            "bad secret",
        );
        let p = e.to_problem(None, None);
        assert_eq!(p.error.as_deref(), Some("invalid_client"));
        assert_eq!(p.error_description.as_deref(), Some("bad secret"));
    }

    #[test]
    fn a_connection_lost_inside_a_transaction_is_503() {
        let e = ApiError::from(DieselError::BrokenTransactionManager);
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal("secret table name");
        assert!(!e.detail.contains("secret"));
        assert!(e.to_string().contains("secret"));
    }
}
