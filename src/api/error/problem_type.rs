//! The stable kinds of problem, their codes and titles, and the RFC 9457 body every error
//! response carries.

use serde::Serialize;
use utoipa::ToSchema;

use super::FieldError;

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
