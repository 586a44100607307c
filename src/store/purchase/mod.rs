//! Purchases: the organisation's ERP lines and their origin rows. Every query filters by the
//! caller's organisation. What a write means (references checked, origin rows resolved, the
//! rollup kept) is the use case's (`app::purchases`); this module reads and writes rows.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::ids::{LotId, PartyId, PurchaseId};
use crate::domain::purchase::PurchaseOrigin;
use crate::domain::quantity::MassUnit;
use crate::domain::vocabulary::Mineral;

mod read;
pub mod references;
mod rows;
pub mod write;

pub use read::{find, list};

/// A stored purchase with its origin rows.
#[derive(Clone, Debug)]
pub struct PurchaseRecord {
    pub id: PurchaseId,
    pub external_ref: String,
    pub supplier: PartyId,
    pub mineral: Mineral,
    /// Metric: the exact milligrams; troy ounces: the nearest milligram.
    pub quantity_mg: i64,
    /// Troy ounces: the exact micro troy ounces; 0 for a metric line.
    pub quantity_uozt: i64,
    pub quantity_value: String,
    pub quantity_unit: MassUnit,
    pub purchased_on: NaiveDate,
    pub lot: Option<LotId>,
    pub origins: Vec<PurchaseOrigin>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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

/// SQLite allows 32 766 bound parameters per statement; stay well below for every backend.
const CHUNK: usize = 500;
