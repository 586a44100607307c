//! `/console`: the browser console (docs/CONSOLE.md), three static files compiled into the
//! binary, so that it works offline and loads nothing from anywhere else. It is a client of the
//! documented API like any other: it signs in with client credentials and calls the `/v1`
//! routes with the token, which it keeps in memory only. Served like `/docs`: outside the API
//! contract, without a token, under its own Content-Security-Policy
//! (`api::http::security_headers`).

use actix_web::{HttpResponse, web};

const INDEX: &str = include_str!("../../../console/index.html");
const SCRIPT: &str = include_str!("../../../console/app.js");
const STYLE: &str = include_str!("../../../console/app.css");

fn file(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type(content_type).body(body)
}

/// `/console`, `/console/`, and its script and style sheet.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/console",
        web::get().to(|| async { file("text/html; charset=utf-8", INDEX) }),
    )
    .route(
        "/console/",
        web::get().to(|| async { file("text/html; charset=utf-8", INDEX) }),
    )
    .route(
        "/console/app.js",
        web::get().to(|| async { file("text/javascript; charset=utf-8", SCRIPT) }),
    )
    .route(
        "/console/app.css",
        web::get().to(|| async { file("text/css; charset=utf-8", STYLE) }),
    );
}
