//! A purchase line as it arrives (a JSON body, a row of a JSON or NDJSON batch, a CSV row turned
//! into one) and how it becomes a validated [`PurchaseLine`], every bad field named by a pointer
//! inside the line (`/quantity/value`). Both edges read it: the HTTP routes and `oretrace
//! import`, which is why it lives here rather than in `api`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::country::CountryCode;
use crate::domain::ids::{FacilityId, LotId, PartyId};
use crate::domain::mix::parse_share;
use crate::domain::purchase::{
    DeclaredShare, MAX_SHARES, OriginTarget, PurchaseLine, external_ref, purchase_date,
    shares_add_up,
};
use crate::domain::quantity::{Quantity, QuantityInput};
use crate::domain::validation::{FieldError, Invalid};
use crate::domain::vocabulary::{Mineral, OriginClass};

/// One part of a declared origin.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeclaredShareInput {
    /// A mine or recycler in the catalog. Its mining scale (or recycling) gives the origin
    /// class and its country the country. Give either this or `origin_class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility_id: Option<FacilityId>,
    /// `asm`, `lsm`, `recycled` or `unknown`, when no facility is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_class: Option<OriginClass>,
    /// Country of origin of a class share (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// Fraction of the purchase: more than 0, at most 1, at most 9 decimals. The shares of a
    /// purchase add up to exactly 1.
    #[schema(exclusive_minimum = 0, maximum = 1)]
    pub share: f64,
}

/// A purchase line as the ERP sends it.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseInput {
    /// The ERP's id for this line (1 to 100 characters), unique within the organisation.
    /// Sending an `external_ref` again updates that purchase.
    #[schema(min_length = 1, max_length = 100)]
    pub external_ref: String,
    /// The supplier: a party in the catalog.
    pub supplier_party_id: PartyId,
    pub mineral: Mineral,
    pub quantity: QuantityInput,
    /// The purchase date (ISO 8601), between 1970-01-01 and 2100-12-31.
    #[serde(deserialize_with = "crate::domain::time::strict_date::required")]
    pub purchased_on: NaiveDate,
    /// The lot delivered, when it is recorded (provenance).
    #[serde(default)]
    pub lot_id: Option<LotId>,
    /// Where the supplier declares the material came from: shares that add up to 1. Omit when
    /// unknown.
    #[serde(default)]
    pub declared_origin: Option<Vec<DeclaredShareInput>>,
}

impl PurchaseInput {
    /// The validated line, or every bad field by pointer inside the line.
    pub fn line(&self) -> Result<PurchaseLine, Invalid> {
        let mut errors = Vec::new();
        let external_ref = external_ref(&self.external_ref)
            .map_err(|e| errors.push(FieldError::at("/external_ref", e)))
            .ok();
        let quantity = Quantity::from_input(&self.quantity)
            .map_err(|e| errors.push(FieldError::at("/quantity/value", e.to_string())))
            .ok();
        let purchased_on = purchase_date(self.purchased_on)
            .map_err(|e| errors.push(FieldError::at("/purchased_on", e)))
            .ok();
        let origins = match &self.declared_origin {
            None => Some(Vec::new()),
            Some(shares) => declared_origin(shares, &mut errors),
        };
        match (external_ref, quantity, purchased_on, origins) {
            (Some(external_ref), Some(quantity), Some(purchased_on), Some(origins))
                if errors.is_empty() =>
            {
                Ok(PurchaseLine {
                    external_ref,
                    supplier: self.supplier_party_id,
                    mineral: self.mineral,
                    quantity,
                    purchased_on,
                    lot: self.lot_id,
                    origins,
                })
            }
            _ => Err(Invalid(errors)),
        }
    }
}

/// The declared shares, or `None` after recording why not (at `/declared_origin…`).
fn declared_origin(
    shares: &[DeclaredShareInput],
    errors: &mut Vec<FieldError>,
) -> Option<Vec<DeclaredShare>> {
    const AT: &str = "/declared_origin";
    let before = errors.len();
    if shares.is_empty() {
        errors.push(FieldError::at(
            AT,
            "give at least one share, or omit declared_origin when the origin is unknown",
        ));
        return None;
    }
    if shares.len() > MAX_SHARES {
        errors.push(FieldError::at(AT, format!("at most {MAX_SHARES} shares")));
        return None;
    }
    let mut validated: Vec<DeclaredShare> = Vec::with_capacity(shares.len());
    for (i, share) in shares.iter().enumerate() {
        let at = |field: &str| format!("{AT}/{i}/{field}");
        let target = match (&share.facility_id, &share.origin_class) {
            (Some(facility), None) => {
                if share.country.is_some() {
                    errors.push(FieldError::at(
                        at("country"),
                        "a facility share takes its country from the facility; omit country",
                    ));
                }
                Some(OriginTarget::Facility(*facility))
            }
            (None, Some(class)) => Some(OriginTarget::Class {
                class: *class,
                country: share.country,
            }),
            (Some(_), Some(_)) => {
                errors.push(FieldError::at(
                    at("origin_class"),
                    "give either facility_id or origin_class, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::at(
                    format!("{AT}/{i}"),
                    "give facility_id or origin_class",
                ));
                None
            }
        };
        let ppb = parse_share(share.share)
            .map_err(|e| errors.push(FieldError::at(at("share"), e)))
            .ok();
        if let (Some(target), Some(share_ppb)) = (target, ppb) {
            if validated.iter().any(|existing| existing.target == target) {
                errors.push(FieldError::at(
                    format!("{AT}/{i}"),
                    "the same origin appears twice; add its shares together",
                ));
            }
            validated.push(DeclaredShare { target, share_ppb });
        }
    }
    if errors.len() > before {
        return None;
    }
    if let Err(detail) = shares_add_up(&validated) {
        errors.push(FieldError::at(AT, detail));
        return None;
    }
    Some(validated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quantity::MassUnit;

    fn input() -> PurchaseInput {
        PurchaseInput {
            external_ref: " SAP-1 ".into(),
            supplier_party_id: PartyId::generate(),
            mineral: Mineral::Gold,
            quantity: QuantityInput {
                value: 12.5,
                unit: MassUnit::Kg,
            },
            purchased_on: "2026-03-14".parse().unwrap(),
            lot_id: None,
            declared_origin: None,
        }
    }

    fn share(class: OriginClass, value: f64) -> DeclaredShareInput {
        DeclaredShareInput {
            facility_id: None,
            origin_class: Some(class),
            country: None,
            share: value,
        }
    }

    fn pointers(invalid: Invalid) -> Vec<String> {
        invalid.0.into_iter().filter_map(|e| e.pointer).collect()
    }

    #[test]
    fn a_good_line_validates() {
        let mut line = input();
        line.declared_origin = Some(vec![
            share(OriginClass::Asm, 0.6),
            share(OriginClass::Lsm, 0.3),
            share(OriginClass::Recycled, 0.1),
        ]);
        let valid = line.line().unwrap();
        assert_eq!(valid.external_ref, "SAP-1");
        assert_eq!(valid.quantity.mg, 12_500_000);
        let ppb: Vec<i64> = valid.origins.iter().map(|s| s.share_ppb).collect();
        assert_eq!(ppb, vec![600_000_000, 300_000_000, 100_000_000]);
    }

    #[test]
    fn shares_must_add_up_to_exactly_one() {
        let mut line = input();
        line.declared_origin = Some(vec![
            share(OriginClass::Asm, 0.6),
            share(OriginClass::Lsm, 0.3),
        ]);
        let errors = line.line().unwrap_err().0;
        assert_eq!(errors[0].pointer.as_deref(), Some("/declared_origin"));
        assert!(errors[0].detail.contains("0.9"), "{}", errors[0].detail);
        // Thirds do not add up to one in nine decimals: refused rather than rounded.
        line.declared_origin = Some(vec![
            share(OriginClass::Asm, 0.333333333),
            share(OriginClass::Lsm, 0.333333333),
            share(OriginClass::Recycled, 0.333333334),
        ]);
        assert!(line.line().is_ok());
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut line = input();
        line.external_ref = "  ".into();
        line.quantity.value = -1.0;
        line.purchased_on = "1900-01-01".parse().unwrap();
        line.declared_origin = Some(vec![
            DeclaredShareInput {
                facility_id: None,
                origin_class: None,
                country: None,
                share: 0.5,
            },
            share(OriginClass::Asm, 1.5),
            share(OriginClass::Lsm, 0.0000000001),
        ]);
        let got = pointers(line.line().unwrap_err());
        assert_eq!(
            got,
            vec![
                "/external_ref",
                "/quantity/value",
                "/purchased_on",
                "/declared_origin/0",
                "/declared_origin/1/share",
                "/declared_origin/2/share",
            ]
        );
    }

    #[test]
    fn empty_and_duplicate_declarations_are_refused() {
        let mut line = input();
        line.declared_origin = Some(vec![]);
        assert_eq!(pointers(line.line().unwrap_err()), vec!["/declared_origin"]);
        line.declared_origin = Some(vec![
            share(OriginClass::Asm, 0.5),
            share(OriginClass::Asm, 0.5),
        ]);
        assert_eq!(
            pointers(line.line().unwrap_err()),
            vec!["/declared_origin/1"]
        );
    }
}
