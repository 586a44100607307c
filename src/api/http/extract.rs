//! Extractors that turn bodies and query strings into typed values, or into problems that name
//! the bad field: 415 for a wrong content type, 413 for an oversize body, 400 for malformed
//! syntax, 422 (with a JSON pointer) for a well-formed body with a bad value, 400 (with the
//! parameter name) for a bad query parameter.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::api::error::{ApiError, FieldError};
use crate::api::state::AppState;
pub use crate::domain::validation::pointer_of;
use crate::domain::validation::{refine_pointer, strip_position};

/// Reads the whole body, refusing more than `limit` bytes with 413 (before reading, when
/// `Content-Length` already says so).
pub async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit as u64
    {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::malformed(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The essence of the `Content-Type` (`application/json` of `application/json; charset=utf-8`).
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

pub fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// Parses JSON into `T`, naming the offending member by JSON pointer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let pointer = pointer_of(error.path());
        let inner = error.into_inner();
        // serde_json reports some type mismatches (a number where an enum is expected) as
        // syntax errors; when the document itself is valid JSON, it is a bad value.
        if inner.is_syntax()
            && std::str::from_utf8(bytes).is_ok()
            && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
        {
            let message = "has a value of the wrong type or out of range".to_owned();
            return ApiError::validation(vec![FieldError::at(pointer, message)]);
        }
        json_error(pointer, &inner)
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Maps a serde_json error to 400 (syntax) or 422 (a bad value at `pointer`).
pub fn json_error(pointer: String, error: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::malformed(format!("the body is not valid JSON: {error}"))
        }
        Category::Data => {
            let message = strip_position(&error.to_string());
            ApiError::validation(vec![FieldError::at(
                refine_pointer(pointer, &message),
                message,
            )])
        }
    }
}

/// A JSON request body of type `T`, at most `ORETRACE_JSON_BODY_LIMIT` bytes.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<ApiJson<T>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<Data<AppState>>()
                .map(|s| s.config.json_body_limit)
                .unwrap_or(256 * 1024);
            json_body(req, payload, limit).await.map(ApiJson)
        })
    }
}

/// A JSON batch body (such as a batch of custody events): as [`ApiJson`], but up to
/// `ORETRACE_BATCH_BODY_LIMIT` instead of `ORETRACE_JSON_BODY_LIMIT`.
pub struct ApiBatchJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiBatchJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<ApiBatchJson<T>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<Data<AppState>>()
                .map(|s| s.config.batch_body_limit)
                .unwrap_or(64 * 1024 * 1024);
            json_body(req, payload, limit).await.map(ApiBatchJson)
        })
    }
}

/// Checks the media type, reads at most `limit` bytes and parses them as JSON.
async fn json_body<T: DeserializeOwned>(
    req: HttpRequest,
    mut payload: Payload,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = read_json_body(&req, &mut payload, limit).await?;
    parse_json(&bytes)
}

/// The bytes of a JSON body: 415 unless the media type is JSON, 413 beyond `limit` bytes.
pub async fn read_json_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    match media_type(req) {
        Some(media) if is_json(&media) => {}
        Some(media) => {
            return Err(ApiError::unsupported_media_type(format!(
                "this operation takes application/json, not {media}"
            )));
        }
        None => {
            return Err(ApiError::unsupported_media_type(
                "send the body with Content-Type: application/json",
            ));
        }
    }
    read_body(req, payload, limit).await
}

/// Query parameters of type `T`. Declare `T` with `#[serde(deny_unknown_fields)]` so that a
/// misspelt filter is refused instead of silently widening the answer.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> ApiQuery<T> {
    pub fn parse(query: &str) -> Result<T, ApiError> {
        // A NUL can never be part of a filter, and PostgreSQL refuses it in text (found by
        // schemathesis: `q=%00` was a 500).
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(_, value)| value.contains('\0'))
        {
            return Err(ApiError::invalid_parameter(
                name.into_owned(),
                "must not contain NUL characters",
            ));
        }
        let pairs = form_urlencoded::parse(query.as_bytes());
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            let message = strip_position(&error.inner().to_string());
            let name = match path.as_str() {
                "." | "" => refine_pointer(String::new(), &message)
                    .trim_start_matches('/')
                    .to_owned(),
                other => other.to_owned(),
            };
            let name = if name.is_empty() {
                "query".to_owned()
            } else {
                name
            };
            ApiError::invalid_parameter(name, message)
        })
    }
}

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<ApiQuery<T>, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(ApiQuery::parse(req.query_string()).map(ApiQuery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialized")]
    struct Body {
        name: String,
        quantity: Quantity,
        tags: Option<Vec<u8>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialized")]
    struct Quantity {
        value: f64,
    }

    fn pointer(error: ApiError) -> String {
        error.errors[0].pointer.clone().unwrap()
    }

    #[test]
    fn data_errors_name_the_member() {
        let e = parse_json::<Body>(br#"{"name":"x","quantity":{"value":"a"}}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
        assert_eq!(pointer(e), "/quantity/value");
        let e = parse_json::<Body>(br#"{"name":"x"}"#).unwrap_err();
        assert_eq!(pointer(e), "/quantity");
        let e =
            parse_json::<Body>(br#"{"name":"x","quantity":{"value":1},"extra":1}"#).unwrap_err();
        assert_eq!(pointer(e), "/extra");
        let e = parse_json::<Body>(br#"{"name":"x","quantity":{"value":1},"tags":[1,300]}"#)
            .unwrap_err();
        assert_eq!(pointer(e), "/tags/1");
    }

    #[test]
    fn syntax_errors_are_400() {
        for body in [
            &b"{"[..],
            b"{\"name\":",
            b"{\"name\":\"x\",}",
            b"{\"name\":\"x\",\"quantity\":{\"value\":1}} trailing",
            b"\xff\xfe",
        ] {
            let e = parse_json::<Body>(body).unwrap_err();
            assert_eq!(
                e.status.as_u16(),
                400,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let body = "[".repeat(100_000);
        let e = parse_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialized")]
    struct Query {
        limit: Option<u32>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let e = ApiQuery::<Query>::parse("limit=abc").unwrap_err();
        assert_eq!(e.errors[0].parameter.as_deref(), Some("limit"));
        let e = ApiQuery::<Query>::parse("limt=5").unwrap_err();
        assert_eq!(e.errors[0].parameter.as_deref(), Some("limt"));
        assert!(ApiQuery::<Query>::parse("limit=5").is_ok());
        assert!(ApiQuery::<Query>::parse("").is_ok());
        let e = ApiQuery::<Query>::parse("limit=5%00").unwrap_err();
        assert_eq!(e.status, actix_web::http::StatusCode::BAD_REQUEST);
    }
}
