//! `GET /v1/sourcing-mix`: of what the organisation bought in a period, how much came from ASM,
//! LSM, recycled and unknown sources, how much of each was certified under its policy on the
//! purchase date, on what basis, per group, and whether its targets are met.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::routes::policy::PolicySource;
use crate::api::state::AppState;
use crate::app::sourcing_mix::{self, Mix, MixRequest};
use crate::auth::Scope;
use crate::domain::mix::{self, GroupBy, GroupDimension, MixFigures, MixGroup, TargetResult};
use crate::domain::quantity::MassUnit;
use crate::domain::vocabulary::Mineral;

mod representation;

use representation::{Representation, negotiate, negotiate_csv};

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
    /// The unit of the exact quantities (`total`, `quantity`, `certified`, the basis parts):
    /// `g`, `kg`, `t` or `troy_oz` (default: the policy's `reporting_unit`, itself `kg` by
    /// default). Exact in g, kg and t; in troy_oz exact for whole micro ounces, otherwise
    /// rounded half to even at 12 decimals.
    pub unit: Option<MassUnit>,
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
    /// The unit of the exact quantities.
    pub unit: MassUnit,
    /// Whether the organisation's own policy or the default decided what counts as certified.
    pub policy_source: PolicySource,
    /// The figures over the whole period.
    pub overall: MixFigures,
    /// The same figures per group, sorted by key.
    pub groups: Vec<MixGroup>,
    /// Each policy target with its actual share and whether it is met.
    pub targets: Vec<TargetResult>,
}

impl MixQuery {
    /// What mix is asked for: a missing bound of the period is the start or end of the year of
    /// the other (of this year when neither is given).
    fn request(self) -> Result<MixRequest, ApiError> {
        let (from, to) = mix::period(self.from, self.to, Utc::now().date_naive())
            .map_err(|e| ApiError::invalid_parameter("from", e))?;
        if self.group_by.as_deref() == Some("") {
            return Err(ApiError::invalid_parameter(
                "group_by",
                "name one or two of mineral, country, supplier, month (or leave it out)",
            ));
        }
        let group_by = GroupBy::parse(self.group_by.as_deref().unwrap_or(""))
            .map_err(|e| ApiError::invalid_parameter("group_by", e))?;
        Ok(MixRequest {
            from,
            to,
            mineral: self.mineral,
            group_by,
            unit: self.unit,
        })
    }
}

/// The sourcing mix of the organisation's purchases in a period.
///
/// For each origin class (asm, lsm, recycled, unknown): its quantity and share of the total,
/// the part certified — the origin facility held a certificate the organisation's policy accepts
/// **on the purchase date** (the catalog's as-of rules) — and what it rests on (`traced`
/// through custody events, `declared` by the supplier, `unknown`). `group_by` gives the same
/// figures per mineral, country, supplier or month (one or two of them).
///
/// Quantities are exact sums of the stored quantities (whole milligrams for metric units, whole
/// micro troy ounces for troy ounces), written in `unit` (`total`, `quantity`, …) and as the
/// nearest milligram (`total_mg`, `quantity_mg`, …). Every share carries its exact fraction
/// (`numerator_fg` / `denominator_fg`, femtograms as strings) and a 6-decimal `value`: the
/// four class shares are
/// rounded by the largest-remainder method so that they add up to exactly `1.000000`; certified
/// shares and target actuals are rounded half to even on their own. Targets are judged on the
/// exact fractions. `Accept: text/csv` gives the same figures as CSV (as does
/// `GET /v1/sourcing-mix.csv`). `Accept: image/svg+xml` draws the mix per month as stacked bars
/// by origin class with each class's certified part hatched and the targets as dashed lines
/// (`group_by` must then be absent or `month`); the chart's `<title>`, `<desc>` and legend say
/// the same in words.
///
/// May be answered by the read replica when one is configured (`ORETRACE_READ_DATABASE_URL`):
/// at most `ORETRACE_READ_MAX_LAG_MS` (default 5 s) behind the latest write; `/metrics` shows
/// the replica's lag.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_sourcing_mix",
    params(MixQuery),
    responses(
        (status = 200, description = "The sourcing mix", content(
            (SourcingMix = "application/json"),
            (String = "text/csv"),
            (String = "image/svg+xml"),
        )),
        (status = 406, description = "None of JSON, CSV and SVG is acceptable",
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
    let mut query = query.0;
    if matches!(representation, Representation::Svg) {
        // The chart is per month.
        match query.group_by.as_deref() {
            None | Some("month") => query.group_by = Some("month".to_owned()),
            Some(_) => {
                return Err(ApiError::invalid_parameter(
                    "group_by",
                    "the chart (image/svg+xml) is per month: leave group_by out or set it to \
                     month",
                ));
            }
        }
    }
    let answer = sourcing_mix_of(&caller, query, &state).await?;
    Ok(representation.respond(&answer))
}

/// The sourcing mix as CSV.
///
/// The same figures as `GET /v1/sourcing-mix` with `Accept: text/csv`, for clients that cannot
/// choose a representation: one row per origin class of the overall figures and of each group
/// (`section` `overall` or `group`, then one column per `group_by` dimension), then one row per
/// target (`section` `target`). Quantities are whole milligrams (`*_mg`) and exact decimals in
/// `unit`; shares have 6 decimals. Answers 406 when `Accept` excludes `text/csv`.
#[utoipa::path(
    tag = "purchases",
    operation_id = "get_sourcing_mix_csv",
    params(MixQuery),
    responses(
        (status = 200, description = "The sourcing mix as CSV", content(
            (String = "text/csv"),
        )),
        (status = 406, description = "`Accept` excludes text/csv",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = ["purchases:read"]), ("oauth2" = ["purchases:read"]))
)]
#[get("/v1/sourcing-mix.csv")]
pub async fn get_sourcing_mix_csv(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<MixQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    let representation = negotiate_csv(&req)?;
    let answer = sourcing_mix_of(&caller, query.0, &state).await?;
    Ok(representation.respond(&answer))
}

/// The mix a query asks for, read for the caller's organisation (whose scope the handler has
/// checked).
async fn sourcing_mix_of(
    caller: &Caller,
    query: MixQuery,
    state: &AppState,
) -> Result<SourcingMix, ApiError> {
    let request = query.request()?;
    let organisation = caller.organisation_id;
    let asked = request.clone();
    let mix = state
        .db
        .read_replica(move |conn| sourcing_mix::sourcing_mix(conn, organisation, &asked))
        .await?;
    Ok(SourcingMix::of(&request, mix))
}

impl SourcingMix {
    /// The answer to `request`, as the route shows it (the report embeds the same).
    pub fn of(request: &MixRequest, mix: Mix) -> SourcingMix {
        SourcingMix {
            from: request.from,
            to: request.to,
            mineral: request.mineral,
            group_by: request.group_by.dimensions().to_vec(),
            unit: mix.unit,
            policy_source: if mix.organisation_policy {
                PolicySource::Organisation
            } else {
                PolicySource::Default
            },
            overall: mix.report.overall,
            groups: mix.report.groups,
            targets: mix.report.targets,
        }
    }
}
