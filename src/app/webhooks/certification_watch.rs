//! `certification.status_changed`, `certification.level_changed` and `certification.expiring`,
//! for the certificates of the facilities and parties in an organisation's supply: the
//! suppliers of its purchases, the facilities its purchases declare as origins, and the
//! facilities and parties of its custody events, the traced ancestry of its lots (docs/WEBHOOKS.md).
//!
//! Run by the organisation's sweep ([`super::sweep`]), which catalog changes, the organisation's
//! writes and a new day request: each certificate's effective status and level today are
//! compared with what the sweep saw last. A certificate seen for the first time (it just
//! entered the supply) is recorded, not announced: its status did not change.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde_json::json;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::certification::{EffectiveStatus, Standing, standing_on};
use crate::domain::ids::OrganisationId;
use crate::domain::webhook::EventType;
use crate::store::certificate_facts::{self, Subject};
use crate::store::webhook::certification_state::{self, Seen};
use crate::store::webhook::subscription;

use super::announce::{announce, announce_to};

/// A certificate in the organisation's supply, as it stands today.
#[derive(Clone, Debug)]
pub struct Watched {
    pub certification_id: String,
    /// `facility` or `party`.
    pub subject_type: &'static str,
    pub subject_id: String,
    pub scheme: String,
    pub standing: Standing,
}

/// The certificates of the organisation's supply, as they stand on `today`.
pub fn current(
    conn: &mut DbConn,
    organisation: OrganisationId,
    today: NaiveDate,
) -> Result<Vec<Watched>, AppError> {
    let (facilities, parties) = certification_state::supply(conn, organisation)?;
    let mut watched = Vec::new();
    for (subject, ids, name) in [
        (Subject::Facility, facilities, "facility"),
        (Subject::Party, parties, "party"),
    ] {
        if ids.is_empty() {
            continue;
        }
        for (owner, certificates) in certificate_facts::for_subjects(conn, subject, &ids)? {
            for facts in certificates {
                watched.push(Watched {
                    standing: standing_on(&facts.history, today),
                    certification_id: facts.id,
                    subject_type: name,
                    subject_id: owner.clone(),
                    scheme: facts.scheme,
                });
            }
        }
    }
    watched.sort_by(|a, b| a.certification_id.cmp(&b.certification_id));
    Ok(watched)
}

fn described(w: &Watched, today: NaiveDate) -> serde_json::Value {
    json!({
        "certification_id": w.certification_id,
        "subject": {"type": w.subject_type, "id": w.subject_id},
        "scheme": w.scheme,
        "status": w.standing.status,
        "level": w.standing.level,
        "valid_until": w.standing.valid_until,
        "as_of": today,
    })
}

/// Announces what changed since the last sweep (nothing when `quiet`) and records what is seen
/// now; answers how many events were announced.
pub fn apply(
    conn: &mut DbConn,
    organisation: OrganisationId,
    quiet: bool,
    today: NaiveDate,
    watched: &[Watched],
) -> Result<usize, AppError> {
    let before: HashMap<String, Seen> = certification_state::seen(conn, organisation)?
        .into_iter()
        .map(|s| (s.certification_id.clone(), s))
        .collect();
    let notice_periods: BTreeSet<i32> = subscription::enabled(conn, organisation)?
        .iter()
        .filter(|s| s.wants(EventType::CertificationExpiring))
        .map(|s| s.expiring_days)
        .collect();
    let mut announced = 0;
    for w in watched {
        let now = Seen {
            certification_id: w.certification_id.clone(),
            status: w.standing.status.to_string(),
            level: w.standing.level.clone(),
        };
        match before.get(&w.certification_id) {
            Some(seen) if *seen == now => {}
            Some(seen) => {
                if seen.status != now.status && !quiet {
                    let mut data = described(w, today);
                    data["previous_status"] = seen.status.clone().into();
                    announce(
                        conn,
                        organisation,
                        EventType::CertificationStatusChanged,
                        data,
                    )?;
                    announced += 1;
                }
                if seen.level != now.level && !quiet {
                    let mut data = described(w, today);
                    data["previous_level"] = seen.level.clone().into();
                    announce(
                        conn,
                        organisation,
                        EventType::CertificationLevelChanged,
                        data,
                    )?;
                    announced += 1;
                }
                certification_state::record(conn, organisation, &now)?;
            }
            None => certification_state::record(conn, organisation, &now)?,
        }
        let (EffectiveStatus::Active, Some(last_day)) = (w.standing.status, w.standing.valid_until)
        else {
            continue;
        };
        let days_left = (last_day - today).num_days();
        for &notice in &notice_periods {
            if (0..=i64::from(notice)).contains(&days_left)
                && certification_state::notice_once(
                    conn,
                    organisation,
                    &w.certification_id,
                    last_day,
                    notice,
                )?
                && !quiet
            {
                let mut data = described(w, today);
                data["days_left"] = days_left.into();
                data["notice_days"] = notice.into();
                announce_to(
                    conn,
                    organisation,
                    EventType::CertificationExpiring,
                    data,
                    |s| s.expiring_days == notice,
                )?;
                announced += 1;
            }
        }
    }
    let now_ids: BTreeSet<&str> = watched
        .iter()
        .map(|w| w.certification_id.as_str())
        .collect();
    for id in before.keys().filter(|id| !now_ids.contains(id.as_str())) {
        certification_state::forget(conn, organisation, id)?;
    }
    Ok(announced)
}
