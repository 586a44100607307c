//! The typed rows of the certification tables, and how rows become certificates.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::*;
use crate::db::DbConn;
use crate::db::schema::{certification_history, certification_minerals, certifications};
use crate::domain::certification::{Snapshot, standing_on};
use crate::domain::ids::{CertificationEntryId, CertificationId, FacilityId, PartyId};
use crate::domain::time;
use crate::domain::vocabulary::{Mineral, SubjectType};
use crate::store::StoreError;
use crate::store::audit::Actor;
use std::collections::HashMap;

use crate::store::catalog::{by_owner, chunked, take_sorted};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = certifications)]
pub(super) struct CertificationRow {
    pub(super) id: CertificationId,
    pub(super) scheme_id: String,
    pub(super) facility_id: Option<FacilityId>,
    pub(super) party_id: Option<PartyId>,
    pub(super) level: Option<String>,
    pub(super) status: CertificationStatus,
    pub(super) valid_from: NaiveDate,
    pub(super) valid_until: Option<NaiveDate>,
    pub(super) certificate_number: Option<String>,
    pub(super) assurance_body: Option<String>,
    pub(super) evidence_url: Option<String>,
    pub(super) evidence_sha256: Option<String>,
    pub(super) created_at: NaiveDateTime,
    pub(super) updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = certification_history)]
pub(super) struct HistoryRow {
    pub(super) id: CertificationEntryId,
    pub(super) certification_id: CertificationId,
    pub(super) effective_on: NaiveDate,
    pub(super) status: CertificationStatus,
    pub(super) level: Option<String>,
    pub(super) valid_from: NaiveDate,
    pub(super) valid_until: Option<NaiveDate>,
    pub(super) reason: Option<String>,
    pub(super) recorded_by_organisation_id: OrganisationId,
    pub(super) recorded_by_client_id: Option<String>,
    pub(super) recorded_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = certification_minerals)]
pub(super) struct MineralRow {
    pub(super) certification_id: CertificationId,
    pub(super) mineral: Mineral,
}

pub(super) fn row_of(
    id: CertificationId,
    c: &NewCertification,
    now: NaiveDateTime,
) -> CertificationRow {
    let (facility_id, party_id) = match c.subject.subject_type {
        SubjectType::Facility => (Some(FacilityId(c.subject.id)), None),
        SubjectType::Party => (None, Some(PartyId(c.subject.id))),
    };
    CertificationRow {
        id,
        scheme_id: c.scheme.clone(),
        facility_id,
        party_id,
        level: c.level.clone(),
        status: c.status,
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        certificate_number: c.certificate_number.clone(),
        assurance_body: c.assurance_body.clone(),
        evidence_url: c.evidence_url.clone(),
        evidence_sha256: c.evidence_sha256.clone(),
        created_at: now,
        updated_at: now,
    }
}

pub(super) fn history_row(
    id: CertificationId,
    c: &NewCertification,
    change: &Change,
    actor: &Actor,
    now: NaiveDateTime,
) -> HistoryRow {
    HistoryRow {
        id: CertificationEntryId::generate(),
        certification_id: id,
        effective_on: change.effective_on,
        status: c.status,
        level: c.level.clone(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        reason: change.reason.clone(),
        recorded_by_organisation_id: actor.organisation_id,
        recorded_by_client_id: actor.client_id.clone(),
        recorded_at: now,
    }
}

pub(super) fn mineral_rows(id: CertificationId, c: &NewCertification) -> Vec<MineralRow> {
    c.minerals
        .iter()
        .map(|&mineral| MineralRow {
            certification_id: id,
            mineral,
        })
        .collect()
}

impl From<HistoryRow> for HistoryEntry {
    fn from(e: HistoryRow) -> HistoryEntry {
        HistoryEntry {
            effective_on: e.effective_on,
            status: e.status,
            level: e.level,
            valid_from: e.valid_from,
            valid_until: e.valid_until,
            reason: e.reason,
            recorded_by: RecordedBy {
                organisation_id: e.recorded_by_organisation_id,
                client_id: e.recorded_by_client_id,
            },
            recorded_at: time::from_db(e.recorded_at),
        }
    }
}

/// The minerals in scope of each of `ids` (one query per chunk), in the order stored.
pub fn minerals_of(
    conn: &mut DbConn,
    ids: &[CertificationId],
) -> Result<HashMap<CertificationId, Vec<Mineral>>, StoreError> {
    Ok(by_owner(chunked(ids, |chunk| {
        Ok(certification_minerals::table
            .filter(certification_minerals::certification_id.eq_any(chunk))
            .select((
                certification_minerals::certification_id,
                certification_minerals::mineral,
            ))
            .load::<(CertificationId, Mineral)>(conn)?)
    })?))
}

/// Loads the minerals and history of `rows` (one query each per chunk) and builds the
/// certificates.
pub(super) fn assemble(
    conn: &mut DbConn,
    rows: Vec<CertificationRow>,
) -> Result<Vec<Certification>, StoreError> {
    let today = time::now().date_naive();
    let ids: Vec<CertificationId> = rows.iter().map(|r| r.id).collect();
    let mut minerals = minerals_of(conn, &ids)?;
    let mut history = by_owner(chunked(&ids, |chunk| {
        let entries = certification_history::table
            .filter(certification_history::certification_id.eq_any(chunk))
            .select(HistoryRow::as_select())
            .load(conn)?;
        Ok(entries
            .into_iter()
            .map(|e| (e.certification_id, HistoryEntry::from(e)))
            .collect())
    })?);
    rows.into_iter()
        .map(|row| {
            let own_minerals = take_sorted(&mut minerals, &row.id);
            let mut own_history = history.remove(&row.id).unwrap_or_default();
            own_history.sort_by(|a, b| {
                a.effective_on
                    .cmp(&b.effective_on)
                    .then(a.recorded_at.cmp(&b.recorded_at))
            });
            let subject = match (row.facility_id, row.party_id) {
                (Some(f), None) => CertificationSubject {
                    subject_type: SubjectType::Facility,
                    id: f.0,
                },
                (None, Some(p)) => CertificationSubject {
                    subject_type: SubjectType::Party,
                    id: p.0,
                },
                _ => return Err(StoreError::corrupt("certification without one subject")),
            };
            let snapshots: Vec<Snapshot> = own_history.iter().map(HistoryEntry::snapshot).collect();
            Ok(Certification {
                id: row.id,
                subject,
                scheme: row.scheme_id,
                level: row.level,
                status: row.status,
                valid_from: row.valid_from,
                valid_until: row.valid_until,
                certificate_number: row.certificate_number,
                assurance_body: row.assurance_body,
                evidence_url: row.evidence_url,
                evidence_sha256: row.evidence_sha256,
                minerals: own_minerals,
                effective_status: standing_on(&snapshots, today).status,
                effective_on: today,
                history: own_history,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}
