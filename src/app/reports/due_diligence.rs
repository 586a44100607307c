//! The annual due-diligence report (OECD Due Diligence Guidance step 5; EU Regulation 2017/821
//! Article 7; the Battery Regulation's report): one organisation's year, put together from the
//! answers the API already gives for the same period, so that every figure can be checked
//! against its route (docs/REPORTS.md says which route answers each part):
//!
//! - the company and its policy (`/v1/organisations/{id}/profile`, `/v1/policy`);
//! - the mix by origin class and certification against the targets, overall, per month and per
//!   country of origin (`/v1/sourcing-mix?from&to&mineral[&group_by]`), with its coverage
//!   (traced, declared, unknown);
//! - the smelters and refiners of the supply chain, traced through the organisation's own
//!   custody events or named by its suppliers' declarations
//!   (`/v1/declarations/smelters?metal`), each with its certificates' standing on the year's
//!   last day and every change of standing during the year
//!   (`/v1/facilities/{id}/certifications?as_of`);
//! - every red flag of the year's purchases with its case, the steps taken and their outcome
//!   (`/v1/red-flags?from&to&mineral`, `/v1/red-flags/{id}`);
//! - the suppliers' declarations and their coverage (`/v1/declarations/coverage?from&to`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::app::AppError;
use crate::app::declarations::coverage::{self, Coverage};
use crate::app::declarations::rollup::{self, RollupFilter, SmelterFlag};
use crate::app::organisation_profile;
use crate::app::provenance::red_flag_cases::{self, FlagDetail};
use crate::app::sourcing_mix::{self, Mix, MixRequest};
use crate::db::DbConn;
use crate::domain::certification::EffectiveStatus;
use crate::domain::country::CountryCode;
use crate::domain::ids::{CertificationId, FacilityId, OrganisationId};
use crate::domain::mix::GroupBy;
use crate::domain::organisation::CompanyProfile;
use crate::domain::provenance::YieldTolerance;
use crate::domain::time;
use crate::domain::vocabulary::{FacilityIdentifierScheme, FacilityKind, Mineral, SubjectType};
use crate::store::certification::{self, Certification, CertificationFilter};
use crate::store::declaration::supply;
use crate::store::policy::{self, StoredPolicy};
use crate::store::provenance::PurchaseScope;
use crate::store::{facility, organisation};

/// The first and last years a report may be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Certificates of one facility read for a report (a smelter has a handful).
const CERTIFICATES_PER_FACILITY: i64 = 500;

/// Which report: a calendar year, of one mineral or of all.
#[derive(Clone, Copy, Debug)]
pub struct ReportRequest {
    pub year: i32,
    pub mineral: Option<Mineral>,
}

impl ReportRequest {
    /// The year's first and last days.
    pub fn period(&self) -> (NaiveDate, NaiveDate) {
        let first = NaiveDate::from_ymd_opt(self.year, 1, 1).expect("a year in YEARS");
        let last = NaiveDate::from_ymd_opt(self.year, 12, 31).expect("a year in YEARS");
        (first, last)
    }
}

/// A change of a certificate's standing during the year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingChange {
    /// The first day of the new standing.
    pub on: NaiveDate,
    pub status: EffectiveStatus,
}

/// One certificate of a smelter through the year.
#[derive(Clone, Debug)]
pub struct YearStanding {
    pub certification_id: CertificationId,
    pub scheme: String,
    /// The level in force on the year's last day.
    pub level: Option<String>,
    pub minerals: Vec<Mineral>,
    /// Its standing on the year's first day.
    pub status_at_start: EffectiveStatus,
    /// Its standing on the year's last day.
    pub status_at_end: EffectiveStatus,
    /// Every change of standing after the first day, in order.
    pub changes: Vec<StandingChange>,
}

/// Where a smelter of the report comes from.
#[derive(Clone, Debug, Default)]
pub struct SmelterSources {
    /// The organisation's own custody events of the year passed through it.
    pub traced: bool,
    /// Suppliers whose current declarations name it.
    pub declared_by: usize,
}

/// A smelter or refiner of the organisation's supply chain.
#[derive(Clone, Debug)]
pub struct ReportSmelter {
    /// The catalog facility; null for a declared smelter the catalog does not know.
    pub facility_id: Option<FacilityId>,
    pub name: String,
    pub kind: Option<FacilityKind>,
    pub country: Option<CountryCode>,
    pub cid: Option<String>,
    pub metals: Vec<Mineral>,
    pub sources: SmelterSources,
    /// The roll-up's flags (not conformant, unknown, CAHRA exposure…).
    pub flags: Vec<SmelterFlag>,
    pub certifications: Vec<YearStanding>,
}

/// The annual report.
#[derive(Clone, Debug)]
pub struct DueDiligenceReport {
    pub year: i32,
    pub mineral: Option<Mineral>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub profile: CompanyProfile,
    pub policy: StoredPolicy,
    pub mix: ReportMix,
    pub mix_by_month: ReportMix,
    pub mix_by_country: ReportMix,
    pub smelters: Vec<ReportSmelter>,
    pub red_flags: Vec<FlagDetail>,
    pub declarations: Coverage,
}

/// A mix of the report with the request that answers it (`GET /v1/sourcing-mix`'s).
#[derive(Clone, Debug)]
pub struct ReportMix {
    pub request: MixRequest,
    pub mix: Mix,
}

fn mix_of(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &ReportRequest,
    group_by: &str,
) -> Result<ReportMix, AppError> {
    let (from, to) = request.period();
    let request = MixRequest {
        from,
        to,
        mineral: request.mineral,
        group_by: GroupBy::parse(group_by).map_err(AppError::internal)?,
        unit: None,
    };
    let mix = sourcing_mix::sourcing_mix(conn, organisation, &request)?;
    Ok(ReportMix { request, mix })
}

/// The standing of a certificate on the year's first day and each change after it, under the
/// catalog's as-of rules (`standing_on`), read day by day: a status taking effect, a
/// validity ending, a suspension lifted are all found where they happen.
pub fn through_the_year(
    certificate: &Certification,
    from: NaiveDate,
    to: NaiveDate,
) -> YearStanding {
    let start = certificate.standing_on(from);
    let end = certificate.standing_on(to);
    let mut changes = Vec::new();
    let mut current = start.status;
    let mut day = from;
    while let Some(next) = day.succ_opt().filter(|d| *d <= to) {
        let status = certificate.standing_on(next).status;
        if status != current {
            changes.push(StandingChange { on: next, status });
            current = status;
        }
        day = next;
    }
    YearStanding {
        certification_id: certificate.id,
        scheme: certificate.scheme.clone(),
        level: end.level,
        minerals: certificate.minerals.clone(),
        status_at_start: start.status,
        status_at_end: end.status,
        changes,
    }
}

fn standings(
    conn: &mut DbConn,
    facility: FacilityId,
    mineral: Option<Mineral>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<YearStanding>, AppError> {
    let filter = CertificationFilter {
        subject_type: Some(SubjectType::Facility),
        subject_id: Some(facility.0),
        ..CertificationFilter::default()
    };
    let certificates = certification::list(conn, &filter, None, CERTIFICATES_PER_FACILITY)?;
    Ok(certificates
        .iter()
        .filter(|c| mineral.is_none_or(|m| c.minerals.is_empty() || c.minerals.contains(&m)))
        .map(|c| through_the_year(c, from, to))
        .collect())
}

/// The smelters and refiners of the year: those the organisation's custody events of the year
/// passed through, and those its suppliers' current declarations name, each once.
fn smelters(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &ReportRequest,
) -> Result<Vec<ReportSmelter>, AppError> {
    let (from, to) = request.period();
    let mut found: BTreeMap<String, ReportSmelter> = BTreeMap::new();
    let mut traced: BTreeMap<FacilityId, BTreeSet<Mineral>> = BTreeMap::new();
    for (id, mineral) in supply::traced_smelters(conn, organisation, from, to)? {
        if request.mineral.is_none_or(|m| m == mineral) {
            traced.entry(id).or_default().insert(mineral);
        }
    }
    for (id, metals) in traced {
        let Some(f) = facility::find(conn, id)? else {
            continue;
        };
        let cid = f
            .identifiers
            .iter()
            .find(|i| i.scheme == FacilityIdentifierScheme::RmiCid)
            .map(|i| i.value.clone());
        found.insert(
            format!("facility:{id}"),
            ReportSmelter {
                facility_id: Some(id),
                name: f.name,
                kind: Some(f.kind),
                country: Some(f.country),
                cid,
                metals: metals.into_iter().collect(),
                sources: SmelterSources {
                    traced: true,
                    declared_by: 0,
                },
                flags: Vec::new(),
                certifications: Vec::new(),
            },
        );
    }
    let filter = RollupFilter {
        metal: request.mineral,
        ..RollupFilter::default()
    };
    for s in rollup::rollup(conn, organisation, &filter)?.smelters {
        let facility_id = s.matched.facility_id;
        let entry = found.entry(s.key.clone()).or_insert_with(|| ReportSmelter {
            facility_id,
            name: s.name.clone(),
            kind: None,
            country: s.country,
            cid: s.cid.clone(),
            metals: Vec::new(),
            sources: SmelterSources::default(),
            flags: Vec::new(),
            certifications: Vec::new(),
        });
        entry.sources.declared_by = s.supplier_count;
        entry.flags = s.red_flags;
        let metals: BTreeSet<Mineral> = entry.metals.iter().chain(&s.metals).copied().collect();
        entry.metals = metals.into_iter().collect();
        if entry.kind.is_none()
            && let Some(id) = facility_id
        {
            entry.kind = facility::find(conn, id)?.map(|f| f.kind);
        }
    }
    let mut smelters: Vec<ReportSmelter> = found.into_values().collect();
    for s in &mut smelters {
        if let Some(id) = s.facility_id {
            s.certifications = standings(conn, id, request.mineral, from, to)?;
        }
    }
    smelters.sort_by(|a, b| (&a.name, a.facility_id).cmp(&(&b.name, b.facility_id)));
    Ok(smelters)
}

/// The organisation's report for `request`.
pub fn due_diligence(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    request: &ReportRequest,
    tolerance: YieldTolerance,
) -> Result<DueDiligenceReport, AppError> {
    let (from, to) = request.period();
    let organisation = organisation::find(conn, organisation_id)?
        .ok_or_else(|| AppError::not_found(format!("no organisation {organisation_id}")))?;
    let scope = PurchaseScope {
        supplier: None,
        mineral: request.mineral,
        from: Some(from),
        to: Some(to),
    };
    Ok(DueDiligenceReport {
        year: request.year,
        mineral: request.mineral,
        from,
        to,
        generated_at: time::now(),
        organisation_id,
        organisation_name: organisation.name,
        profile: organisation_profile::own(conn, organisation_id)?,
        policy: policy::get(conn, organisation_id)?,
        mix: mix_of(conn, organisation_id, request, "")?,
        mix_by_month: mix_of(conn, organisation_id, request, "month")?,
        mix_by_country: mix_of(conn, organisation_id, request, "country")?,
        smelters: smelters(conn, organisation_id, request)?,
        red_flags: red_flag_cases::of_period(conn, organisation_id, &scope, tolerance)?,
        declarations: coverage::coverage(conn, organisation_id, from, to)?,
    })
}

/// This year (UTC), the default of a report's `year`.
pub fn this_year() -> i32 {
    time::now().year()
}
