//! The mix of a purchase whose lot is traced through custody events: the parts attributed to
//! mines and recycled material replace what was declared, the rest falls back to the
//! declaration.

use super::{Basis, MixOrigin};
use crate::domain::country::CountryCode;
use crate::domain::mass::{FG_PER_MG, FG_PER_UOZT};
use crate::domain::provenance::{Attribution, Source, Trace};
use crate::domain::shares::largest_remainder;
use crate::domain::vocabulary::{FacilityKind, MiningScale, OriginClass};

/// What the mix reads of a facility reached by tracing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MineFacts {
    pub kind: FacilityKind,
    pub mining_scale: Option<MiningScale>,
    pub country: CountryCode,
}

/// Whether a trace counts for the mix: some of the purchase reaches a mine or recycled
/// material. Otherwise the purchase's declared origin (or unknown) stands.
pub fn counts_as_traced(trace: &Trace) -> bool {
    trace.summary.mines.femtograms + trace.summary.recycled.femtograms > 0
}

/// The origin quantities of a traced purchase, from its declared rows (`declared`: its origin
/// rows as recorded, all of one day, mineral and supplier) and its trace's `attributions`.
///
/// The parts attributed to mines (class from the mine's scale, unknown for anything else; the
/// mine's country) and to recycled material count as `traced`. The part the custody data does
/// not reach falls back to the declared rows, scaled to that part exactly (largest remainder).
/// `facility` tells what a traced facility is, by id.
pub fn traced_origins(
    declared: &[MixOrigin],
    attributions: &[Attribution],
    facility: impl Fn(&str) -> Option<MineFacts>,
) -> Vec<MixOrigin> {
    let Some(first) = declared.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // A purchase is weighed in one unit family (its rows say which), and its trace apportions
    // whole units of that family (milligrams or micro troy ounces): every part is kept exactly.
    let troy = declared.iter().any(|o| o.quantity_uozt != 0);
    let fg_per_unit = if troy { FG_PER_UOZT } else { FG_PER_MG };
    let amount = |a: &Attribution| i64::try_from(a.femtograms / fg_per_unit).unwrap_or(i64::MAX);
    let family = |part: i64| if troy { (0, part) } else { (part, 0) };
    let untraced: i64 = attributions
        .iter()
        .filter(|a| matches!(a.source, Source::Untraced { .. }))
        .map(amount)
        .sum();
    if untraced > 0 {
        // The untraced part falls back to the declared rows, in proportion, exactly.
        let weights: Vec<i64> = declared
            .iter()
            .map(|o| if troy { o.quantity_uozt } else { o.quantity_mg })
            .collect();
        let parts = largest_remainder(untraced, &weights);
        for (origin, part) in declared.iter().zip(parts) {
            if part > 0 {
                let (quantity_mg, quantity_uozt) = family(part);
                out.push(MixOrigin {
                    quantity_mg,
                    quantity_uozt,
                    ..origin.clone()
                });
            }
        }
    }
    for a in attributions {
        let part = amount(a);
        if part == 0 {
            continue;
        }
        let (quantity_mg, quantity_uozt) = family(part);
        let (class, facility_id, country) = match &a.source {
            Source::Mine { facility_id, .. } => {
                let facts = facility(facility_id);
                let class = match facts.map(|f| (f.kind, f.mining_scale)) {
                    Some((FacilityKind::Mine, Some(scale))) => OriginClass::from(scale),
                    _ => OriginClass::Unknown,
                };
                // Traced ids are the provenance graph's text; a facility id always reads back.
                (class, facility_id.parse().ok(), facts.map(|f| f.country))
            }
            Source::Recycled => (OriginClass::Recycled, None, None),
            Source::Untraced { .. } => continue,
        };
        out.push(MixOrigin {
            purchased_on: first.purchased_on,
            mineral: first.mineral,
            supplier: first.supplier,
            facility: facility_id,
            origin_class: class,
            country,
            basis: Basis::Traced,
            quantity_mg,
            quantity_uozt,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{FacilityId, PartyId};
    use crate::domain::provenance::{ExactShare, UntracedReason};
    use crate::domain::vocabulary::Mineral;

    fn attribution(source: Source, quantity_mg: i64) -> Attribution {
        Attribution {
            lot_id: "lot".into(),
            source,
            quantity_mg,
            quantity: String::new(),
            femtograms: i128::from(quantity_mg) * crate::domain::mass::FG_PER_MG,
            share: ExactShare {
                value: "0.000000".into(),
                numerator: None,
                denominator: None,
            },
        }
    }

    fn declared(class: OriginClass, quantity_mg: i64) -> MixOrigin {
        MixOrigin {
            purchased_on: "2026-03-10".parse().unwrap(),
            mineral: Mineral::Gold,
            supplier: Some(PartyId(uuid::Uuid::nil())),
            facility: None,
            origin_class: class,
            country: None,
            basis: Basis::Declared,
            quantity_mg,
            quantity_uozt: 0,
        }
    }

    #[test]
    fn traced_parts_replace_the_declaration_and_the_rest_falls_back_exactly() {
        let mine = FacilityId::generate();
        let attributions = [
            attribution(
                Source::Mine {
                    facility_id: mine.to_string(),
                    event_id: "e".into(),
                    extracted_on: "2026-01-01".parse().unwrap(),
                },
                60,
            ),
            attribution(Source::Recycled, 30),
            attribution(
                Source::Untraced {
                    reason: UntracedReason::NoOrigin,
                },
                10,
            ),
        ];
        let declaration = [
            declared(OriginClass::Lsm, 1),
            declared(OriginClass::Unknown, 2),
        ];
        let facts = MineFacts {
            kind: FacilityKind::Mine,
            mining_scale: Some(MiningScale::Asm),
            country: "PE".parse().unwrap(),
        };
        let origins = traced_origins(&declaration, &attributions, |id| {
            (id == mine.to_string()).then_some(facts)
        });
        let summary: Vec<(OriginClass, Basis, i64)> = origins
            .iter()
            .map(|o| (o.origin_class, o.basis, o.quantity_mg))
            .collect();
        assert_eq!(
            summary,
            [
                (OriginClass::Lsm, Basis::Declared, 3),
                (OriginClass::Unknown, Basis::Declared, 7),
                (OriginClass::Asm, Basis::Traced, 60),
                (OriginClass::Recycled, Basis::Traced, 30),
            ]
        );
        assert_eq!(origins[2].facility, Some(mine));
        assert_eq!(origins[2].country, Some(facts.country));
        assert!(traced_origins(&[], &attributions, |_| None).is_empty());
    }
}
