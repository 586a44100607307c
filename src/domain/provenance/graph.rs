//! The lot graph the caller loads (set-based, one query per tier or a recursive query) and the
//! checks a custody event must pass before it is written.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::mass::Mass;
use crate::domain::quantity::Decimal;
use crate::domain::vocabulary::ChainOfCustody;

/// A quantity of one lot, as consumed or produced by a transformation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LotQuantity {
    /// The lot's id.
    pub lot_id: String,
    /// Milligrams consumed or produced (the nearest milligram of a troy-ounce quantity).
    pub quantity_mg: i64,
    /// Micro troy ounces, exact, for a quantity entered in troy ounces (`quantity_mg` is then
    /// its nearest milligram); absent for a metric quantity.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(example = 1_000_000)]
    pub quantity_uozt: i64,
}

impl LotQuantity {
    /// A metric quantity of a lot.
    pub fn metric(lot_id: impl Into<String>, quantity_mg: i64) -> LotQuantity {
        LotQuantity {
            lot_id: lot_id.into(),
            quantity_mg,
            quantity_uozt: 0,
        }
    }

    /// The exact mass.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }

    /// `mass` of a lot as quantities: one per unit family it holds (a metric one, a troy-ounce
    /// one), none for no mass. `None` when the micro ounces outgrow 64 bits.
    pub fn of_mass(lot_id: &str, mass: Mass) -> Option<Vec<LotQuantity>> {
        let mut found = Vec::new();
        if mass.metric_mg() != 0 {
            found.push(LotQuantity::metric(
                lot_id,
                i64::try_from(mass.metric_mg()).ok()?,
            ));
        }
        if mass.troy_uozt() != 0 {
            let troy = Mass::from_uozt(i64::try_from(mass.troy_uozt()).ok()?);
            found.push(LotQuantity {
                lot_id: lot_id.to_owned(),
                quantity_mg: troy.nearest_mg_i64(),
                quantity_uozt: i64::try_from(troy.troy_uozt()).ok()?,
            });
        }
        Some(found)
    }
}

/// An extraction: a lot comes out of a mine on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Extraction {
    /// The extraction event's id.
    pub event_id: String,
    /// The mine.
    pub facility_id: String,
    /// The day of extraction.
    pub occurred_on: NaiveDate,
    /// Milligrams extracted (the nearest milligram of a troy-ounce quantity).
    pub quantity_mg: i64,
    /// Micro troy ounces, exact, for a quantity entered in troy ounces (`quantity_mg` is then
    /// its nearest milligram); absent for a metric quantity.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(example = 1_000_000)]
    pub quantity_uozt: i64,
}

/// A transformation: input lots consumed and output lots produced at a facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Transformation {
    /// The transformation event's id.
    pub event_id: String,
    /// The facility (concentrator, smelter, refiner, recycler).
    pub facility_id: String,
    /// The day of the transformation.
    pub occurred_on: NaiveDate,
    /// The chain-of-custody model.
    pub chain_of_custody: ChainOfCustody,
    /// The lots consumed and how much of each.
    pub inputs: Vec<LotQuantity>,
    /// The lots produced and how much of each.
    pub outputs: Vec<LotQuantity>,
}

/// How a lot came to exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Extracted at a mine.
    Extraction(Extraction),
    /// Produced by a transformation.
    Transformation(Transformation),
}

impl Origin {
    /// The event's id.
    pub fn event_id(&self) -> &str {
        match self {
            Origin::Extraction(e) => &e.event_id,
            Origin::Transformation(t) => &t.event_id,
        }
    }

    /// The facility of the event (the mine, or the plant that transformed).
    pub fn facility_id(&self) -> &str {
        match self {
            Origin::Extraction(e) => &e.facility_id,
            Origin::Transformation(t) => &t.facility_id,
        }
    }

    /// The day the lot came to exist.
    pub fn occurred_on(&self) -> NaiveDate {
        match self {
            Origin::Extraction(e) => e.occurred_on,
            Origin::Transformation(t) => t.occurred_on,
        }
    }
}

/// A lot of material and how it came to exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotNode {
    /// The lot's id.
    pub lot_id: String,
    /// Its quantity in milligrams (the nearest milligram of a troy-ounce quantity).
    pub quantity_mg: i64,
    /// Micro troy ounces of a troy-ounce quantity; 0 for a metric one.
    pub quantity_uozt: i64,
    /// Whether it is recycled material (traced no further).
    pub recycled: bool,
    /// The event that produced it; `None` when none is recorded.
    pub origin: Option<Origin>,
}

/// A quantity of a lot passing from one party to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TransferEdge {
    /// The transfer event's id.
    pub event_id: String,
    /// The lot transferred.
    pub lot_id: String,
    /// The party handing it over.
    pub from_party: String,
    /// The party receiving it.
    pub to_party: String,
    /// Milligrams transferred (the nearest milligram of a troy-ounce quantity).
    pub quantity_mg: i64,
    /// Micro troy ounces, exact, for a quantity entered in troy ounces (`quantity_mg` is then
    /// its nearest milligram); absent for a metric quantity.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(example = 1_000_000)]
    pub quantity_uozt: i64,
    /// The day of the transfer.
    pub occurred_on: NaiveDate,
}

impl LotNode {
    /// The lot's exact mass.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

impl TransferEdge {
    /// The exact mass transferred.
    pub fn mass(&self) -> Mass {
        Mass::stored(self.quantity_mg, self.quantity_uozt)
    }
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// The lots and transfers loaded for a trace or a check, indexed by lot id.
#[derive(Clone, Debug, Default)]
pub struct LotGraph {
    lots: HashMap<String, LotNode>,
    transfers: BTreeMap<String, Vec<TransferEdge>>,
}

impl LotGraph {
    /// Indexes lots and transfers. A lot given twice keeps its last entry; transfers are kept in
    /// a fixed order (date, event id, parties) whatever the order given.
    pub fn new(lots: impl IntoIterator<Item = LotNode>, transfers: Vec<TransferEdge>) -> LotGraph {
        let mut graph = LotGraph::default();
        for lot in lots {
            graph.insert(lot);
        }
        for transfer in transfers {
            graph
                .transfers
                .entry(transfer.lot_id.clone())
                .or_default()
                .push(transfer);
        }
        for list in graph.transfers.values_mut() {
            list.sort_by(|a, b| {
                (a.occurred_on, &a.event_id, &a.from_party, &a.to_party).cmp(&(
                    b.occurred_on,
                    &b.event_id,
                    &b.from_party,
                    &b.to_party,
                ))
            });
        }
        graph
    }

    /// Adds or replaces a lot.
    pub fn insert(&mut self, lot: LotNode) {
        self.lots.insert(lot.lot_id.clone(), lot);
    }

    /// The lot, when loaded.
    pub fn lot(&self, lot_id: &str) -> Option<&LotNode> {
        self.lots.get(lot_id)
    }

    /// The transfers of a lot, in date order.
    pub fn transfers_of(&self, lot_id: &str) -> &[TransferEdge] {
        self.transfers.get(lot_id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The number of lots loaded.
    pub fn len(&self) -> usize {
        self.lots.len()
    }

    /// Whether no lot is loaded.
    pub fn is_empty(&self) -> bool {
        self.lots.is_empty()
    }
}

/// Whether a transformation consuming `inputs` and producing `outputs` would make a lot its own
/// ancestor: true when an output is one of the inputs or an ancestor of one (through the
/// recorded transformations of `graph`, which must hold the inputs' ancestry). Iterative; each
/// lot is visited at most once, so it ends on any graph, even one that already has a cycle.
pub fn would_create_cycle(graph: &LotGraph, inputs: &[String], outputs: &[String]) -> bool {
    let outputs: HashSet<&str> = outputs.iter().map(String::as_str).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = inputs.iter().map(String::as_str).collect();
    while let Some(lot_id) = stack.pop() {
        if outputs.contains(lot_id) {
            return true;
        }
        if !seen.insert(lot_id) {
            continue;
        }
        if let Some(LotNode {
            origin: Some(Origin::Transformation(t)),
            ..
        }) = graph.lot(lot_id)
        {
            stack.extend(t.inputs.iter().map(|i| i.lot_id.as_str()));
        }
    }
    false
}

/// The lots among `lot_ids` that an event on `occurred_on` would use before they exist: their
/// recorded origin (extraction or transformation) happened after that day. Sorted, each once.
/// A lot without a recorded origin or not loaded is not judged here.
pub fn consumed_before_exists(
    graph: &LotGraph,
    lot_ids: &[String],
    occurred_on: NaiveDate,
) -> Vec<String> {
    let found: BTreeSet<&String> = lot_ids
        .iter()
        .filter(|id| {
            graph
                .lot(id)
                .and_then(|lot| lot.origin.as_ref())
                .is_some_and(|origin| origin.occurred_on() > occurred_on)
        })
        .collect();
    found.into_iter().cloned().collect()
}

/// How much heavier than its inputs a transformation's outputs may be: outputs are accepted up
/// to `inputs × (1 + tolerance)`. Exact, in parts per million.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YieldTolerance {
    ppm: i64,
}

impl YieldTolerance {
    /// No tolerance: outputs may not outweigh inputs.
    pub const NONE: YieldTolerance = YieldTolerance { ppm: 0 };

    /// A tolerance of `ppm` millionths (`20_000` is 2%); refuses a negative one.
    pub fn from_ppm(ppm: i64) -> Result<YieldTolerance, String> {
        if ppm < 0 {
            return Err("the yield tolerance must not be negative".to_owned());
        }
        Ok(YieldTolerance { ppm })
    }

    /// A tolerance written as a decimal (`0.02` is 2%), with at most 6 decimals.
    pub fn from_decimal(text: &str) -> Result<YieldTolerance, String> {
        let decimal =
            Decimal::parse(text).ok_or_else(|| format!("{text} is not a decimal number"))?;
        if decimal.scale > 6 {
            return Err("the yield tolerance takes at most 6 decimals".to_owned());
        }
        let ppm = decimal
            .digits
            .checked_mul(10i128.pow(6 - decimal.scale))
            .and_then(|p| i64::try_from(p).ok())
            .ok_or_else(|| "the yield tolerance is too large".to_owned())?;
        YieldTolerance::from_ppm(ppm)
    }

    /// The tolerance in millionths.
    pub fn ppm(self) -> i64 {
        self.ppm
    }
}

/// A transformation whose outputs outweigh its inputs beyond the tolerance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct YieldExcess {
    /// Milligrams consumed, all inputs together (the nearest milligram).
    pub input_mg: i64,
    /// Milligrams produced, all outputs together (the nearest milligram).
    pub output_mg: i64,
    /// The tolerance applied, in millionths.
    pub tolerance_ppm: i64,
    /// The exact mass consumed.
    #[serde(skip)]
    pub input: Mass,
    /// The exact mass produced.
    #[serde(skip)]
    pub output: Mass,
}

/// `Some` when the outputs weigh more than `inputs × (1 + tolerance)`, compared exactly (in
/// quanta of 1.6 pg, whatever the units the quantities were given in).
pub fn yield_excess(
    inputs: &[LotQuantity],
    outputs: &[LotQuantity],
    tolerance: YieldTolerance,
) -> Option<YieldExcess> {
    let input: Mass = inputs.iter().map(LotQuantity::mass).sum();
    let output: Mass = outputs.iter().map(LotQuantity::mass).sum();
    let allowed = input.quanta() * (1_000_000 + i128::from(tolerance.ppm));
    (output.quanta() * 1_000_000 > allowed).then(|| YieldExcess {
        input_mg: input.nearest_mg_i64(),
        output_mg: output.nearest_mg_i64(),
        tolerance_ppm: tolerance.ppm,
        input,
        output,
    })
}

/// `Some(total)` when the quantities consumed from a lot add up to more than the lot holds,
/// compared exactly.
pub fn consumed_beyond_quantity(quantity: Mass, consumed: &[Mass]) -> Option<Mass> {
    let total: Mass = consumed.iter().copied().sum();
    (total.quanta() > quantity.quanta()).then_some(total)
}

/// A party that handed over more of a lot than the lot holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TransferOverdraw {
    /// The party handing it over.
    pub from_party: String,
    /// Milligrams it handed over in total (the nearest milligram).
    pub transferred_mg: i64,
    /// The exact mass it handed over in total.
    #[serde(skip)]
    pub transferred: Mass,
    /// The transfer events concerned, in date order.
    pub event_ids: Vec<String>,
}

/// The parties that handed over, in total, more of a lot than it holds (compared exactly).
/// Passing a whole lot down a chain (A to B, then B to C) is not an overdraw; one party handing
/// the same lot to two buyers is. Sorted by party.
pub fn transferred_beyond_quantity(
    quantity: Mass,
    transfers: &[TransferEdge],
) -> Vec<TransferOverdraw> {
    let mut by_party: BTreeMap<&str, (Mass, Vec<String>)> = BTreeMap::new();
    for t in transfers {
        let entry = by_party.entry(t.from_party.as_str()).or_default();
        entry.0 += t.mass();
        entry.1.push(t.event_id.clone());
    }
    by_party
        .into_iter()
        .filter(|(_, (total, _))| total.quanta() > quantity.quanta())
        .map(|(party, (total, event_ids))| TransferOverdraw {
            from_party: party.to_owned(),
            transferred_mg: total.nearest_mg_i64(),
            transferred: total,
            event_ids,
        })
        .collect()
}

#[cfg(test)]
mod tests;
