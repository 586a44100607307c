//! Tracing a lot, a purchase or a supplier's purchases back to the mines of origin: the ancestry
//! loaded set-based once (`store::provenance`), attributed and judged in pure code, and each mine
//! reached judged under the organisation's policy on its extraction date.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::mass::{Mass, MassUnit};
use crate::domain::policy::{Acceptance, PolicyClass};
use crate::domain::provenance::{
    ExactShare, LotQuantity, Source, Trace, TraceError, YieldTolerance,
};
use crate::domain::red_flags::RedFlag;
use crate::domain::vocabulary::{Mineral, MiningScale};
use crate::store::provenance::{
    Evaluated, FacilityInfo, PurchaseScope, TraceContext, bought_without_lot, purchases_with_lots,
};
use crate::store::{lot, purchase};

/// A mine of origin and what is attributed to it through one extraction.
#[derive(Clone, Debug)]
pub struct MineOrigin {
    pub facility_id: String,
    /// The mine as the catalog knows it, when it does (shared by every origin from that mine).
    pub facility: Option<Arc<FacilityInfo>>,
    pub extraction_event_id: String,
    pub extracted_on: NaiveDate,
    /// The extracted lot.
    pub lot_id: String,
    pub quantity_mg: i64,
    /// The exact quantity in the trace's unit.
    pub quantity: String,
    pub share: ExactShare,
    /// The certificate the organisation's policy accepts for the mine on the extraction date.
    pub acceptance: Option<Acceptance>,
}

/// A trace, its red flags and its mines of origin (largest first).
#[derive(Debug)]
pub struct Traced {
    /// The mineral judged (certificates must cover it), when known.
    pub mineral: Option<Mineral>,
    pub trace: Trace,
    pub flags: Vec<RedFlag>,
    pub origins: Vec<MineOrigin>,
}

/// A trace that cannot be computed is a bad subject (`id`).
pub(super) fn trace_error(error: TraceError) -> AppError {
    AppError::BadParameter {
        name: "id".into(),
        detail: error.to_string(),
    }
}

fn origins(context: &TraceContext, trace: &Trace, mineral: Option<Mineral>) -> Vec<MineOrigin> {
    let mut origins: Vec<MineOrigin> = trace
        .attributions
        .iter()
        .filter_map(|a| match &a.source {
            Source::Mine {
                facility_id,
                event_id,
                extracted_on,
            } => {
                let info = context.facilities.get(facility_id);
                let acceptance = info.and_then(|info| {
                    let class = match info.facts.mining_scale? {
                        MiningScale::Asm => PolicyClass::Asm,
                        MiningScale::Lsm => PolicyClass::Lsm,
                    };
                    context
                        .policy
                        .accepts(class, &info.facts.certificates, *extracted_on, mineral)
                });
                Some(MineOrigin {
                    facility_id: facility_id.clone(),
                    facility: info.cloned(),
                    extraction_event_id: event_id.clone(),
                    extracted_on: *extracted_on,
                    lot_id: a.lot_id.clone(),
                    quantity_mg: a.quantity_mg,
                    quantity: a.quantity.clone(),
                    share: a.share.clone(),
                    acceptance,
                })
            }
            _ => None,
        })
        .collect();
    origins.sort_by(|a, b| {
        b.quantity_mg
            .cmp(&a.quantity_mg)
            .then_with(|| a.facility_id.cmp(&b.facility_id))
            .then_with(|| a.lot_id.cmp(&b.lot_id))
    });
    origins
}

/// How a trace is judged and written.
#[derive(Clone, Copy, Debug)]
pub struct TraceOptions {
    /// How much heavier than its inputs a transformation's outputs may be.
    pub tolerance: YieldTolerance,
    /// The unit of the exact quantities; `None`: the policy's reporting unit.
    pub unit: Option<MassUnit>,
}

/// Loads the ancestry of `roots`, traces them and judges the chain.
fn traced(
    conn: &mut DbConn,
    organisation: OrganisationId,
    roots: Vec<LotQuantity>,
    mineral: Option<Mineral>,
    purchased_on: Option<NaiveDate>,
    options: TraceOptions,
) -> Result<Traced, AppError> {
    let lots: Vec<String> = roots.iter().map(|r| r.lot_id.clone()).collect();
    let context = TraceContext::load(conn, organisation, &lots)?;
    let Evaluated { mut trace, flags } = context
        .evaluate(&roots, mineral, purchased_on, options.tolerance)
        .map_err(trace_error)?;
    trace.write_in(options.unit.unwrap_or(context.policy.reporting_unit));
    Ok(Traced {
        mineral,
        origins: origins(&context, &trace, mineral),
        trace,
        flags,
    })
}

/// Traces a lot, its whole quantity. Another organisation's lot is not found.
pub fn lot(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: LotId,
    options: TraceOptions,
) -> Result<Traced, AppError> {
    let found = lot::find(conn, organisation, id)?
        .ok_or_else(|| AppError::not_found(format!("no lot {id}")))?;
    let roots = vec![LotQuantity {
        lot_id: found.id.to_string(),
        quantity_mg: found.quantity_mg,
        quantity_uozt: found.quantity_uozt,
    }];
    traced(
        conn,
        organisation,
        roots,
        Some(found.mineral),
        None,
        options,
    )
}

/// Traces a purchase's quantity through its lot; a purchase that names no lot is all untraced.
/// Another organisation's purchase is not found.
pub fn purchase(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
    options: TraceOptions,
) -> Result<Traced, AppError> {
    let found = purchase::find(conn, organisation, id)?
        .ok_or_else(|| AppError::not_found(format!("no purchase {id}")))?;
    // A purchase without a lot is traced through a lot id that loads nothing: all of it is
    // untraced.
    let lot_id = found
        .lot
        .map(|l| l.to_string())
        .unwrap_or_else(|| format!("purchase:{}", found.id));
    let roots = vec![LotQuantity {
        lot_id,
        quantity_mg: found.quantity_mg,
        quantity_uozt: found.quantity_uozt,
    }];
    traced(
        conn,
        organisation,
        roots,
        Some(found.mineral),
        Some(found.purchased_on),
        options,
    )
}

/// Traces every purchase from `supplier` in `period` (its mineral and dates), each through its
/// lot, together, weighted by the quantities bought; purchases that name no lot count as
/// untraced. Not found when nothing was bought from the supplier in the period.
pub fn supplier(
    conn: &mut DbConn,
    organisation: OrganisationId,
    supplier: PartyId,
    period: PurchaseScope,
    options: TraceOptions,
) -> Result<Traced, AppError> {
    let scope = PurchaseScope {
        supplier: Some(supplier),
        ..period
    };
    let total_untraced = bought_without_lot(conn, organisation, &scope)?;
    let with_lots =
        purchases_with_lots(conn, organisation, &scope, std::ops::Bound::Unbounded, None)?;
    let mut by_lot: BTreeMap<String, Mass> = BTreeMap::new();
    for p in &with_lots {
        *by_lot.entry(p.lot_id.to_string()).or_default() += p.mass();
    }
    if !total_untraced.is_zero() {
        by_lot.insert(format!("party:{supplier}:no-lot"), total_untraced);
    }
    if by_lot.is_empty() {
        return Err(AppError::not_found(format!(
            "no purchase from party {supplier} in this period"
        )));
    }
    // A lot bought in both unit families is traced as two roots, one per family.
    let mut roots = Vec::with_capacity(by_lot.len());
    for (lot_id, mass) in by_lot {
        roots.extend(
            LotQuantity::of_mass(&lot_id, mass).ok_or_else(|| trace_error(TraceError::TooLarge))?,
        );
    }
    traced(conn, organisation, roots, scope.mineral, None, options)
}

/// The names of the facilities a trace's graph names, by id, for drawing it (ids that are not
/// facilities are left out).
pub fn facility_names(
    conn: &mut DbConn,
    graph: &crate::domain::provenance::ProvenanceGraph,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    use crate::domain::provenance::NodeKind;
    let ids: Vec<crate::domain::ids::FacilityId> = graph
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Facility)
        .filter_map(|n| n.id.parse().ok())
        .collect();
    Ok(crate::store::facility::find_many(conn, &ids)?
        .into_iter()
        .map(|f| (f.id.to_string(), f.name))
        .collect())
}
