//! The catalog's batch routes at the edge: their body (a JSON array of rows, up to
//! `ORETRACE_BATCH_BODY_LIMIT` bytes and `app::batch::limits::CATALOG_ROWS` rows) and their
//! answer, built from the use case's `BatchReport`.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::read_json_body;
use crate::api::error::{ApiError, ProblemType};
use crate::api::state::AppState;
use crate::app::batch::{BatchReport, Outcome, limits};

/// A JSON array of rows, each kept as JSON so that every row can be checked and reported on
/// its own (`/17/country`).
pub struct BatchRows(pub Vec<serde_json::Value>);

impl FromRequest for BatchRows {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<BatchRows, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let limit = req
                .app_data::<Data<AppState>>()
                .map(|s| s.config.batch_body_limit)
                .unwrap_or(64 * 1024 * 1024);
            let bytes = read_json_body(&req, &mut payload, limit).await?;
            parse_rows(&bytes, limits::CATALOG_ROWS).map(BatchRows)
        })
    }
}

/// Parses a JSON array of at most `max_rows` rows.
pub fn parse_rows(bytes: &[u8], max_rows: usize) -> Result<Vec<serde_json::Value>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::malformed(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Array(rows) = value else {
        return Err(ApiError::invalid_field("", "must be a JSON array of rows"));
    };
    if rows.len() > max_rows {
        return Err(too_many_rows(rows.len(), max_rows));
    }
    Ok(rows)
}

pub fn too_many_rows(rows: usize, max_rows: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ProblemType::PayloadTooLarge,
        format!(
            "a batch takes at most {max_rows} rows and this one has {rows}: split it, or load it \
             with `oretrace import catalog`"
        ),
    )
}

/// What a batch did with one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// A new record was created.
    Created,
    /// The row named a known record (by identifier) and changed it.
    Updated,
    /// The row named a known record and matched it already.
    Unchanged,
}

/// One row's result.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchRowResult {
    /// The row's index in the request, from 0.
    pub index: usize,
    /// The id of the record the row created, updated or matched.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub outcome: RowOutcome,
}

/// The result of a batch: all rows were applied, in one transaction.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// Rows that created a record.
    pub created: usize,
    /// Rows that changed a known record.
    pub updated: usize,
    /// Rows that matched a known record already.
    pub unchanged: usize,
    /// Each row's record and outcome, in request order.
    pub rows: Vec<BatchRowResult>,
}

impl From<Outcome> for RowOutcome {
    fn from(outcome: Outcome) -> RowOutcome {
        match outcome {
            Outcome::Created => RowOutcome::Created,
            Outcome::Updated => RowOutcome::Updated,
            Outcome::Unchanged => RowOutcome::Unchanged,
        }
    }
}

impl From<BatchReport<uuid::Uuid>> for BatchResult {
    fn from(report: BatchReport<uuid::Uuid>) -> BatchResult {
        BatchResult {
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            rows: report
                .rows
                .into_iter()
                .map(|row| BatchRowResult {
                    index: row.index,
                    id: row.id,
                    outcome: row.outcome.into(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_must_be_an_array_within_the_cap() {
        assert_eq!(parse_rows(b"[{}, {}]", 10).unwrap().len(), 2);
        assert_eq!(parse_rows(b"{}", 10).unwrap_err().status.as_u16(), 422);
        assert_eq!(parse_rows(b"[", 10).unwrap_err().status.as_u16(), 400);
        assert_eq!(parse_rows(b"[1,2,3]", 2).unwrap_err().status.as_u16(), 413);
    }
}
