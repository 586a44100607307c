//! Recording one purchase line (`POST /v1/purchases`): created, or the line with its
//! `external_ref` updated when it changed, or left as it is. A refused reference names its field
//! in the line ([`Rejection::at`]), not a row.

use super::{audit, references, rollup};
use crate::app::AppError;
use crate::app::batch::Outcome;
use crate::app::webhooks::sweep;
use crate::db::DbConn;
use crate::domain::ids::PurchaseId;
use crate::domain::purchase::PurchaseLine;
use crate::domain::time;
use crate::store::audit::Actor;
use crate::store::mix_rollup::Deltas;
use crate::store::purchase::write::{self, PurchaseWrite, content_hash};
use crate::store::purchase::{PurchaseRecord, references as stored_references};
use crate::store::{Rejection, StoreError};

/// Writes one validated line for the actor's organisation, in the caller's transaction, and
/// answers the purchase as stored and what writing it did. An update is audited.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    line: &PurchaseLine,
) -> Result<(PurchaseRecord, Outcome), AppError> {
    let organisation = actor.organisation_id;
    sweep::request(conn, organisation)?;
    let refs = stored_references::load(conn, organisation, [line])?;
    let rejections: Vec<Rejection> = references::problems(line, &refs)
        .into_iter()
        .map(|(field, detail)| Rejection::at(field, detail))
        .collect();
    StoreError::check(rejections)?;
    let origins = references::origin_rows(line, &refs);
    let hash = content_hash(line, &origins);
    let stored = write::existing_by_ref(conn, organisation, &[line.external_ref.as_str()])?
        .remove(&line.external_ref);
    let now = time::now();
    let written = |id: PurchaseId| PurchaseWrite {
        id,
        line,
        origins: &origins,
        content_hash: &hash,
    };
    let mut deltas = Deltas::default();
    let (id, outcome, created_at, updated_at) = match stored {
        Some(stored) if stored.content_hash == hash => (
            stored.id,
            Outcome::Unchanged,
            stored.created_at,
            stored.updated_at,
        ),
        Some(stored) => {
            rollup::subtract_stored(conn, organisation, &[stored.id], &mut deltas)?;
            rollup::add(&mut deltas, line, &origins);
            write::update(conn, organisation, &written(stored.id), now)?;
            (stored.id, Outcome::Updated, stored.created_at, now)
        }
        None => {
            let id = PurchaseId::generate();
            rollup::add(&mut deltas, line, &origins);
            write::insert(conn, organisation, &[written(id)], now)?;
            (id, Outcome::Created, now, now)
        }
    };
    deltas.apply(conn, organisation)?;
    let record = PurchaseRecord {
        id,
        external_ref: line.external_ref.clone(),
        supplier: line.supplier,
        mineral: line.mineral,
        quantity_mg: line.quantity.mg,
        quantity_uozt: line.quantity.uozt,
        quantity_value: line.quantity.value.to_string(),
        quantity_unit: line.quantity.unit,
        purchased_on: line.purchased_on,
        lot: line.lot,
        origins,
        created_at,
        updated_at,
    };
    if outcome == Outcome::Updated {
        audit::updated(conn, actor, &record)?;
    }
    Ok((record, outcome))
}
