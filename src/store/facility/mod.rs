//! Facilities: mines, concentrators, smelters, refiners… with their minerals and identifiers.
//!
//! `mod.rs` holds the record as read (shown as is by the API) and the validated content a
//! facility is written from; `write.rs` the inserts and replacements, `read.rs` the lookups and
//! the filtered list, `rows.rs` the typed rows both share.

mod read;
mod rows;
mod write;

pub use read::*;
pub use write::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::country::CountryCode;
use crate::domain::facility::{BoundingBox, Location};
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::vocabulary::{
    CoexistenceStatus, FacilityIdentifierScheme, FacilityKind, FacilityStatus, Mineral, MiningScale,
};
/// An identifier of a facility in an external register.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct FacilityIdentifier {
    /// The register: `rmi_cid`, `irma_site`, `os_id`, `mining_title`, `gln` or `other`.
    pub scheme: FacilityIdentifierScheme,
    /// The identifier in that register (an RMI id is `CID` and six digits).
    #[schema(example = "CID001234")]
    pub value: String,
}

impl std::fmt::Display for FacilityIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.scheme, self.value)
    }
}

/// The agreement between a large-scale mine and the artisanal miners on or near its concession
/// (the IRMA–ARM commitment to ASM–LSM coexistence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoexistenceAgreement {
    /// `none`, `negotiating`, `signed`, `suspended` or `terminated`.
    pub status: CoexistenceStatus,
    /// The day it was signed.
    pub signed_on: Option<NaiveDate>,
    /// The ASM organisations (parties) it was agreed with.
    pub asm_party_ids: Vec<PartyId>,
    /// Where the agreement or a public summary can be read (http or https).
    pub reference_url: Option<String>,
}

/// A facility: a place that extracts, processes, stores or uses minerals.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Facility {
    pub id: FacilityId,
    /// Name.
    pub name: String,
    /// What it does: mine, concentrator, smelter, refiner, recycler, warehouse, manufacturer.
    pub kind: FacilityKind,
    /// For mines: `asm` (artisanal and small-scale) or `lsm` (large-scale); null otherwise.
    pub mining_scale: Option<MiningScale>,
    /// The minerals it produces or handles, in vocabulary order.
    pub minerals: Vec<Mineral>,
    /// Country (ISO 3166-1 alpha-2).
    pub country: CountryCode,
    /// ISO 3166-2 subdivision code or region name.
    pub subdivision: Option<String>,
    /// Where it is (WGS 84).
    pub location: Option<Location>,
    /// The party that operates it.
    pub operator_party_id: Option<PartyId>,
    /// Its identifiers in external registers.
    pub identifiers: Vec<FacilityIdentifier>,
    /// Whether it lies in a conflict-affected or high-risk area (OECD Due Diligence Guidance).
    pub cahra: bool,
    /// Why the area counts as conflict-affected or high-risk (the list or assessment relied on).
    pub cahra_basis: Option<String>,
    /// LSM mines only: whether artisanal miners work on or near the concession; null when
    /// unknown.
    pub asm_presence: Option<bool>,
    /// LSM mines only: the coexistence agreement with those artisanal miners, if any.
    pub coexistence_agreement: Option<CoexistenceAgreement>,
    /// `operating` or `closed`.
    pub status: FacilityStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated facility, to create or to replace one with.
#[derive(Clone, Debug, PartialEq)]
pub struct NewFacility {
    pub name: String,
    pub kind: FacilityKind,
    pub mining_scale: Option<MiningScale>,
    pub minerals: Vec<Mineral>,
    pub country: CountryCode,
    pub subdivision: Option<String>,
    pub location: Option<Location>,
    pub operator_party_id: Option<PartyId>,
    pub identifiers: Vec<FacilityIdentifier>,
    pub cahra: bool,
    pub cahra_basis: Option<String>,
    pub asm_presence: Option<bool>,
    pub coexistence_agreement: Option<CoexistenceAgreement>,
    pub status: FacilityStatus,
}

impl NewFacility {
    /// Sorts the lists so that two equal facilities compare equal.
    pub fn normalised(mut self) -> NewFacility {
        self.minerals.sort();
        self.minerals.dedup();
        self.identifiers.sort();
        self.identifiers.dedup();
        self
    }

    /// Whether `facility` already holds exactly this content.
    pub fn matches(&self, facility: &Facility) -> bool {
        self.clone()
            .into_view(facility.id, facility.created_at, facility.updated_at)
            == *facility
    }

    /// The facility this content makes, as the API shows it.
    pub fn into_view(
        self,
        id: FacilityId,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Facility {
        let f = self.normalised();
        Facility {
            id,
            name: f.name,
            kind: f.kind,
            mining_scale: f.mining_scale,
            minerals: f.minerals,
            country: f.country,
            subdivision: f.subdivision,
            location: f.location,
            operator_party_id: f.operator_party_id,
            identifiers: f.identifiers,
            cahra: f.cahra,
            cahra_basis: f.cahra_basis,
            asm_presence: f.asm_presence,
            coexistence_agreement: f.coexistence_agreement,
            status: f.status,
            created_at,
            updated_at,
        }
    }

    /// Every party id it refers to.
    pub fn party_ids(&self) -> Vec<PartyId> {
        let mut ids: Vec<PartyId> = self.operator_party_id.into_iter().collect();
        if let Some(agreement) = &self.coexistence_agreement {
            ids.extend(agreement.asm_party_ids.iter().copied());
        }
        ids
    }
}

#[derive(Clone, Debug, Default)]
pub struct FacilityFilter {
    pub kind: Option<FacilityKind>,
    pub mining_scale: Option<MiningScale>,
    pub mineral: Option<Mineral>,
    pub country: Option<CountryCode>,
    pub status: Option<FacilityStatus>,
    pub identifier: Option<FacilityIdentifier>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    pub bbox: Option<BoundingBox>,
    /// Only facilities that hold at least one certificate of this scheme (whatever its status:
    /// the status on a date is then decided in Rust by the as-of rules).
    pub has_scheme: Option<String>,
}
