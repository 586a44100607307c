//! Content negotiation (`Accept`): for the routes that answer JSON or CSV (the sourcing mix,
//! the declarations' roll-up and coverage), and `choose` for any other set of representations
//! (the due-diligence report's JSON or HTML).

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};

use crate::api::error::{ApiError, ProblemType};

/// The media ranges of the request's `Accept` with a quality above 0, most preferred first;
/// `None` when there is no `Accept`.
fn accepted_ranges(req: &HttpRequest) -> Option<Vec<String>> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())?;
    let mut ranges: Vec<(f32, String)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    Some(ranges.into_iter().map(|(_, media)| media).collect())
}

/// Whether the request's `Accept` prefers CSV to JSON (JSON when it names neither first, or
/// has no `Accept`); 406 naming `what` when it accepts neither.
pub fn prefers_csv(req: &HttpRequest, what: &str) -> Result<bool, ApiError> {
    Ok(choose(req, &["application/json", "text/csv"], what)? == "text/csv")
}

/// For a route that answers only CSV: 406 naming `json_route` when `Accept` excludes it.
pub fn require_csv(req: &HttpRequest, json_route: &str) -> Result<(), ApiError> {
    let acceptable = accepted_ranges(req).is_none_or(|ranges| {
        ranges
            .iter()
            .any(|m| matches!(m.as_str(), "text/csv" | "text/*" | "*/*"))
    });
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            ProblemType::NotAcceptable,
            format!("this route answers text/csv; {json_route} answers application/json"),
        ))
    }
}

/// The first of `offered` (most preferred by the server first) that the request's `Accept`
/// ranks highest; the first offered when there is no `Accept` or it accepts anything; 406
/// naming `what` and the offered types when it accepts none of them.
pub fn choose(
    req: &HttpRequest,
    offered: &[&'static str],
    what: &str,
) -> Result<&'static str, ApiError> {
    let Some(ranges) = accepted_ranges(req) else {
        return Ok(offered[0]);
    };
    for media in &ranges {
        let found = offered.iter().find(|o| {
            media == *o
                || media == "*/*"
                || media
                    .strip_suffix("/*")
                    .is_some_and(|family| o.split('/').next() == Some(family))
        });
        if let Some(found) = found {
            return Ok(found);
        }
    }
    Err(ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        ProblemType::NotAcceptable,
        format!("{what} is available as {}", offered.join(" or ")),
    ))
}

/// A verifiable credential's representation (docs/CREDENTIALS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialMedia {
    /// `application/vc+jwt`: secured (VC-JOSE-COSE), the default.
    Secured,
    /// `application/vc` (or JSON, JSON-LD): the unsecured credential, to read.
    Unsecured,
}

/// Which representation of a credential the request's `Accept` prefers: `application/vc+jwt`
/// when it names it first, any type (`*/*`, `application/*`) or none; the unsecured credential
/// for `application/vc`, `application/ld+json` or `application/json`; 406 otherwise.
pub fn credential_media(req: &HttpRequest) -> Result<CredentialMedia, ApiError> {
    let offered = [
        "application/vc+jwt",
        "application/vc",
        "application/ld+json",
        "application/json",
    ];
    Ok(match choose(req, &offered, "a credential")? {
        "application/vc+jwt" => CredentialMedia::Secured,
        _ => CredentialMedia::Unsecured,
    })
}
