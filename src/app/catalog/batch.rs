//! The one batch pipeline of the catalog: `POST /v1/facilities/batch`, `/v1/parties/batch`,
//! `/v1/certifications/batch` and `oretrace import catalog` all parse their rows with
//! [`parse_rows`] and write them with [`apply`], for any [`CatalogKind`].
//!
//! A batch is all or nothing: every row is checked first, each refusal carries its row and
//! field ([`Rejection::in_row`]), and nothing is written while any row is refused. A row that
//! names a known record (by identifier, or by scheme and certificate number) updates it; the
//! others create. Lookups are set-wise (one query per kind and chunk), new records are written
//! with multi-row inserts.

use std::collections::{BTreeSet, HashMap};

use crate::app::AppError;
use crate::app::batch::{BatchReport, Outcome};
use crate::db::DbConn;
use crate::domain::validation::FieldError;
use crate::store::Rejection;
use crate::store::audit::{self, Actor};

use super::CatalogKind;
use super::kind::RecordId;

/// How many records one statement of a batch writes (and one progress step counts).
const WRITE_CHUNK: usize = 1000;

/// Refuses the batch when any row is refused.
pub(super) fn refuse(rejections: Vec<Rejection>) -> Result<(), AppError> {
    if rejections.is_empty() {
        Ok(())
    } else {
        Err(AppError::Rejected {
            rejections,
            detail: None,
        })
    }
}

/// A field error of one row (`row` none for a single record), as a refusal.
pub(super) fn placed(row: Option<usize>, error: FieldError) -> Rejection {
    let field = error.pointer.unwrap_or_default();
    match row {
        Some(row) => Rejection::in_row(row, field, error.detail),
        None => Rejection::at(field, error.detail),
    }
}

/// Checks every row on its own and against the other rows (a key named twice), refusing the
/// batch with every error found.
pub fn parse_rows<K: CatalogKind>(rows: Vec<serde_json::Value>) -> Result<Vec<K::Row>, AppError> {
    let mut rejections = Vec::new();
    let mut parsed = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        match (K::PARSE)(row) {
            Ok(row) => parsed.push((i, row)),
            Err(invalid) => rejections.extend(invalid.0.into_iter().map(|e| placed(Some(i), e))),
        }
    }
    let mut first_row: HashMap<K::Key, usize> = HashMap::new();
    for (i, row) in &parsed {
        for (field, key) in K::keys(row) {
            match first_row.get(&key) {
                Some(&first) if first != *i => {
                    rejections.push(Rejection::in_row(*i, field, K::also_in_row(&key, first)))
                }
                _ => {
                    first_row.insert(key, *i);
                }
            }
        }
    }
    refuse(rejections)?;
    Ok(parsed.into_iter().map(|(_, row)| row).collect())
}

/// The known record a row names, if any, and why it names records it cannot.
type Target<Id> = (Option<Id>, Vec<Rejection>);

/// The known record each row names.
fn targets<K: CatalogKind>(
    conn: &mut DbConn,
    rows: &[K::Row],
) -> Result<Vec<Target<K::Id>>, AppError> {
    let keys: Vec<K::Key> = rows
        .iter()
        .flat_map(|row| K::keys(row).into_iter().map(|(_, key)| key))
        .collect();
    let owners = (K::OWNERS)(conn, &keys)?;
    let (one, many) = K::NAMES;
    let mut claimed: HashMap<K::Id, usize> = HashMap::new();
    let mut targets = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let mut refused = Vec::new();
        let known: BTreeSet<K::Id> = K::keys(row)
            .iter()
            .filter_map(|(_, key)| owners.get(key).copied())
            .collect();
        let target = match known.len() {
            0 => None,
            1 => known.first().copied(),
            _ => {
                let ids: Vec<String> = known.iter().map(ToString::to_string).collect();
                refused.push(Rejection::in_row(
                    i,
                    K::KEYS_FIELD,
                    format!(
                        "these identifiers belong to different {many}: {}",
                        ids.join(", ")
                    ),
                ));
                None
            }
        };
        if let Some(id) = target {
            match claimed.get(&id) {
                Some(first) => refused.push(Rejection::in_row(
                    i,
                    K::KEYS_FIELD,
                    format!("names {one} {id}, as row {first} does"),
                )),
                None => {
                    claimed.insert(id, i);
                }
            }
        }
        targets.push((target, refused));
    }
    Ok(targets)
}

/// Applies checked rows inside the caller's transaction and reports each row's outcome, in
/// request order. `progress` is told how many rows are done.
pub fn apply<K: CatalogKind>(
    conn: &mut DbConn,
    actor: &Actor,
    mut rows: Vec<K::Row>,
    progress: &mut dyn FnMut(usize),
) -> Result<BatchReport<uuid::Uuid>, AppError> {
    refuse(
        K::resolve(conn, &mut rows)?
            .into_iter()
            .map(|(i, e)| placed(Some(i), e))
            .collect(),
    )?;
    let context = K::context(conn, &rows)?;
    let targets = targets::<K>(conn, &rows)?;
    let known: Vec<K::Id> = targets.iter().filter_map(|(id, _)| *id).collect();
    let existing: HashMap<K::Id, K::Record> = (K::FIND_MANY)(conn, &known)?
        .into_iter()
        .map(|record| (K::id(&record), record))
        .collect();
    let mut rejections = Vec::new();
    for (i, (row, (target, refused))) in rows.iter().zip(&targets).enumerate() {
        let current = target.and_then(|id| existing.get(&id));
        let errors = K::check(&context, row, current);
        rejections.extend(errors.into_iter().map(|e| placed(Some(i), e)));
        rejections.extend(refused.iter().cloned());
    }
    refuse(rejections)?;

    let mut report = BatchReport::default();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut obstacles = Vec::new();
    for (i, (row, (target, _))) in rows.into_iter().zip(targets).enumerate() {
        match target.and_then(|id| existing.get(&id)) {
            Some(current) => {
                let id = K::id(current);
                let row = K::merged(row, current);
                if K::matches(&row, current) {
                    report.push(i, id.uuid(), Outcome::Unchanged);
                    progress(1);
                } else {
                    for reason in K::obstacles(conn, &row, current)? {
                        obstacles.push(Rejection::in_row(i, K::OBSTACLE_FIELD, reason));
                    }
                    report.push(i, id.uuid(), Outcome::Updated);
                    updates.push((id, row));
                }
            }
            None => {
                let id = K::Id::generate();
                report.push(i, id.uuid(), Outcome::Created);
                creates.push((id, row));
            }
        }
    }
    refuse(obstacles)?;

    let mut changes = Vec::new();
    for chunk in updates.chunks(WRITE_CHUNK) {
        changes.extend(K::replace_many(conn, actor, chunk, &existing)?);
        progress(chunk.len());
    }
    let created_at = crate::domain::time::now();
    for chunk in creates.chunks(WRITE_CHUNK) {
        K::insert_many(conn, actor, chunk)?;
        for (id, row) in chunk {
            changes.push(audit::Change {
                action: "create",
                entity_type: K::ENTITY,
                entity_id: id.to_string(),
                changes: K::created(*id, row, created_at)?,
            });
        }
        progress(chunk.len());
    }
    if !changes.is_empty() {
        crate::app::webhooks::sweep::request_all(conn)?;
    }
    audit::record_many(conn, actor, &changes)?;
    Ok(report.finish())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::app::catalog::facilities::Facilities;

    fn smelter(name: &str, cid: &str) -> serde_json::Value {
        json!({"name": name, "kind": "smelter", "minerals": ["tin"], "country": "ID",
               "identifiers": [{"scheme": "rmi_cid", "value": cid}]})
    }

    #[test]
    fn every_refused_row_is_named_with_its_field() {
        let rows = vec![
            smelter("A", "CID000001"),
            json!({"name": "B", "kind": "cave", "minerals": ["tin"], "country": "ID"}),
            smelter("C", "CID000001"),
        ];
        let Err(AppError::Rejected { rejections, .. }) = parse_rows::<Facilities>(rows) else {
            panic!("the batch is refused");
        };
        let pointers: Vec<String> = rejections.iter().map(Rejection::pointer).collect();
        assert_eq!(pointers.first().map(String::as_str), Some("/1/kind"));
        let clash = rejections.last().expect("a clash");
        assert_eq!(clash.pointer(), "/2/identifiers/0");
        assert_eq!(
            clash.detail,
            "rmi_cid:CID000001 is also the identifier of row 0"
        );
        assert_eq!(
            parse_rows::<Facilities>(vec![smelter("A", "CID000001")])
                .map(|r| r.len())
                .ok(),
            Some(1)
        );
    }
}
