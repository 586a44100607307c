//! What `/v1/purchases` answers and the filters of its list.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::batch::Outcome;
use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, PartyId, PurchaseId};
use crate::domain::mass::Mass;
use crate::domain::purchase::PurchaseOrigin;
use crate::domain::quantity::{Converted, MassUnit, Quantity, QuantityView};
use crate::domain::shares::PPB as ONE_PPB;
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::purchase::{PurchaseFilter, PurchaseRecord};

crate::page_type!(PurchaseList, Purchase);

/// A purchase line as stored.
#[derive(Serialize, ToSchema)]
pub struct Purchase {
    pub id: PurchaseId,
    /// The ERP's id for the line, unique within the organisation.
    pub external_ref: String,
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    /// The quantity as entered, its milligrams, and (with `unit=`) the exact quantity in that
    /// unit.
    pub quantity: QuantityView,
    pub purchased_on: NaiveDate,
    pub lot_id: Option<LotId>,
    /// The declared origin shares with the quantity allocated to each (they add up to the
    /// purchase's quantity exactly); null when no origin was declared.
    pub declared_origin: Option<Vec<OriginShare>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One declared origin share.
#[derive(Serialize, ToSchema)]
pub struct OriginShare {
    /// The origin facility (a mine or recycler), when one was named.
    pub facility_id: Option<FacilityId>,
    /// The origin class: from the facility's mining scale, or as declared.
    pub origin_class: OriginClass,
    pub country: Option<CountryCode>,
    /// The declared fraction of the purchase.
    pub share: f64,
    /// The part of the purchase's stored quantity allocated to this share, in milligrams
    /// (largest-remainder allocation: the parts add up exactly; for troy ounces, of the nearest
    /// milligram, while the micro ounces are allocated exactly in `quantity_converted`).
    pub quantity_mg: i64,
    /// The same in kilograms, as an exact decimal string.
    pub quantity_kg: String,
    /// The exact part in the unit asked for with `unit=`; absent without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_converted: Option<Converted>,
}

/// What writing a line did.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteResult {
    /// A new purchase (201).
    Created,
    /// The purchase with this external_ref was changed (200).
    Updated,
    /// The purchase with this external_ref already said exactly this (200).
    Unchanged,
}

/// The answer to `POST /v1/purchases`.
#[derive(Serialize, ToSchema)]
pub struct PurchaseWriteResult {
    pub result: WriteResult,
    pub purchase: Purchase,
}

/// A batch file's bytes (`/v1/purchases/batch.csv`, `.ndjson`): described as a binary string,
/// which generators turn into a file or bytes argument sent as it is.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct BatchFile(pub Vec<u8>);

/// The answer to a batch.
#[derive(Serialize, ToSchema)]
// Not `BatchResult`: the catalog batches answer a schema of that name, and two schemas of one
// name silently replace each other in the document (found by schemathesis).
#[schema(as = PurchaseBatchResult)]
pub struct BatchResult {
    /// Rows in the batch.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Filters of the purchase list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurchaseQuery {
    pub mineral: Option<Mineral>,
    /// Only purchases from this supplier.
    pub supplier_party_id: Option<PartyId>,
    /// Purchased on or after this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Purchased on or before this date.
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// The ERP line id.
    pub external_ref: Option<String>,
    /// Purchases of this lot.
    pub lot_id: Option<LotId>,
    /// Also write each quantity exactly in this unit (`quantity.converted`).
    pub unit: Option<MassUnit>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^ot1\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub cursor: Option<String>,
}

impl PurchaseQuery {
    /// The list's filters.
    pub fn filter(&self) -> PurchaseFilter {
        PurchaseFilter {
            mineral: self.mineral,
            supplier: self.supplier_party_id,
            from: self.from,
            to: self.to,
            external_ref: self.external_ref.clone(),
            lot: self.lot_id,
        }
    }
}

impl From<Outcome> for WriteResult {
    fn from(outcome: Outcome) -> WriteResult {
        match outcome {
            Outcome::Created => WriteResult::Created,
            Outcome::Updated => WriteResult::Updated,
            Outcome::Unchanged => WriteResult::Unchanged,
        }
    }
}

fn origin_view(origin: &PurchaseOrigin, unit: Option<MassUnit>) -> OriginShare {
    OriginShare {
        facility_id: origin.facility,
        origin_class: origin.class,
        country: origin.country,
        share: origin.share_ppb as f64 / ONE_PPB as f64,
        quantity_mg: origin.quantity_mg,
        quantity_kg: Quantity::kg_text(origin.quantity_mg),
        quantity_converted: unit.map(|unit| Converted::of(origin.mass(), unit)),
    }
}

impl Purchase {
    /// A stored purchase as answers show it, its quantities also written exactly in `unit`
    /// when one is asked for.
    pub fn view(record: PurchaseRecord, unit: Option<MassUnit>) -> Purchase {
        let declared = record.origins.iter().any(|o| o.declared);
        let mass = || Mass::stored(record.quantity_mg, record.quantity_uozt);
        Purchase {
            id: record.id,
            external_ref: record.external_ref,
            supplier_party_id: record.supplier,
            mineral: record.mineral,
            quantity: QuantityView::new(
                record.quantity_mg,
                &record.quantity_value,
                record.quantity_unit,
            )
            .converted(mass, unit),
            purchased_on: record.purchased_on,
            lot_id: record.lot,
            declared_origin: declared.then(|| {
                record
                    .origins
                    .iter()
                    .map(|o| origin_view(o, unit))
                    .collect()
            }),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

impl From<PurchaseRecord> for Purchase {
    fn from(record: PurchaseRecord) -> Purchase {
        Purchase::view(record, None)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn units_are_listed() {
        use crate::domain::quantity::MassUnit;
        assert_eq!(MassUnit::expected(), "g, kg, t or troy_oz");
    }
}
