//! What the sourcing mix reads: the organisation's daily rollup (`purchase_mix_daily`, kept
//! current on every purchase write by `models::mix_rollup`) for a period — one row per day,
//! mineral, supplier, origin facility, class, country, basis and lot presence, read by its
//! primary key's (organisation, date) prefix, however many purchase lines there are.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::purchase_mix_daily as daily;
use crate::domain::ids::OrganisationId;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::StoreError;

/// One aggregated slice of purchases.
#[derive(Clone, Debug)]
pub struct OriginAggregate {
    pub purchased_on: NaiveDate,
    pub mineral: String,
    pub supplier_party_id: String,
    pub facility_id: Option<String>,
    pub origin_class: String,
    pub country: Option<String>,
    pub declared: i16,
    /// Whether these purchases name a lot (they may be traced through custody events).
    pub has_lot: bool,
    /// Whether this quantity was attributed by tracing the purchase's lot to its sources.
    pub traced: bool,
    pub quantity_mg: i64,
}

type RollupRow = (
    NaiveDate,
    String,
    String,
    String,
    String,
    String,
    i16,
    i16,
    i64,
);

/// The organisation's rollup rows between `from` and `to` (inclusive). Rows are read by
/// position (not by name), which matters at hundreds of thousands of rows.
pub fn aggregate(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    let mut query = daily::table
        .filter(daily::organisation_id.eq(organisation.to_string()))
        .filter(daily::purchased_on.ge(from))
        .filter(daily::purchased_on.le(to))
        .filter(daily::quantity_mg.ne(0))
        .select((
            daily::purchased_on,
            daily::mineral,
            daily::supplier_party_id,
            daily::facility_key,
            daily::origin_class,
            daily::country_key,
            daily::declared,
            daily::has_lot,
            daily::quantity_mg,
        ))
        .into_boxed();
    if let Some(mineral) = mineral {
        query = query.filter(daily::mineral.eq(mineral.as_str()));
    }
    let rows: Vec<RollupRow> = query.load(conn)?;
    let non_empty = |s: String| (!s.is_empty()).then_some(s);
    Ok(rows
        .into_iter()
        .map(
            |(
                purchased_on,
                mineral,
                supplier,
                facility,
                class,
                country,
                declared,
                has_lot,
                quantity_mg,
            )| {
                OriginAggregate {
                    purchased_on,
                    mineral,
                    supplier_party_id: supplier,
                    facility_id: non_empty(facility),
                    origin_class: class,
                    country: non_empty(country),
                    declared,
                    has_lot: has_lot != 0,
                    traced: false,
                    quantity_mg,
                }
            },
        )
        .collect())
}

/// One (day, mineral, supplier, facility, class) sum of purchase lines.
pub type LineSum = (NaiveDate, String, String, Option<String>, String, i64);

/// The same figures summed straight from `purchase_origins` (slow: every line), to check the
/// rollup against in tests.
pub fn aggregate_from_lines(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<LineSum>, StoreError> {
    use crate::db::schema::purchase_origins as po;
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    Ok(po::table
        .filter(po::organisation_id.eq(organisation.to_string()))
        .group_by((
            po::purchased_on,
            po::mineral,
            po::supplier_party_id,
            po::facility_id,
            po::origin_class,
        ))
        .select((
            po::purchased_on,
            po::mineral,
            po::supplier_party_id,
            po::facility_id,
            po::origin_class,
            sql::<BigInt>("CAST(SUM(quantity_mg) AS BIGINT)"),
        ))
        .order((
            po::purchased_on,
            po::mineral,
            po::supplier_party_id,
            po::facility_id,
            po::origin_class,
        ))
        .load(conn)?)
}

/// The origin rows of the organisation's purchases that name a lot, in a period: what the mix
/// replaces by a trace when the lot traces to mines or recycled material. Read from the lines
/// (not the rollup), through the `(organisation, purchased_on)` index.
pub struct LotPurchase {
    pub purchase_id: String,
    pub lot_id: String,
    pub purchase_mg: i64,
    pub origins: Vec<OriginAggregate>,
}

type LotOriginRow = (
    String,
    String,
    i64,
    NaiveDate,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i16,
    i64,
);

pub fn lot_purchases(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<LotPurchase>, StoreError> {
    use crate::db::schema::{purchase_origins as po, purchases as p};
    let mut query = po::table
        .inner_join(
            p::table.on(p::organisation_id
                .eq(po::organisation_id)
                .and(p::id.eq(po::purchase_id))),
        )
        .filter(po::organisation_id.eq(organisation.to_string()))
        .filter(po::purchased_on.ge(from))
        .filter(po::purchased_on.le(to))
        .filter(p::lot_id.is_not_null())
        .order((po::purchase_id, po::position))
        .select((
            po::purchase_id,
            p::lot_id.assume_not_null(),
            p::quantity_mg,
            po::purchased_on,
            po::mineral,
            po::supplier_party_id,
            po::facility_id,
            po::origin_class,
            po::country,
            po::declared,
            po::quantity_mg,
        ))
        .into_boxed();
    if let Some(mineral) = mineral {
        query = query.filter(po::mineral.eq(mineral.as_str()));
    }
    let rows: Vec<LotOriginRow> = query.load(conn)?;
    let mut out: Vec<LotPurchase> = Vec::new();
    for (
        purchase,
        lot,
        purchase_mg,
        purchased_on,
        mineral,
        supplier,
        facility,
        class,
        country,
        declared,
        quantity_mg,
    ) in rows
    {
        if out.last().is_none_or(|l| l.purchase_id != purchase) {
            out.push(LotPurchase {
                purchase_id: purchase.clone(),
                lot_id: lot,
                purchase_mg,
                origins: Vec::new(),
            });
        }
        if let Some(last) = out.last_mut() {
            last.origins.push(OriginAggregate {
                purchased_on,
                mineral,
                supplier_party_id: supplier,
                facility_id: facility,
                origin_class: class,
                country,
                declared,
                has_lot: true,
                traced: false,
                quantity_mg,
            });
        }
    }
    Ok(out)
}

/// Replaces the rollup's rows of purchases that name a lot by what tracing their lots says.
///
/// The rollup keeps those purchases apart (`has_lot`), so the rows of all other purchases are
/// read as they are. Purchases with a lot are read line by line (they are the few that carry
/// custody data), their lots' ancestry is loaded once for all of them, set-based
/// (`models::lot_graph`), and each purchase is traced: when any of it reaches a mine or
/// recycled material, the part traced counts as `traced` with the attributed origin classes
/// and the untraced rest falls back to the declared origin, scaled to that rest (or `unknown`
/// when nothing was declared); otherwise its declared origin (or unknown) stands.
pub fn with_traced_lots(
    conn: &mut DbConn,
    organisation: crate::domain::ids::OrganisationId,
    rows: Vec<OriginAggregate>,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    use crate::domain::provenance::{Source, trace};
    use crate::domain::vocabulary::{FacilityKind, MiningScale};
    use crate::store::lot_graph::{self, MAX_DEPTH};
    use crate::store::provenance::facility_infos;
    if !rows.iter().any(|r| r.has_lot) {
        return Ok(rows);
    }
    let mut out: Vec<OriginAggregate> = rows.into_iter().filter(|r| !r.has_lot).collect();
    let purchases = lot_purchases(conn, organisation, from, to, mineral)?;
    let mut lots: Vec<String> = purchases.iter().map(|p| p.lot_id.clone()).collect();
    lots.sort();
    lots.dedup();
    let loaded = lot_graph::load(conn, &organisation.to_string(), &lots, MAX_DEPTH)?;
    let facilities = facility_infos(conn, &loaded.facility_ids)?;
    let mut traces = HashMap::new();
    for purchase in purchases {
        let Some(first) = purchase.origins.first() else {
            continue;
        };
        let key = (purchase.lot_id.clone(), purchase.purchase_mg);
        if !traces.contains_key(&key) {
            let traced = trace(
                &loaded.graph,
                &purchase.lot_id,
                purchase.purchase_mg,
                MAX_DEPTH,
            )
            .ok()
            .filter(|t| t.summary.mines.quantity_mg + t.summary.recycled.quantity_mg > 0);
            traces.insert(key.clone(), traced);
        }
        let Some(Some(traced)) = traces.get(&key) else {
            out.extend(purchase.origins);
            continue;
        };
        // The part the custody data does not reach falls back to the declaration: the
        // purchase's declared rows, scaled to that part (exactly, by largest remainder).
        let untraced_mg: i64 = traced
            .attributions
            .iter()
            .filter(|a| matches!(a.source, Source::Untraced { .. }))
            .map(|a| a.quantity_mg)
            .sum();
        if untraced_mg > 0 {
            let weights: Vec<i64> = purchase.origins.iter().map(|o| o.quantity_mg).collect();
            let parts = crate::domain::shares::largest_remainder(untraced_mg, &weights);
            for (origin, part) in purchase.origins.iter().zip(parts) {
                if part > 0 {
                    out.push(OriginAggregate {
                        quantity_mg: part,
                        ..origin.clone()
                    });
                }
            }
        }
        for a in &traced.attributions {
            if a.quantity_mg == 0 || matches!(a.source, Source::Untraced { .. }) {
                continue;
            }
            let (class, facility, country, is_traced) = match &a.source {
                Source::Mine { facility_id, .. } => {
                    let facts = facilities.get(facility_id).map(|i| &i.facts);
                    let class = match facts.map(|f| (f.kind, f.mining_scale)) {
                        Some((FacilityKind::Mine, Some(MiningScale::Asm))) => OriginClass::Asm,
                        Some((FacilityKind::Mine, Some(MiningScale::Lsm))) => OriginClass::Lsm,
                        _ => OriginClass::Unknown,
                    };
                    (
                        class,
                        Some(facility_id.clone()),
                        facts.map(|f| f.country.to_string()),
                        true,
                    )
                }
                Source::Recycled => (OriginClass::Recycled, None, None, true),
                Source::Untraced { .. } => (OriginClass::Unknown, None, None, false),
            };
            out.push(OriginAggregate {
                purchased_on: first.purchased_on,
                mineral: first.mineral.clone(),
                supplier_party_id: first.supplier_party_id.clone(),
                facility_id: facility,
                origin_class: class.as_str().to_owned(),
                country,
                declared: 0,
                has_lot: true,
                traced: is_traced,
                quantity_mg: a.quantity_mg,
            });
        }
    }
    Ok(out)
}
