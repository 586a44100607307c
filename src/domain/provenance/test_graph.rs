//! Lot graphs for tests (provenance and red flags): a builder that records lots and transfers
//! one event at a time, and the few values every such test reads.

use chrono::NaiveDate;

use super::{
    Extraction, LotGraph, LotNode, LotQuantity, Origin, Trace, TransferEdge, Transformation,
};
use crate::domain::vocabulary::ChainOfCustody;

pub(crate) const G: i64 = 1_000;
pub(crate) const KG: i64 = 1_000_000;

pub(crate) fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Lots and quantities, as a transformation's inputs or outputs or as traced roots.
pub(crate) fn quantities(list: &[(&str, i64)]) -> Vec<LotQuantity> {
    list.iter()
        .map(|(lot, mg)| LotQuantity {
            lot_id: (*lot).into(),
            quantity_mg: *mg,
            quantity_uozt: 0,
        })
        .collect()
}

/// The lots and transfers of a graph, recorded event by event.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lots {
    pub(crate) lots: Vec<LotNode>,
    pub(crate) transfers: Vec<TransferEdge>,
}

impl Lots {
    /// A lot extracted at `facility` by `event`.
    pub(crate) fn mined(
        &mut self,
        lot: &str,
        mg: i64,
        facility: &str,
        event: &str,
        on: &str,
    ) -> &mut Lots {
        self.lots.push(LotNode {
            lot_id: lot.into(),
            quantity_mg: mg,
            quantity_uozt: 0,
            recycled: false,
            origin: Some(Origin::Extraction(Extraction {
                event_id: event.into(),
                facility_id: facility.into(),
                occurred_on: day(on),
                quantity_mg: mg,
                quantity_uozt: 0,
            })),
        });
        self
    }

    /// A lot with no recorded origin.
    pub(crate) fn bare(&mut self, lot: &str, mg: i64, recycled: bool) -> &mut Lots {
        self.lots.push(LotNode {
            lot_id: lot.into(),
            quantity_mg: mg,
            quantity_uozt: 0,
            recycled,
            origin: None,
        });
        self
    }

    /// The output lots of a mass-balance transformation of `inputs` at `facility`.
    pub(crate) fn transformed(
        &mut self,
        event: &str,
        facility: &str,
        on: &str,
        inputs: &[(&str, i64)],
        outputs: &[(&str, i64)],
    ) -> &mut Lots {
        let t = Transformation {
            event_id: event.into(),
            facility_id: facility.into(),
            occurred_on: day(on),
            chain_of_custody: ChainOfCustody::MassBalance,
            inputs: quantities(inputs),
            outputs: quantities(outputs),
        };
        self.lots.extend(outputs.iter().map(|(lot, mg)| LotNode {
            lot_id: (*lot).into(),
            quantity_mg: *mg,
            quantity_uozt: 0,
            recycled: false,
            origin: Some(Origin::Transformation(t.clone())),
        }));
        self
    }

    /// Marks a recorded lot as recycled material.
    pub(crate) fn recycled(&mut self, lot: &str) -> &mut Lots {
        for node in self.lots.iter_mut().filter(|l| l.lot_id == lot) {
            node.recycled = true;
        }
        self
    }

    /// Forgets a recorded lot (to record it again otherwise).
    pub(crate) fn without(&mut self, lot: &str) -> &mut Lots {
        self.lots.retain(|l| l.lot_id != lot);
        self
    }

    /// `from` hands `mg` of `lot` to `to`.
    pub(crate) fn transfer(
        &mut self,
        event: &str,
        lot: &str,
        from: &str,
        to: &str,
        mg: i64,
        on: &str,
    ) -> &mut Lots {
        self.transfers.push(TransferEdge {
            event_id: event.into(),
            lot_id: lot.into(),
            from_party: from.into(),
            to_party: to.into(),
            quantity_mg: mg,
            quantity_uozt: 0,
            occurred_on: day(on),
        });
        self
    }

    pub(crate) fn graph(&self) -> LotGraph {
        LotGraph::new(self.lots.clone(), self.transfers.clone())
    }

    /// [`super::trace`] of `mg` of `root` in this graph, which must succeed.
    pub(crate) fn trace(&self, root: &str, mg: i64, max_depth: u32) -> Trace {
        super::trace(&self.graph(), root, mg, max_depth).unwrap()
    }
}

/// The chain that provenance and red-flag tests follow, each naming its own two ores as (lot,
/// mine, extraction event): the first mine extracts 3 kg on 2026-01-10 and the second 7 kg on
/// 2026-01-12; the smelter consumes all 3 kg and 4 kg of the 7 into 5 kg of `dore` (`t-smelt`,
/// 2026-02-01); the refiner turns the doré into 4.9 kg of `gold` (`t-refine`, 2026-03-01).
pub(crate) fn two_mines_to_gold(ores: [(&str, &str, &str); 2]) -> Lots {
    let [
        (first, first_mine, first_event),
        (second, second_mine, second_event),
    ] = ores;
    let mut lots = Lots::default();
    lots.mined(first, 3 * KG, first_mine, first_event, "2026-01-10")
        .mined(second, 7 * KG, second_mine, second_event, "2026-01-12")
        .transformed(
            "t-smelt",
            "smelter",
            "2026-02-01",
            &[(first, 3 * KG), (second, 4 * KG)],
            &[("dore", 5 * KG)],
        )
        .transformed(
            "t-refine",
            "refiner",
            "2026-03-01",
            &[("dore", 5 * KG)],
            &[("gold", 4_900 * G)],
        );
    lots
}
