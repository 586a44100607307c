//! The daily rollup behind the sourcing mix (`purchase_mix_daily`): every purchase write adds
//! or subtracts its origin rows here, in the same transaction, so that the mix reads one row per
//! day, mineral, supplier, origin and basis however many lines the organisation has.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::DbConn;
use crate::db::schema::purchase_mix_daily as daily;
use crate::store::StoreError;

/// One cell of the rollup.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub purchased_on: NaiveDate,
    pub mineral: String,
    pub supplier_party_id: String,
    /// The facility id, or `""`.
    pub facility_key: String,
    pub origin_class: String,
    /// The country code, or `""`.
    pub country_key: String,
    pub declared: i16,
    pub has_lot: i16,
}

/// Changes to apply to the rollup, summed per cell. Kept sorted so that concurrent writers
/// lock cells in the same order (no deadlocks on PostgreSQL).
#[derive(Default, Debug)]
pub struct Deltas(BTreeMap<RollupKey, i64>);

#[derive(Insertable)]
#[diesel(table_name = daily)]
struct Row {
    organisation_id: String,
    purchased_on: NaiveDate,
    mineral: String,
    supplier_party_id: String,
    facility_key: String,
    origin_class: String,
    country_key: String,
    declared: i16,
    has_lot: i16,
    quantity_mg: i64,
}

const CHUNK: usize = 400;

/// `INSERT … ON CONFLICT (the key) DO UPDATE SET quantity_mg = quantity_mg + excluded`.
macro_rules! upsert {
    ($conn:ident, $values:expr) => {
        diesel::insert_into(daily::table)
            .values($values)
            .on_conflict((
                daily::organisation_id,
                daily::purchased_on,
                daily::mineral,
                daily::supplier_party_id,
                daily::facility_key,
                daily::origin_class,
                daily::country_key,
                daily::declared,
                daily::has_lot,
            ))
            .do_update()
            .set(daily::quantity_mg.eq(daily::quantity_mg + excluded(daily::quantity_mg)))
            .execute($conn)?
    };
}

impl Deltas {
    pub fn add(&mut self, key: RollupKey, quantity_mg: i64) {
        *self.0.entry(key).or_insert(0) += quantity_mg;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every non-zero delta to its cell (creating the cell when new).
    pub fn apply(self, conn: &mut DbConn, organisation: &str) -> Result<(), StoreError> {
        let rows: Vec<Row> = self
            .0
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .map(|(key, delta)| Row {
                organisation_id: organisation.to_owned(),
                purchased_on: key.purchased_on,
                mineral: key.mineral,
                supplier_party_id: key.supplier_party_id,
                facility_key: key.facility_key,
                origin_class: key.origin_class,
                country_key: key.country_key,
                declared: key.declared,
                has_lot: key.has_lot,
                quantity_mg: delta,
            })
            .collect();
        // diesel has no multi-row upsert on SQLite: there, one statement per cell (cheap inside
        // one transaction); on PostgreSQL, CHUNK cells per statement.
        match conn {
            DbConn::Pg(conn) => {
                for chunk in rows.chunks(CHUNK) {
                    upsert!(conn, chunk);
                }
            }
            DbConn::Sqlite(conn) => {
                for row in &rows {
                    upsert!(conn, row);
                }
            }
        }
        Ok(())
    }
}

/// Removes cells that went back to zero (housekeeping: readers skip them anyway).
pub fn purge_empty(conn: &mut DbConn) -> Result<usize, StoreError> {
    Ok(diesel::delete(daily::table.filter(daily::quantity_mg.eq(0))).execute(conn)?)
}
