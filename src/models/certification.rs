//! Certificates of facilities and parties, with their history: every change of status, level
//! or validity is an entry that takes effect on its `effective_on` date. The as-of rules live in
//! `domain::certification`; this module stores and loads what they read.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::audit::Actor;
use super::catalog::{CHUNK, now_db, parse_stored};
use crate::db::DbConn;
use crate::db::schema::{certification_history, certification_minerals, certifications};
use crate::domain::certification::{EffectiveStatus, Snapshot, Standing, standing_on};
use crate::domain::ids::{CertificationEntryId, CertificationId, FacilityId, OrganisationId};
use crate::domain::time;
use crate::domain::vocabulary::{CertificationStatus, Mineral, SubjectType};
use crate::error::ApiError;

/// What a certificate is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationSubject {
    /// `facility` (a mine, smelter or refiner) or `party` (a company).
    #[serde(rename = "type")]
    pub subject_type: SubjectType,
    /// The facility's or party's id.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
}

/// Who recorded a history entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecordedBy {
    /// The organisation (the operator of the catalog).
    pub organisation_id: OrganisationId,
    /// The API client; null when recorded from the command line.
    pub client_id: Option<String>,
}

/// One state of a certificate and the day it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// The day this state took (or takes) effect, inclusive.
    pub effective_on: NaiveDate,
    /// The recorded status from that day.
    pub status: CertificationStatus,
    /// The level from that day, when the scheme has levels.
    pub level: Option<String>,
    /// The validity window from that day.
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    /// Why it changed (an audit finding, a renewal…).
    pub reason: Option<String>,
    /// Who recorded it.
    pub recorded_by: RecordedBy,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl HistoryEntry {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            effective_on: self.effective_on,
            recorded_at: self.recorded_at,
            status: self.status,
            level: self.level.clone(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        }
    }
}

/// A certificate of a facility or a party under a scheme.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Certification {
    pub id: CertificationId,
    /// What it certifies.
    pub subject: CertificationSubject,
    /// The scheme's id (see `GET /v1/schemes`).
    #[schema(example = "irma")]
    pub scheme: String,
    /// The latest recorded level (one of the scheme's levels; null for schemes without levels).
    pub level: Option<String>,
    /// The latest recorded status. What held on a given day is `effective_status` (today) or
    /// `GET /v1/facilities/{id}/certifications?as_of=` (any day).
    pub status: CertificationStatus,
    /// The first valid day.
    pub valid_from: NaiveDate,
    /// The last valid day; null when open-ended.
    pub valid_until: Option<NaiveDate>,
    /// The certificate number the scheme issued (unique within the scheme).
    pub certificate_number: Option<String>,
    /// The audit firm or assurance provider.
    pub assurance_body: Option<String>,
    /// Where the certificate or audit report can be read (http or https).
    pub evidence_url: Option<String>,
    /// SHA-256 of the evidence document, lower-case hex.
    pub evidence_sha256: Option<String>,
    /// The minerals in scope, in vocabulary order.
    pub minerals: Vec<Mineral>,
    /// The status today (UTC) under the as-of rules: `not_yet_valid` before the first valid day,
    /// `expired` for an active certificate after its last valid day, else the status in force.
    pub effective_status: EffectiveStatus,
    /// Every recorded state, in effective order.
    pub history: Vec<HistoryEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Certification {
    pub fn snapshots(&self) -> Vec<Snapshot> {
        self.history.iter().map(HistoryEntry::snapshot).collect()
    }

    /// Its standing on `date` (domain::certification::standing_on).
    pub fn standing_on(&self, date: NaiveDate) -> Standing {
        standing_on(&self.snapshots(), date)
    }

    /// The effective date of the latest entry: changes may not be recorded before it.
    pub fn latest_effective_on(&self) -> NaiveDate {
        self.history
            .iter()
            .map(|e| e.effective_on)
            .max()
            .unwrap_or(self.valid_from)
    }
}

/// A validated certificate, to create or to replace one with.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCertification {
    pub subject: CertificationSubject,
    pub scheme: String,
    pub level: Option<String>,
    pub status: CertificationStatus,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub certificate_number: Option<String>,
    pub assurance_body: Option<String>,
    pub evidence_url: Option<String>,
    pub evidence_sha256: Option<String>,
    pub minerals: Vec<Mineral>,
}

impl NewCertification {
    /// The minerals in vocabulary order, as stored.
    pub fn sorted_minerals(&self) -> Vec<Mineral> {
        let mut minerals = self.minerals.clone();
        minerals.sort();
        minerals.dedup();
        minerals
    }

    /// Whether the status, level or validity differ from `c`'s latest recorded state: such a
    /// change is a history entry.
    pub fn changes_standing(&self, c: &Certification) -> bool {
        self.status != c.status
            || self.level != c.level
            || self.valid_from != c.valid_from
            || self.valid_until != c.valid_until
    }

    /// Whether `c` already holds exactly this content.
    pub fn matches(&self, c: &Certification) -> bool {
        !self.changes_standing(c)
            && self.subject == c.subject
            && self.scheme == c.scheme
            && self.certificate_number == c.certificate_number
            && self.assurance_body == c.assurance_body
            && self.evidence_url == c.evidence_url
            && self.evidence_sha256 == c.evidence_sha256
            && self.sorted_minerals() == c.minerals
    }
}

/// When and why a change of standing takes effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub effective_on: NaiveDate,
    pub reason: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = certifications)]
struct CertificationRow {
    id: String,
    scheme_id: String,
    facility_id: Option<String>,
    party_id: Option<String>,
    level: Option<String>,
    status: String,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    certificate_number: Option<String>,
    assurance_body: Option<String>,
    evidence_url: Option<String>,
    evidence_sha256: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = certification_history)]
struct HistoryRow {
    id: String,
    certification_id: String,
    effective_on: NaiveDate,
    status: String,
    level: Option<String>,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    reason: Option<String>,
    recorded_by_organisation_id: String,
    recorded_by_client_id: Option<String>,
    recorded_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = certification_minerals)]
struct MineralRow {
    certification_id: String,
    mineral: String,
}

/// Filters of a certificate list that the database evaluates; all given filters must match.
#[derive(Clone, Debug, Default)]
pub struct CertificationFilter {
    pub scheme: Option<String>,
    /// The latest recorded status.
    pub status: Option<CertificationStatus>,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<uuid::Uuid>,
    pub mineral: Option<Mineral>,
    /// Only certificates whose last valid day is before this date.
    pub expiring_before: Option<NaiveDate>,
}

fn row_of(id: CertificationId, c: &NewCertification, now: NaiveDateTime) -> CertificationRow {
    let (facility_id, party_id) = match c.subject.subject_type {
        SubjectType::Facility => (Some(c.subject.id.to_string()), None),
        SubjectType::Party => (None, Some(c.subject.id.to_string())),
    };
    CertificationRow {
        id: id.to_string(),
        scheme_id: c.scheme.clone(),
        facility_id,
        party_id,
        level: c.level.clone(),
        status: c.status.as_str().to_owned(),
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

fn history_row(
    id: CertificationId,
    c: &NewCertification,
    change: &Change,
    actor: &Actor,
    now: NaiveDateTime,
) -> HistoryRow {
    HistoryRow {
        id: CertificationEntryId::generate().to_string(),
        certification_id: id.to_string(),
        effective_on: change.effective_on,
        status: c.status.as_str().to_owned(),
        level: c.level.clone(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        reason: change.reason.clone(),
        recorded_by_organisation_id: actor.organisation_id.to_string(),
        recorded_by_client_id: actor.client_id.clone(),
        recorded_at: now,
    }
}

fn mineral_rows(id: CertificationId, c: &NewCertification) -> Vec<MineralRow> {
    c.minerals
        .iter()
        .map(|m| MineralRow {
            certification_id: id.to_string(),
            mineral: m.as_str().to_owned(),
        })
        .collect()
}

/// Fails with 409 when `number` is already used by another certificate of the scheme.
pub fn check_number_free(
    conn: &mut DbConn,
    own: Option<CertificationId>,
    scheme: &str,
    number: Option<&str>,
) -> Result<(), ApiError> {
    let Some(number) = number else {
        return Ok(());
    };
    let key = (scheme.to_owned(), number.to_owned());
    if let Some(owner) = number_owners(conn, std::slice::from_ref(&key))?.get(&key)
        && Some(*owner) != own
    {
        return Err(ApiError::conflict(format!(
            "the certificate number {number} of scheme {scheme} is already used by certification {owner}"
        )));
    }
    Ok(())
}

/// Creates certificates with the given ids, each with its first history entry, effective on
/// its `valid_from` (one multi-row insert per table and chunk).
pub fn insert_many(
    conn: &mut DbConn,
    actor: &Actor,
    new: &[(CertificationId, NewCertification, Option<String>)],
) -> Result<(), ApiError> {
    let now = now_db();
    let rows: Vec<CertificationRow> = new.iter().map(|(id, c, _)| row_of(*id, c, now)).collect();
    for chunk in rows.chunks(500) {
        crate::db_run!(conn => diesel::insert_into(certifications::table).values(chunk).execute(conn))?;
    }
    let history: Vec<HistoryRow> = new
        .iter()
        .map(|(id, c, reason)| {
            let first = Change {
                effective_on: c.valid_from,
                reason: reason.clone(),
            };
            history_row(*id, c, &first, actor, now)
        })
        .collect();
    for chunk in history.chunks(500) {
        crate::db_run!(conn => diesel::insert_into(certification_history::table).values(chunk).execute(conn))?;
    }
    let minerals: Vec<MineralRow> = new
        .iter()
        .flat_map(|(id, c, _)| mineral_rows(*id, c))
        .collect();
    for chunk in minerals.chunks(CHUNK) {
        crate::db_run!(conn => diesel::insert_into(certification_minerals::table).values(chunk).execute(conn))?;
    }
    Ok(())
}

/// Creates a certificate; 409 when its number is taken within the scheme.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    c: &NewCertification,
    reason: Option<String>,
) -> Result<Certification, ApiError> {
    check_number_free(conn, None, &c.scheme, c.certificate_number.as_deref())?;
    let id = CertificationId::generate();
    insert_many(conn, actor, &[(id, c.clone(), reason)])?;
    find(conn, id)?.ok_or_else(|| ApiError::internal("certification vanished after insert"))
}

/// Replaces a certificate's content. When its status, level or validity change, records a
/// history entry effective on `change.effective_on`. The caller has checked that the date is
/// not before the latest entry's. Returns whether an entry was recorded.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    current: &Certification,
    c: &NewCertification,
    change: &Change,
) -> Result<bool, ApiError> {
    check_number_free(
        conn,
        Some(current.id),
        &c.scheme,
        c.certificate_number.as_deref(),
    )?;
    let key = current.id.to_string();
    let now = now_db();
    diesel::update(certifications::table.find(&key))
        .set((
            certifications::level.eq(&c.level),
            certifications::status.eq(c.status.as_str()),
            certifications::valid_from.eq(c.valid_from),
            certifications::valid_until.eq(c.valid_until),
            certifications::certificate_number.eq(&c.certificate_number),
            certifications::assurance_body.eq(&c.assurance_body),
            certifications::evidence_url.eq(&c.evidence_url),
            certifications::evidence_sha256.eq(&c.evidence_sha256),
            certifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    if c.sorted_minerals() != current.minerals {
        diesel::delete(
            certification_minerals::table.filter(certification_minerals::certification_id.eq(&key)),
        )
        .execute(conn)?;
        let rows = mineral_rows(current.id, c);
        crate::db_run!(conn => diesel::insert_into(certification_minerals::table).values(&rows).execute(conn))?;
    }
    let record = c.changes_standing(current);
    if record {
        let row = history_row(current.id, c, change, actor, now);
        diesel::insert_into(certification_history::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(record)
}

pub fn find(conn: &mut DbConn, id: CertificationId) -> Result<Option<Certification>, ApiError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The certificates with these ids (those that exist), in id order.
pub fn find_many(
    conn: &mut DbConn,
    ids: &[CertificationId],
) -> Result<Vec<Certification>, ApiError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        rows.extend(
            certifications::table
                .filter(certifications::id.eq_any(&keys))
                .select(CertificationRow::as_select())
                .load(conn)?,
        );
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    assemble(conn, rows)
}

/// The certificates that hold any of the `(scheme, certificate_number)` pairs.
pub fn number_owners(
    conn: &mut DbConn,
    numbers: &[(String, String)],
) -> Result<HashMap<(String, String), CertificationId>, ApiError> {
    let wanted: HashSet<&(String, String)> = numbers.iter().collect();
    let values: Vec<String> = numbers
        .iter()
        .map(|(_, n)| n.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut owners = HashMap::new();
    for chunk in values.chunks(CHUNK) {
        let rows: Vec<(String, Option<String>, String)> = certifications::table
            .filter(certifications::certificate_number.eq_any(chunk))
            .select((
                certifications::scheme_id,
                certifications::certificate_number,
                certifications::id,
            ))
            .load(conn)?;
        for (scheme, number, id) in rows {
            let Some(number) = number else { continue };
            let key = (scheme, number);
            if wanted.contains(&key) {
                owners.insert(key, parse_stored("certification id", &id)?);
            }
        }
    }
    Ok(owners)
}

/// Up to `limit` certificates after `after` (by id) matching `filter`, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &CertificationFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Certification>, ApiError> {
    let mut query = certifications::table
        .select(CertificationRow::as_select())
        .order(certifications::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(certifications::id.gt(after.to_owned()));
    }
    if let Some(scheme) = &filter.scheme {
        query = query.filter(certifications::scheme_id.eq(scheme.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(certifications::status.eq(status.as_str()));
    }
    match filter.subject_type {
        Some(SubjectType::Facility) => {
            query = query.filter(certifications::facility_id.is_not_null());
            if let Some(id) = filter.subject_id {
                query = query.filter(certifications::facility_id.eq(id.to_string()));
            }
        }
        Some(SubjectType::Party) => {
            query = query.filter(certifications::party_id.is_not_null());
            if let Some(id) = filter.subject_id {
                query = query.filter(certifications::party_id.eq(id.to_string()));
            }
        }
        None => {
            if let Some(id) = filter.subject_id {
                query = query.filter(
                    certifications::facility_id
                        .eq(id.to_string())
                        .or(certifications::party_id.eq(id.to_string())),
                );
            }
        }
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(
            certifications::id.eq_any(
                certification_minerals::table
                    .filter(certification_minerals::mineral.eq(mineral.as_str()))
                    .select(certification_minerals::certification_id),
            ),
        );
    }
    if let Some(before) = filter.expiring_before {
        query = query.filter(certifications::valid_until.lt(before));
    }
    let rows = query.load(conn)?;
    assemble(conn, rows)
}

/// Which of `facilities` hold a certificate of `scheme` that is active on `date` under the
/// as-of rules.
pub fn facilities_active_on(
    conn: &mut DbConn,
    scheme: &str,
    facilities: &[FacilityId],
    date: NaiveDate,
) -> Result<HashSet<FacilityId>, ApiError> {
    let mut active = HashSet::new();
    for chunk in facilities.chunks(CHUNK) {
        let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let rows: Vec<CertificationRow> = certifications::table
            .filter(certifications::scheme_id.eq(scheme))
            .filter(certifications::facility_id.eq_any(&keys))
            .select(CertificationRow::as_select())
            .load(conn)?;
        for c in assemble(conn, rows)? {
            if c.standing_on(date).is_active() {
                active.insert(FacilityId(c.subject.id));
            }
        }
    }
    Ok(active)
}

/// Loads the minerals and history of `rows` (one query each) and builds the certificates.
fn assemble(
    conn: &mut DbConn,
    rows: Vec<CertificationRow>,
) -> Result<Vec<Certification>, ApiError> {
    let today = time::now().date_naive();
    let keys: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut minerals: HashMap<String, Vec<Mineral>> = HashMap::new();
    let mut history: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let mineral_rows: Vec<(String, String)> = certification_minerals::table
            .filter(certification_minerals::certification_id.eq_any(chunk))
            .select((
                certification_minerals::certification_id,
                certification_minerals::mineral,
            ))
            .load(conn)?;
        for (id, mineral) in mineral_rows {
            minerals
                .entry(id)
                .or_default()
                .push(parse_stored("mineral", &mineral)?);
        }
        let entries: Vec<HistoryRow> = certification_history::table
            .filter(certification_history::certification_id.eq_any(chunk))
            .select(HistoryRow::as_select())
            .load(conn)?;
        for e in entries {
            history
                .entry(e.certification_id.clone())
                .or_default()
                .push(HistoryEntry {
                    effective_on: e.effective_on,
                    status: parse_stored("certification status", &e.status)?,
                    level: e.level,
                    valid_from: e.valid_from,
                    valid_until: e.valid_until,
                    reason: e.reason,
                    recorded_by: RecordedBy {
                        organisation_id: parse_stored(
                            "organisation id",
                            &e.recorded_by_organisation_id,
                        )?,
                        client_id: e.recorded_by_client_id,
                    },
                    recorded_at: time::from_db(e.recorded_at),
                });
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut own_minerals = minerals.remove(&row.id).unwrap_or_default();
            own_minerals.sort();
            let mut own_history = history.remove(&row.id).unwrap_or_default();
            own_history.sort_by(|a, b| {
                a.effective_on
                    .cmp(&b.effective_on)
                    .then(a.recorded_at.cmp(&b.recorded_at))
            });
            let subject = match (&row.facility_id, &row.party_id) {
                (Some(f), None) => CertificationSubject {
                    subject_type: SubjectType::Facility,
                    id: parse_stored("facility id", f)?,
                },
                (None, Some(p)) => CertificationSubject {
                    subject_type: SubjectType::Party,
                    id: parse_stored("party id", p)?,
                },
                _ => return Err(ApiError::internal("certification without one subject")),
            };
            let snapshots: Vec<Snapshot> = own_history.iter().map(HistoryEntry::snapshot).collect();
            Ok(Certification {
                id: parse_stored("certification id", &row.id)?,
                subject,
                scheme: row.scheme_id,
                level: row.level,
                status: parse_stored("certification status", &row.status)?,
                valid_from: row.valid_from,
                valid_until: row.valid_until,
                certificate_number: row.certificate_number,
                assurance_body: row.assurance_body,
                evidence_url: row.evidence_url,
                evidence_sha256: row.evidence_sha256,
                minerals: own_minerals,
                effective_status: standing_on(&snapshots, today).status,
                history: own_history,
                created_at: time::from_db(row.created_at),
                updated_at: time::from_db(row.updated_at),
            })
        })
        .collect()
}
