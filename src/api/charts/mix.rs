//! The sourcing mix per month as stacked bars: each month's bar is its purchases split by origin
//! class (asm at the bottom, then lsm, recycled, unknown at the top), each class's certified
//! part hatched at its foot, and the policy's targets as dashed lines where a target can be read
//! off the stack (asm and certified asm from the bottom, unknown from the top). Readable in
//! greyscale (four distinct lightnesses, hatching for certified), and in text: a `<title>` and
//! `<desc>` for the chart, a legend naming each series, and a `<title>` on every bar segment.

use svg::Document;
use svg::node::element::{Definitions, Description, Group, Line, Pattern, Rectangle, Text, Title};

use super::{fmt_percent, share_of};
use crate::api::routes::sourcing_mix::SourcingMix;
use crate::domain::mix::{ClassFigures, MixFigures, TargetResult};
use crate::domain::policy::{Comparison, TargetMetric};
use crate::domain::vocabulary::OriginClass;

const WIDTH: f64 = 920.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 310.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 64.0;

/// Fill of each class: four lightnesses far apart, so that greyscale keeps them apart.
fn fill(class: OriginClass) -> &'static str {
    match class {
        OriginClass::Asm => "#1b4f72",
        OriginClass::Lsm => "#5d8aa8",
        OriginClass::Recycled => "#a9c6de",
        OriginClass::Unknown => "#f2f2f2",
    }
}

/// The stacking order, bottom first.
const STACK: [OriginClass; 4] = [
    OriginClass::Asm,
    OriginClass::Lsm,
    OriginClass::Recycled,
    OriginClass::Unknown,
];

fn class_of(figures: &MixFigures, class: OriginClass) -> Option<&ClassFigures> {
    figures.classes.iter().find(|c| c.origin_class == class)
}

/// Where a target's line lies on a bar, as a share from the bottom; `None` when the target
/// cannot be read off the stack (lsm and recycled sit in the middle) or concerns another
/// mineral than the chart.
fn target_level(mix: &SourcingMix, target: &TargetResult, share: f64) -> Option<f64> {
    if target.mineral.is_some() && target.mineral != mix.mineral {
        return None;
    }
    match target.metric {
        TargetMetric::Asm | TargetMetric::CertifiedAsm => Some(share),
        TargetMetric::Unknown => Some(1.0 - share),
        _ => None,
    }
}

fn target_words(target: &TargetResult) -> String {
    let comparison = match target.comparison {
        Comparison::AtLeast => "≥",
        Comparison::AtMost => "≤",
    };
    let scope = target.mineral.map(|m| format!("{m} ")).unwrap_or_default();
    format!(
        "target {scope}{} {comparison} {}: {} ({})",
        target.metric,
        fmt_percent(target.share.parse().unwrap_or(0.0)),
        if target.met { "met" } else { "missed" },
        fmt_percent(target.actual.value.parse().unwrap_or(0.0)),
    )
}

/// The chart of `mix`, whose groups are months (`group_by=month`).
pub fn by_month(mix: &SourcingMix) -> String {
    let scope = mix
        .mineral
        .map(|m| m.to_string())
        .unwrap_or_else(|| "all minerals".to_owned());
    let title = format!("Sourcing mix by month, {} to {}, {scope}", mix.from, mix.to);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y_of = |share: f64| TOP + plot_h * (1.0 - share);

    let mut desc = format!(
        "Stacked bars, one per month, of the share of each origin class in the month's \
         purchases (total {} {}); the hatched foot of each segment is its certified part.",
        mix.overall.total, mix.unit
    );
    let hatch = Pattern::new()
        .set("id", "certified")
        .set("patternUnits", "userSpaceOnUse")
        .set("width", 6)
        .set("height", 6)
        .set("patternTransform", "rotate(45)")
        .add(
            Rectangle::new()
                .set("width", 6)
                .set("height", 6)
                .set("fill", "#ffffff")
                .set("fill-opacity", 0.35),
        )
        .add(
            Line::new()
                .set("x1", 0)
                .set("y1", 0)
                .set("x2", 0)
                .set("y2", 6)
                .set("stroke", "#000000")
                .set("stroke-width", 2.5),
        );
    let mut document = Group::new()
        .add(
            Rectangle::new()
                .set("width", WIDTH)
                .set("height", HEIGHT)
                .set("fill", "#ffffff"),
        )
        .add(
            Text::new(title.clone())
                .set("x", LEFT)
                .set("y", 24)
                .set("font-size", 15)
                .set("font-weight", "bold"),
        );

    // The axis: 0 to 100 % every 25 %.
    let mut axis = Group::new().set("class", "axis");
    for step in 0..=4 {
        let share = f64::from(step) * 0.25;
        let y = y_of(share);
        axis = axis
            .add(
                Line::new()
                    .set("x1", LEFT)
                    .set("x2", LEFT + plot_w)
                    .set("y1", y)
                    .set("y2", y)
                    .set("stroke", "#bbbbbb")
                    .set("stroke-width", 0.5),
            )
            .add(
                Text::new(fmt_percent(share))
                    .set("x", LEFT - 6.0)
                    .set("y", y + 4.0)
                    .set("text-anchor", "end"),
            );
    }
    document = document.add(axis);

    let months = &mix.groups;
    if months.is_empty() {
        desc.push_str(" No purchases in this period.");
        document = document.add(
            Text::new("No purchases in this period")
                .set("x", LEFT + plot_w / 2.0)
                .set("y", TOP + plot_h / 2.0)
                .set("text-anchor", "middle"),
        );
    }
    let slot = plot_w / months.len().max(1) as f64;
    let bar = (slot * 0.7).min(48.0);
    let mut bars = Group::new().set("class", "bars");
    for (i, month) in months.iter().enumerate() {
        let label = month
            .key
            .first()
            .and_then(|k| k.value.clone())
            .unwrap_or_default();
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let total = month.figures.total_mg;
        let mut base = 0.0;
        let mut parts = Vec::new();
        for class in STACK {
            let Some(c) = class_of(&month.figures, class) else {
                continue;
            };
            let share = share_of(c.quantity_mg, total);
            let certified = share_of(c.certified_mg, total);
            parts.push(format!(
                "{class} {} (certified {})",
                fmt_percent(share),
                fmt_percent(certified)
            ));
            if share > 0.0 {
                let segment_title = format!(
                    "{label}, {class}: {} {} = {} of the month, certified {} {} = {}",
                    c.quantity,
                    mix.unit,
                    fmt_percent(share),
                    c.certified,
                    mix.unit,
                    fmt_percent(certified)
                );
                bars = bars.add(
                    Rectangle::new()
                        .set("x", x)
                        .set("y", y_of(base + share))
                        .set("width", bar)
                        .set("height", plot_h * share)
                        .set("fill", fill(class))
                        .set("stroke", "#333333")
                        .set("stroke-width", 0.5)
                        .set("data-series", class.to_string())
                        .add(Title::new(segment_title)),
                );
                if certified > 0.0 {
                    bars = bars.add(
                        Rectangle::new()
                            .set("x", x)
                            .set("y", y_of(base + certified))
                            .set("width", bar)
                            .set("height", plot_h * certified)
                            .set("fill", "url(#certified)")
                            .set("data-series", format!("{class}-certified")),
                    );
                }
            }
            base += share;
        }
        desc.push_str(&format!(" {label}: {}.", parts.join(", ")));
        bars = bars.add(
            Text::new(label)
                .set("x", x + bar / 2.0)
                .set("y", TOP + plot_h + 16.0)
                .set("text-anchor", "middle")
                .set("font-size", 10)
                .set(
                    "transform",
                    format!("rotate(-35 {} {})", x + bar / 2.0, TOP + plot_h + 16.0),
                ),
        );
    }
    document = document.add(bars);

    // Targets: a dashed line where the stack shows them; all of them in the legend.
    let mut targets = Group::new().set("class", "targets");
    for t in &mix.targets {
        let share: f64 = t.share.parse().unwrap_or(0.0);
        let words = target_words(t);
        desc.push_str(&format!(" {words}."));
        if let Some(level) = target_level(mix, t, share) {
            targets = targets.add(
                Line::new()
                    .set("x1", LEFT)
                    .set("x2", LEFT + plot_w)
                    .set("y1", y_of(level))
                    .set("y2", y_of(level))
                    .set("stroke", "#000000")
                    .set("stroke-width", 1.5)
                    .set("stroke-dasharray", "6 4")
                    .set("data-series", format!("target-{}", t.metric))
                    .add(Title::new(words)),
            );
        }
    }
    document = document.add(targets);

    // The legend: one label per series, then the targets.
    let legend_x = WIDTH - RIGHT + 16.0;
    let mut legend = Group::new().set("class", "legend");
    let mut y = TOP;
    for class in STACK.iter().rev() {
        legend = legend
            .add(
                Rectangle::new()
                    .set("x", legend_x)
                    .set("y", y)
                    .set("width", 14)
                    .set("height", 14)
                    .set("fill", fill(*class))
                    .set("stroke", "#333333"),
            )
            .add(
                Text::new(class.to_string())
                    .set("x", legend_x + 20.0)
                    .set("y", y + 11.0)
                    .set("data-legend", class.to_string()),
            );
        y += 22.0;
    }
    legend = legend
        .add(
            Rectangle::new()
                .set("x", legend_x)
                .set("y", y)
                .set("width", 14)
                .set("height", 14)
                .set("fill", "url(#certified)")
                .set("stroke", "#333333"),
        )
        .add(
            Text::new("certified part")
                .set("x", legend_x + 20.0)
                .set("y", y + 11.0)
                .set("data-legend", "certified"),
        );
    y += 30.0;
    for t in &mix.targets {
        legend = legend.add(
            Text::new(target_words(t))
                .set("x", legend_x)
                .set("y", y)
                .set("font-size", 10)
                .set("data-legend", format!("target-{}", t.metric)),
        );
        y += 16.0;
    }
    document = document.add(legend);
    Document::new()
        .set("width", WIDTH)
        .set("height", HEIGHT)
        .set("viewBox", (0, 0, WIDTH as i64, HEIGHT as i64))
        .set("role", "img")
        .set("aria-labelledby", "mix-title mix-desc")
        .set("font-family", "system-ui, sans-serif")
        .set("font-size", 12)
        .add(Title::new(title).set("id", "mix-title"))
        .add(
            Description::new()
                .set("id", "mix-desc")
                .add(svg::node::Text::new(desc)),
        )
        .add(Definitions::new().add(hatch))
        .add(document)
        .to_string()
}
