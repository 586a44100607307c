//! The certificates in an organisation's supply as a sweep last saw them, and the expiry
//! notices already given (see the migration).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::db::schema::{
    certification_expiry_notices as notices, certification_states as states, custody_events,
};
use crate::domain::ids::OrganisationId;
use crate::store::StoreError;

/// The suppliers of an organisation's purchases, by a loose index scan of
/// `purchases_supplier_idx`: one probe for the first supplier, then one for the next after each,
/// where `SELECT DISTINCT` reads every purchase (docs/PERFORMANCE.md, "The sweep's supply
/// without reading every purchase": at a million lines the two `DISTINCT`s took 337 ms on
/// PostgreSQL and 2.3 s on SQLite, this read and the one below 2–3 ms).
const SUPPLIERS: &str = "WITH RECURSIVE supplier(id) AS ( \
       SELECT MIN(supplier_party_id) FROM purchases WHERE organisation_id = $1 \
     UNION ALL \
       SELECT (SELECT MIN(p.supplier_party_id) FROM purchases p \
               WHERE p.organisation_id = $1 AND p.supplier_party_id > supplier.id) \
       FROM supplier WHERE supplier.id IS NOT NULL) \
     SELECT id FROM supplier WHERE id IS NOT NULL";

/// The facilities its purchases declare as origins: those of the monthly rollup's non-empty
/// cells (summed over suppliers), and those of origin rows that weigh nothing, which add to no
/// cell. An origin row adds to its cell exactly what `domain::mass::families` makes of it,
/// nothing only when both its quantities are 0, and the cells are never negative; so a cell is
/// non-empty exactly when some origin row of it weighs something. The second part's predicate
/// is `purchase_origins_weightless_idx`'s, word for word (both planners match it as written).
/// One statement, so one snapshot on PostgreSQL.
const DECLARED_FACILITIES: &str = "SELECT facility_key AS id FROM purchase_mix_monthly_by_origin \
     WHERE organisation_id = $1 AND facility_key <> '' \
       AND (quantity_mg <> 0 OR quantity_uozt <> 0) \
     UNION \
     SELECT facility_id AS id FROM purchase_origins \
     WHERE organisation_id = $1 AND quantity_mg = 0 AND quantity_uozt = 0 \
       AND facility_id IS NOT NULL";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

fn ids(
    conn: &mut DbConn,
    statement: &'static str,
    organisation: OrganisationId,
) -> Result<impl Iterator<Item = String>, StoreError> {
    let rows: Vec<Id> = diesel::sql_query(statement)
        .bind::<Text, _>(organisation.to_string())
        .load(conn)?;
    Ok(rows.into_iter().map(|row| row.id))
}

/// The facilities and parties in an organisation's supply: the suppliers of its purchases, the
/// facilities its purchases declare as origins, and the facilities and parties of its custody
/// events (the traced ancestry of its lots is made of those events). Each sorted, once.
pub fn supply(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let mut facilities: BTreeSet<String> = ids(conn, DECLARED_FACILITIES, organisation)?.collect();
    let mut parties: BTreeSet<String> = ids(conn, SUPPLIERS, organisation)?.collect();
    let events: Vec<(Option<String>, Option<String>, Option<String>)> = custody_events::table
        .filter(custody_events::organisation_id.eq(organisation))
        .select((
            custody_events::facility_id,
            custody_events::from_party_id,
            custody_events::to_party_id,
        ))
        .distinct()
        .load(conn)?;
    for (facility, from, to) in events {
        facilities.extend(facility);
        parties.extend(from.into_iter().chain(to));
    }
    Ok((
        facilities.into_iter().collect(),
        parties.into_iter().collect(),
    ))
}

/// A certificate's effective status and level as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub certification_id: String,
    pub status: String,
    pub level: Option<String>,
}

pub fn seen(conn: &mut DbConn, organisation: OrganisationId) -> Result<Vec<Seen>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = states::table
        .filter(states::organisation_id.eq(organisation))
        .select((states::certification_id, states::status, states::level))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(certification_id, status, level)| Seen {
            certification_id,
            status,
            level,
        })
        .collect())
}

/// Records what a certificate looks like now (inserted or replaced).
pub fn record(
    conn: &mut DbConn,
    organisation: OrganisationId,
    seen: &Seen,
) -> Result<(), StoreError> {
    forget(conn, organisation, &seen.certification_id)?;
    diesel::insert_into(states::table)
        .values((
            states::organisation_id.eq(organisation),
            states::certification_id.eq(&seen.certification_id),
            states::status.eq(&seen.status),
            states::level.eq(seen.level.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a certificate that left the organisation's supply.
pub fn forget(
    conn: &mut DbConn,
    organisation: OrganisationId,
    certification_id: &str,
) -> Result<(), StoreError> {
    diesel::delete(
        states::table
            .filter(states::organisation_id.eq(organisation))
            .filter(states::certification_id.eq(certification_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Records an expiry notice; false when it was given already.
pub fn notice_once(
    conn: &mut DbConn,
    organisation: OrganisationId,
    certification_id: &str,
    valid_until: NaiveDate,
    notice_days: i32,
) -> Result<bool, StoreError> {
    let given: i64 = notices::table
        .filter(notices::organisation_id.eq(organisation))
        .filter(notices::certification_id.eq(certification_id))
        .filter(notices::valid_until.eq(valid_until))
        .filter(notices::notice_days.eq(notice_days))
        .count()
        .get_result(conn)?;
    if given > 0 {
        return Ok(false);
    }
    diesel::insert_into(notices::table)
        .values((
            notices::organisation_id.eq(organisation),
            notices::certification_id.eq(certification_id),
            notices::valid_until.eq(valid_until),
            notices::notice_days.eq(notice_days),
        ))
        .execute(conn)?;
    Ok(true)
}
