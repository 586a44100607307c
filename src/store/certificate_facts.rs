//! Loads what the policy needs to judge a subject's certificates on any date: each
//! certificate's scheme, scheme levels, minerals in scope and full history, in a few set-based
//! queries (never one per certificate).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{certification_history, certifications, schemes};
use crate::domain::certification::Snapshot;
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::policy::{CertificateFacts, SchemeInfo};
use crate::domain::time;
use crate::domain::vocabulary::{CertificationStatus, SchemeSubject};
use crate::store::catalog::{by_owner, chunked};
use crate::store::{StoreError, certification};

/// Every scheme's id, levels (lowest first) and subjects.
pub fn scheme_infos(conn: &mut DbConn) -> Result<Vec<SchemeInfo>, StoreError> {
    let rows: Vec<(String, String, String)> = schemes::table
        .select((schemes::id, schemes::levels, schemes::subjects))
        .order(schemes::id)
        .load(conn)?;
    rows.into_iter()
        .map(|(id, levels, subjects)| {
            let levels: Vec<String> = serde_json::from_str(&levels)
                .map_err(|e| StoreError::corrupt(format!("scheme {id} levels: {e}")))?;
            let subjects: Vec<String> = serde_json::from_str(&subjects)
                .map_err(|e| StoreError::corrupt(format!("scheme {id} subjects: {e}")))?;
            Ok(SchemeInfo {
                subjects: subjects
                    .iter()
                    .filter_map(|s| SchemeSubject::parse(s))
                    .collect(),
                id,
                levels,
            })
        })
        .collect()
}

/// The facilities holding a certificate whose standing may differ, on some day after `after`
/// and on or before `through`, from the day before: the days `domain::mix::change_days` names
/// (a recorded state's effective day, the first day of its validity, the day after its last).
/// Every other facility stands on each of those days as it stood on `after`.
pub fn facilities_changing(
    conn: &mut DbConn,
    after: NaiveDate,
    through: NaiveDate,
) -> Result<Vec<FacilityId>, StoreError> {
    use certification_history as h;
    Ok(certifications::table
        .inner_join(h::table)
        .filter(certifications::facility_id.is_not_null())
        .filter(
            h::effective_on
                .gt(after)
                .and(h::effective_on.le(through))
                .or(h::valid_from.gt(after).and(h::valid_from.le(through)))
                // The day after the last day of validity, in (after, through].
                .or(h::valid_until.ge(after).and(h::valid_until.lt(through))),
        )
        .select(certifications::facility_id.assume_not_null())
        .distinct()
        .load(conn)?)
}

/// Whose certificates to load.
#[derive(Clone, Copy)]
pub enum Subject {
    Facility,
    Party,
}

type HistoryRow = (
    CertificationId,
    NaiveDate,
    NaiveDateTime,
    CertificationStatus,
    Option<String>,
    NaiveDate,
    Option<NaiveDate>,
);

/// A certificate, its subject (of the kind asked for) and its scheme.
type Held = (CertificationId, Option<FacilityId>, Option<PartyId>, String);

/// The certificates of each subject id, with their histories.
pub fn for_subjects(
    conn: &mut DbConn,
    subject: Subject,
    ids: &[String],
) -> Result<HashMap<String, Vec<CertificateFacts>>, StoreError> {
    let levels: HashMap<String, Vec<String>> = scheme_infos(conn)?
        .into_iter()
        .map(|s| (s.id, s.levels))
        .collect();
    let held: Vec<Held> = chunked(ids, |chunk| {
        let query = certifications::table
            .select((
                certifications::id,
                certifications::facility_id,
                certifications::party_id,
                certifications::scheme_id,
            ))
            .into_boxed();
        let query = match subject {
            Subject::Facility => query.filter(certifications::facility_id.eq_any(chunk)),
            Subject::Party => query.filter(certifications::party_id.eq_any(chunk)),
        };
        Ok(query.load(conn)?)
    })?;
    let certificates: Vec<(CertificationId, String, String)> = held
        .into_iter()
        .filter_map(|(id, facility, party, scheme)| {
            let owner = match subject {
                Subject::Facility => facility.map(|f| f.to_string()),
                Subject::Party => party.map(|p| p.to_string()),
            };
            owner.map(|owner| (id, owner, scheme))
        })
        .collect();
    let certificate_ids: Vec<CertificationId> = certificates.iter().map(|(id, ..)| *id).collect();
    let mut minerals = certification::minerals_of(conn, &certificate_ids)?;
    let mut histories = by_owner(chunked(&certificate_ids, |chunk| {
        let rows: Vec<HistoryRow> = certification_history::table
            .filter(certification_history::certification_id.eq_any(chunk))
            .select((
                certification_history::certification_id,
                certification_history::effective_on,
                certification_history::recorded_at,
                certification_history::status,
                certification_history::level,
                certification_history::valid_from,
                certification_history::valid_until,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, effective_on, recorded_at, status, level, from, until)| {
                    let snapshot = Snapshot {
                        effective_on,
                        recorded_at: time::from_db(recorded_at),
                        status,
                        level,
                        valid_from: from,
                        valid_until: until,
                    };
                    (id, snapshot)
                },
            )
            .collect())
    })?);
    let mut by_subject: HashMap<String, Vec<CertificateFacts>> = HashMap::new();
    for (id, owner, scheme) in certificates {
        by_subject.entry(owner).or_default().push(CertificateFacts {
            levels_of_scheme: levels.get(&scheme).cloned().unwrap_or_default(),
            minerals: minerals.remove(&id).unwrap_or_default(),
            history: histories.remove(&id).unwrap_or_default(),
            scheme,
            id: id.to_string(),
        });
    }
    Ok(by_subject)
}
