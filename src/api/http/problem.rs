//! Makes every error response RFC 9457 problem+json, with `instance` and `request_id`.
//!
//! Handlers and extractors return [`ApiError`]; this middleware renders it with the request's
//! path and id and logs 5xx causes. Any other error response (from actix itself) is converted
//! by status. Unknown paths get 404 and known paths with a wrong method get 405 with `Allow`,
//! both decided from the OpenAPI document ([`RouteTable`]).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::request_id;
use crate::api::error::{ApiError, PROBLEM_JSON, ProblemType};
use crate::api::state::AppState;

pub async fn render(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // The request must not be cloned before routing (actix needs it unshared), so only what
    // the Err branch needs is copied out.
    let path = req.path().to_owned();
    let id = request_id::of(req.request());
    // A static route (`/v1/facilities/batch`) answers 405 to other methods itself: actix would
    // otherwise hand the request to a template that also matches (`/v1/facilities/{id}`).
    let refused = req.app_data::<Data<AppState>>().and_then(|state| {
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        let methods = state.routes.static_methods_for(&path)?;
        (!preflight && !methods.contains(req.method())).then(|| method_not_allowed(&req, &methods))
    });
    if let Some(api) = refused {
        let rendered = render_for(req.request(), &api);
        return Ok(req.into_response(rendered).map_into_right_body());
    }
    match next.call(req).await {
        Ok(response) if response.status().as_u16() < 400 => Ok(response.map_into_left_body()),
        Ok(response) => {
            let api_error = match response.response().error() {
                Some(error) => match error.as_error::<ApiError>() {
                    Some(api) => Some(api.clone()),
                    None => Some(from_status(response.status(), &error.to_string())),
                },
                None if is_problem(&response) => None,
                None => Some(from_status(response.status(), "")),
            };
            match api_error {
                None => Ok(response.map_into_left_body()),
                Some(api) => {
                    let mut rendered = render_for(response.request(), &api);
                    keep_headers(response.headers(), rendered.headers_mut());
                    let (request, _) = response.into_parts();
                    Ok(ServiceResponse::new(request, rendered).map_into_right_body())
                }
            }
        }
        Err(error) => {
            let api = match error.as_error::<ApiError>() {
                Some(api) => api.clone(),
                None => from_status(error.as_response_error().status_code(), &error.to_string()),
            };
            // A middleware failed without a response: hand actix a rendered problem.
            let rendered = api.render(Some(path), id);
            Err(actix_web::error::InternalError::from_response(api, rendered).into())
        }
    }
}

/// Headers set on an error response inside the stack (`RateLimit-*` from the rate limiter,
/// `Link`, `X-Request-Id`…) survive its rendering as problem+json; only what describes the old
/// body is dropped.
fn keep_headers(from: &header::HeaderMap, to: &mut header::HeaderMap) {
    for (name, value) in from {
        if name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH || to.contains_key(name) {
            continue;
        }
        to.append(name.clone(), value.clone());
    }
}

fn is_problem(response: &ServiceResponse<impl MessageBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

/// Renders `error` for `req`, logging the cause of a 5xx under the request id.
pub fn render_for(req: &HttpRequest, error: &ApiError) -> HttpResponse {
    let id = request_id::of(req);
    if error.status.is_server_error() && error.status != StatusCode::SERVICE_UNAVAILABLE {
        log::error!(
            "request_id={} {} {}: {}",
            id.as_deref().unwrap_or("-"),
            req.method(),
            req.path(),
            error
        );
    }
    error.render(Some(req.path().to_owned()), id)
}

/// An actix error (not an [`ApiError`]) by its status. Client-side details are kept; server-side
/// ones are hidden.
fn from_status(status: StatusCode, detail: &str) -> ApiError {
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        detail.to_owned()
    };
    match status.as_u16() {
        400 => ApiError::malformed(detail),
        404 => ApiError::not_found(detail),
        405 => ApiError::new(status, ProblemType::MethodNotAllowed, detail),
        406 => ApiError::new(status, ProblemType::NotAcceptable, detail),
        413 => ApiError::new(status, ProblemType::PayloadTooLarge, detail),
        415 => ApiError::unsupported_media_type(detail),
        422 => ApiError::new(status, ProblemType::Validation, detail),
        429 => ApiError::new(status, ProblemType::RateLimited, detail),
        503 => ApiError::unavailable("the service is temporarily unavailable"),
        s if s < 500 => ApiError::new(status, ProblemType::MalformedBody, detail),
        _ => ApiError::internal(detail),
    }
}

/// The default service: 405 with `Allow` for a known path, 404 otherwise.
pub async fn fallback(req: HttpRequest, state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    Err(match state.routes.methods_for(req.path()) {
        Some(methods) if !methods.contains(req.method()) => method_not_allowed(&req, &methods),
        _ => ApiError::not_found(format!("no route {} {}", req.method(), req.path())),
    })
}

fn method_not_allowed(req: &impl RequestHead, methods: &[Method]) -> ApiError {
    let allow = methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ProblemType::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; allowed: {allow}",
            req.head_method(),
            req.head_path()
        ),
    )
    .with_allow(allow)
}

/// The method and path of an [`HttpRequest`] or a [`ServiceRequest`].
trait RequestHead {
    fn head_method(&self) -> &Method;
    fn head_path(&self) -> &str;
}

impl RequestHead for HttpRequest {
    fn head_method(&self) -> &Method {
        self.method()
    }
    fn head_path(&self) -> &str {
        self.path()
    }
}

impl RequestHead for ServiceRequest {
    fn head_method(&self) -> &Method {
        self.method()
    }
    fn head_path(&self) -> &str {
        self.path()
    }
}
