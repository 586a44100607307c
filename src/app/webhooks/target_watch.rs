//! `sourcing_target.missed`: a target of the organisation's policy is no longer met for the
//! current period (the calendar year to date, UTC) after a write. Run by the organisation's
//! sweep ([`super::sweep`]) with the mix `GET /v1/sourcing-mix` answers for the same period; a
//! target is identified by its mineral, metric, comparison and share, so a policy that changes
//! a target's share makes it another target.

use chrono::{Datelike, NaiveDate};
use serde_json::json;

use crate::app::AppError;
use crate::app::sourcing_mix::{MixRequest, sourcing_mix};
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::mix::{GroupBy, TargetResult};
use crate::domain::webhook::EventType;
use crate::store::webhook::target_state;

use super::announce::announce;

/// The current period: the calendar year of `today`, to `today`.
pub fn period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        today,
    )
}

fn key(target: &TargetResult) -> String {
    format!(
        "{}|{}|{}|{}",
        target.mineral.map(|m| m.to_string()).unwrap_or_default(),
        target.metric,
        target.comparison,
        target.share
    )
}

/// The policy's targets and how the current period's mix meets them.
pub fn current(
    conn: &mut DbConn,
    organisation: OrganisationId,
    today: NaiveDate,
) -> Result<Vec<TargetResult>, AppError> {
    let (from, to) = period(today);
    let group_by = GroupBy::new(&[]).map_err(AppError::internal)?;
    let request = MixRequest {
        from,
        to,
        mineral: None,
        group_by,
        unit: None,
    };
    Ok(sourcing_mix(conn, organisation, &request)?.report.targets)
}

/// Announces each target met before (or not seen before) and missed now; records them all.
/// Answers how many were announced.
pub fn apply(
    conn: &mut DbConn,
    organisation: OrganisationId,
    quiet: bool,
    today: NaiveDate,
    targets: &[TargetResult],
) -> Result<usize, AppError> {
    let (from, to) = period(today);
    let before = target_state::seen(conn, organisation, from)?;
    let mut announced = 0;
    for target in targets {
        let key = key(target);
        let was_met = before.get(&key).copied().unwrap_or(true);
        if was_met && !target.met && !quiet {
            announce(
                conn,
                organisation,
                EventType::SourcingTargetMissed,
                json!({
                    "period": {"from": from, "to": to},
                    "target": target,
                }),
            )?;
            announced += 1;
        }
        if before.get(&key) != Some(&target.met) {
            target_state::record(conn, organisation, &key, from, target.met)?;
        }
    }
    Ok(announced)
}
