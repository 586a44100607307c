//! The sourcing mix of a period: load (the rollup's cells, purchases with lots traced through
//! custody events, the certificates of every origin facility, the policy in force), classify
//! (each quantity certified or not on its purchase date, on what basis), compute (the pure
//! arithmetic of `domain::mix`).

use chrono::NaiveDate;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::mix::{self, GroupBy, MixReport};
use crate::domain::quantity::MassUnit;
use crate::domain::vocabulary::Mineral;
use crate::store::policy;

mod load;
mod traced;

/// What mix is asked for.
#[derive(Clone, Debug)]
pub struct MixRequest {
    /// The first and last purchase dates included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Only this mineral; none: all.
    pub mineral: Option<Mineral>,
    pub group_by: GroupBy,
    /// The unit the exact quantities are written in; none: the policy's reporting unit.
    pub unit: Option<MassUnit>,
}

/// The mix, and whether the organisation's own policy decided it (rather than the default).
#[derive(Clone, Debug)]
pub struct Mix {
    pub report: MixReport,
    pub organisation_policy: bool,
    /// The unit the exact quantities are written in.
    pub unit: MassUnit,
}

/// The organisation's sourcing mix for `request`.
pub fn sourcing_mix(
    conn: &mut DbConn,
    organisation: OrganisationId,
    request: &MixRequest,
) -> Result<Mix, AppError> {
    let stored = policy::get(conn, organisation)?;
    let (origins, certificates) = load::origins(conn, organisation, request)?;
    let lines = mix::classify(origins, &stored.policy, &certificates);
    let unit = request.unit.unwrap_or(stored.policy.reporting_unit);
    let report = mix::compute(&lines, &request.group_by, &stored.policy.targets, unit)
        .map_err(AppError::internal)?;
    Ok(Mix {
        report,
        organisation_policy: stored.updated_at.is_some(),
        unit,
    })
}
