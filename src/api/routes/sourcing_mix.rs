//! `GET /v1/sourcing-mix`: of what the organisation bought in a period, how much came from ASM,
//! LSM, recycled and unknown sources, how much of each was certified under its policy on the
//! purchase date, on what basis, per group, and whether its targets are met.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ProblemType};
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::routes::policy::PolicySource;
use crate::api::state::AppState;
use crate::auth::Scope;
use crate::domain::mix::{
    self, Basis, GroupBy, GroupDimension, MixFigures, MixGroup, MixLine, TargetResult,
};
use crate::domain::policy::{CertificateFacts, PolicyClass, SourcingPolicy};
use crate::domain::vocabulary::{Mineral, OriginClass};
use crate::store::certificate_facts::{self, Subject};
use crate::store::mix::OriginAggregate;
use crate::store::{mix as mix_query, policy};

/// The period, scope and grouping of the mix.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MixQuery {
    /// First purchase date included (default: 1 January of the year of `to`, else of the
    /// current year).
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub from: Option<NaiveDate>,
    /// Last purchase date included (default: 31 December of the year of `from`, else of the
    /// current year).
    #[serde(
        default,
        deserialize_with = "crate::domain::time::strict_date::optional"
    )]
    pub to: Option<NaiveDate>,
    /// Only this mineral.
    pub mineral: Option<Mineral>,
    /// One or two of `mineral`, `country`, `supplier`, `month`, comma-separated
    /// (`month,supplier`).
    #[param(pattern = "^(mineral|country|supplier|month)(,(mineral|country|supplier|month))?$")]
    pub group_by: Option<String>,
}

/// The sourcing mix of a period.
#[derive(Serialize, ToSchema)]
pub struct SourcingMix {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The mineral in scope; null: all.
    pub mineral: Option<Mineral>,
    /// The grouping asked for.
    pub group_by: Vec<GroupDimension>,
    /// Whether the organisation's own policy or the default decided what counts as certified.
    pub policy_source: PolicySource,
    /// The figures over the whole period.
    pub overall: MixFigures,
    /// The same figures per group, sorted by key.
    pub groups: Vec<MixGroup>,
    /// Each policy target with its actual share and whether it is met.
    pub targets: Vec<TargetResult>,
}

/// Which representation the caller accepts.
enum Representation {
    Json,
    Csv,
}

fn negotiate(req: &HttpRequest) -> Result<Representation, ApiError> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(Representation::Json);
    };
    let mut ranges: Vec<(f32, String)> = accept
        .split(',')
        .filter_map(|range| {
            let mut parts = range.split(';');
            let media = parts.next()?.trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, media) in ranges {
        match media.as_str() {
            "application/json" | "application/*" | "*/*" => return Ok(Representation::Json),
            "text/csv" | "text/*" => return Ok(Representation::Csv),
            _ => {}
        }
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::NOT_ACCEPTABLE,
        ProblemType::NotAcceptable,
        "the sourcing mix is available as application/json or text/csv",
    ))
}

/// Decides for each aggregated slice whether its origin was certified on the purchase date.
fn mix_lines(
    rows: Vec<OriginAggregate>,
    policy: &SourcingPolicy,
    certificates: &HashMap<String, Vec<CertificateFacts>>,
) -> Result<Vec<MixLine>, ApiError> {
    let mut decided: HashMap<(String, NaiveDate, Mineral), bool> = HashMap::new();
    rows.into_iter()
        .map(|row| {
            let mineral = Mineral::parse(&row.mineral)
                .ok_or_else(|| ApiError::internal(format!("bad mineral {}", row.mineral)))?;
            let origin_class = OriginClass::parse(&row.origin_class)
                .ok_or_else(|| ApiError::internal(format!("bad class {}", row.origin_class)))?;
            let class = match origin_class {
                OriginClass::Asm => Some(PolicyClass::Asm),
                OriginClass::Lsm => Some(PolicyClass::Lsm),
                OriginClass::Recycled | OriginClass::Unknown => None,
            };
            let certified = match (class, &row.facility_id) {
                (Some(class), Some(facility)) => *decided
                    .entry((facility.clone(), row.purchased_on, mineral))
                    .or_insert_with(|| {
                        let facts = certificates.get(facility).map(Vec::as_slice).unwrap_or(&[]);
                        policy
                            .accepts(class, facts, row.purchased_on, Some(mineral))
                            .is_some()
                    }),
                _ => false,
            };
            Ok(MixLine {
                purchased_on: row.purchased_on,
                mineral,
                supplier_id: row.supplier_party_id,
                country: row.country.as_deref().and_then(|c| c.parse().ok()),
                origin_class,
                basis: if row.traced {
                    Basis::Traced
                } else if row.declared != 0 {
                    Basis::Declared
                } else {
                    Basis::Unknown
                },
                certified,
                quantity_mg: row.quantity_mg,
            })
        })
        .collect()
}

/// The sourcing mix of the organisation's purchases in a period.
///
/// For each origin class (asm, lsm, recycled, unknown): its quantity and share of the total,
/// the part certified — the origin facility held a certificate the organisation's policy accepts
/// **on the purchase date** (the catalog's as-of rules) — and what it rests on (`traced`
/// through custody events, `declared` by the supplier, `unknown`). `group_by` gives the same
/// figures per mineral, country, supplier or month (one or two of them).
///
/// Quantities are sums of stored milligrams. Every share carries its exact fraction
/// (`numerator_mg` / `denominator_mg`) and a 6-decimal `value`: the four class shares are
/// rounded by the largest-remainder method so that they add up to exactly `1.000000`; certified
/// shares and target actuals are rounded half to even on their own. Targets are judged on the
/// exact fractions. `Accept: text/csv` gives the same figures as CSV.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_sourcing_mix",
    params(MixQuery),
    responses(
        (status = 200, description = "The sourcing mix", content(
            (SourcingMix = "application/json"),
            (String = "text/csv"),
        )),
        (status = 406, description = "Neither JSON nor CSV is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/sourcing-mix")]
pub async fn get_sourcing_mix(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<MixQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let representation = negotiate(&req)?;
    let query = query.0;
    // A missing bound is the start or end of the year of the other bound (of this year when
    // neither is given), so a lone `to` or `from` is always a valid period.
    let year = query
        .from
        .or(query.to)
        .map(|d| d.year())
        .unwrap_or_else(|| Utc::now().date_naive().year());
    let from = query
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default());
    let to = query
        .to
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default());
    if from > to {
        return Err(ApiError::invalid_parameter(
            "from",
            "must not be after `to`",
        ));
    }
    if query.group_by.as_deref() == Some("") {
        return Err(ApiError::invalid_parameter(
            "group_by",
            "name one or two of mineral, country, supplier, month (or leave it out)",
        ));
    }
    let group_by = GroupBy::parse(query.group_by.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::invalid_parameter("group_by", e))?;
    let mineral = query.mineral;
    let organisation = caller.organisation_id;
    let group = group_by.clone();
    let (source, report) = state
        .db
        .read(move |conn| -> Result<_, ApiError> {
            let stored = policy::get(conn, organisation)?;
            let rows = mix_query::aggregate(conn, organisation, from, to, mineral)?;
            let rows = mix_query::with_traced_lots(conn, organisation, rows, from, to, mineral)?;
            let mut facilities: Vec<String> =
                rows.iter().filter_map(|r| r.facility_id.clone()).collect();
            facilities.sort();
            facilities.dedup();
            let certificates =
                certificate_facts::for_subjects(conn, Subject::Facility, &facilities)?;
            let lines = mix_lines(rows, &stored.policy, &certificates)?;
            let report =
                mix::compute(&lines, &group, &stored.policy.targets).map_err(ApiError::internal)?;
            let source = if stored.updated_at.is_some() {
                PolicySource::Organisation
            } else {
                PolicySource::Default
            };
            Ok((source, report))
        })
        .await?;
    let answer = SourcingMix {
        from,
        to,
        mineral,
        group_by: group_by.dimensions().to_vec(),
        policy_source: source,
        overall: report.overall,
        groups: report.groups,
        targets: report.targets,
    };
    Ok(match representation {
        Representation::Json => HttpResponse::Ok().json(answer),
        Representation::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"sourcing-mix-{from}-{to}.csv\""),
            ))
            .body(to_csv(&answer)),
    })
}

/// The mix as CSV: one row per origin class of the overall figures and of each group, then one
/// row per target.
pub fn to_csv(mix: &SourcingMix) -> String {
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
            row.resize(width, String::new());
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
