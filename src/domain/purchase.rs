//! A purchase line from the ERP, validated: what the API, the batch import, the command line and
//! the demo all turn their input into before anything is stored, and the rules that give a line
//! its origin rows.

use chrono::{Datelike, NaiveDate};

use super::country::CountryCode;
use super::ids::{FacilityId, LotId, PartyId};
use super::quantity::{Decimal, Quantity};
use super::shares::{PPB as ONE_PPB, largest_remainder};
use super::vocabulary::{FacilityKind, Mineral, MiningScale, OriginClass};

/// Where a declared share points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OriginTarget {
    Facility(FacilityId),
    Class {
        class: OriginClass,
        country: Option<CountryCode>,
    },
}

/// A validated declared share, in parts per billion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredShare {
    pub target: OriginTarget,
    pub share_ppb: i64,
}

/// A validated purchase line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseLine {
    pub external_ref: String,
    pub supplier: PartyId,
    pub mineral: Mineral,
    pub quantity: Quantity,
    pub purchased_on: NaiveDate,
    pub lot: Option<LotId>,
    /// Empty when no origin is declared.
    pub origins: Vec<DeclaredShare>,
}

/// The most shares one declared origin may list.
pub const MAX_SHARES: usize = 100;

/// Checks an ERP line reference: 1 to 100 characters, no control characters, trimmed.
pub fn external_ref(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// Checks a purchase date: a real day between 1970 and 2100.
pub fn purchase_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if (1970..=2100).contains(&date.year()) {
        Ok(date)
    } else {
        Err("must be between 1970-01-01 and 2100-12-31".into())
    }
}

/// Checks that declared shares add up to exactly one (10^9 parts per billion).
pub fn shares_add_up(shares: &[DeclaredShare]) -> Result<(), String> {
    let total: i64 = shares.iter().map(|s| s.share_ppb).sum();
    if total == ONE_PPB {
        return Ok(());
    }
    Err(format!(
        "the shares add up to {}, they must add up to exactly 1",
        Decimal {
            digits: i128::from(total),
            scale: 9
        }
        .to_string()
        .trim_end_matches('0')
        .trim_end_matches('.')
    ))
}

/// The origin class a facility gives a declared share: a mine's mining scale, or recycled for a
/// recycler. `None`: the facility cannot be an origin (a smelter, a trader…), or a mine whose
/// scale is not recorded.
pub fn origin_class_of(kind: FacilityKind, scale: Option<MiningScale>) -> Option<OriginClass> {
    match kind {
        FacilityKind::Mine => scale.map(OriginClass::from),
        FacilityKind::Recycler => Some(OriginClass::Recycled),
        _ => None,
    }
}

/// What a named origin facility contributes to a declared share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacilityOrigin {
    pub class: OriginClass,
    pub country: Option<CountryCode>,
}

/// One origin row of a purchase: a declared share (or the implicit unknown row) and its exact
/// quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseOrigin {
    pub facility: Option<FacilityId>,
    pub class: OriginClass,
    pub country: Option<CountryCode>,
    pub declared: bool,
    pub share_ppb: i64,
    /// The share's milligrams: exact for a metric line, the share of the line's nearest
    /// milligram for a troy-ounce line (shown, never summed).
    pub quantity_mg: i64,
    /// A troy-ounce line: the share's exact micro troy ounces; 0 for a metric line.
    pub quantity_uozt: i64,
}

impl PurchaseOrigin {
    /// The share's exact mass.
    pub fn mass(&self) -> crate::domain::mass::Mass {
        crate::domain::mass::Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

impl PurchaseLine {
    /// The line's origin rows: its declared shares with their exact quantities (largest
    /// remainder: they add up to the line's quantity), or one unknown row for the whole
    /// quantity. `facility` tells what a named facility contributes (unknown when it tells
    /// nothing).
    pub fn origin_rows(
        &self,
        facility: impl Fn(FacilityId) -> Option<FacilityOrigin>,
    ) -> Vec<PurchaseOrigin> {
        if self.origins.is_empty() {
            return vec![PurchaseOrigin {
                facility: None,
                class: OriginClass::Unknown,
                country: None,
                declared: false,
                share_ppb: ONE_PPB,
                quantity_mg: self.quantity.mg,
                quantity_uozt: self.quantity.uozt,
            }];
        }
        let shares: Vec<i64> = self.origins.iter().map(|o| o.share_ppb).collect();
        let quantities = largest_remainder(self.quantity.mg, &shares);
        let ounces = largest_remainder(self.quantity.uozt, &shares);
        self.origins
            .iter()
            .zip(quantities.into_iter().zip(ounces))
            .map(
                |(origin, (quantity_mg, quantity_uozt))| match &origin.target {
                    OriginTarget::Facility(id) => {
                        let known = facility(*id);
                        PurchaseOrigin {
                            facility: Some(*id),
                            class: known.map_or(OriginClass::Unknown, |f| f.class),
                            country: known.and_then(|f| f.country),
                            declared: true,
                            share_ppb: origin.share_ppb,
                            quantity_mg,
                            quantity_uozt,
                        }
                    }
                    OriginTarget::Class { class, country } => PurchaseOrigin {
                        facility: None,
                        class: *class,
                        country: *country,
                        declared: true,
                        share_ppb: origin.share_ppb,
                        quantity_mg,
                        quantity_uozt,
                    },
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::quantity::MassUnit;

    fn line(origins: Vec<DeclaredShare>) -> PurchaseLine {
        PurchaseLine {
            external_ref: "SAP-1".into(),
            supplier: PartyId::generate(),
            mineral: Mineral::Gold,
            quantity: Quantity::new(
                Decimal {
                    digits: 10,
                    scale: 0,
                },
                MassUnit::G,
            )
            .unwrap(),
            purchased_on: "2026-03-14".parse().unwrap(),
            lot: None,
            origins,
        }
    }

    fn class_share(class: OriginClass, share_ppb: i64) -> DeclaredShare {
        DeclaredShare {
            target: OriginTarget::Class {
                class,
                country: None,
            },
            share_ppb,
        }
    }

    #[test]
    fn an_undeclared_line_is_one_unknown_row() {
        let rows = line(vec![]).origin_rows(|_| None);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].class, rows[0].declared, rows[0].quantity_mg),
            (OriginClass::Unknown, false, 10_000)
        );
    }

    #[test]
    fn declared_rows_add_up_and_take_the_facility_class() {
        let mine = FacilityId::generate();
        let thirds = line(vec![
            DeclaredShare {
                target: OriginTarget::Facility(mine),
                share_ppb: 333_333_333,
            },
            class_share(OriginClass::Lsm, 333_333_333),
            class_share(OriginClass::Recycled, 333_333_334),
        ]);
        assert_eq!(shares_add_up(&thirds.origins), Ok(()));
        let rows = thirds.origin_rows(|id| {
            (id == mine).then_some(FacilityOrigin {
                class: OriginClass::Asm,
                country: "PE".parse().ok(),
            })
        });
        assert_eq!(rows.iter().map(|r| r.quantity_mg).sum::<i64>(), 10_000);
        assert_eq!(rows[0].class, OriginClass::Asm);
        assert_eq!(rows[0].country.map(|c| c.to_string()), Some("PE".into()));
        assert!(rows.iter().all(|r| r.declared));
    }

    #[test]
    fn shares_must_add_up_to_one_and_facilities_give_classes() {
        let short = [class_share(OriginClass::Asm, 900_000_000)];
        assert!(shares_add_up(&short).unwrap_err().contains("0.9"));
        assert_eq!(
            origin_class_of(FacilityKind::Mine, Some(MiningScale::Asm)),
            Some(OriginClass::Asm)
        );
        assert_eq!(origin_class_of(FacilityKind::Mine, None), None);
        assert_eq!(
            origin_class_of(FacilityKind::Recycler, None),
            Some(OriginClass::Recycled)
        );
        assert_eq!(origin_class_of(FacilityKind::Smelter, None), None);
    }
}
