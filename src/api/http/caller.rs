//! Who is calling: the one extractor every handler uses for its organisation and scopes.
//!
//! The `authenticate` middleware verifies the bearer token once per request and leaves the
//! outcome in the request extensions; [`Caller`] (defined in `auth`) is extracted from it or
//! refused with 401, and a missing scope (`Caller::require`) becomes a 403.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::api::error::ApiError;
use crate::api::state::AppState;
pub use crate::auth::caller::Caller;

/// What the middleware found in the `Authorization` header.
#[derive(Clone, Debug)]
pub enum Authentication {
    Missing,
    Invalid(String),
    Valid(Caller),
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Authentication>() {
            Some(Authentication::Valid(caller)) => Ok(caller.clone()),
            Some(Authentication::Invalid(reason)) => {
                Err(ApiError::unauthenticated(reason.clone(), true))
            }
            _ => Err(ApiError::unauthenticated(
                "this operation needs a bearer token: get one from POST /v1/auth/token",
                false,
            )),
        })
    }
}

/// Verifies the bearer token, if any, and records the outcome for [`Caller`] and the rate
/// limiter. A token whose organisation does not exist is invalid. A request without a token is
/// not refused here: public routes need none.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let outcome = match req.headers().get(AUTHORIZATION) {
        None => Authentication::Missing,
        Some(value) => match value.to_str().ok().and_then(bearer_token) {
            None => Authentication::Invalid(
                "the Authorization header must be `Bearer <access token>`".into(),
            ),
            Some(token) => match req.app_data::<web::Data<AppState>>() {
                Some(state) => match state.tokens.verify(token) {
                    Ok(caller) => {
                        match state
                            .known_organisations
                            .exists(&state.db, caller.organisation_id)
                            .await
                        {
                            Ok(false) => Authentication::Invalid(
                                "the token's organisation does not exist".into(),
                            ),
                            // Found, or the database cannot say right now: the handler's own
                            // database work answers 503 then.
                            _ => Authentication::Valid(caller),
                        }
                    }
                    Err(rejected) => Authentication::Invalid(rejected.0),
                },
                None => Authentication::Invalid("authentication is not configured".into()),
            },
        },
    };
    req.extensions_mut().insert(outcome);
    next.call(req).await
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
