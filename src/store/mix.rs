//! What the sourcing mix reads: the organisation's daily rollup (`purchase_mix_daily`, kept
//! current on every purchase write by `store::mix_rollup`) for a period — one row per day,
//! mineral, supplier, origin facility, class, country, basis and lot presence, read by its
//! primary key's (organisation, date) prefix, however many purchase lines there are — and the
//! origin rows of the period's purchases that name a lot, which the mix traces.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::purchase_mix_daily as daily;
use crate::db::schema::purchase_mix_monthly as monthly;
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::mass::families;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::StoreError;
use crate::store::mix_rollup::OrEmpty;

/// One aggregated slice of purchases: a cell of the rollup, or one origin row of a purchase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginAggregate {
    pub purchased_on: NaiveDate,
    pub mineral: Mineral,
    pub supplier_party_id: PartyId,
    pub facility_id: Option<FacilityId>,
    pub origin_class: OriginClass,
    pub country: Option<CountryCode>,
    /// Whether the origin was declared (rather than the implicit unknown row).
    pub declared: bool,
    /// Whether these purchases name a lot (they may be traced through custody events).
    pub has_lot: bool,
    /// Milligrams of metric quantities (exact).
    pub quantity_mg: i64,
    /// Micro troy ounces of troy-ounce quantities (exact).
    pub quantity_uozt: i64,
}

type RollupRow = (
    NaiveDate,
    Mineral,
    PartyId,
    OrEmpty<FacilityId>,
    OriginClass,
    OrEmpty<CountryCode>,
    i16,
    i16,
    i64,
    i64,
);

/// The organisation's daily rollup rows between `from` and `to` (inclusive). Rows are read by
/// position (not by name), which matters at hundreds of thousands of rows.
pub fn aggregate(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    aggregate_days(conn, organisation, from, to, mineral, None)
}

/// The daily rollup's non-empty rows of an organisation between two days (inclusive), of one
/// mineral when given, as a boxed query.
macro_rules! daily_rows {
    ($organisation:expr, $from:expr, $to:expr, $mineral:expr) => {{
        let mut query = daily::table
            .filter(daily::organisation_id.eq($organisation))
            .filter(daily::purchased_on.ge($from))
            .filter(daily::purchased_on.le($to))
            .filter(daily::quantity_mg.ne(0).or(daily::quantity_uozt.ne(0)))
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
                daily::quantity_uozt,
            ))
            .into_boxed();
        if let Some(mineral) = $mineral {
            query = query.filter(daily::mineral.eq(mineral));
        }
        query
    }};
}

/// The daily rollup rows between `from` and `to` (inclusive), of these origin facilities only
/// when `facilities` is given.
pub fn aggregate_days(
    conn: &mut DbConn,
    organisation: OrganisationId,
    from: NaiveDate,
    to: NaiveDate,
    mineral: Option<Mineral>,
    facilities: Option<&[FacilityId]>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    let Some(facilities) = facilities else {
        return Ok(aggregates(
            daily_rows!(organisation, from, to, mineral).load(conn)?,
        ));
    };
    let keys: Vec<OrEmpty<FacilityId>> = facilities.iter().map(|f| OrEmpty(Some(*f))).collect();
    let mut rows = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let query =
            daily_rows!(organisation, from, to, mineral).filter(daily::facility_key.eq_any(chunk));
        rows.extend(aggregates(query.load(conn)?));
    }
    Ok(rows)
}

/// The monthly rollup rows of the months from `first_month` to `last_month` (each the first
/// day of its month, inclusive), each dated the first day of its month.
pub fn aggregate_months(
    conn: &mut DbConn,
    organisation: OrganisationId,
    first_month: NaiveDate,
    last_month: NaiveDate,
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    let mut query = monthly::table
        .filter(monthly::organisation_id.eq(organisation))
        .filter(monthly::month_start.ge(first_month))
        .filter(monthly::month_start.le(last_month))
        .filter(monthly::quantity_mg.ne(0).or(monthly::quantity_uozt.ne(0)))
        .select((
            monthly::month_start,
            monthly::mineral,
            monthly::supplier_party_id,
            monthly::facility_key,
            monthly::origin_class,
            monthly::country_key,
            monthly::declared,
            monthly::has_lot,
            monthly::quantity_mg,
            monthly::quantity_uozt,
        ))
        .into_boxed();
    if let Some(mineral) = mineral {
        query = query.filter(monthly::mineral.eq(mineral));
    }
    Ok(aggregates(query.load(conn)?))
}

/// How many facility keys go into one `IN (…)` list.
const CHUNK: usize = 500;

fn aggregates(rows: Vec<RollupRow>) -> Vec<OriginAggregate> {
    rows.into_iter()
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
                mg,
                uozt,
            )| {
                OriginAggregate {
                    purchased_on,
                    mineral,
                    supplier_party_id: supplier,
                    facility_id: facility.0,
                    origin_class: class,
                    country: country.0,
                    declared: declared != 0,
                    has_lot: has_lot != 0,
                    quantity_mg: mg,
                    quantity_uozt: uozt,
                }
            },
        )
        .collect()
}

/// One (day, mineral, supplier, facility, class) sum of purchase lines: metric milligrams and
/// micro troy ounces.
pub type LineSum = (
    NaiveDate,
    Mineral,
    PartyId,
    Option<FacilityId>,
    OriginClass,
    i64,
    i64,
);

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
        .filter(po::organisation_id.eq(organisation))
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
            sql::<BigInt>(
                "CAST(SUM(CASE WHEN quantity_uozt = 0 THEN quantity_mg ELSE 0 END) AS BIGINT)",
            ),
            sql::<BigInt>("CAST(SUM(quantity_uozt) AS BIGINT)"),
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

/// A purchase that names a lot, with its origin rows as recorded: what the mix replaces by a
/// trace when the lot traces to mines or recycled material.
pub struct LotPurchase {
    pub purchase_id: PurchaseId,
    pub lot_id: LotId,
    /// The purchase's milligrams (the nearest milligram for troy ounces): what a trace through
    /// custody events attributes.
    pub purchase_mg: i64,
    /// The purchase's micro troy ounces (0 for a metric quantity).
    pub purchase_uozt: i64,
    pub origins: Vec<OriginAggregate>,
}

type LotOriginRow = (
    PurchaseId,
    LotId,
    i64,
    i64,
    NaiveDate,
    Mineral,
    PartyId,
    Option<FacilityId>,
    OriginClass,
    Option<CountryCode>,
    i16,
    i64,
    i64,
);

/// The organisation's purchases that name a lot in a period, with their origin rows. Read from
/// the lines (not the rollup), through the `(organisation, purchased_on)` index.
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
        .filter(po::organisation_id.eq(organisation))
        .filter(po::purchased_on.ge(from))
        .filter(po::purchased_on.le(to))
        .filter(p::lot_id.is_not_null())
        .order((po::purchase_id, po::position))
        .select((
            po::purchase_id,
            p::lot_id.assume_not_null(),
            p::quantity_mg,
            p::quantity_uozt,
            po::purchased_on,
            po::mineral,
            po::supplier_party_id,
            po::facility_id,
            po::origin_class,
            po::country,
            po::declared,
            po::quantity_mg,
            po::quantity_uozt,
        ))
        .into_boxed();
    if let Some(mineral) = mineral {
        query = query.filter(po::mineral.eq(mineral));
    }
    let rows: Vec<LotOriginRow> = query.load(conn)?;
    let mut out: Vec<LotPurchase> = Vec::new();
    for (
        purchase,
        lot,
        purchase_mg,
        purchase_uozt,
        day,
        mineral,
        supplier,
        facility,
        class,
        country,
        declared,
        mg,
        uozt,
    ) in rows
    {
        if out.last().is_none_or(|l| l.purchase_id != purchase) {
            out.push(LotPurchase {
                purchase_id: purchase,
                lot_id: lot,
                purchase_mg,
                purchase_uozt,
                origins: Vec::new(),
            });
        }
        if let Some(last) = out.last_mut() {
            let (mg, uozt) = families(mg, uozt);
            last.origins.push(OriginAggregate {
                purchased_on: day,
                mineral,
                supplier_party_id: supplier,
                facility_id: facility,
                origin_class: class,
                country,
                declared: declared != 0,
                has_lot: true,
                quantity_mg: mg,
                quantity_uozt: uozt,
            });
        }
    }
    Ok(out)
}
