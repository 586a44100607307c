//! Purchases that name a lot, traced: their lots' ancestry is loaded once for all of them,
//! set-based (`store::lot_graph`), each purchase traced (`domain::provenance`), and a trace that
//! reaches mines or recycled material replaces the purchase's declared rows
//! (`domain::mix::traced_origins`); otherwise its declared origin (or unknown) stands.

use std::collections::HashMap;

use super::load::as_origin;
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{LotId, OrganisationId};
use crate::domain::mix::{MineFacts, MixOrigin, counts_as_traced, traced_origins};
use crate::domain::provenance::{LotQuantity, Trace, trace_quantity};
use crate::store::lot_graph::{self, MAX_DEPTH};
use crate::store::mix::LotPurchase;
use crate::store::provenance::facility_infos;

/// The origin quantities of `purchases` (each with its recorded origin rows).
pub(super) fn origins(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchases: Vec<LotPurchase>,
) -> Result<Vec<MixOrigin>, AppError> {
    // The lot graph speaks the lots' text ids.
    let mut lots: Vec<String> = purchases.iter().map(|p| p.lot_id.to_string()).collect();
    lots.sort();
    lots.dedup();
    let loaded = lot_graph::load(conn, &organisation.to_string(), &lots, MAX_DEPTH)?;
    let facilities = facility_infos(conn, &loaded.facility_ids)?;
    let mine = |id: &str| {
        facilities.get(id).map(|info| MineFacts {
            kind: info.facts.kind,
            mining_scale: info.facts.mining_scale,
            country: info.facts.country,
        })
    };
    // Purchases of the same lot and quantity trace alike: each is traced once.
    let mut traces: HashMap<(LotId, i64, i64), Option<Trace>> = HashMap::new();
    let mut out = Vec::new();
    for purchase in purchases {
        let declared: Vec<MixOrigin> = purchase.origins.into_iter().map(as_origin).collect();
        let traced = traces
            .entry((
                purchase.lot_id,
                purchase.purchase_mg,
                purchase.purchase_uozt,
            ))
            .or_insert_with(|| {
                let root = LotQuantity {
                    lot_id: purchase.lot_id.to_string(),
                    quantity_mg: purchase.purchase_mg,
                    quantity_uozt: purchase.purchase_uozt,
                };
                trace_quantity(&loaded.graph, root, MAX_DEPTH)
                    .ok()
                    .filter(counts_as_traced)
            });
        match traced {
            Some(traced) => out.extend(traced_origins(&declared, &traced.attributions, mine)),
            None => out.extend(declared),
        }
    }
    Ok(out)
}
