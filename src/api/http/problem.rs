//! Makes every error response RFC 9457 problem+json, with `instance` and `request_id`.
//!
//! Handlers and extractors return [`ApiError`]; this middleware renders it with the request's
//! path and id and logs 5xx causes. Any other error response (from actix itself) is converted
//! by status. Unknown paths get 404 and known paths with a wrong method get 405 with `Allow`,
//! both decided from the OpenAPI document ([`RouteTable`]).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ResourceDef;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::request_id;
use crate::api::error::{ApiError, PROBLEM_JSON, ProblemType};
use crate::api::state::AppState;
use crate::auth::scopes::{Scope, ScopeSet};

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

/// Every path the API serves and its methods, from the OpenAPI document.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
    /// Per operation, the scope sets that admit a caller (any one of them suffices; an empty
    /// set admits any valid token), as the document's `security` states them.
    security: Vec<(ResourceDef, Method, Vec<Vec<Scope>>)>,
    /// The static paths whose every operation needs no token (probes, metrics, keys, the token
    /// endpoint, the contract and its docs).
    public: Vec<String>,
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> RouteTable {
        let mut routes: Vec<(ResourceDef, Vec<Method>)> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let candidates = [
                    (&item.get, Method::GET),
                    (&item.put, Method::PUT),
                    (&item.post, Method::POST),
                    (&item.delete, Method::DELETE),
                    (&item.patch, Method::PATCH),
                ];
                for (operation, method) in candidates {
                    if operation.is_some() {
                        methods.push(method);
                    }
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        for path in ["/openapi.json", "/docs", "/docs/{tail}*"] {
            routes.push((ResourceDef::new(path), vec![Method::GET]));
        }
        let mut security = Vec::new();
        for (path, item) in &doc.paths.paths {
            let candidates = [
                (&item.get, Method::GET),
                (&item.put, Method::PUT),
                (&item.post, Method::POST),
                (&item.delete, Method::DELETE),
                (&item.patch, Method::PATCH),
            ];
            for (operation, method) in candidates {
                let Some(requirements) = operation.as_ref().and_then(|o| o.security.as_ref())
                else {
                    continue;
                };
                let alternatives: Vec<Vec<Scope>> = requirements
                    .iter()
                    .filter_map(|requirement| {
                        let value = serde_json::to_value(requirement).ok()?;
                        let scopes = value.as_object()?.values().next()?.as_array()?.clone();
                        Some(
                            scopes
                                .iter()
                                .filter_map(|s| s.as_str().and_then(Scope::parse))
                                .collect(),
                        )
                    })
                    .collect();
                if !alternatives.is_empty() {
                    security.push((ResourceDef::new(path.as_str()), method, alternatives));
                }
            }
        }
        let mut public: Vec<String> = doc
            .paths
            .paths
            .iter()
            .filter(|(path, item)| {
                let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
                !path.contains('{')
                    && operations.iter().all(|operation| {
                        operation
                            .as_ref()
                            .is_none_or(|o| o.security.as_ref().is_none_or(Vec::is_empty))
                    })
            })
            .map(|(path, _)| path.clone())
            .collect();
        public.push("/openapi.json".to_owned());
        RouteTable {
            routes,
            security,
            public,
        }
    }

    /// Whether `scopes` admit the caller to the operation `method path`, as the document's
    /// security requirements say; `None` when the document names no such secured operation.
    pub fn admits(&self, method: &Method, path: &str, scopes: &ScopeSet) -> Option<bool> {
        let is_static = |def: &ResourceDef| def.pattern().is_some_and(|p| !p.contains('{'));
        let matching = |def: &ResourceDef, m: &Method| m == method && def.is_match(path);
        let found = self
            .security
            .iter()
            .find(|(def, m, _)| is_static(def) && matching(def, m))
            .or_else(|| self.security.iter().find(|(def, m, _)| matching(def, m)))?;
        Some(
            found
                .2
                .iter()
                .any(|needed| needed.iter().all(|scope| scopes.contains(*scope))),
        )
    }

    /// Whether `path` is served without a token: an operation the document lists without a
    /// security requirement, the document itself or its interactive docs.
    pub fn is_public(&self, path: &str) -> bool {
        self.public.iter().any(|p| p == path) || path == "/docs" || path.starts_with("/docs/")
    }

    /// The methods of the static route (no `{param}`) whose path is exactly `path`.
    pub fn static_methods_for(&self, path: &str) -> Option<Vec<Method>> {
        self.routes
            .iter()
            .find(|(def, _)| def.pattern().is_some_and(|p| !p.contains('{') && p == path))
            .map(|(_, methods)| methods.clone())
    }

    /// The methods allowed on `path`, or `None` when no route has that path. A path that a
    /// static route matches (`/v1/facilities/batch`) takes that route's methods only, not
    /// those of a template that also matches it (`/v1/facilities/{id}`).
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let is_static = |def: &ResourceDef| def.pattern().is_some_and(|p| !p.contains('{'));
        let static_match = self
            .routes
            .iter()
            .any(|(def, _)| is_static(def) && def.is_match(path));
        let mut found: Option<Vec<Method>> = None;
        for (def, methods) in &self.routes {
            if def.is_match(path) && (!static_match || is_static(def)) {
                let entry = found.get_or_insert_with(Vec::new);
                for method in methods {
                    if !entry.contains(method) {
                        entry.push(method.clone());
                    }
                }
            }
        }
        found
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_matches_templates() {
        let table = RouteTable {
            routes: vec![
                (
                    ResourceDef::new("/v1/things"),
                    vec![Method::GET, Method::POST],
                ),
                (ResourceDef::new("/v1/things/{id}"), vec![Method::GET]),
            ],
            security: Vec::new(),
            public: Vec::new(),
        };
        assert_eq!(table.methods_for("/v1/things/abc"), Some(vec![Method::GET]));
        assert_eq!(table.methods_for("/v1/things").map(|m| m.len()), Some(2));
        assert_eq!(table.methods_for("/v1/other"), None);
        assert_eq!(table.methods_for("/v1/things/abc/def"), None);
        let with_batch = RouteTable {
            routes: vec![
                (ResourceDef::new("/v1/things/{id}"), vec![Method::GET]),
                (ResourceDef::new("/v1/things/batch"), vec![Method::POST]),
            ],
            security: Vec::new(),
            public: Vec::new(),
        };
        assert_eq!(
            with_batch.methods_for("/v1/things/batch"),
            Some(vec![Method::POST])
        );
    }

    #[test]
    fn scope_requirements_come_from_the_document() {
        let table = RouteTable::from_openapi(&crate::api::openapi::document());
        let set = |scopes: &[Scope]| scopes.iter().copied().collect::<ScopeSet>();
        let read = set(&[Scope::CatalogRead]);
        let admin = set(&[Scope::Admin]);
        let clients = "/v1/organisations/0193d5e2-0000-7000-8000-000000000000/clients";
        assert_eq!(table.admits(&Method::POST, clients, &read), Some(false));
        assert_eq!(table.admits(&Method::POST, clients, &admin), Some(true));
        assert_eq!(
            table.admits(&Method::POST, "/v1/facilities/batch", &read),
            Some(false)
        );
        assert_eq!(table.admits(&Method::GET, "/v1/me", &set(&[])), Some(true));
        assert_eq!(table.admits(&Method::POST, "/v1/auth/token", &read), None);
    }

    #[test]
    fn public_paths_come_from_the_document() {
        let table = RouteTable::from_openapi(&crate::api::openapi::document());
        for path in [
            "/health/live",
            "/health/ready",
            "/metrics",
            "/.well-known/jwks.json",
            "/v1/auth/token",
            "/openapi.json",
            "/docs/",
        ] {
            assert!(table.is_public(path), "{path}");
        }
        for path in [
            "/v1/me",
            "/v1/purchases",
            "/v1/facilities",
            "/metricsx",
            "/docsx",
            "/v1/auth/tokens",
        ] {
            assert!(!table.is_public(path), "{path}");
        }
    }
}
