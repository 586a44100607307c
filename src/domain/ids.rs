//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so keyset pagination by id follows
//! creation order), stored as its canonical lowercase text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Defines a typed id: `typed_id!(FacilityId, "A facility (mine, smelter, …).")`.
#[macro_export]
macro_rules! typed_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn generate() -> $name {
                $name(uuid::Uuid::now_v7())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map($name)
            }
        }
    };
}

typed_id!(
    OrganisationId,
    "An organisation: a purchaser (tenant) or the operator."
);
typed_id!(AuditEventId, "An entry of the audit trail.");
typed_id!(
    FacilityId,
    "A facility of the catalog (mine, concentrator, smelter, refiner…)."
);
typed_id!(
    PartyId,
    "A party of the catalog: a company, an ASM organisation, a trader…"
);
typed_id!(CertificationId, "A certificate of a facility or a party.");
typed_id!(
    CertificationEntryId,
    "One entry of a certificate's history."
);
typed_id!(LotId, "A lot of material, owned by one organisation.");
typed_id!(
    CustodyEventId,
    "A custody event (extraction, transfer, transformation)."
);
typed_id!(PurchaseId, "A purchase line, owned by one organisation.");
typed_id!(
    RedFlagId,
    "A red flag of one organisation's purchase: a UUIDv5 of its organisation, purchase and \
     fingerprint (`domain::red_flags::flag_id`), so the same cause computed again has the same id."
);
typed_id!(
    WebhookId,
    "A webhook subscription, owned by one organisation."
);
typed_id!(
    DeliveryId,
    "One event's delivery to one webhook subscription."
);
typed_id!(
    DeclarationId,
    "A supplier's declaration (a filled CMRT or EMRT), owned by one organisation."
);
typed_id!(
    EventId,
    "An event of the feed: the `webhook-id` of its deliveries, stable across retries."
);

typed_id!(
    EpcisCaptureId,
    "An EPCIS capture job (`POST /v1/epcis/capture`), owned by one organisation."
);

/// A UUID, parsed from any of its textual forms and printed canonically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AnyId(pub Uuid);

impl FromStr for AnyId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(AnyId)
    }
}

impl fmt::Display for AnyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_canonically_and_sort_by_creation() {
        let a = OrganisationId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrganisationId::generate();
        assert!(a.to_string() < b.to_string(), "v7 text sorts by time");
        let upper = a.to_string().to_uppercase();
        assert_eq!(upper.parse::<OrganisationId>().unwrap(), a);
        assert!("not-a-uuid".parse::<OrganisationId>().is_err());
    }
}
