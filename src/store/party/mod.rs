//! Parties: companies, ASM organisations, traders, smelter companies… with their roles and
//! identifiers.
//!
//! `mod.rs` holds the types the API shows and the validated content a party is written from;
//! `write.rs` the inserts and replacements, `read.rs` the lookups and the filtered list, `rows.rs`
//! the row types both share.

mod read;
mod rows;
mod write;

pub use read::*;
pub use write::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::country::CountryCode;
use crate::domain::ids::PartyId;
use crate::domain::vocabulary::{PartyIdentifierScheme, PartyRole};
/// An identifier of a party in an external register.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct PartyIdentifier {
    /// The register: `lei`, `duns`, `vat`, `national_registry`, `gln` or `other`.
    pub scheme: PartyIdentifierScheme,
    /// The identifier in that register (an LEI is checked by its ISO 17442 check digits, a
    /// D-U-N-S number must have nine digits).
    #[schema(example = "5493001KJTIIGC8Y1R12")]
    pub value: String,
}

impl std::fmt::Display for PartyIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.scheme, self.value)
    }
}

/// A party: a company or organisation that plays roles in mineral supply chains.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Party {
    pub id: PartyId,
    /// Name.
    pub name: String,
    /// The roles it plays, in vocabulary order.
    pub roles: Vec<PartyRole>,
    /// Country of registration (ISO 3166-1 alpha-2), when known.
    pub country: Option<CountryCode>,
    /// Its identifiers in external registers.
    pub identifiers: Vec<PartyIdentifier>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated party, to create or to replace one with.
#[derive(Clone, Debug, PartialEq)]
pub struct NewParty {
    pub name: String,
    pub roles: Vec<PartyRole>,
    pub country: Option<CountryCode>,
    pub identifiers: Vec<PartyIdentifier>,
}

impl NewParty {
    /// Sorts the lists so that two equal parties compare equal.
    pub fn normalised(mut self) -> NewParty {
        self.roles.sort();
        self.roles.dedup();
        self.identifiers.sort();
        self.identifiers.dedup();
        self
    }

    /// The party this content makes, as the API shows it.
    pub fn into_view(
        self,
        id: PartyId,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Party {
        let p = self.normalised();
        Party {
            id,
            name: p.name,
            roles: p.roles,
            country: p.country,
            identifiers: p.identifiers,
            created_at,
            updated_at,
        }
    }

    /// Whether `party` already holds exactly this content.
    pub fn matches(&self, party: &Party) -> bool {
        self.clone()
            .into_view(party.id, party.created_at, party.updated_at)
            == *party
    }
}

/// Filters of a party list; all given filters must match.
#[derive(Clone, Debug, Default)]
pub struct PartyFilter {
    pub role: Option<PartyRole>,
    pub country: Option<CountryCode>,
    pub identifier: Option<PartyIdentifier>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}
