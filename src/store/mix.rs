//! What the sourcing mix reads: the organisation's rollups (kept current on every purchase write
//! by `store::mix_rollup`) for a period — `purchase_mix_daily` and `purchase_mix_monthly`, one
//! row per day or month, mineral, supplier, origin facility, class, country, basis and lot
//! presence, and `purchase_mix_monthly_by_origin`, the monthly one summed over suppliers, each
//! read by its primary key's (organisation, date) prefix, however many purchase lines there
//! are — and the origin rows of the period's purchases that name a lot, which the mix traces.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, SmallInt, Text};

use crate::db::DbConn;
use crate::db::schema::purchase_mix_daily as daily;
use crate::db::schema::purchase_mix_monthly as monthly;
use crate::db::schema::purchase_mix_monthly_by_origin as by_origin;
use crate::db::sql_types::StoredDate;
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
    /// The supplier; absent when the read summed over suppliers ([`Summing::suppliers`]).
    pub supplier_party_id: Option<PartyId>,
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

/// A rollup cell as read: by position from the DSL queries (`Queryable`, fields in `select`
/// order), by name from the PostgreSQL statements of [`aggregate_summed`].
#[derive(Queryable, QueryableByName)]
struct RollupRow {
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: StoredDate,
    #[diesel(sql_type = Text)]
    mineral: Mineral,
    /// Empty when the statement summed over suppliers.
    #[diesel(sql_type = Text)]
    supplier_party_id: OrEmpty<PartyId>,
    #[diesel(sql_type = Text)]
    facility_key: OrEmpty<FacilityId>,
    #[diesel(sql_type = Text)]
    origin_class: OriginClass,
    #[diesel(sql_type = Text)]
    country_key: OrEmpty<CountryCode>,
    #[diesel(sql_type = SmallInt)]
    declared: i16,
    #[diesel(sql_type = SmallInt)]
    has_lot: i16,
    #[diesel(sql_type = BigInt)]
    quantity_mg: i64,
    #[diesel(sql_type = BigInt)]
    quantity_uozt: i64,
}

/// A rollup's (`$table`, dated by `$date`) non-empty rows of an organisation between two dates
/// (inclusive), before any `select`.
macro_rules! rollup_period {
    ($table:ident, $date:ident, $organisation:expr, $first:expr, $last:expr) => {
        $table::table
            .filter($table::organisation_id.eq($organisation))
            .filter($table::$date.ge($first))
            .filter($table::$date.le($last))
            .filter($table::quantity_mg.ne(0).or($table::quantity_uozt.ne(0)))
    };
}

/// A rollup's (`$table`, dated by `$date`) non-empty rows of an organisation between two dates
/// (inclusive), of one mineral when given, as a boxed query; the supplier read as `$supplier`
/// (the table's column unless given: the rollup by origin has none).
macro_rules! rollup_rows {
    ($table:ident, $date:ident, $organisation:expr, $first:expr, $last:expr, $mineral:expr) => {
        rollup_rows!(
            $table,
            $date,
            $organisation,
            $first,
            $last,
            $mineral,
            $table::supplier_party_id
        )
    };
    ($table:ident, $date:ident, $organisation:expr, $first:expr, $last:expr, $mineral:expr, $supplier:expr) => {{
        let mut query = rollup_period!($table, $date, $organisation, $first, $last)
            .select((
                $table::$date,
                $table::mineral,
                $supplier,
                $table::facility_key,
                $table::origin_class,
                $table::country_key,
                $table::declared,
                $table::has_lot,
                $table::quantity_mg,
                $table::quantity_uozt,
            ))
            .into_boxed();
        if let Some(mineral) = $mineral {
            query = query.filter($table::mineral.eq(mineral));
        }
        query
    }};
}

/// The rollup's rows from `first` to `last` (inclusive; for [`Grain::Month`], the first days
/// of the first and last months, each cell dated the first day of its month), each with its
/// own date, of these origin facilities only when `facilities` is given. Rows are read by
/// position (not by name), which matters at hundreds of thousands of rows.
pub fn rollup_cells(
    conn: &mut DbConn,
    organisation: OrganisationId,
    grain: Grain,
    (first, last): (NaiveDate, NaiveDate),
    mineral: Option<Mineral>,
    facilities: Option<&[FacilityId]>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    macro_rules! load {
        ($table:ident, $date:ident) => {{
            let Some(facilities) = facilities else {
                let query = rollup_rows!($table, $date, organisation, first, last, mineral);
                return Ok(aggregates(query.load(conn)?));
            };
            let keys: Vec<OrEmpty<FacilityId>> =
                facilities.iter().map(|f| OrEmpty(Some(*f))).collect();
            let mut rows = Vec::new();
            for chunk in keys.chunks(CHUNK) {
                let query = rollup_rows!($table, $date, organisation, first, last, mineral)
                    .filter($table::facility_key.eq_any(chunk));
                rows.extend(aggregates(query.load(conn)?));
            }
            Ok(rows)
        }};
    }
    match grain {
        Grain::Day => load!(daily, purchased_on),
        Grain::Month => load!(monthly, month_start),
    }
}

/// The monthly rollup summed over suppliers (`purchase_mix_monthly_by_origin`): its cells from
/// `first`'s month to `last`'s as stored, each dated its month, with no supplier; of one
/// mineral when given.
fn by_origin_cells(
    conn: &mut DbConn,
    organisation: OrganisationId,
    (first, last): (NaiveDate, NaiveDate),
    mineral: Option<Mineral>,
) -> Result<Vec<OriginAggregate>, StoreError> {
    let no_supplier = diesel::dsl::sql::<Text>("''");
    let query = rollup_rows!(
        by_origin,
        month_start,
        organisation,
        first,
        last,
        mineral,
        no_supplier
    );
    Ok(aggregates(query.load(conn)?))
}

/// The DSL query of [`aggregate_summed`] on SQLite for one rollup (`$table`, dated by `$date`):
/// the cells of every facility but `$apart`'s, summed per key, dated `$first`.
macro_rules! summed_rows {
    ($table:ident, $date:ident, $organisation:expr, $first:expr, $last:expr, $mineral:expr, $apart:expr) => {{
        use diesel::dsl::sql;
        let mut query = rollup_period!($table, $date, $organisation, $first, $last)
            .group_by((
                $table::mineral,
                $table::supplier_party_id,
                $table::facility_key,
                $table::origin_class,
                $table::country_key,
                $table::declared,
                $table::has_lot,
            ))
            .select((
                $first.into_sql::<diesel::sql_types::Date>(),
                $table::mineral,
                $table::supplier_party_id,
                $table::facility_key,
                $table::origin_class,
                $table::country_key,
                $table::declared,
                $table::has_lot,
                // A sum beyond 64 bits fails in the database rather than wrapping (as the
                // mix's own figures refuse totals beyond 64 bits).
                sql::<BigInt>("CAST(SUM(quantity_mg) AS BIGINT)"),
                sql::<BigInt>("CAST(SUM(quantity_uozt) AS BIGINT)"),
            ))
            .into_boxed();
        for chunk in $apart.chunks(CHUNK) {
            query = query.filter($table::facility_key.ne_all(chunk));
        }
        if let Some(mineral) = $mineral {
            query = query.filter($table::mineral.eq(mineral));
        }
        query
    }};
}

/// Which rollup a summed read reads: the daily one (`purchase_mix_daily`) or the monthly one
/// (`purchase_mix_monthly`, each cell dated the first day of its month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    Day,
    Month,
}

/// What a summed read ([`aggregate_summed`]) keeps apart, beyond the mineral, facility, class,
/// country, basis and lot presence it always keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summing {
    /// Each cell keeps its own date (day or month); otherwise the cells of every facility not
    /// read apart are summed over the run, dated its first day.
    pub dates: bool,
    /// The supplier is kept; otherwise the read may sum over suppliers, and the cells it sums
    /// carry none. Months are then read from the monthly rollup by origin on both backends (a
    /// year of the bench's cells by month halves, with no `GROUP BY`); runs of days are summed
    /// over suppliers by PostgreSQL, while SQLite keeps them (it reads in process, and its
    /// `GROUP BY` sorts: docs/ARCHITECTURE.md).
    pub suppliers: bool,
}

/// The rollup's cells from `first` to `last` (inclusive; for [`Grain::Month`], the first days
/// of the first and last months) summed in the database as `summing` says: one row per key
/// (mineral, supplier unless summed over, facility, class, country, basis, lot presence), dated
/// `first` unless dates are kept, except that the cells of the facilities in `apart` keep their
/// own day (or month). A year read month by month has about twelve times the rows of a year
/// summed; a run of days, as many times as it has days.
///
/// Months not kept apart by supplier are read from the monthly rollup summed over suppliers
/// (`purchase_mix_monthly_by_origin`), as stored when dates are kept (both backends). PostgreSQL
/// answers in one statement (one scan, `apart` as one array parameter). SQLite otherwise keeps
/// suppliers, reads every cell as stored when dates are kept, and when summing answers in two
/// DSL queries: the other facilities summed, `apart`'s cells read one by one. Whether summing
/// pays is [`sums_in_database`]'s answer.
pub fn aggregate_summed(
    conn: &mut DbConn,
    organisation: OrganisationId,
    grain: Grain,
    (first, last): (NaiveDate, NaiveDate),
    mineral: Option<Mineral>,
    apart: &[FacilityId],
    summing: Summing,
) -> Result<Vec<OriginAggregate>, StoreError> {
    use diesel::sql_types::{Array, Bool, Date, Nullable};
    let by_origin = grain == Grain::Month && !summing.suppliers;
    // Months by month without suppliers: the monthly rollup by origin as stored.
    if by_origin && summing.dates {
        return by_origin_cells(conn, organisation, (first, last), mineral);
    }
    // Dates kept, and suppliers kept (as SQLite always keeps them): the cells as stored, with
    // no `GROUP BY`.
    let keeps_suppliers = summing.suppliers || !matches!(conn, DbConn::Pg(_));
    if summing.dates && keeps_suppliers {
        return rollup_cells(conn, organisation, grain, (first, last), mineral, None);
    }
    if let DbConn::Pg(pg) = conn {
        let keys: Vec<String> = apart.iter().map(FacilityId::to_string).collect();
        let statement = match (grain, by_origin) {
            (Grain::Day, _) => SUMMED_DAYS,
            (Grain::Month, false) => SUMMED_MONTHS,
            (Grain::Month, true) => SUMMED_MONTHS_BY_ORIGIN,
        };
        let rows: Vec<RollupRow> = diesel::sql_query(statement)
            .bind::<Text, _>(organisation.to_string())
            .bind::<Date, _>(first)
            .bind::<Date, _>(last)
            .bind::<Nullable<Text>, _>(mineral.map(|m| m.as_str()))
            .bind::<Array<Text>, _>(&keys)
            .bind::<Bool, _>(summing.dates)
            .bind::<Bool, _>(summing.suppliers)
            .load(pg)?;
        return Ok(aggregates(rows));
    }
    let keys: Vec<OrEmpty<FacilityId>> = apart.iter().map(|f| OrEmpty(Some(*f))).collect();
    macro_rules! summed {
        ($table:ident, $date:ident) => {
            summed_rows!($table, $date, organisation, first, last, mineral, &keys).load(conn)?
        };
    }
    let summed = match grain {
        Grain::Day => summed!(daily, purchased_on),
        Grain::Month => summed!(monthly, month_start),
    };
    let mut rows = aggregates(summed);
    rows.extend(rollup_cells(
        conn,
        organisation,
        grain,
        (first, last),
        mineral,
        Some(apart),
    )?);
    Ok(rows)
}

/// Whether summing runs of this grain in the database ([`aggregate_summed`]) pays on this
/// backend, rather than reading the cells ([`rollup_cells`]). PostgreSQL: both grains (what
/// summing saves is sending and decoding rows). SQLite reads rows in process and its
/// `GROUP BY` sorts through a temporary B-tree: runs of days (faster at the edges of a
/// period), not months (no measurable gain; docs/PERFORMANCE.md, "Mix: each run summed in the
/// database").
pub fn sums_in_database(conn: &DbConn, grain: Grain) -> bool {
    matches!(conn, DbConn::Pg(_)) || grain == Grain::Day
}

/// [`aggregate_summed`]'s statement on PostgreSQL for one rollup (`$table`, dated by `$date`,
/// its suppliers read as `$supplier`): `$1` the organisation, `$2` and `$3` the first and last
/// dates, `$4` the mineral (NULL: all), `$5` the facilities read apart, `$6` whether dates are
/// kept, `$7` whether suppliers are. The array is only compared in the `CASE`, never estimated
/// by the planner as a filter's would be.
macro_rules! summed_sql {
    ($table:literal, $date:literal, $supplier:literal) => {
        concat!(
            "SELECT CASE WHEN $6 OR facility_key = ANY($5) THEN ",
            $date,
            " ELSE $2 END AS day, ",
            "mineral, ",
            $supplier,
            " AS supplier_party_id, ",
            "facility_key, origin_class, country_key, declared, ",
            "has_lot, CAST(SUM(quantity_mg) AS BIGINT) AS quantity_mg, ",
            "CAST(SUM(quantity_uozt) AS BIGINT) AS quantity_uozt ",
            "FROM ",
            $table,
            " ",
            "WHERE organisation_id = $1 AND ",
            $date,
            " >= $2 AND ",
            $date,
            " <= $3 ",
            "AND (quantity_mg <> 0 OR quantity_uozt <> 0) ",
            "AND ($4::text IS NULL OR mineral = $4) ",
            "GROUP BY 1, mineral, 3, facility_key, origin_class, country_key, ",
            "declared, has_lot"
        )
    };
}

// The daily and monthly rollups' supplier, summed away unless `$7`.
const SUMMED_DAYS: &str = summed_sql!(
    "purchase_mix_daily",
    "purchased_on",
    "CASE WHEN $7 THEN supplier_party_id ELSE '' END"
);
const SUMMED_MONTHS: &str = summed_sql!(
    "purchase_mix_monthly",
    "month_start",
    "CASE WHEN $7 THEN supplier_party_id ELSE '' END"
);
/// The monthly rollup summed over suppliers has none to keep (`$7` is false for it).
const SUMMED_MONTHS_BY_ORIGIN: &str =
    summed_sql!("purchase_mix_monthly_by_origin", "month_start", "''");

/// How many facility keys go into one `IN (…)` list.
const CHUNK: usize = 500;

fn aggregates(rows: Vec<RollupRow>) -> Vec<OriginAggregate> {
    rows.into_iter().map(from_row).collect()
}

fn from_row(row: RollupRow) -> OriginAggregate {
    OriginAggregate {
        purchased_on: row.day.0,
        mineral: row.mineral,
        supplier_party_id: row.supplier_party_id.0,
        facility_id: row.facility_key.0,
        origin_class: row.origin_class,
        country: row.country_key.0,
        declared: row.declared != 0,
        has_lot: row.has_lot != 0,
        quantity_mg: row.quantity_mg,
        quantity_uozt: row.quantity_uozt,
    }
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
                supplier_party_id: Some(supplier),
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
