//! What the coverage and the outgoing declaration read of the organisation's own supply: the
//! quantity bought from each supplier per mineral in a period, and the smelters and refiners its
//! own custody events pass through.

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events, facilities, lots, purchases};
use crate::domain::ids::{FacilityId, OrganisationId, PartyId};
use crate::domain::vocabulary::{FacilityKind, Mineral};
use crate::store::StoreError;

/// Milligrams bought from one supplier of one mineral in a period (troy-ounce lines count by
/// their milligram equivalent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplierQuantity {
    pub supplier: PartyId,
    pub mineral: Mineral,
    pub quantity_mg: i64,
    pub lines: i64,
}

/// The organisation's purchases from `from` to `to` (inclusive), summed by supplier and mineral.
pub fn purchased_by_supplier(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SupplierQuantity>, StoreError> {
    let rows: Vec<(PartyId, Mineral, i64, i64)> = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .filter(purchases::purchased_on.ge(from))
        .filter(purchases::purchased_on.le(to))
        .group_by((purchases::supplier_party_id, purchases::mineral))
        .select((
            purchases::supplier_party_id,
            purchases::mineral,
            sql::<BigInt>("CAST(SUM(quantity_mg) AS BIGINT)"),
            sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
        ))
        .order((purchases::supplier_party_id, purchases::mineral))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(supplier, mineral, quantity_mg, lines)| SupplierQuantity {
            supplier,
            mineral,
            quantity_mg,
            lines,
        })
        .collect())
}

/// The smelters and refiners at which the organisation's custody events from `from` to `to`
/// took place, with the mineral of the lots they moved: the smelters of its own traced lots.
pub fn traced_smelters(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(FacilityId, Mineral)>, StoreError> {
    Ok(custody_events::table
        .inner_join(facilities::table)
        .inner_join(
            custody_event_lots::table.on(custody_event_lots::organisation_id
                .eq(custody_events::organisation_id)
                .and(custody_event_lots::event_id.eq(custody_events::id))),
        )
        .inner_join(
            lots::table.on(lots::organisation_id
                .eq(custody_event_lots::organisation_id)
                .and(lots::id.eq(custody_event_lots::lot_id))),
        )
        .filter(custody_events::organisation_id.eq(organisation))
        .filter(custody_events::occurred_on.ge(from))
        .filter(custody_events::occurred_on.le(to))
        .filter(facilities::kind.eq_any([FacilityKind::Smelter, FacilityKind::Refiner]))
        .select((facilities::id, lots::mineral))
        .distinct()
        .order((facilities::id, lots::mineral))
        .load(conn)?)
}
