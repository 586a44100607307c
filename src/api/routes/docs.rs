//! `/openapi.json` and the interactive docs at `/docs` (vendored Swagger UI: no CDN needed).

use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::SwaggerUi;

/// `/docs/...` and `/openapi.json`.
pub fn swagger_ui(doc: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc)
}

/// `/docs` → `/docs/`.
pub fn configure_redirect(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/docs/"))
                .finish()
        }),
    );
}
