//! What a trace returns: the attributions to mines, recycled and untraced lots with their exact
//! shares and totals, the lots and events reached, how the figures were obtained, and why a
//! trace may be refused.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::drawing::ProvenanceGraph;
use super::graph::{Extraction, LotQuantity, TransferEdge, Transformation};
use crate::domain::mass::{MassUnit, femtograms_in_unit};

/// An untraced share at or above this fraction (`1/10`) is a high-severity red flag; the trace
/// decides it exactly ([`Trace::untraced_is_high`]).
pub const HIGH_UNTRACED_SHARE: (u32, u32) = (1, 10);

crate::text_enum! {
    /// Why part of the traced material could not be followed to a mine or recycled material.
    pub enum UntracedReason {
        /// The lot has no recorded extraction or transformation.
        NoOrigin = "no_origin",
        /// The lot was not loaded (not visible to the caller).
        NotLoaded = "not_loaded",
        /// The lot lies beyond the maximum depth of the trace.
        DepthLimit = "depth_limit",
        /// The transformation that produced the lot consumed nothing.
        NoInputs = "no_inputs",
        /// The lot's ancestry loops back on itself (refused on write; reported, never followed).
        Cycle = "cycle",
    }
}

/// Where a part of the traced material comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A mine, through the extraction that produced the lot.
    Mine {
        /// The mine.
        facility_id: String,
        /// The extraction event.
        event_id: String,
        /// The day of extraction.
        extracted_on: NaiveDate,
    },
    /// Recycled material, traced no further.
    Recycled,
    /// Material that could not be traced further.
    Untraced {
        /// Why.
        reason: UntracedReason,
    },
}

impl Source {
    /// Mines first, then recycled, then untraced.
    pub(super) fn rank(&self) -> u8 {
        match self {
            Source::Mine { .. } => 0,
            Source::Recycled => 1,
            Source::Untraced { .. } => 2,
        }
    }
}

/// An exact share and its 6-decimal presentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ExactShare {
    /// The share with exactly 6 decimals, apportioned by largest remainder so that the shares of
    /// one list add up to exactly `1.000000`.
    #[schema(example = "0.600000")]
    pub value: String,
    /// The exact share's numerator in lowest terms, as a decimal integer; absent when the
    /// trace's common denominator exceeds 4096 bits (the rounding above is still exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "3")]
    pub numerator: Option<String>,
    /// The exact share's denominator in lowest terms, as a decimal integer; absent with the
    /// numerator.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "5")]
    pub denominator: Option<String>,
}

/// The part of the traced quantity attributed to one leaf lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attribution {
    /// The leaf lot (extracted, recycled or untraced).
    pub lot_id: String,
    /// Where it comes from.
    pub source: Source,
    /// Milligrams attributed (largest remainder: the attributions add up to the traced quantity).
    pub quantity_mg: i64,
    /// The same, exactly, in the trace's `unit` (largest remainder in the finest unit the
    /// traced quantities need, so these add up exactly to the traced quantity; exact in g, kg
    /// and t, and in troy_oz when every traced quantity is in troy ounces).
    #[schema(example = "0.6")]
    pub quantity: String,
    /// The exact mass in femtograms.
    #[serde(skip)]
    pub femtograms: i128,
    /// Share of the traced material.
    pub share: ExactShare,
}

/// Quantity and share of one kind of source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SourceTotal {
    /// Milligrams: the sum of the attributions of this kind.
    pub quantity_mg: i64,
    /// The same, exactly, in the trace's `unit` (the sum of the attributions of this kind).
    #[schema(example = "0.6")]
    pub quantity: String,
    /// The exact mass in femtograms.
    #[serde(skip)]
    pub femtograms: i128,
    /// Share of the traced material (largest remainder over mines, recycled and untraced).
    pub share: ExactShare,
}

/// The traced quantity split into mined, recycled and untraced material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct TraceSummary {
    /// Material traced to mines.
    pub mines: SourceTotal,
    /// Recycled material.
    pub recycled: SourceTotal,
    /// Material that could not be traced.
    pub untraced: SourceTotal,
}

/// A lot reached by a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct VisitedLot {
    /// The lot.
    pub lot_id: String,
    /// Its quantity, when loaded (the nearest milligram of a troy-ounce quantity).
    pub quantity_mg: Option<i64>,
    /// Micro troy ounces, exact, of a lot weighed in troy ounces; absent otherwise.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub quantity_uozt: i64,
    /// Whether it is recycled material.
    pub recycled: bool,
    /// The fewest transformations between a traced lot and this one.
    pub level: u32,
}

crate::text_enum! {
    /// How the exact apportionment was obtained (the figures are the same either way).
    pub enum Arithmetic {
        /// Exact integer arithmetic over the common denominator of every weight.
        Exact = "exact",
        /// Fixed-point arithmetic whose proven error bound settles every rounding decision.
        CertifiedBounds = "certified_bounds",
    }
}

/// The outcome of a trace: the attribution, the graph, and every lot and event reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Trace {
    /// The traced lots and the milligrams traced from each.
    pub roots: Vec<LotQuantity>,
    /// The traced quantity in milligrams (the nearest milligram).
    pub quantity_mg: i64,
    /// The unit of every `quantity` of the trace.
    pub unit: MassUnit,
    /// The traced quantity, exactly, in `unit`.
    pub quantity: String,
    /// The exact traced mass in femtograms.
    #[serde(skip)]
    pub femtograms: i128,
    /// One entry per leaf lot with a positive share: mines (by facility, extraction event and
    /// lot), then recycled lots (by lot), then untraced lots (by reason and lot).
    pub attributions: Vec<Attribution>,
    /// Mined, recycled and untraced totals.
    pub summary: TraceSummary,
    /// Transformations on the longest chain reached (0 when a traced lot is itself a leaf).
    pub depth: u32,
    /// The graph to draw.
    pub graph: ProvenanceGraph,
    /// Every lot reached, by id.
    pub lots: Vec<VisitedLot>,
    /// The extractions of the mines reached, by date and event id.
    pub extractions: Vec<Extraction>,
    /// The transformations followed, by date and event id.
    pub transformations: Vec<Transformation>,
    /// The transfers of the lots reached, by date, event and lot.
    pub transfers: Vec<TransferEdge>,
    /// How the exact apportionment was obtained.
    pub arithmetic: Arithmetic,
    #[serde(skip)]
    pub(super) untraced_high: bool,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl Trace {
    /// Writes every `quantity` of the trace in `unit` (they are written in kilograms first).
    pub fn write_in(&mut self, unit: MassUnit) {
        let text = |fg: i128| femtograms_in_unit(fg, unit).text;
        self.unit = unit;
        self.quantity = text(self.femtograms);
        for a in &mut self.attributions {
            a.quantity = text(a.femtograms);
        }
        for total in [
            &mut self.summary.mines,
            &mut self.summary.recycled,
            &mut self.summary.untraced,
        ] {
            total.quantity = text(total.femtograms);
        }
    }

    /// Whether the exact untraced share is at least [`HIGH_UNTRACED_SHARE`] (decided exactly,
    /// never from the rounded text).
    pub fn untraced_is_high(&self) -> bool {
        self.untraced_high
    }

    /// Whether any of the material is untraced (an exact share above zero).
    pub fn has_untraced(&self) -> bool {
        self.attributions
            .iter()
            .any(|a| matches!(a.source, Source::Untraced { .. }))
    }
}

/// Why a trace cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// A traced quantity is negative.
    #[error("the traced quantity must not be negative")]
    NegativeQuantity,
    /// There is nothing to trace (no lot, or a total of zero over several lots).
    #[error("there is nothing to trace")]
    NothingToTrace,
    /// The traced quantities add up to more than 2^63 - 1 milligrams.
    #[error("the traced quantity exceeds 9.2 million tonnes")]
    TooLarge,
}
