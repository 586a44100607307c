//! Everything a trace needs from the database, loaded set-based once for any number of roots:
//! the ancestry graph (`lot_graph`), the facilities on the way with their certificates, and the
//! organisation's policy. [`TraceContext::evaluate`] then runs the pure attribution and red-flag
//! rules for one root or many. Also the organisation's purchases that name a lot, the roots of
//! the traces of a supplier and of the red-flag list.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{facilities, purchases};
use crate::domain::country::CountryCode;
use crate::domain::ids::{LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::mass::Mass;
use crate::domain::policy::SourcingPolicy;
use crate::domain::provenance::{LotQuantity, Trace, TraceError, YieldTolerance, trace_many};
use crate::domain::red_flags::{FacilityFacts, RedFlag, RedFlagContext, red_flags};
use crate::domain::vocabulary::{FacilityKind, Mineral, MiningScale};
use crate::store::StoreError;
use crate::store::catalog::CHUNK;
use crate::store::certificate_facts::{self, Subject};
use crate::store::facility::CoexistenceAgreement;
use crate::store::lot_graph::{self, LoadedGraph, MAX_DEPTH};
use crate::store::policy;

/// What a trace shows of a facility besides the facts the rules read.
#[derive(Clone, Debug)]
pub struct FacilityInfo {
    pub name: String,
    pub facts: FacilityFacts,
}

/// The loaded graph, facilities and policy.
pub struct TraceContext {
    pub loaded: LoadedGraph,
    /// Shared with the mines of origin of the answer, which name one facility each (thousands
    /// of origins from a few dozen mines).
    pub facilities: HashMap<String, Arc<FacilityInfo>>,
    facts: Vec<FacilityFacts>,
    pub policy: SourcingPolicy,
}

/// A trace with its red flags.
pub struct Evaluated {
    pub trace: Trace,
    pub flags: Vec<RedFlag>,
}

/// Loads the facilities with these ids and their certificates (two or three queries per
/// thousand facilities).
pub fn facility_infos(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, FacilityInfo>, StoreError> {
    type Row = (
        String,
        String,
        FacilityKind,
        Option<MiningScale>,
        CountryCode,
        i16,
        Option<String>,
        Option<i16>,
        Option<String>,
    );
    let mut certificates = certificate_facts::for_subjects(conn, Subject::Facility, ids)?;
    let mut infos = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Row> = facilities::table
            .filter(facilities::id.eq_any(chunk))
            .select((
                facilities::id,
                facilities::name,
                facilities::kind,
                facilities::mining_scale,
                facilities::country,
                facilities::cahra,
                facilities::cahra_basis,
                facilities::asm_presence,
                facilities::coexistence_agreement,
            ))
            .load(conn)?;
        for (id, name, kind, scale, country, cahra, cahra_basis, asm, coexistence) in rows {
            let facts = FacilityFacts {
                facility_id: id.clone(),
                kind,
                mining_scale: scale,
                country,
                cahra: cahra != 0,
                cahra_basis,
                asm_presence: asm.map(|a| a != 0),
                coexistence: coexistence
                    .as_deref()
                    .map(|json| {
                        serde_json::from_str::<CoexistenceAgreement>(json)
                            .map(|a| a.status)
                            .map_err(|e| StoreError::corrupt(format!("stored agreement: {e}")))
                    })
                    .transpose()?,
                certificates: certificates.remove(&id).unwrap_or_default(),
            };
            infos.insert(id, FacilityInfo { name, facts });
        }
    }
    Ok(infos)
}

impl TraceContext {
    /// Loads the ancestry of `root_lots` and everything the rules read about it.
    pub fn load(
        conn: &mut DbConn,
        organisation: OrganisationId,
        root_lots: &[String],
    ) -> Result<TraceContext, StoreError> {
        let loaded = lot_graph::load(conn, &organisation.to_string(), root_lots, MAX_DEPTH)?;
        let facilities: HashMap<String, Arc<FacilityInfo>> =
            facility_infos(conn, &loaded.facility_ids)?
                .into_iter()
                .map(|(id, info)| (id, Arc::new(info)))
                .collect();
        let mut facts: Vec<FacilityFacts> = facilities.values().map(|i| i.facts.clone()).collect();
        facts.sort_by(|a, b| a.facility_id.cmp(&b.facility_id));
        let policy = policy::get(conn, organisation)?.policy;
        Ok(TraceContext {
            loaded,
            facilities,
            facts,
            policy,
        })
    }

    /// Traces `roots` (each lot with the quantity to attribute) and raises the red flags.
    /// `purchased_on` is the purchase date when one purchase is traced.
    pub fn evaluate(
        &self,
        roots: &[LotQuantity],
        mineral: Option<Mineral>,
        purchased_on: Option<NaiveDate>,
        tolerance: YieldTolerance,
    ) -> Result<Evaluated, TraceError> {
        let trace = trace_many(&self.loaded.graph, roots, MAX_DEPTH)?;
        let context = RedFlagContext {
            policy: &self.policy,
            facilities: &self.facts,
            mineral,
            purchased_on,
            yield_tolerance: tolerance,
            consumed: &self.loaded.consumed,
        };
        let flags = red_flags(&trace, &context);
        Ok(Evaluated { trace, flags })
    }
}

/// A purchase that names a lot.
#[derive(Clone, Debug)]
pub struct PurchaseWithLot {
    pub id: PurchaseId,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    /// Exact milligrams of a metric quantity; the nearest milligram of a troy-ounce one.
    pub quantity_mg: i64,
    /// Micro troy ounces of a troy-ounce quantity; 0 for a metric one.
    pub quantity_uozt: i64,
    pub purchased_on: NaiveDate,
    pub lot_id: LotId,
}

impl PurchaseWithLot {
    /// The exact mass bought.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

/// Which purchases: from a supplier, of a mineral, in a period (every given filter applies).
#[derive(Clone, Debug, Default)]
pub struct PurchaseScope {
    pub supplier: Option<PartyId>,
    pub mineral: Option<Mineral>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The organisation's purchases in `scope` that name a lot, by id: from `start` on, at most
/// `limit` (keyset pages).
pub fn purchases_with_lots(
    conn: &mut DbConn,
    organisation: OrganisationId,
    scope: &PurchaseScope,
    start: Bound<PurchaseId>,
    limit: Option<i64>,
) -> Result<Vec<PurchaseWithLot>, StoreError> {
    let mut query = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .filter(purchases::lot_id.is_not_null())
        .select((
            purchases::id,
            purchases::supplier_party_id,
            purchases::mineral,
            purchases::quantity_mg,
            purchases::quantity_uozt,
            purchases::purchased_on,
            purchases::lot_id,
        ))
        .order(purchases::id.asc())
        .into_boxed();
    if let Some(supplier) = scope.supplier {
        query = query.filter(purchases::supplier_party_id.eq(supplier));
    }
    if let Some(mineral) = scope.mineral {
        query = query.filter(purchases::mineral.eq(mineral));
    }
    if let Some(from) = scope.from {
        query = query.filter(purchases::purchased_on.ge(from));
    }
    if let Some(to) = scope.to {
        query = query.filter(purchases::purchased_on.le(to));
    }
    match start {
        Bound::Included(id) => query = query.filter(purchases::id.ge(id)),
        Bound::Excluded(id) => query = query.filter(purchases::id.gt(id)),
        Bound::Unbounded => {}
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    type Row = (
        PurchaseId,
        PartyId,
        Mineral,
        i64,
        i64,
        NaiveDate,
        Option<LotId>,
    );
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, supplier_party_id, mineral, quantity_mg, quantity_uozt, purchased_on, lot)| {
                lot.map(|lot_id| PurchaseWithLot {
                    id,
                    supplier_party_id,
                    mineral,
                    quantity_mg,
                    quantity_uozt,
                    purchased_on,
                    lot_id,
                })
            },
        )
        .collect())
}

/// The mass bought in `scope` on purchases that name no lot, each unit family summed on its
/// own (`domain::mass::families`).
pub fn bought_without_lot(
    conn: &mut DbConn,
    organisation: OrganisationId,
    scope: &PurchaseScope,
) -> Result<Mass, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let mut query = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .filter(purchases::lot_id.is_null())
        .select((
            sql::<BigInt>(
                "CAST(COALESCE(SUM(CASE WHEN quantity_uozt = 0 THEN quantity_mg ELSE 0 END), 0) \
                 AS BIGINT)",
            ),
            sql::<BigInt>("CAST(COALESCE(SUM(quantity_uozt), 0) AS BIGINT)"),
        ))
        .into_boxed();
    if let Some(supplier) = scope.supplier {
        query = query.filter(purchases::supplier_party_id.eq(supplier));
    }
    if let Some(mineral) = scope.mineral {
        query = query.filter(purchases::mineral.eq(mineral));
    }
    if let Some(from) = scope.from {
        query = query.filter(purchases::purchased_on.ge(from));
    }
    if let Some(to) = scope.to {
        query = query.filter(purchases::purchased_on.le(to));
    }
    let (mg, uozt): (i64, i64) = query.get_result(conn)?;
    Ok(Mass::from_mg(mg) + Mass::from_uozt(uozt))
}
