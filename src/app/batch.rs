//! What every batch shares: the outcome of one row, the report of a whole batch, and the one
//! place that states how many rows each kind of batch takes.
//!
//! A batch is checked whole and written in one transaction: when any row is refused, the use
//! case answers [`AppError::Rejected`](super::AppError) with every refused value and its row
//! ([`Rejection::in_row`](crate::store::Rejection::in_row)), and nothing is written. The HTTP
//! edge renders that once (`api::error`), with the row index first in each pointer.

/// The most rows one batch takes, by kind: larger loads are split by the client, or loaded with
/// `oretrace import`, which streams a file of any size through the same checks.
pub mod limits {
    /// `POST /v1/facilities/batch`, `/v1/parties/batch`, `/v1/certifications/batch`.
    pub const CATALOG_ROWS: usize = 10_000;
    /// `POST /v1/purchases/batch` and one chunk of `oretrace import purchases`.
    pub const PURCHASE_ROWS: usize = 100_000;
    /// `POST /v1/custody-events` with an `events` list.
    pub const CUSTODY_EVENT_ROWS: usize = 1_000;
    /// `POST /v1/epcis/capture`: events of one document (advertised as
    /// `GS1-EPCIS-Capture-Limit`).
    pub const EPCIS_CAPTURE_EVENTS: usize = 1_000;
    /// `POST /v1/epcis/capture`: bytes of one document (advertised as
    /// `GS1-EPCIS-Capture-File-Size-Limit`).
    pub const EPCIS_CAPTURE_BYTES: usize = 4 * 1024 * 1024;
}

/// What writing one record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A new record was created.
    Created,
    /// The row named a known record and changed it.
    Updated,
    /// The row named a known record and matched it already.
    Unchanged,
}

/// One row's record and outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowReport<Id> {
    /// The row's index in the request, from 0.
    pub index: usize,
    pub id: Id,
    pub outcome: Outcome,
}

/// What a batch did: counts and each row's outcome, in request order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchReport<Id> {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rows: Vec<RowReport<Id>>,
}

impl<Id> Default for BatchReport<Id> {
    fn default() -> Self {
        BatchReport {
            created: 0,
            updated: 0,
            unchanged: 0,
            rows: Vec::new(),
        }
    }
}

impl<Id> BatchReport<Id> {
    pub fn push(&mut self, index: usize, id: Id, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
        self.rows.push(RowReport { index, id, outcome });
    }

    /// Sorts rows back into request order.
    pub fn finish(mut self) -> BatchReport<Id> {
        self.rows.sort_by_key(|r| r.index);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_count_and_keep_request_order() {
        let mut report = BatchReport::default();
        report.push(2, "c", Outcome::Created);
        report.push(0, "a", Outcome::Unchanged);
        report.push(1, "b", Outcome::Updated);
        let report = report.finish();
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (1, 1, 1)
        );
        let order: Vec<&str> = report.rows.iter().map(|r| r.id).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }
}
