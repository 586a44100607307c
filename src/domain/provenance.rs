//! Supplier provenance: where a lot's material came from, through which transformations and
//! hands, with what share from each mine, recycled source or untraced remainder.
//!
//! - [`graph`]: the lot graph the caller loads and the checks a custody event must pass on write
//!   (no cycles, nothing used before it exists, mass balance).
//! - [`attribution`]: proportional mass-balance attribution, exact, linear in the edges reached;
//!   what it returns (`outcome`) and the graph it draws (`drawing`) are re-exported from it.
//!
//! docs/DOMAIN-ARITHMETIC.md states the attribution and rounding rules for auditors.

pub mod attribution;
mod drawing;
pub mod graph;
mod outcome;
mod rounding;
mod walk;

pub use attribution::{
    Arithmetic, Attribution, EXACT_FRACTION_BITS, EdgeKind, ExactShare, GraphEdge, GraphNode,
    HIGH_UNTRACED_SHARE, NodeKind, ProvenanceGraph, Source, SourceTotal, Trace, TraceError,
    TraceSummary, UntracedReason, VisitedLot, trace, trace_many, trace_quantity,
};
pub use graph::{
    Extraction, LotGraph, LotNode, LotQuantity, Origin, TransferEdge, TransferOverdraw,
    Transformation, YieldExcess, YieldTolerance, consumed_before_exists, consumed_beyond_quantity,
    transferred_beyond_quantity, would_create_cycle, yield_excess,
};

#[cfg(test)]
pub(crate) mod test_graph;
#[cfg(test)]
mod tests;
