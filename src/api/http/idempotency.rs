//! `Idempotency-Key` on POST: the same key with the same request replays the stored response
//! (with `Idempotent-Replayed: true`); the same key with another request is 409 (a conflict with
//! the stored request: schema-driven clients and fuzzers read 422 as "this body is invalid",
//! which it is not); a key whose first request is still running is 409 with `Retry-After`.
//!
//! Keys belong to the API client that sent them (its organisation and `client_id`) and are kept
//! for `ORETRACE_IDEMPOTENCY_TTL_HOURS`. 2xx and definitive 4xx answers are stored; 401, 403,
//! 409, 429 and 5xx are not, so a retry after a transient failure runs the request again.
//!
//! Authorisation comes first: a caller whose token lacks the scopes the operation requires (as
//! the OpenAPI document states them) is never replayed a stored answer; the request goes to the
//! handler, which refuses it. A response that shows a secret once (a new client's
//! `client_secret`) marks it with [`ShownOnce`]: the stored copy leaves those members out, so a
//! replay answers the same status and `Location` without the secret, and no secret is ever
//! kept in the database.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, HttpResponse};
use sha2::{Digest, Sha256};

use super::extract::read_body;
use crate::api::error::{ApiError, ProblemType};
use crate::api::http::caller::Authentication;
use crate::api::state::AppState;
use crate::store::idempotency::{self, Claim, Fingerprint, KeyOwner, StoredResponse};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

fn storable(status: StatusCode) -> bool {
    status.is_success() || matches!(status.as_u16(), 400 | 404 | 410 | 413 | 415 | 422)
}

/// Top-level members of a JSON answer that are shown once and never stored for replay. Put it in
/// the response's extensions: `response.extensions_mut().insert(ShownOnce(&["client_secret"]))`.
#[derive(Clone, Copy, Debug)]
pub struct ShownOnce(pub &'static [&'static str]);

/// The body without the members `shown_once` names (the body unchanged if it is not a JSON
/// object).
fn without_secrets(body: &str, shown_once: Option<ShownOnce>) -> String {
    let Some(ShownOnce(members)) = shown_once else {
        return body.to_owned();
    };
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut object)) => {
            for member in members {
                object.remove(*member);
            }
            serde_json::Value::Object(object).to_string()
        }
        // Not an object: keep nothing rather than risk keeping a secret.
        _ => String::new(),
    }
}

pub(crate) fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

pub async fn idempotent(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let caller = match req.extensions().get::<Authentication>() {
        Some(Authentication::Valid(caller)) => Some(caller.clone()),
        _ => None,
    };
    let state = req.app_data::<Data<AppState>>().cloned();
    let (Some(caller), Some(state)) = (caller, state) else {
        // Unauthenticated: the handler's extractor answers 401.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if state
        .routes
        .admits(req.method(), req.path(), &caller.scopes)
        != Some(true)
    {
        // Not authorised for this operation (or no such operation): nothing is replayed or
        // claimed; the handler (or the fallback) answers 403 or 404.
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let owner = KeyOwner {
        organisation: caller.organisation_id,
        client_id: caller.client_id.clone(),
    };
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|k| valid_key(k))
        .map(str::to_owned);
    let Some(key) = key else {
        let error = ApiError::invalid_parameter(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters, such as a UUID",
        );
        return Ok(req.error_response(error).map_into_boxed_body());
    };

    let (request, mut payload) = req.into_parts();
    let body = match read_body(&request, &mut payload, state.config.batch_body_limit).await {
        Ok(body) => body,
        Err(error) => {
            let response = HttpResponse::from_error(error);
            return Ok(ServiceResponse::new(request, response));
        }
    };
    let fingerprint = fingerprint(&request, &body);
    let ttl = chrono::Duration::from_std(state.config.idempotency_ttl)
        .unwrap_or(chrono::Duration::hours(24));
    let claim_key = key.clone();
    let claim_owner = owner.clone();
    let claim = state
        .db
        .write(move |conn| idempotency::claim(conn, &claim_owner, &claim_key, &fingerprint, ttl))
        .await;
    // `request` is moved, never cloned: actix must still hold it alone when it routes.
    let answer =
        |request, error: ApiError| ServiceResponse::new(request, HttpResponse::from_error(error));
    match claim {
        Err(error) => Ok(answer(request, ApiError::from(error))),
        Ok(Claim::Mismatch) => Ok(answer(
            request,
            ApiError::new(
                StatusCode::CONFLICT,
                ProblemType::IdempotencyKeyReused,
                "this Idempotency-Key was already used with a different request; use a new key",
            ),
        )),
        Ok(Claim::InProgress) => Ok(answer(
            request,
            ApiError::new(
                StatusCode::CONFLICT,
                ProblemType::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed",
            )
            .with_retry_after(1),
        )),
        Ok(Claim::Replay(stored)) => Ok(ServiceResponse::new(request, replay(&stored))),
        Ok(Claim::Acquired) => {
            let req = ServiceRequest::from_parts(request, Payload::from(body));
            let response = match next.call(req).await {
                Ok(response) => response.map_into_boxed_body(),
                Err(error) => {
                    release(&state, owner, key).await;
                    return Err(error);
                }
            };
            let status = response.status();
            if !storable(status) {
                release(&state, owner, key).await;
                return Ok(response);
            }
            let shown_once = response.response().extensions().get::<ShownOnce>().copied();
            let (request, response) = response.into_parts();
            let (head, body) = response.into_parts();
            let bytes = match actix_web::body::to_bytes(body).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    release(&state, owner, key).await;
                    let error = ApiError::internal("the response body could not be read");
                    return Ok(ServiceResponse::new(
                        request,
                        HttpResponse::from_error(error),
                    ));
                }
            };
            let stored = String::from_utf8(bytes.to_vec())
                .ok()
                .map(|text| StoredResponse {
                    status: status.as_u16(),
                    content_type: header_text(&head, header::CONTENT_TYPE),
                    location: header_text(&head, header::LOCATION),
                    body: without_secrets(&text, shown_once),
                });
            match stored {
                Some(stored) => {
                    let result = state
                        .db
                        .write(move |conn| idempotency::complete(conn, &owner, &key, &stored))
                        .await;
                    if let Err(error) = result {
                        // The change itself is committed; only the replay record is missing.
                        log::warn!("idempotency record not stored: {error}");
                    }
                }
                None => release(&state, owner, key).await,
            }
            let response = head.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(request, response))
        }
    }
}

async fn release(state: &Data<AppState>, owner: KeyOwner, key: String) {
    let result = state
        .db
        .write(move |conn| idempotency::release(conn, &owner, &key))
        .await;
    if let Err(error) = result {
        log::warn!("idempotency key not released: {error}");
    }
}

fn header_text(response: &HttpResponse<()>, name: header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn fingerprint(request: &actix_web::HttpRequest, body: &Bytes) -> Fingerprint {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut hasher = Sha256::new();
    for part in [
        request.method().as_str().as_bytes(),
        request.path().as_bytes(),
        request.query_string().as_bytes(),
        content_type.as_bytes(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.update(body);
    Fingerprint {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        hash: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    }
}

fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let Some(content_type) = &stored.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
    }
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.insert_header((REPLAYED_HEADER, "true"));
    response.body(stored.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("3f1b2c8e-0d1e-4e55-9d0a-9f3c2a1b4c5d"));
        assert!(!valid_key(""));
        assert!(!valid_key("with space"));
        assert!(!valid_key(&"k".repeat(256)));
    }

    #[test]
    fn secrets_shown_once_are_not_stored() {
        let body = r#"{"client_id":"otc_1","client_secret":"ots_x","scopes":["admin"]}"#;
        let kept = without_secrets(body, Some(ShownOnce(&["client_secret"])));
        assert!(!kept.contains("ots_x") && kept.contains("otc_1"), "{kept}");
        assert_eq!(without_secrets(body, None), body);
        assert_eq!(without_secrets("[1]", Some(ShownOnce(&["a"]))), "");
    }

    #[test]
    fn transient_answers_are_not_replayed() {
        assert!(storable(StatusCode::CREATED));
        assert!(storable(StatusCode::UNPROCESSABLE_ENTITY));
        for status in [401, 403, 409, 429, 500, 503] {
            assert!(!storable(StatusCode::from_u16(status).unwrap()), "{status}");
        }
    }
}

/// Whatever `Idempotency-Key` arrives, it is accepted or refused, never a panic.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::valid_key;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn idempotency_keys_never_panic(value in any::<String>()) {
            let _ = valid_key(&value);
        }
    }
}
