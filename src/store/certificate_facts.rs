//! Loads what the policy needs to judge a subject's certificates on any date: each
//! certificate's scheme, scheme levels, minerals in scope and full history, in a few set-based
//! queries (never one per certificate).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{certification_history, certification_minerals, certifications, schemes};
use crate::domain::certification::Snapshot;
use crate::domain::policy::{CertificateFacts, SchemeInfo};
use crate::domain::time;
use crate::domain::vocabulary::{CertificationStatus, Mineral, SchemeSubject};
use crate::store::StoreError;

const CHUNK: usize = 500;

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

/// Whose certificates to load.
#[derive(Clone, Copy)]
pub enum Subject {
    Facility,
    Party,
}

type HistoryRow = (
    String,
    NaiveDate,
    NaiveDateTime,
    String,
    Option<String>,
    NaiveDate,
    Option<NaiveDate>,
);

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
    let mut certificates: Vec<(String, String, String)> = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(String, Option<String>, Option<String>, String)> = match subject {
            Subject::Facility => certifications::table
                .filter(certifications::facility_id.eq_any(chunk))
                .select((
                    certifications::id,
                    certifications::facility_id,
                    certifications::party_id,
                    certifications::scheme_id,
                ))
                .load(conn)?,
            Subject::Party => certifications::table
                .filter(certifications::party_id.eq_any(chunk))
                .select((
                    certifications::id,
                    certifications::facility_id,
                    certifications::party_id,
                    certifications::scheme_id,
                ))
                .load(conn)?,
        };
        for (id, facility, party, scheme) in rows {
            let owner = match subject {
                Subject::Facility => facility,
                Subject::Party => party,
            };
            if let Some(owner) = owner {
                certificates.push((id, owner, scheme));
            }
        }
    }
    let certificate_ids: Vec<String> = certificates.iter().map(|(id, _, _)| id.clone()).collect();
    let mut minerals: HashMap<String, Vec<Mineral>> = HashMap::new();
    let mut histories: HashMap<String, Vec<Snapshot>> = HashMap::new();
    for chunk in certificate_ids.chunks(CHUNK) {
        let rows: Vec<(String, String)> = certification_minerals::table
            .filter(certification_minerals::certification_id.eq_any(chunk))
            .select((
                certification_minerals::certification_id,
                certification_minerals::mineral,
            ))
            .load(conn)?;
        for (id, mineral) in rows {
            if let Some(mineral) = Mineral::parse(&mineral) {
                minerals.entry(id).or_default().push(mineral);
            }
        }
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
        for (id, effective_on, recorded_at, status, level, valid_from, valid_until) in rows {
            let status = CertificationStatus::parse(&status)
                .ok_or_else(|| StoreError::corrupt(format!("bad certification status {status}")))?;
            histories.entry(id).or_default().push(Snapshot {
                effective_on,
                recorded_at: time::from_db(recorded_at),
                status,
                level,
                valid_from,
                valid_until,
            });
        }
    }
    let mut by_subject: HashMap<String, Vec<CertificateFacts>> = HashMap::new();
    for (id, owner, scheme) in certificates {
        by_subject.entry(owner).or_default().push(CertificateFacts {
            levels_of_scheme: levels.get(&scheme).cloned().unwrap_or_default(),
            minerals: minerals.remove(&id).unwrap_or_default(),
            history: histories.remove(&id).unwrap_or_default(),
            scheme,
            id,
        });
    }
    Ok(by_subject)
}
