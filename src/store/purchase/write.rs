//! Writing purchases: new lines inserted set-wise, a changed line replaced with its origin rows,
//! a line deleted; and what is stored of the lines a batch names by `external_ref`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::CHUNK;
use super::rows::{NewOriginRow, NewPurchaseRow, origin_rows};
use crate::db::DbConn;
use crate::db::schema::{purchase_origins, purchases};
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::domain::purchase::{PurchaseLine, PurchaseOrigin};
use crate::domain::time;
use crate::store::StoreError;

/// References per PostgreSQL lookup (one `text[]` parameter each).
const ARRAY_CHUNK: usize = 10_000;

/// A line to store under `id`, with its resolved origin rows and content hash.
#[derive(Clone, Copy, Debug)]
pub struct PurchaseWrite<'a> {
    pub id: PurchaseId,
    pub line: &'a PurchaseLine,
    pub origins: &'a [PurchaseOrigin],
    pub content_hash: &'a str,
}

/// A stored purchase a line names by its `external_ref`.
#[derive(Clone, Debug)]
pub struct Existing {
    pub id: PurchaseId,
    pub content_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// SHA-256 of everything a line says, to tell a re-send that changes nothing.
pub fn content_hash(line: &PurchaseLine, origins: &[PurchaseOrigin]) -> String {
    let mut hasher = Sha256::new();
    let mut part = |text: &str| {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    part(&line.supplier.to_string());
    part(line.mineral.as_str());
    part(&line.quantity.mg.to_string());
    part(&line.quantity.value.to_string());
    part(line.quantity.unit.as_str());
    part(&line.purchased_on.to_string());
    part(&line.lot.map(|l| l.to_string()).unwrap_or_default());
    for origin in origins {
        part(&origin.facility.map(|f| f.to_string()).unwrap_or_default());
        part(origin.class.as_str());
        part(
            origin
                .country
                .map(|c| c.to_string())
                .as_deref()
                .unwrap_or(""),
        );
        part(if origin.declared { "1" } else { "0" });
        part(&origin.share_ppb.to_string());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The organisation's purchases with these external refs.
pub fn existing_by_ref(
    conn: &mut DbConn,
    organisation: OrganisationId,
    refs: &[&str],
) -> Result<HashMap<String, Existing>, StoreError> {
    type Row = (String, PurchaseId, String, NaiveDateTime, NaiveDateTime);
    let mut found = HashMap::new();
    // PostgreSQL takes the references as one array parameter, so a chunk is bounded only to
    // keep each answer small; SQLite binds one parameter per reference.
    let chunk_size = match conn {
        DbConn::Pg(_) => ARRAY_CHUNK,
        DbConn::Sqlite(_) => CHUNK,
    };
    for chunk in refs.chunks(chunk_size) {
        let rows: Vec<Row> = match conn {
            // One probe of the (organisation_id, external_ref) key per reference, whatever the
            // statistics: before the first ANALYZE of a tenant's bulk load, PostgreSQL's plan
            // for `external_ref = ANY($2)` read every row of the organisation through another
            // index (340 ms per 500 references at 100,000 lines), and a plain join to
            // `unnest($2)` became a hash join over all of them once the array was large (the
            // lookup grew from 35 ms to 1.2 s per 50,000 references over a 200,000-line load).
            // `LATERAL … LIMIT 1` cannot be flattened into a join, so each reference is one
            // index probe (40 ms for 10,000 by EXPLAIN ANALYZE, whatever the table holds).
            DbConn::Pg(pg) => diesel::sql_query(
                "SELECT p.external_ref, p.id, p.content_hash, p.created_at, p.updated_at \
                 FROM unnest($2::text[]) AS r(ref) \
                 CROSS JOIN LATERAL ( \
                     SELECT q.external_ref, q.id, q.content_hash, q.created_at, q.updated_at \
                     FROM purchases q \
                     WHERE q.organisation_id = $1 AND q.external_ref = r.ref LIMIT 1) AS p",
            )
            .bind::<diesel::sql_types::Text, _>(organisation.to_string())
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(chunk)
            .load::<ExistingRow>(pg)?
            .into_iter()
            .map(ExistingRow::into_row)
            .collect::<Result<_, _>>()?,
            DbConn::Sqlite(_) => purchases::table
                .filter(purchases::organisation_id.eq(organisation))
                .filter(purchases::external_ref.eq_any(chunk))
                .select((
                    purchases::external_ref,
                    purchases::id,
                    purchases::content_hash,
                    purchases::created_at,
                    purchases::updated_at,
                ))
                .load(conn)?,
        };
        for (external_ref, id, content_hash, created_at, updated_at) in rows {
            let existing = Existing {
                id,
                content_hash,
                created_at: time::from_db(created_at),
                updated_at: time::from_db(updated_at),
            };
            found.insert(external_ref, existing);
        }
    }
    Ok(found)
}

/// A row of [`existing_by_ref`]'s PostgreSQL query, read by name.
#[derive(QueryableByName)]
struct ExistingRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    external_ref: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    content_hash: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    updated_at: NaiveDateTime,
}

impl ExistingRow {
    fn into_row(
        self,
    ) -> Result<(String, PurchaseId, String, NaiveDateTime, NaiveDateTime), StoreError> {
        let id = self
            .id
            .parse()
            .map_err(|_| StoreError::corrupt(format!("stored purchase id {:?}", self.id)))?;
        Ok((
            self.external_ref,
            id,
            self.content_hash,
            self.created_at,
            self.updated_at,
        ))
    }
}

/// Writes new rows of `$table`: on PostgreSQL in one binary `COPY` (no statement to plan, no
/// bound parameter per value); on SQLite in multi-row inserts of [`CHUNK`] rows.
macro_rules! write_rows {
    ($conn:ident, $table:path, $rows:expr) => {
        match $conn {
            DbConn::Pg(pg) => {
                if !$rows.is_empty() {
                    diesel::copy_from($table)
                        .from_insertable($rows)
                        .execute(pg)?;
                }
            }
            DbConn::Sqlite(sqlite) => {
                for chunk in $rows.chunks(CHUNK) {
                    diesel::insert_into($table).values(chunk).execute(sqlite)?;
                }
            }
        }
    };
}

fn insert_origins(conn: &mut DbConn, rows: &[NewOriginRow]) -> Result<(), StoreError> {
    write_rows!(conn, purchase_origins::table, rows);
    Ok(())
}

/// Inserts new purchases and their origin rows, all written at `now`: on PostgreSQL by binary
/// `COPY` (a unique-key conflict with a concurrent writer still fails the statement, and
/// [`crate::db::Db::write_upsert`] retries the batch), on SQLite by multi-row inserts.
pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    writes: &[PurchaseWrite<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = time::to_db(now);
    let mut origins = Vec::new();
    let rows: Vec<NewPurchaseRow> = writes
        .iter()
        .map(|write| {
            let line = write.line;
            origins.extend(origin_rows(organisation, write.id, line, write.origins));
            NewPurchaseRow {
                organisation_id: organisation,
                id: write.id,
                external_ref: line.external_ref.clone(),
                supplier_party_id: line.supplier,
                mineral: line.mineral,
                quantity_mg: line.quantity.mg,
                quantity_uozt: line.quantity.uozt,
                quantity_value: line.quantity.value.to_string(),
                quantity_unit: line.quantity.unit,
                purchased_on: line.purchased_on,
                lot_id: line.lot,
                content_hash: write.content_hash.to_owned(),
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    write_rows!(conn, purchases::table, &rows[..]);
    insert_origins(conn, &origins)
}

/// Deletes the origin rows of these purchases (one statement on PostgreSQL, where the ids are
/// one array parameter; [`CHUNK`] ids per statement on SQLite).
fn delete_origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    ids: &[PurchaseId],
) -> Result<(), StoreError> {
    let chunk_size = match conn {
        DbConn::Pg(_) => ids.len().max(1),
        DbConn::Sqlite(_) => CHUNK,
    };
    for chunk in ids.chunks(chunk_size) {
        diesel::delete(
            purchase_origins::table
                .filter(purchase_origins::organisation_id.eq(organisation))
                .filter(purchase_origins::purchase_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Replaces a stored purchase's content and origin rows, changed at `now`.
pub fn update(
    conn: &mut DbConn,
    organisation: OrganisationId,
    write: &PurchaseWrite<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let line = write.line;
    diesel::update(
        purchases::table
            .filter(purchases::organisation_id.eq(organisation))
            .filter(purchases::id.eq(write.id)),
    )
    .set((
        purchases::supplier_party_id.eq(line.supplier),
        purchases::mineral.eq(line.mineral),
        purchases::quantity_mg.eq(line.quantity.mg),
        purchases::quantity_uozt.eq(line.quantity.uozt),
        purchases::quantity_value.eq(line.quantity.value.to_string()),
        purchases::quantity_unit.eq(line.quantity.unit),
        purchases::purchased_on.eq(line.purchased_on),
        purchases::lot_id.eq(line.lot),
        purchases::content_hash.eq(write.content_hash),
        purchases::updated_at.eq(time::to_db(now)),
    ))
    .execute(conn)?;
    delete_origins(conn, organisation, &[write.id])?;
    insert_origins(
        conn,
        &origin_rows(organisation, write.id, line, write.origins),
    )
}

/// Replaces many stored purchases' content and origin rows, changed at `now`: on PostgreSQL in
/// three statements whatever their number (the lines updated from arrays, their origin rows
/// deleted by id array, the new origin rows copied); on SQLite one line after another.
pub fn update_many(
    conn: &mut DbConn,
    organisation: OrganisationId,
    writes: &[PurchaseWrite<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match conn {
        DbConn::Sqlite(_) => {
            for write in writes {
                update(conn, organisation, write, now)?;
            }
            return Ok(());
        }
        DbConn::Pg(_) if writes.is_empty() => return Ok(()),
        DbConn::Pg(pg) => update_lines(pg, organisation, writes, now)?,
    }
    let stored: Vec<PurchaseId> = writes.iter().map(|w| w.id).collect();
    delete_origins(conn, organisation, &stored)?;
    let origins: Vec<NewOriginRow> = writes
        .iter()
        .flat_map(|w| origin_rows(organisation, w.id, w.line, w.origins))
        .collect();
    insert_origins(conn, &origins)
}

/// The lines' own columns, replaced in one `UPDATE … FROM unnest(…)` (PostgreSQL).
fn update_lines(
    pg: &mut diesel::PgConnection,
    organisation: OrganisationId,
    writes: &[PurchaseWrite<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamp};
    let organisation_text = organisation.to_string();
    let ids: Vec<String> = writes.iter().map(|w| w.id.to_string()).collect();
    let lines = writes.iter().map(|w| w.line);
    let suppliers: Vec<String> = lines.clone().map(|l| l.supplier.to_string()).collect();
    let minerals: Vec<&str> = lines.clone().map(|l| l.mineral.as_str()).collect();
    let mg: Vec<i64> = lines.clone().map(|l| l.quantity.mg).collect();
    let uozt: Vec<i64> = lines.clone().map(|l| l.quantity.uozt).collect();
    let values: Vec<String> = lines
        .clone()
        .map(|l| l.quantity.value.to_string())
        .collect();
    let units: Vec<&str> = lines.clone().map(|l| l.quantity.unit.as_str()).collect();
    let days: Vec<chrono::NaiveDate> = lines.clone().map(|l| l.purchased_on).collect();
    let lots: Vec<Option<String>> = lines.map(|l| l.lot.map(|lot| lot.to_string())).collect();
    let hashes: Vec<&str> = writes.iter().map(|w| w.content_hash).collect();
    diesel::sql_query(
        "UPDATE purchases AS p SET supplier_party_id = u.supplier, mineral = u.mineral, \
                quantity_mg = u.mg, quantity_uozt = u.uozt, quantity_value = u.value, \
                quantity_unit = u.unit, purchased_on = u.day, lot_id = u.lot, \
                content_hash = u.hash, updated_at = $12 \
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], \
                     $7::text[], $8::text[], $9::date[], $10::text[], $11::text[]) \
              AS u(id, supplier, mineral, mg, uozt, value, unit, day, lot, hash) \
         WHERE p.organisation_id = $1 AND p.id = u.id",
    )
    .bind::<Text, _>(&organisation_text)
    .bind::<Array<Text>, _>(&ids)
    .bind::<Array<Text>, _>(&suppliers)
    .bind::<Array<Text>, _>(&minerals)
    .bind::<Array<BigInt>, _>(&mg)
    .bind::<Array<BigInt>, _>(&uozt)
    .bind::<Array<Text>, _>(&values)
    .bind::<Array<Text>, _>(&units)
    .bind::<Array<Date>, _>(&days)
    .bind::<Array<Nullable<Text>>, _>(&lots)
    .bind::<Array<Text>, _>(&hashes)
    .bind::<Timestamp, _>(time::to_db(now))
    .execute(pg)?;
    Ok(())
}

/// Deletes a purchase and its origin rows.
pub fn delete(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
) -> Result<(), StoreError> {
    delete_origins(conn, organisation, &[id])?;
    diesel::delete(
        purchases::table
            .filter(purchases::organisation_id.eq(organisation))
            .filter(purchases::id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}
