//! The status indexes handed to certificates' credentials (`credential_status_indexes`):
//! shared reference data like the catalog, so no organisation. The bits are not stored; see
//! `domain::credential_status`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::credential_status_indexes as indexes;
use crate::domain::credential_status::Allocated;
use crate::domain::ids::CertificationId;
use crate::domain::time;
use crate::store::StoreError;

/// One index of a certificate's credentials.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = indexes)]
pub struct StatusIndex {
    pub status_index: i64,
    pub certification_id: CertificationId,
    pub generation: i32,
    /// The first day the index speaks for.
    pub allocated_on: NaiveDate,
    pub allocated_at: NaiveDateTime,
}

impl StatusIndex {
    /// When it was allocated, for `domain::credential_status`.
    pub fn allocated(&self) -> Allocated {
        Allocated {
            on: self.allocated_on,
            at: time::from_db(self.allocated_at),
        }
    }
}

/// The certificate's current index (its highest generation), if it has one.
pub fn current(
    conn: &mut DbConn,
    certification: CertificationId,
) -> Result<Option<StatusIndex>, StoreError> {
    Ok(indexes::table
        .filter(indexes::certification_id.eq(certification))
        .order(indexes::generation.desc())
        .select(StatusIndex::as_select())
        .first(conn)
        .optional()?)
}

/// Gives the certificate the next free index as its `generation`. Two transactions doing this at
/// once on PostgreSQL collide on a unique key (the index or the certificate's generation), and
/// the loser fails with a unique violation for `Db::write_upsert` to run again.
pub fn allocate(
    conn: &mut DbConn,
    certification: CertificationId,
    generation: i32,
    on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<StatusIndex, StoreError> {
    let highest: Option<i64> = indexes::table
        .select(diesel::dsl::max(indexes::status_index))
        .first(conn)?;
    let row = StatusIndex {
        status_index: highest.map_or(0, |i| i + 1),
        certification_id: certification,
        generation,
        allocated_on: on,
        allocated_at: time::to_db(at),
    };
    diesel::insert_into(indexes::table)
        .values((
            indexes::status_index.eq(row.status_index),
            indexes::certification_id.eq(row.certification_id),
            indexes::generation.eq(row.generation),
            indexes::allocated_on.eq(row.allocated_on),
            indexes::allocated_at.eq(row.allocated_at),
        ))
        .execute(conn)?;
    Ok(row)
}

/// The indexes from `first` (inclusive) to `end` (exclusive), in index order.
pub fn in_range(conn: &mut DbConn, first: i64, end: i64) -> Result<Vec<StatusIndex>, StoreError> {
    Ok(indexes::table
        .filter(indexes::status_index.ge(first))
        .filter(indexes::status_index.lt(end))
        .order(indexes::status_index)
        .select(StatusIndex::as_select())
        .load(conn)?)
}
