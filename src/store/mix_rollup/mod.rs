//! The rollups behind the sourcing mix (`purchase_mix_daily`, `purchase_mix_monthly`, and
//! `purchase_mix_monthly_by_origin`, the monthly one summed over suppliers): every purchase write
//! adds or subtracts its origin rows in all three, in the same transaction, so that the mix reads
//! one row per month (or day), mineral, supplier (unless summed over), origin and basis however
//! many lines the organisation has.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::upsert::excluded;

pub use self::key::OrEmpty;
use crate::db::DbConn;
use crate::db::schema::purchase_mix_daily as daily;
use crate::db::schema::purchase_mix_monthly as monthly;
use crate::db::schema::purchase_mix_monthly_by_origin as by_origin;
use crate::db::schema::{purchase_origins, purchases};
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::mass::families;
use crate::domain::mix::month_start;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::StoreError;

mod key;

/// One cell of the rollup.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub purchased_on: NaiveDate,
    pub mineral: Mineral,
    /// The supplier: always named in the daily and monthly rollups; none in the monthly rollup
    /// summed over suppliers.
    pub supplier: Option<PartyId>,
    pub facility: Option<FacilityId>,
    pub origin_class: OriginClass,
    pub country: Option<CountryCode>,
    /// Whether the origin was declared (rather than the implicit unknown row).
    pub declared: bool,
    /// Whether the purchase names a lot (the mix may trace it).
    pub has_lot: bool,
}

/// Changes to apply to the rollup, summed per cell and unit family (metric milligrams, troy
/// micro ounces: `domain::mass`). Kept sorted so that concurrent writers lock cells in the same
/// order (no deadlocks on PostgreSQL).
#[derive(Default, Debug)]
pub struct Deltas(BTreeMap<RollupKey, (i64, i64)>);

#[derive(Insertable)]
#[diesel(table_name = daily)]
struct Row {
    organisation_id: OrganisationId,
    purchased_on: NaiveDate,
    mineral: Mineral,
    supplier_party_id: OrEmpty<PartyId>,
    facility_key: OrEmpty<FacilityId>,
    origin_class: OriginClass,
    country_key: OrEmpty<CountryCode>,
    declared: i16,
    has_lot: i16,
    quantity_mg: i64,
    quantity_uozt: i64,
}

/// A cell of the monthly rollup.
#[derive(Insertable)]
#[diesel(table_name = monthly)]
struct MonthRow {
    organisation_id: OrganisationId,
    month_start: NaiveDate,
    mineral: Mineral,
    supplier_party_id: OrEmpty<PartyId>,
    facility_key: OrEmpty<FacilityId>,
    origin_class: OriginClass,
    country_key: OrEmpty<CountryCode>,
    declared: i16,
    has_lot: i16,
    quantity_mg: i64,
    quantity_uozt: i64,
}

/// A cell of the monthly rollup summed over suppliers.
#[derive(Insertable)]
#[diesel(table_name = by_origin)]
struct OriginMonthRow {
    organisation_id: OrganisationId,
    month_start: NaiveDate,
    mineral: Mineral,
    facility_key: OrEmpty<FacilityId>,
    origin_class: OriginClass,
    country_key: OrEmpty<CountryCode>,
    declared: i16,
    has_lot: i16,
    quantity_mg: i64,
    quantity_uozt: i64,
}

/// The cells of one rollup as columns, for one PostgreSQL statement over `unnest` of arrays
/// (one round trip and ten bound arrays however many cells, where multi-row `VALUES` bind eleven
/// parameters per cell and need a statement per 400 cells).
struct Columns {
    organisation: OrganisationId,
    day: Vec<NaiveDate>,
    mineral: Vec<&'static str>,
    supplier: Vec<String>,
    facility: Vec<String>,
    class: Vec<&'static str>,
    country: Vec<String>,
    declared: Vec<i16>,
    has_lot: Vec<i16>,
    mg: Vec<i64>,
    uozt: Vec<i64>,
}

impl Columns {
    /// The non-zero deltas of `cells` (rollup key → (mg, µozt)), in key order; the key's day is
    /// the cell's day or month.
    fn of(organisation: OrganisationId, cells: &BTreeMap<RollupKey, (i64, i64)>) -> Self {
        let mut columns = Columns {
            organisation,
            day: Vec::with_capacity(cells.len()),
            mineral: Vec::with_capacity(cells.len()),
            supplier: Vec::with_capacity(cells.len()),
            facility: Vec::with_capacity(cells.len()),
            class: Vec::with_capacity(cells.len()),
            country: Vec::with_capacity(cells.len()),
            declared: Vec::with_capacity(cells.len()),
            has_lot: Vec::with_capacity(cells.len()),
            mg: Vec::with_capacity(cells.len()),
            uozt: Vec::with_capacity(cells.len()),
        };
        for (key, &(mg, uozt)) in cells.iter().filter(|(_, delta)| **delta != (0, 0)) {
            columns.day.push(key.purchased_on);
            columns.mineral.push(key.mineral.as_str());
            columns
                .supplier
                .push(key.supplier.map(|s| s.to_string()).unwrap_or_default());
            columns
                .facility
                .push(key.facility.map(|f| f.to_string()).unwrap_or_default());
            columns.class.push(key.origin_class.as_str());
            columns
                .country
                .push(key.country.map(|c| c.to_string()).unwrap_or_default());
            columns.declared.push(i16::from(key.declared));
            columns.has_lot.push(i16::from(key.has_lot));
            columns.mg.push(mg);
            columns.uozt.push(uozt);
        }
        columns
    }

    /// Adds every cell to `table` (its day column `day`; with a supplier column when
    /// `suppliers`), creating the missing ones, in the cells' order (`unnest` keeps it, so
    /// concurrent writers lock alike).
    fn upsert(
        &self,
        conn: &mut diesel::PgConnection,
        table: &str,
        day: &str,
        suppliers: bool,
    ) -> Result<(), StoreError> {
        use diesel::sql_types::{Array, BigInt, Date, SmallInt, Text};
        if self.day.is_empty() {
            return Ok(());
        }
        let (supplier_column, supplier_value) = if suppliers {
            ("supplier_party_id, ", "c.supplier, ")
        } else {
            ("", "")
        };
        let key = format!(
            "organisation_id, {day}, mineral, {supplier_column}facility_key, origin_class, \
             country_key, declared, has_lot"
        );
        diesel::sql_query(format!(
            "INSERT INTO {table} AS cell ({key}, quantity_mg, quantity_uozt) \
             SELECT $1, c.day, c.mineral, {supplier_value}c.facility, c.class, c.country, \
                    c.declared, c.has_lot, c.mg, c.uozt \
             FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::text[], \
                    $7::text[], $8::smallint[], $9::smallint[], $10::bigint[], $11::bigint[]) \
                  AS c(day, mineral, supplier, facility, class, country, declared, has_lot, mg, \
                       uozt) \
             ON CONFLICT ({key}) DO UPDATE SET \
                quantity_mg = cell.quantity_mg + excluded.quantity_mg, \
                quantity_uozt = cell.quantity_uozt + excluded.quantity_uozt"
        ))
        .bind::<Text, _>(self.organisation.to_string())
        .bind::<Array<Date>, _>(&self.day)
        .bind::<Array<Text>, _>(&self.mineral)
        .bind::<Array<Text>, _>(&self.supplier)
        .bind::<Array<Text>, _>(&self.facility)
        .bind::<Array<Text>, _>(&self.class)
        .bind::<Array<Text>, _>(&self.country)
        .bind::<Array<SmallInt>, _>(&self.declared)
        .bind::<Array<SmallInt>, _>(&self.has_lot)
        .bind::<Array<BigInt>, _>(&self.mg)
        .bind::<Array<BigInt>, _>(&self.uozt)
        .execute(conn)?;
        Ok(())
    }
}

/// SQLite allows 32 766 bound parameters per statement; stay well below for every backend.
const READ_CHUNK: usize = 500;

/// `INSERT … ON CONFLICT (the key) DO UPDATE SET quantity_mg = quantity_mg + excluded, …` on
/// one of the rollups (`daily` keyed by `purchased_on`, `monthly` by `month_start`, both with
/// the supplier; `by_origin` keyed by `month_start` without it).
macro_rules! upsert {
    (by_origin, $conn:ident, $values:expr) => {
        upsert!(@key by_origin, $conn, $values, organisation_id, month_start, mineral,
                facility_key, origin_class, country_key, declared, has_lot)
    };
    ($table:ident, $day:ident, $conn:ident, $values:expr) => {
        upsert!(@key $table, $conn, $values, organisation_id, $day, mineral, supplier_party_id,
                facility_key, origin_class, country_key, declared, has_lot)
    };
    (@key $table:ident, $conn:ident, $values:expr, $($key:ident),+) => {
        diesel::insert_into($table::table)
            .values($values)
            .on_conflict(($($table::$key),+))
            .do_update()
            .set((
                $table::quantity_mg.eq($table::quantity_mg + excluded($table::quantity_mg)),
                $table::quantity_uozt.eq($table::quantity_uozt + excluded($table::quantity_uozt)),
            ))
            .execute($conn)?
    };
}

/// The non-zero deltas of `cells` (rollup key → (mg, µozt)) as rows of `$row`, the key's day
/// going into its `$day` column.
macro_rules! rows {
    ($row:ident, $day:ident, $cells:expr, $organisation:expr) => {
        $cells
            .into_iter()
            .filter(|(_, delta)| *delta != (0, 0))
            .map(|(key, (mg, uozt))| $row {
                organisation_id: $organisation,
                $day: key.purchased_on,
                mineral: key.mineral,
                supplier_party_id: OrEmpty(key.supplier),
                facility_key: OrEmpty(key.facility),
                origin_class: key.origin_class,
                country_key: OrEmpty(key.country),
                declared: i16::from(key.declared),
                has_lot: i16::from(key.has_lot),
                quantity_mg: mg,
                quantity_uozt: uozt,
            })
            .collect::<Vec<$row>>()
    };
}

impl Deltas {
    /// Adds a stored origin row's quantity (`sign` 1) or takes it away (`sign` -1): its
    /// milligrams when metric, its micro troy ounces when in troy ounces.
    pub fn add(&mut self, key: RollupKey, quantity_mg: i64, quantity_uozt: i64, sign: i64) {
        let (mg, uozt) = families(quantity_mg, quantity_uozt);
        let cell = self.0.entry(key).or_insert((0, 0));
        cell.0 += sign * mg;
        cell.1 += sign * uozt;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every non-zero delta to its cell (creating the cell when new), in the daily rollup
    /// and, summed per month, in the monthly one and (summed over suppliers too) in the monthly
    /// one by origin.
    pub fn apply(self, conn: &mut DbConn, organisation: OrganisationId) -> Result<(), StoreError> {
        let mut months: BTreeMap<RollupKey, (i64, i64)> = BTreeMap::new();
        let mut origins: BTreeMap<RollupKey, (i64, i64)> = BTreeMap::new();
        for (key, (mg, uozt)) in &self.0 {
            let month = RollupKey {
                purchased_on: month_start(key.purchased_on),
                ..key.clone()
            };
            let origin = RollupKey {
                supplier: None,
                ..month.clone()
            };
            for cell in [
                months.entry(month).or_insert((0, 0)),
                origins.entry(origin).or_insert((0, 0)),
            ] {
                cell.0 += mg;
                cell.1 += uozt;
            }
        }

        // diesel has no multi-row upsert on SQLite: there, one statement per cell (cheap inside
        // one transaction); on PostgreSQL, one statement per rollup over arrays of the cells.
        // Both in key order (days, then months, then months by origin), so concurrent writers
        // lock alike.
        match conn {
            DbConn::Pg(conn) => {
                Columns::of(organisation, &self.0).upsert(
                    conn,
                    "purchase_mix_daily",
                    "purchased_on",
                    true,
                )?;
                Columns::of(organisation, &months).upsert(
                    conn,
                    "purchase_mix_monthly",
                    "month_start",
                    true,
                )?;
                Columns::of(organisation, &origins).upsert(
                    conn,
                    "purchase_mix_monthly_by_origin",
                    "month_start",
                    false,
                )?;
            }
            DbConn::Sqlite(conn) => {
                let month_rows = rows!(MonthRow, month_start, months, organisation);
                let rows = rows!(Row, purchased_on, self.0, organisation);
                for row in &rows {
                    upsert!(daily, purchased_on, conn, row);
                }
                for row in &month_rows {
                    upsert!(monthly, month_start, conn, row);
                }
                for row in &origin_rows(origins, organisation) {
                    upsert!(by_origin, conn, row);
                }
            }
        }
        Ok(())
    }
}

/// The non-zero deltas of the monthly cells summed over suppliers, as rows.
fn origin_rows(
    cells: BTreeMap<RollupKey, (i64, i64)>,
    organisation: OrganisationId,
) -> Vec<OriginMonthRow> {
    cells
        .into_iter()
        .filter(|(_, delta)| *delta != (0, 0))
        .map(|(key, (mg, uozt))| OriginMonthRow {
            organisation_id: organisation,
            month_start: key.purchased_on,
            mineral: key.mineral,
            facility_key: OrEmpty(key.facility),
            origin_class: key.origin_class,
            country_key: OrEmpty(key.country),
            declared: i16::from(key.declared),
            has_lot: i16::from(key.has_lot),
            quantity_mg: mg,
            quantity_uozt: uozt,
        })
        .collect()
}

/// The cells the stored origin rows of `purchase_ids` count in, each with its quantity
/// (milligrams, micro troy ounces): what leaves the rollup when those purchases change or go.
pub fn stored_cells(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchase_ids: &[PurchaseId],
) -> Result<Vec<(RollupKey, i64, i64)>, StoreError> {
    type Stored = (
        NaiveDate,
        Mineral,
        PartyId,
        Option<FacilityId>,
        OriginClass,
        Option<CountryCode>,
        i16,
        i64,
        i64,
        Option<LotId>,
    );
    let mut cells = Vec::new();
    for chunk in purchase_ids.chunks(READ_CHUNK) {
        let rows: Vec<Stored> = purchase_origins::table
            .inner_join(
                purchases::table.on(purchases::organisation_id
                    .eq(purchase_origins::organisation_id)
                    .and(purchases::id.eq(purchase_origins::purchase_id))),
            )
            .filter(purchase_origins::organisation_id.eq(organisation))
            .filter(purchase_origins::purchase_id.eq_any(chunk))
            .select((
                purchase_origins::purchased_on,
                purchase_origins::mineral,
                purchase_origins::supplier_party_id,
                purchase_origins::facility_id,
                purchase_origins::origin_class,
                purchase_origins::country,
                purchase_origins::declared,
                purchase_origins::quantity_mg,
                purchase_origins::quantity_uozt,
                purchases::lot_id,
            ))
            .load(conn)?;
        cells.extend(rows.into_iter().map(
            |(
                purchased_on,
                mineral,
                supplier,
                facility,
                class,
                country,
                declared,
                quantity,
                ounces,
                lot,
            )| {
                let key = RollupKey {
                    purchased_on,
                    mineral,
                    supplier: Some(supplier),
                    facility,
                    origin_class: class,
                    country,
                    declared: declared != 0,
                    has_lot: lot.is_some(),
                };
                (key, quantity, ounces)
            },
        ));
    }
    Ok(cells)
}

/// Removes cells that went back to zero, in every rollup (housekeeping: readers skip them
/// anyway).
pub fn purge_empty(conn: &mut DbConn) -> Result<usize, StoreError> {
    let days = diesel::delete(
        daily::table
            .filter(daily::quantity_mg.eq(0))
            .filter(daily::quantity_uozt.eq(0)),
    )
    .execute(conn)?;
    let months = diesel::delete(
        monthly::table
            .filter(monthly::quantity_mg.eq(0))
            .filter(monthly::quantity_uozt.eq(0)),
    )
    .execute(conn)?;
    let origins = diesel::delete(
        by_origin::table
            .filter(by_origin::quantity_mg.eq(0))
            .filter(by_origin::quantity_uozt.eq(0)),
    )
    .execute(conn)?;
    Ok(days + months + origins)
}
