//! Security headers on every response. The interactive docs get a policy that lets the vendored
//! Swagger UI run (same origin only); everything else may not be framed, sniffed or cached.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/// The console's own script and style sheet, calls to the API, and the charts and report it
/// makes from answers (`blob:`); nothing else, nothing inline.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                           connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; \
                           base-uri 'none'; form-action 'none'";

pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let console = req.path() == "/console" || req.path().starts_with("/console/");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let mut set_default = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(header::X_FRAME_OPTIONS, "DENY");
    set_default(header::REFERRER_POLICY, "no-referrer");
    set_default(
        header::CONTENT_SECURITY_POLICY,
        if docs {
            DOCS_CSP
        } else if console {
            CONSOLE_CSP
        } else {
            API_CSP
        },
    );
    set_default(
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    if !docs {
        set_default(header::CACHE_CONTROL, "no-store");
    }
    Ok(response)
}
