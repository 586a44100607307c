//! Writing a checked event with its lots.

use diesel::prelude::*;

use super::{EventLots, Side};
use crate::db::DbConn;
use crate::db::schema::{custody_event_lots, custody_events};
use crate::domain::ids::{CustodyEventId, OrganisationId};
use crate::domain::lot::EventLine;
use crate::domain::time;
use crate::store::StoreError;

/// Writes an event (checked by the caller) and its lots, each side with its quantities.
pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: CustodyEventId,
    line: &EventLine,
    lots: &EventLots,
) -> Result<(), StoreError> {
    let documents = serde_json::to_string(&line.documents).map_err(StoreError::corrupt)?;
    diesel::insert_into(custody_events::table)
        .values((
            custody_events::organisation_id.eq(organisation),
            custody_events::id.eq(id),
            custody_events::event_type.eq(line.event_type),
            custody_events::occurred_on.eq(line.occurred_on),
            custody_events::facility_id.eq(line.facility),
            custody_events::from_party_id.eq(line.from_party),
            custody_events::to_party_id.eq(line.to_party),
            custody_events::chain_of_custody.eq(line.chain_of_custody),
            custody_events::documents.eq(&documents),
            custody_events::external_ref.eq(line.external_ref.as_deref()),
            custody_events::recorded_at.eq(time::to_db(time::now())),
        ))
        .execute(conn)?;
    for side in [Side::Transferred, Side::Input, Side::Output] {
        for lot in lots.side(side) {
            diesel::insert_into(custody_event_lots::table)
                .values((
                    custody_event_lots::organisation_id.eq(organisation),
                    custody_event_lots::event_id.eq(id),
                    custody_event_lots::lot_id.eq(lot.lot_id),
                    custody_event_lots::direction.eq(side.as_str()),
                    custody_event_lots::quantity_mg.eq(lot.quantity_mg),
                    custody_event_lots::quantity_uozt.eq(lot.quantity_uozt),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
