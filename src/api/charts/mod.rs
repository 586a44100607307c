//! Charts drawn by the server as SVG (`Accept: image/svg+xml` on the routes they depict, and
//! embedded in the due-diligence report): the sourcing mix per month (`mix`) and the
//! provenance of a lot or purchase as a layered flow graph (`flow`). Documents are written with
//! the `svg` crate, which escapes every text and attribute; layout is computed here. Every
//! chart carries a `<title>` and a `<desc>` that says in words what it shows, and names each
//! series in text.

pub mod flow;
pub mod mix;

/// The media type of a chart.
pub const SVG: &str = "image/svg+xml";

/// `part` of `total` as a fraction from 0 to 1 (0 when the total is 0), for drawing only:
/// the exact figures are in the JSON answer.
fn share_of(part: i64, total: i64) -> f64 {
    if total <= 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// A fraction as a percentage with one decimal (`12.5 %`).
fn fmt_percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}
