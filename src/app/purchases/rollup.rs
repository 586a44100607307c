//! Keeping the mix's daily rollup exact in the write transaction: a line's origin rows enter it
//! when the line is written, and a stored line's rows leave it when the line changes or goes.

use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId};
use crate::domain::purchase::{PurchaseLine, PurchaseOrigin};
use crate::store::StoreError;
use crate::store::mix_rollup::{self, Deltas, RollupKey};

/// Adds a line's origin rows to `deltas`.
pub(super) fn add(deltas: &mut Deltas, line: &PurchaseLine, origins: &[PurchaseOrigin]) {
    for origin in origins {
        let key = RollupKey {
            purchased_on: line.purchased_on,
            mineral: line.mineral,
            supplier: Some(line.supplier),
            facility: origin.facility,
            origin_class: origin.class,
            country: origin.country,
            declared: origin.declared,
            has_lot: line.lot.is_some(),
        };
        deltas.add(key, origin.quantity_mg, origin.quantity_uozt, 1);
    }
}

/// Takes the stored origin rows of these purchases out of `deltas`.
pub(super) fn subtract_stored(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchase_ids: &[PurchaseId],
    deltas: &mut Deltas,
) -> Result<(), StoreError> {
    for (key, mg, uozt) in mix_rollup::stored_cells(conn, organisation, purchase_ids)? {
        deltas.add(key, mg, uozt, -1);
    }
    Ok(())
}
