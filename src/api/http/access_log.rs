//! One log line per request: request id, organisation, method, path, status, latency.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::request_id::RequestId;
use crate::api::http::caller::Authentication;

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "-".to_owned());
    let result = next.call(req).await;
    let (status, organisation) = match &result {
        Ok(response) => (
            response.status().as_u16(),
            match response.request().extensions().get::<Authentication>() {
                Some(Authentication::Valid(caller)) => caller.organisation_id.to_string(),
                _ => "-".to_owned(),
            },
        ),
        Err(error) => (
            error.as_response_error().status_code().as_u16(),
            "-".to_owned(),
        ),
    };
    let elapsed = started.elapsed();
    let level = if status >= 500 {
        log::Level::Error
    } else {
        log::Level::Info
    };
    log::log!(
        target: "oretrace::access",
        level,
        "request_id={request_id} org={organisation} method={method} path={path} status={status} latency_ms={:.3}",
        elapsed.as_secs_f64() * 1000.0
    );
    result
}
