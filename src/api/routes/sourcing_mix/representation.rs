//! The mix's representations: JSON (the default), CSV or an SVG chart per month, chosen by
//! `Accept` (406 when none is acceptable), and the CSV table.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::SourcingMix;
use crate::api::charts::{self, SVG};
use crate::api::error::ApiError;
use crate::api::http::negotiate::{choose, require_csv};
use crate::domain::mix::MixFigures;

/// Which representation the caller accepts.
pub(super) enum Representation {
    Json,
    Csv,
    /// The chart per month (`charts::mix`).
    Svg,
}

/// The representation the request's `Accept` prefers (406 when none).
pub(super) fn negotiate(req: &HttpRequest) -> Result<Representation, ApiError> {
    Ok(
        match choose(
            req,
            &["application/json", "text/csv", SVG],
            "the sourcing mix",
        )? {
            "text/csv" => Representation::Csv,
            SVG => Representation::Svg,
            _ => Representation::Json,
        },
    )
}

/// CSV, for the route that answers only CSV (`/v1/sourcing-mix.csv`), unless `Accept`
/// excludes it.
pub(super) fn negotiate_csv(req: &HttpRequest) -> Result<Representation, ApiError> {
    require_csv(req, "GET /v1/sourcing-mix")?;
    Ok(Representation::Csv)
}

impl Representation {
    /// The answer in this representation.
    pub(super) fn respond(self, mix: &SourcingMix) -> HttpResponse {
        match self {
            Representation::Json => HttpResponse::Ok().json(mix),
            Representation::Svg => HttpResponse::Ok()
                .content_type(SVG)
                .insert_header((header::VARY, "Accept"))
                .body(charts::mix::by_month(mix)),
            Representation::Csv => HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!(
                        "inline; filename=\"sourcing-mix-{}-{}.csv\"",
                        mix.from, mix.to
                    ),
                ))
                .body(to_csv(mix)),
        }
    }
}

/// The mix as CSV: one row per origin class of the overall figures and of each group, then one
/// row per target.
fn to_csv(mix: &SourcingMix) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["section".into()];
    header.extend(mix.group_by.iter().map(|d| d.as_str().to_owned()));
    header.extend(
        [
            "origin_class",
            "quantity_mg",
            "share",
            "certified_mg",
            "certified_share",
            "traced_mg",
            "declared_mg",
            "unknown_mg",
            "total_mg",
            "target_mineral",
            "target_metric",
            "target_comparison",
            "target_share",
            "target_actual",
            "target_met",
            "unit",
            "quantity",
            "certified",
            "traced",
            "declared",
            "unknown",
            "total",
        ]
        .map(String::from),
    );
    let width = header.len();
    let mut rows: Vec<Vec<String>> = vec![header];
    let dims = mix.group_by.len();
    let mut class_rows = |section: &str, keys: Vec<String>, figures: &MixFigures| {
        for class in &figures.classes {
            let mut row = vec![section.to_owned()];
            row.extend(keys.iter().cloned());
            row.extend([
                class.origin_class.as_str().to_owned(),
                class.quantity_mg.to_string(),
                class.share.value.clone(),
                class.certified_mg.to_string(),
                class.certified_share.value.clone(),
                class.basis.traced_mg.to_string(),
                class.basis.declared_mg.to_string(),
                class.basis.unknown_mg.to_string(),
                figures.total_mg.to_string(),
            ]);
            // The target columns stay empty on a class row.
            row.resize(width - 7, String::new());
            row.extend([
                mix.unit.as_str().to_owned(),
                class.quantity.clone(),
                class.certified.clone(),
                class.basis.traced.clone(),
                class.basis.declared.clone(),
                class.basis.unknown.clone(),
                figures.total.clone(),
            ]);
            rows.push(row);
        }
    };
    class_rows("overall", vec![String::new(); dims], &mix.overall);
    for group in &mix.groups {
        let keys = group
            .key
            .iter()
            .map(|k| k.value.clone().unwrap_or_default())
            .collect();
        class_rows("group", keys, &group.figures);
    }
    for target in &mix.targets {
        let mut row = vec!["target".to_owned()];
        row.resize(1 + dims + 9, String::new());
        row.extend([
            target
                .mineral
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            target.metric.as_str().to_owned(),
            target.comparison.as_str().to_owned(),
            target.share.clone(),
            target.actual.value.clone(),
            target.met.to_string(),
        ]);
        row.resize(width, String::new());
        rows.push(row);
    }
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(&row);
    }
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}
