//! Purchases: the organisation's ERP lines and their origin shares. Every query filters by the
//! caller's organisation.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::mix_rollup::{Deltas, RollupKey};
use crate::db::DbConn;
use crate::db::schema::{facilities, lots, parties, purchase_origins, purchases};
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, OrganisationId, PartyId, PurchaseId};
use crate::domain::purchase::{OriginTarget, PurchaseLine};
use crate::domain::quantity::MassUnit;
use crate::domain::shares::{PPB as ONE_PPB, largest_remainder};
use crate::domain::time;
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{FacilityKind, Mineral, MiningScale, OriginClass};
use crate::store::page::PageRequest;
use crate::store::{Rejection, StoreError};

/// A stored purchase with its origin rows.
#[derive(Clone, Debug)]
pub struct PurchaseRecord {
    pub id: PurchaseId,
    pub external_ref: String,
    pub supplier: PartyId,
    pub mineral: Mineral,
    pub quantity_mg: i64,
    pub quantity_value: String,
    pub quantity_unit: MassUnit,
    pub purchased_on: NaiveDate,
    pub lot: Option<LotId>,
    pub origins: Vec<OriginRecord>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One origin row: a declared share (or the implicit unknown row) and its exact quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginRecord {
    pub facility: Option<FacilityId>,
    pub class: OriginClass,
    pub country: Option<CountryCode>,
    pub declared: bool,
    pub share_ppb: i64,
    pub quantity_mg: i64,
}

/// What writing a line did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Counts of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What a declared origin facility contributes: its class and country.
#[derive(Clone, Debug)]
struct FacilityOrigin {
    kind: FacilityKind,
    class: Option<OriginClass>,
    country: Option<CountryCode>,
}

/// The catalog and lot references of a set of lines, loaded in a few set-based queries.
#[derive(Default)]
struct References {
    suppliers: HashSet<String>,
    facilities: HashMap<String, FacilityOrigin>,
    lots: HashSet<String>,
}

/// SQLite allows 32 766 bound parameters per statement; stay well below for every backend.
const CHUNK: usize = 500;

fn load_references(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[&PurchaseLine],
) -> Result<References, StoreError> {
    let mut supplier_ids: Vec<String> = lines.iter().map(|l| l.supplier.to_string()).collect();
    supplier_ids.sort();
    supplier_ids.dedup();
    let mut facility_ids: Vec<String> = lines
        .iter()
        .flat_map(|l| l.origins.iter())
        .filter_map(|o| match &o.target {
            OriginTarget::Facility(id) => Some(id.to_string()),
            OriginTarget::Class { .. } => None,
        })
        .collect();
    facility_ids.sort();
    facility_ids.dedup();
    let mut lot_ids: Vec<String> = lines
        .iter()
        .filter_map(|l| l.lot.map(|id| id.to_string()))
        .collect();
    lot_ids.sort();
    lot_ids.dedup();

    let mut refs = References::default();
    for chunk in supplier_ids.chunks(CHUNK) {
        let found: Vec<String> = parties::table
            .filter(parties::id.eq_any(chunk))
            .select(parties::id)
            .load(conn)?;
        refs.suppliers.extend(found);
    }
    for chunk in facility_ids.chunks(CHUNK) {
        let found: Vec<(String, String, Option<String>, String)> = facilities::table
            .filter(facilities::id.eq_any(chunk))
            .select((
                facilities::id,
                facilities::kind,
                facilities::mining_scale,
                facilities::country,
            ))
            .load(conn)?;
        for (id, kind, scale, country) in found {
            let kind = FacilityKind::parse(&kind)
                .ok_or_else(|| StoreError::corrupt(format!("bad facility kind {kind}")))?;
            let class = match kind {
                FacilityKind::Mine => scale
                    .as_deref()
                    .and_then(MiningScale::parse)
                    .map(OriginClass::from),
                FacilityKind::Recycler => Some(OriginClass::Recycled),
                _ => None,
            };
            refs.facilities.insert(
                id,
                FacilityOrigin {
                    kind,
                    class,
                    country: country.parse().ok(),
                },
            );
        }
    }
    for chunk in lot_ids.chunks(CHUNK) {
        let found: Vec<String> = lots::table
            .filter(lots::organisation_id.eq(organisation.to_string()))
            .filter(lots::id.eq_any(chunk))
            .select(lots::id)
            .load(conn)?;
        refs.lots.extend(found);
    }
    Ok(refs)
}

/// Checks a line's references; `base` prefixes the pointers (`/17` in a batch).
fn check_references(line: &PurchaseLine, refs: &References, base: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !refs.suppliers.contains(&line.supplier.to_string()) {
        errors.push(FieldError::at(
            format!("{base}/supplier_party_id"),
            "no party with this id in the catalog",
        ));
    }
    if let Some(lot) = line.lot
        && !refs.lots.contains(&lot.to_string())
    {
        errors.push(FieldError::at(
            format!("{base}/lot_id"),
            "no lot with this id",
        ));
    }
    for (i, origin) in line.origins.iter().enumerate() {
        if let OriginTarget::Facility(id) = &origin.target {
            let pointer = format!("{base}/declared_origin/{i}/facility_id");
            match refs.facilities.get(&id.to_string()) {
                None => errors.push(FieldError::at(
                    pointer,
                    "no facility with this id in the catalog",
                )),
                Some(facility) if facility.class.is_none() => errors.push(FieldError::at(
                    pointer,
                    format!(
                        "an origin facility must be a mine or a recycler, not a {}",
                        facility.kind
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    errors
}

/// The origin rows of a line: its declared shares with their exact quantities, or one unknown
/// row for the whole quantity.
fn resolve_origins(line: &PurchaseLine, refs: &References) -> Vec<OriginRecord> {
    if line.origins.is_empty() {
        return vec![OriginRecord {
            facility: None,
            class: OriginClass::Unknown,
            country: None,
            declared: false,
            share_ppb: ONE_PPB,
            quantity_mg: line.quantity.mg,
        }];
    }
    let shares: Vec<i64> = line.origins.iter().map(|o| o.share_ppb).collect();
    let quantities = largest_remainder(line.quantity.mg, &shares);
    line.origins
        .iter()
        .zip(quantities)
        .map(|(origin, quantity_mg)| match &origin.target {
            OriginTarget::Facility(id) => {
                let facility = refs.facilities.get(&id.to_string());
                OriginRecord {
                    facility: Some(*id),
                    class: facility
                        .and_then(|f| f.class)
                        .unwrap_or(OriginClass::Unknown),
                    country: facility.and_then(|f| f.country),
                    declared: true,
                    share_ppb: origin.share_ppb,
                    quantity_mg,
                }
            }
            OriginTarget::Class { class, country } => OriginRecord {
                facility: None,
                class: *class,
                country: *country,
                declared: true,
                share_ppb: origin.share_ppb,
                quantity_mg,
            },
        })
        .collect()
}

/// SHA-256 of everything a line says, to tell a re-send that changes nothing.
fn content_hash(line: &PurchaseLine, origins: &[OriginRecord]) -> String {
    let mut hasher = Sha256::new();
    let mut part = |text: &str| {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    part(&line.supplier.to_string());
    part(line.mineral.as_str());
    part(&line.quantity.mg.to_string());
    part(&line.quantity.value.to_string());
    part(line.quantity.unit.as_str());
    part(&line.purchased_on.to_string());
    part(&line.lot.map(|l| l.to_string()).unwrap_or_default());
    for origin in origins {
        part(&origin.facility.map(|f| f.to_string()).unwrap_or_default());
        part(origin.class.as_str());
        part(
            origin
                .country
                .map(|c| c.to_string())
                .as_deref()
                .unwrap_or(""),
        );
        part(if origin.declared { "1" } else { "0" });
        part(&origin.share_ppb.to_string());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Insertable)]
#[diesel(table_name = purchases)]
struct NewPurchaseRow {
    organisation_id: String,
    id: String,
    external_ref: String,
    supplier_party_id: String,
    mineral: String,
    quantity_mg: i64,
    quantity_value: String,
    quantity_unit: String,
    purchased_on: NaiveDate,
    lot_id: Option<String>,
    content_hash: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = purchase_origins)]
struct NewOriginRow {
    organisation_id: String,
    purchase_id: String,
    position: i32,
    facility_id: Option<String>,
    origin_class: String,
    country: Option<String>,
    declared: i16,
    share_ppb: i64,
    quantity_mg: i64,
    purchased_on: NaiveDate,
    mineral: String,
    supplier_party_id: String,
}

fn origin_rows(
    organisation: &str,
    purchase: &str,
    line: &PurchaseLine,
    origins: &[OriginRecord],
) -> Vec<NewOriginRow> {
    origins
        .iter()
        .enumerate()
        .map(|(position, origin)| NewOriginRow {
            organisation_id: organisation.to_owned(),
            purchase_id: purchase.to_owned(),
            position: position as i32,
            facility_id: origin.facility.map(|f| f.to_string()),
            origin_class: origin.class.as_str().to_owned(),
            country: origin.country.map(|c| c.to_string()),
            declared: i16::from(origin.declared),
            share_ppb: origin.share_ppb,
            quantity_mg: origin.quantity_mg,
            purchased_on: line.purchased_on,
            mineral: line.mineral.as_str().to_owned(),
            supplier_party_id: line.supplier.to_string(),
        })
        .collect()
}

fn insert_purchases(conn: &mut DbConn, rows: &[NewPurchaseRow]) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(purchases::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

fn insert_origins(conn: &mut DbConn, rows: &[NewOriginRow]) -> Result<(), StoreError> {
    for chunk in rows.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(purchase_origins::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// The id and content hash of the organisation's purchases with these external refs.
/// A stored purchase a line of a batch names by its external_ref.
struct Existing {
    id: String,
    content_hash: String,
}

fn existing_by_ref(
    conn: &mut DbConn,
    organisation: &str,
    refs: &[&str],
) -> Result<HashMap<String, Existing>, StoreError> {
    let mut found = HashMap::new();
    for chunk in refs.chunks(CHUNK) {
        let rows: Vec<(String, String, String)> = purchases::table
            .filter(purchases::organisation_id.eq(organisation))
            .filter(purchases::external_ref.eq_any(chunk))
            .select((
                purchases::external_ref,
                purchases::id,
                purchases::content_hash,
            ))
            .load(conn)?;
        for (external_ref, id, content_hash) in rows {
            found.insert(external_ref, Existing { id, content_hash });
        }
    }
    Ok(found)
}

fn rollup_key(row: &NewOriginRow, has_lot: bool) -> RollupKey {
    RollupKey {
        purchased_on: row.purchased_on,
        mineral: row.mineral.clone(),
        supplier_party_id: row.supplier_party_id.clone(),
        facility_key: row.facility_id.clone().unwrap_or_default(),
        origin_class: row.origin_class.clone(),
        country_key: row.country.clone().unwrap_or_default(),
        declared: row.declared,
        has_lot: i16::from(has_lot),
    }
}

/// Subtracts the stored origin rows of `purchase_ids` from the rollup.
fn subtract_stored(
    conn: &mut DbConn,
    organisation: &str,
    purchase_ids: &[String],
    deltas: &mut Deltas,
) -> Result<(), StoreError> {
    type Stored = (
        NaiveDate,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        i16,
        i64,
        Option<String>,
    );
    for chunk in purchase_ids.chunks(CHUNK) {
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
                purchases::lot_id,
            ))
            .load(conn)?;
        for (purchased_on, mineral, supplier, facility, class, country, declared, quantity, lot) in
            rows
        {
            deltas.add(
                RollupKey {
                    purchased_on,
                    mineral,
                    supplier_party_id: supplier,
                    facility_key: facility.unwrap_or_default(),
                    origin_class: class,
                    country_key: country.unwrap_or_default(),
                    declared,
                    has_lot: i16::from(lot.is_some()),
                },
                -quantity,
            );
        }
    }
    Ok(())
}

fn update_purchase(
    conn: &mut DbConn,
    organisation: &str,
    id: &str,
    line: &PurchaseLine,
    origins: &[OriginRecord],
    hash: String,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::update(
        purchases::table
            .filter(purchases::organisation_id.eq(organisation))
            .filter(purchases::id.eq(id)),
    )
    .set((
        purchases::supplier_party_id.eq(line.supplier.to_string()),
        purchases::mineral.eq(line.mineral.as_str()),
        purchases::quantity_mg.eq(line.quantity.mg),
        purchases::quantity_value.eq(line.quantity.value.to_string()),
        purchases::quantity_unit.eq(line.quantity.unit.as_str()),
        purchases::purchased_on.eq(line.purchased_on),
        purchases::lot_id.eq(line.lot.map(|l| l.to_string())),
        purchases::content_hash.eq(hash),
        purchases::updated_at.eq(now),
    ))
    .execute(conn)?;
    diesel::delete(
        purchase_origins::table
            .filter(purchase_origins::organisation_id.eq(organisation))
            .filter(purchase_origins::purchase_id.eq(id)),
    )
    .execute(conn)?;
    insert_origins(conn, &origin_rows(organisation, id, line, origins))
}

/// Writes a batch of validated lines (row index, line) in the caller's transaction: all or
/// none. Lines whose external_ref exists are updated when they changed. `progress` is told how
/// many rows are done.
pub fn apply_batch(
    conn: &mut DbConn,
    organisation: OrganisationId,
    lines: &[(usize, PurchaseLine)],
    progress: &dyn Fn(usize),
) -> Result<BatchCounts, StoreError> {
    let org = organisation.to_string();
    let mut errors = Vec::new();
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for (index, line) in lines {
        if let Some(first) = first_seen.insert(&line.external_ref, *index) {
            errors.push(FieldError::at(
                format!("/{index}/external_ref"),
                format!(
                    "appears twice in this batch (rows {} and {})",
                    first + 1,
                    index + 1
                ),
            ));
        }
    }
    let all: Vec<&PurchaseLine> = lines.iter().map(|(_, l)| l).collect();
    let refs = load_references(conn, organisation, &all)?;
    for (index, line) in lines {
        errors.extend(check_references(line, &refs, &format!("/{index}")));
    }
    if !errors.is_empty() {
        return Err(StoreError::refused(
            errors
                .into_iter()
                .map(Rejection::from_row_pointer)
                .collect(),
        ));
    }
    let external_refs: Vec<&str> = lines.iter().map(|(_, l)| l.external_ref.as_str()).collect();
    let existing = existing_by_ref(conn, &org, &external_refs)?;
    let now = time::to_db(time::now());
    let mut counts = BatchCounts::default();
    let mut new_purchases = Vec::new();
    let mut new_origins = Vec::new();
    let mut deltas = Deltas::default();
    // Lines that change a stored purchase: what they said before leaves the rollup first.
    let mut changed = Vec::new();
    let resolved: Vec<(Vec<OriginRecord>, String)> = lines
        .iter()
        .map(|(_, line)| {
            let origins = resolve_origins(line, &refs);
            let hash = content_hash(line, &origins);
            (origins, hash)
        })
        .collect();
    for ((_, line), (_, hash)) in lines.iter().zip(&resolved) {
        if let Some(stored) = existing.get(&line.external_ref)
            && stored.content_hash != *hash
        {
            changed.push(stored.id.clone());
        }
    }
    subtract_stored(conn, &org, &changed, &mut deltas)?;
    for (done, ((_, line), (origins, hash))) in lines.iter().zip(resolved).enumerate() {
        match existing.get(&line.external_ref) {
            Some(stored) if stored.content_hash == hash => counts.unchanged += 1,
            Some(stored) => {
                for row in origin_rows(&org, &stored.id, line, &origins) {
                    deltas.add(rollup_key(&row, line.lot.is_some()), row.quantity_mg);
                }
                update_purchase(conn, &org, &stored.id, line, &origins, hash, now)?;
                counts.updated += 1;
            }
            None => {
                let id = PurchaseId::generate().to_string();
                let rows = origin_rows(&org, &id, line, &origins);
                for row in &rows {
                    deltas.add(rollup_key(row, line.lot.is_some()), row.quantity_mg);
                }
                new_origins.extend(rows);
                new_purchases.push(NewPurchaseRow {
                    organisation_id: org.clone(),
                    id,
                    external_ref: line.external_ref.clone(),
                    supplier_party_id: line.supplier.to_string(),
                    mineral: line.mineral.as_str().to_owned(),
                    quantity_mg: line.quantity.mg,
                    quantity_value: line.quantity.value.to_string(),
                    quantity_unit: line.quantity.unit.as_str().to_owned(),
                    purchased_on: line.purchased_on,
                    lot_id: line.lot.map(|l| l.to_string()),
                    content_hash: hash,
                    created_at: now,
                    updated_at: now,
                });
                counts.created += 1;
            }
        }
        if new_purchases.len() >= CHUNK * 4 {
            insert_purchases(conn, &new_purchases)?;
            insert_origins(conn, &new_origins)?;
            new_purchases.clear();
            new_origins.clear();
            progress(done + 1);
        }
    }
    insert_purchases(conn, &new_purchases)?;
    insert_origins(conn, &new_origins)?;
    deltas.apply(conn, &org)?;
    progress(lines.len());
    Ok(counts)
}

/// Writes one line (create, update or nothing) and returns it as stored.
pub fn upsert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    line: &PurchaseLine,
) -> Result<(PurchaseRecord, Outcome), StoreError> {
    let counts =
        apply_batch(conn, organisation, &[(0, line.clone())], &|_| {}).map_err(strip_row_prefix)?;
    let outcome = if counts.created == 1 {
        Outcome::Created
    } else if counts.updated == 1 {
        Outcome::Updated
    } else {
        Outcome::Unchanged
    };
    let record = find_by_ref(conn, organisation, &line.external_ref)?
        .ok_or_else(|| StoreError::corrupt("a purchase just written cannot be read"))?;
    Ok((record, outcome))
}

/// Single lines are not rows of a batch: their refusals name no row.
fn strip_row_prefix(error: StoreError) -> StoreError {
    match error {
        StoreError::Rejected { rejections, detail } => StoreError::Rejected {
            rejections: rejections
                .into_iter()
                .map(|r| Rejection { row: None, ..r })
                .collect(),
            detail,
        },
        other => other,
    }
}

#[derive(Queryable)]
struct PurchaseRow {
    id: String,
    external_ref: String,
    supplier_party_id: String,
    mineral: String,
    quantity_mg: i64,
    quantity_value: String,
    quantity_unit: String,
    purchased_on: NaiveDate,
    lot_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

type PurchaseColumns = (
    purchases::id,
    purchases::external_ref,
    purchases::supplier_party_id,
    purchases::mineral,
    purchases::quantity_mg,
    purchases::quantity_value,
    purchases::quantity_unit,
    purchases::purchased_on,
    purchases::lot_id,
    purchases::created_at,
    purchases::updated_at,
);

const PURCHASE_COLUMNS: PurchaseColumns = (
    purchases::id,
    purchases::external_ref,
    purchases::supplier_party_id,
    purchases::mineral,
    purchases::quantity_mg,
    purchases::quantity_value,
    purchases::quantity_unit,
    purchases::purchased_on,
    purchases::lot_id,
    purchases::created_at,
    purchases::updated_at,
);

fn bad(what: &str, value: &str) -> StoreError {
    StoreError::corrupt(format!("stored purchase has a bad {what}: {value:?}"))
}

impl PurchaseRow {
    fn into_record(self, origins: Vec<OriginRecord>) -> Result<PurchaseRecord, StoreError> {
        Ok(PurchaseRecord {
            id: self.id.parse().map_err(|_| bad("id", &self.id))?,
            supplier: self
                .supplier_party_id
                .parse()
                .map_err(|_| bad("supplier", &self.supplier_party_id))?,
            mineral: Mineral::parse(&self.mineral).ok_or_else(|| bad("mineral", &self.mineral))?,
            quantity_unit: MassUnit::parse(&self.quantity_unit)
                .ok_or_else(|| bad("unit", &self.quantity_unit))?,
            lot: self
                .lot_id
                .as_deref()
                .map(|l| l.parse().map_err(|_| bad("lot", l)))
                .transpose()?,
            external_ref: self.external_ref,
            quantity_mg: self.quantity_mg,
            quantity_value: self.quantity_value,
            purchased_on: self.purchased_on,
            origins,
            created_at: time::from_db(self.created_at),
            updated_at: time::from_db(self.updated_at),
        })
    }
}

type OriginTuple = (
    String,
    Option<String>,
    String,
    Option<String>,
    i16,
    i64,
    i64,
);

fn load_origins(
    conn: &mut DbConn,
    organisation: &str,
    purchase_ids: &[String],
) -> Result<HashMap<String, Vec<OriginRecord>>, StoreError> {
    let mut by_purchase: HashMap<String, Vec<OriginRecord>> = HashMap::new();
    for chunk in purchase_ids.chunks(CHUNK) {
        let rows: Vec<OriginTuple> = purchase_origins::table
            .filter(purchase_origins::organisation_id.eq(organisation))
            .filter(purchase_origins::purchase_id.eq_any(chunk))
            .order((purchase_origins::purchase_id, purchase_origins::position))
            .select((
                purchase_origins::purchase_id,
                purchase_origins::facility_id,
                purchase_origins::origin_class,
                purchase_origins::country,
                purchase_origins::declared,
                purchase_origins::share_ppb,
                purchase_origins::quantity_mg,
            ))
            .load(conn)?;
        for (purchase, facility, class, country, declared, share_ppb, quantity_mg) in rows {
            by_purchase.entry(purchase).or_default().push(OriginRecord {
                facility: facility
                    .as_deref()
                    .map(|f| f.parse().map_err(|_| bad("origin facility", f)))
                    .transpose()?,
                class: OriginClass::parse(&class).ok_or_else(|| bad("origin class", &class))?,
                country: country.as_deref().and_then(|c| c.parse().ok()),
                declared: declared != 0,
                share_ppb,
                quantity_mg,
            });
        }
    }
    Ok(by_purchase)
}

fn with_origins(
    conn: &mut DbConn,
    organisation: &str,
    rows: Vec<PurchaseRow>,
) -> Result<Vec<PurchaseRecord>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut origins = load_origins(conn, organisation, &ids)?;
    rows.into_iter()
        .map(|row| {
            let own = origins.remove(&row.id).unwrap_or_default();
            row.into_record(own)
        })
        .collect()
}

pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
) -> Result<Option<PurchaseRecord>, StoreError> {
    let org = organisation.to_string();
    let row: Option<PurchaseRow> = purchases::table
        .filter(purchases::organisation_id.eq(&org))
        .filter(purchases::id.eq(id.to_string()))
        .select(PURCHASE_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(with_origins(conn, &org, row.into_iter().collect())?.pop())
}

pub fn find_by_ref(
    conn: &mut DbConn,
    organisation: OrganisationId,
    external_ref: &str,
) -> Result<Option<PurchaseRecord>, StoreError> {
    let org = organisation.to_string();
    let row: Option<PurchaseRow> = purchases::table
        .filter(purchases::organisation_id.eq(&org))
        .filter(purchases::external_ref.eq(external_ref))
        .select(PURCHASE_COLUMNS)
        .first(conn)
        .optional()?;
    Ok(with_origins(conn, &org, row.into_iter().collect())?.pop())
}

/// Filters of `GET /v1/purchases`.
#[derive(Clone, Debug, Default)]
pub struct PurchaseFilter {
    pub mineral: Option<Mineral>,
    pub supplier: Option<PartyId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub external_ref: Option<String>,
    pub lot: Option<LotId>,
}

pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    filter: &PurchaseFilter,
    page: &PageRequest,
) -> Result<Vec<PurchaseRecord>, StoreError> {
    let org = organisation.to_string();
    let mut query = purchases::table
        .filter(purchases::organisation_id.eq(&org))
        .select(PURCHASE_COLUMNS)
        .order(purchases::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(purchases::id.gt(after.clone()));
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(purchases::mineral.eq(mineral.as_str()));
    }
    if let Some(supplier) = filter.supplier {
        query = query.filter(purchases::supplier_party_id.eq(supplier.to_string()));
    }
    if let Some(from) = filter.from {
        query = query.filter(purchases::purchased_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(purchases::purchased_on.le(to));
    }
    if let Some(external_ref) = &filter.external_ref {
        query = query.filter(purchases::external_ref.eq(external_ref.clone()));
    }
    if let Some(lot) = filter.lot {
        query = query.filter(purchases::lot_id.eq(lot.to_string()));
    }
    let rows: Vec<PurchaseRow> = query.load(conn)?;
    with_origins(conn, &org, rows)
}

/// Deletes a purchase (an ERP reversal) and returns what it was.
pub fn delete(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: PurchaseId,
) -> Result<Option<PurchaseRecord>, StoreError> {
    let Some(record) = find(conn, organisation, id)? else {
        return Ok(None);
    };
    let org = organisation.to_string();
    let mut deltas = Deltas::default();
    subtract_stored(conn, &org, &[id.to_string()], &mut deltas)?;
    deltas.apply(conn, &org)?;
    diesel::delete(
        purchase_origins::table
            .filter(purchase_origins::organisation_id.eq(&org))
            .filter(purchase_origins::purchase_id.eq(id.to_string())),
    )
    .execute(conn)?;
    diesel::delete(
        purchases::table
            .filter(purchases::organisation_id.eq(&org))
            .filter(purchases::id.eq(id.to_string())),
    )
    .execute(conn)?;
    Ok(Some(record))
}
