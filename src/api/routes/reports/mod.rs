//! `GET /v1/reports/due-diligence`: the organisation's annual due-diligence report, as JSON or
//! as a print-ready, self-contained HTML page (`Accept: text/html`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::http::negotiate;
use crate::api::routes::policy::{self, PolicyView};
use crate::api::routes::red_flags::RedFlagDetail;
use crate::api::routes::sourcing_mix::SourcingMix;
use crate::api::state::AppState;
use crate::app::declarations::coverage::Coverage;
use crate::app::declarations::rollup::SmelterFlag;
use crate::app::reports::due_diligence::{
    self, DueDiligenceReport, ReportMix, ReportRequest, ReportSmelter, YEARS, YearStanding,
};
use crate::auth::Scope;
use crate::domain::certification::EffectiveStatus;
use crate::domain::country::CountryCode;
use crate::domain::ids::{CertificationId, FacilityId, OrganisationId};
use crate::domain::organisation::CompanyProfile;
use crate::domain::vocabulary::{FacilityKind, Mineral};

mod html;

/// Which report.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The calendar year reported on (2000 to 2100; default: this year).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Only this mineral (the EU Regulation reports per mineral); default: all.
    pub mineral: Option<Mineral>,
}

/// The organisation the report is about, with the company information of its profile.
#[derive(Serialize, ToSchema)]
pub struct ReportOrganisation {
    pub id: OrganisationId,
    pub name: String,
    /// `GET /v1/organisations/{id}/profile`: legal name, contact, authoriser, policy URL.
    pub profile: CompanyProfile,
}

/// A change of a certificate's standing during the year.
#[derive(Serialize, ToSchema)]
pub struct StandingChangeView {
    /// The first day of the new standing.
    pub on: NaiveDate,
    pub status: EffectiveStatus,
}

/// One certificate of a smelter or refiner through the year, under the catalog's as-of rules
/// (what `GET /v1/facilities/{id}/certifications?as_of=` answers for each day).
#[derive(Serialize, ToSchema)]
pub struct YearStandingView {
    pub certification_id: CertificationId,
    pub scheme: String,
    /// The level in force on the year's last day.
    pub level: Option<String>,
    pub minerals: Vec<Mineral>,
    /// Its standing on 1 January.
    pub status_at_start: EffectiveStatus,
    /// Its standing on 31 December.
    pub status_at_end: EffectiveStatus,
    /// Every change of standing after 1 January, in order.
    pub changes: Vec<StandingChangeView>,
}

impl From<YearStanding> for YearStandingView {
    fn from(s: YearStanding) -> YearStandingView {
        YearStandingView {
            certification_id: s.certification_id,
            scheme: s.scheme,
            level: s.level,
            minerals: s.minerals,
            status_at_start: s.status_at_start,
            status_at_end: s.status_at_end,
            changes: s
                .changes
                .into_iter()
                .map(|c| StandingChangeView {
                    on: c.on,
                    status: c.status,
                })
                .collect(),
        }
    }
}

/// A smelter or refiner of the supply chain.
#[derive(Serialize, ToSchema)]
pub struct ReportSmelterView {
    /// The catalog facility; null for a declared smelter the catalog does not know.
    pub facility_id: Option<FacilityId>,
    pub name: String,
    /// `smelter` or `refiner` (null when unknown to the catalog).
    pub kind: Option<FacilityKind>,
    pub country: Option<CountryCode>,
    /// Its RMI smelter id.
    pub cid: Option<String>,
    pub metals: Vec<Mineral>,
    /// Whether the organisation's own custody events of the year passed through it.
    pub traced: bool,
    /// How many suppliers' current declarations name it (`GET /v1/declarations/smelters`).
    pub declared_by: usize,
    /// The roll-up's red flags for it.
    pub flags: Vec<SmelterFlag>,
    /// Its certificates through the year (empty when unknown to the catalog).
    pub certifications: Vec<YearStandingView>,
}

impl From<ReportSmelter> for ReportSmelterView {
    fn from(s: ReportSmelter) -> ReportSmelterView {
        ReportSmelterView {
            facility_id: s.facility_id,
            name: s.name,
            kind: s.kind,
            country: s.country,
            cid: s.cid,
            metals: s.metals,
            traced: s.sources.traced,
            declared_by: s.sources.declared_by,
            flags: s.flags,
            certifications: s.certifications.into_iter().map(Into::into).collect(),
        }
    }
}

/// The annual due-diligence report (OECD Due Diligence Guidance step 5; EU Regulation 2017/821
/// Article 7). Each part is what the route named in its description answers for the same
/// year and mineral.
#[derive(Serialize, ToSchema)]
pub struct DueDiligenceReportView {
    pub year: i32,
    /// The mineral reported on; null: all.
    pub mineral: Option<Mineral>,
    /// 1 January and 31 December of `year`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub organisation: ReportOrganisation,
    /// The sourcing policy and its management (`GET /v1/policy`).
    pub policy: PolicyView,
    /// The mix of the year by origin class and certification, with the targets and what the
    /// figures rest on (`GET /v1/sourcing-mix?from&to&mineral`).
    pub mix: SourcingMix,
    /// The same per month (`group_by=month`).
    pub mix_by_month: SourcingMix,
    /// The same per country of origin (`group_by=country`).
    pub mix_by_country: SourcingMix,
    /// The smelters and refiners of the supply chain, traced or declared, with their
    /// certificates' standing on the year's last day and through the year.
    pub smelters: Vec<ReportSmelterView>,
    /// Every red flag of the year's purchases with its case: the flags raised now
    /// (`GET /v1/red-flags?from&to&mineral`), then those whose cause is gone, each with its
    /// steps and outcome (`GET /v1/red-flags/{id}`).
    pub red_flags: Vec<RedFlagDetail>,
    /// The suppliers' declarations and their coverage of the year's purchases
    /// (`GET /v1/declarations/coverage?from&to`).
    pub declarations: Coverage,
}

fn mix_view(m: ReportMix) -> SourcingMix {
    SourcingMix::of(&m.request, m.mix)
}

impl From<DueDiligenceReport> for DueDiligenceReportView {
    fn from(r: DueDiligenceReport) -> DueDiligenceReportView {
        DueDiligenceReportView {
            year: r.year,
            mineral: r.mineral,
            from: r.from,
            to: r.to,
            generated_at: r.generated_at,
            organisation: ReportOrganisation {
                id: r.organisation_id,
                name: r.organisation_name,
                profile: r.profile,
            },
            policy: policy::view(r.policy),
            mix: mix_view(r.mix),
            mix_by_month: mix_view(r.mix_by_month),
            mix_by_country: mix_view(r.mix_by_country),
            smelters: r.smelters.into_iter().map(Into::into).collect(),
            red_flags: r.red_flags.into_iter().map(Into::into).collect(),
            declarations: r.declarations,
        }
    }
}

const JSON: &str = "application/json";
const HTML: &str = "text/html";

/// The organisation's annual due-diligence report for a year (and a mineral), for the public
/// report that OECD step 5 and EU Regulation 2017/821 Article 7 ask of a purchaser.
///
/// It holds the company and its sourcing policy; the mix by origin class and certification
/// against the policy's targets, overall, per month and per country of origin, with the data's
/// coverage (traced, declared, unknown); the smelters and refiners of the supply chain with
/// their certificates' standing on 31 December and every change during the year; every red
/// flag of the year's purchases with the steps taken and their outcome; and the suppliers'
/// declarations received. Every figure is what the route named in the schema answers for the
/// same period (docs/REPORTS.md).
///
/// `Accept: text/html` gives the same report as one self-contained, print-ready HTML page (no
/// script, font or image is loaded from anywhere; a browser's print to PDF gives a clean
/// document). Needs `purchases:read` and `provenance:read`.
#[utoipa::path(
    tag = "reports",
    operation_id = "get_due_diligence_report",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report", content(
            (DueDiligenceReportView = "application/json"),
            (String = "text/html"),
        )),
        (status = 400, description = "A year outside 2000 to 2100, or an unknown mineral",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Neither JSON nor HTML is acceptable",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
    ),
    security(
        ("bearer" = ["purchases:read", "provenance:read"]),
        ("oauth2" = ["purchases:read", "provenance:read"])
    )
)]
#[get("/v1/reports/due-diligence")]
pub async fn get_due_diligence_report(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<ReportQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::PurchasesRead)?;
    caller.require(Scope::ProvenanceRead)?;
    let media = negotiate::choose(&req, &[JSON, HTML], "the report")?;
    let year = query.0.year.unwrap_or_else(due_diligence::this_year);
    if !YEARS.contains(&year) {
        return Err(ApiError::invalid_parameter(
            "year",
            format!("must be from {} to {}", YEARS.start(), YEARS.end()),
        ));
    }
    let request = ReportRequest {
        year,
        mineral: query.0.mineral,
    };
    let organisation = caller.organisation_id;
    let tolerance = state.config.yield_tolerance;
    let report = state
        .db
        .read_replica(move |conn| {
            due_diligence::due_diligence(conn, organisation, &request, tolerance)
        })
        .await?;
    let view = DueDiligenceReportView::from(report);
    if media == HTML {
        let page = html::page(&view);
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                page.content_security_policy,
            ))
            .insert_header((header::VARY, "Accept"))
            .body(page.html));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Accept"))
        .json(view))
}
