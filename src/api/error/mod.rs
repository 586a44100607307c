//! One error type for HTTP, rendered as RFC 9457 `application/problem+json`.
//!
//! Every error a handler, an extractor or a middleware can produce becomes an [`ApiError`] with a
//! stable problem `type` ([`ProblemType`]), a human `detail`, and for validation a list of
//! [`FieldError`]s naming each bad field by JSON pointer. The `instance` and `request_id` members
//! are filled in by the problem middleware (`http::problem`), which sees the request.
//!
//! - this file: [`ApiError`], its constructors and its rendering;
//! - `problem_type.rs`: the stable kinds of problem ([`ProblemType`], [`OAuthError`]) and the
//!   [`Problem`] body;
//! - `conversions.rs`: the `From` impls that turn every lower error into a problem, once;
//! - `batch.rs`: a batch's refusals as one 422 ([`rejected`]).

mod batch;
mod conversions;
mod problem_type;

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

pub use self::batch::{MAX_LISTED_ERRORS, rejected};
pub use self::problem_type::{OAuthError, Problem, ProblemType};
pub use crate::domain::validation::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

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
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal("secret table name");
        assert!(!e.detail.contains("secret"));
        assert!(e.to_string().contains("secret"));
    }
}
