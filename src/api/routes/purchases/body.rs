//! The body of `POST /v1/purchases/batch`: which format its media type names, and its rows
//! parsed and validated (`app::purchases::batch_body`) off the async executor. The one place a
//! batch body's refusal becomes an HTTP problem.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

use crate::api::error::{ApiError, ProblemType, rejected};
use crate::api::http::extract::{media_type, read_body};
use crate::app::batch::limits::PURCHASE_ROWS;
use crate::app::purchases::batch_body::{self, BodyError, Format};
use crate::domain::purchase::PurchaseLine;

/// The batch format a media type names (`application/json`, `application/x-ndjson`,
/// `text/csv`…).
fn format_of(media_type: &str) -> Option<Format> {
    match media_type {
        "application/json" => Some(Format::JsonArray),
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines" => Some(Format::Ndjson),
        "text/csv" | "application/csv" => Some(Format::Csv),
        _ => None,
    }
}

/// A refused body as a problem: 400 when it is not well-formed, 413 over the row limit, 422
/// naming every refused row and field.
fn problem(error: BodyError) -> ApiError {
    match error {
        BodyError::Malformed(detail) => ApiError::malformed(detail),
        BodyError::Refused(rejections) => rejected(rejections, None),
        BodyError::TooManyRows(count) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::PayloadTooLarge,
            format!("the batch has {count} rows or more; at most {PURCHASE_ROWS} rows per batch"),
        ),
    }
}

/// The format the body of a route that names its format (`/v1/purchases/batch.csv`,
/// `.ndjson`) is read as: that format's own media types, or `application/octet-stream`, which
/// generated clients send for a file.
fn format_named(media_type: &str, format: Format) -> Option<Format> {
    (media_type == "application/octet-stream" || format_of(media_type) == Some(format))
        .then_some(format)
}

/// Reads a batch body (at most `limit` bytes) into validated lines with their row index, in
/// the format its `Content-Type` names.
pub async fn lines(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<(usize, PurchaseLine)>, ApiError> {
    let format = media_type(req)
        .as_deref()
        .and_then(format_of)
        .ok_or_else(|| {
            ApiError::unsupported_media_type(
                "send the batch as application/json (an array), application/x-ndjson or text/csv",
            )
        })?;
    parse(req, payload, limit, format).await
}

/// Reads a batch body sent to the route of one format: as [`lines`], but always in `format`
/// (sent as that format's media type or as `application/octet-stream`).
pub async fn lines_in(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    format: Format,
) -> Result<Vec<(usize, PurchaseLine)>, ApiError> {
    let format = media_type(req)
        .as_deref()
        .and_then(|m| format_named(m, format))
        .ok_or_else(|| {
            ApiError::unsupported_media_type(match format {
                Format::Csv => "send this batch as text/csv or application/octet-stream",
                Format::Ndjson => {
                    "send this batch as application/x-ndjson or application/octet-stream"
                }
                Format::JsonArray => "send this batch as application/json",
            })
        })?;
    parse(req, payload, limit, format).await
}

async fn parse(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    format: Format,
) -> Result<Vec<(usize, PurchaseLine)>, ApiError> {
    let body = read_body(req, &mut payload.into_inner(), limit).await?;
    web::block(move || batch_body::lines(format, &body))
        .await
        .map_err(|_| ApiError::unavailable("the server is shutting down"))?
        .map_err(problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Rejection;

    #[test]
    fn refused_rows_name_rows_from_one() {
        let refused = vec![Rejection::in_row(3000, "/quantity_value", "bad")];
        let problem = problem(BodyError::Refused(refused));
        assert_eq!(
            problem.errors[0].pointer.as_deref(),
            Some("/3000/quantity_value")
        );
        assert_eq!(problem.errors[0].detail, "row 3001: bad");
        assert!(problem.detail.contains("nothing was written"));
    }

    #[test]
    fn media_types_name_formats() {
        assert_eq!(format_of("application/x-ndjson"), Some(Format::Ndjson));
        assert_eq!(format_of("application/csv"), Some(Format::Csv));
        assert_eq!(format_of("text/plain"), None);
    }

    #[test]
    fn a_route_of_one_format_reads_files_in_it() {
        let csv = |m| format_named(m, Format::Csv);
        assert_eq!(csv("application/octet-stream"), Some(Format::Csv));
        assert_eq!(csv("application/csv"), Some(Format::Csv));
        assert_eq!(csv("application/x-ndjson"), None);
        assert_eq!(csv("application/json"), None);
        let ndjson = |m| format_named(m, Format::Ndjson);
        assert_eq!(ndjson("application/octet-stream"), Some(Format::Ndjson));
        assert_eq!(ndjson("text/csv"), None);
    }
}
