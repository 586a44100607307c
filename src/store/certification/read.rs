//! Reading certificates: by id, by number, filtered lists, and who is certified on a day.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{certification_minerals, certifications};
use crate::domain::ids::{CertificationId, FacilityId};
use crate::domain::vocabulary::SubjectType;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, parse_stored};

pub fn find(conn: &mut DbConn, id: CertificationId) -> Result<Option<Certification>, StoreError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The certificates with these ids (those that exist), in id order.
pub fn find_many(
    conn: &mut DbConn,
    ids: &[CertificationId],
) -> Result<Vec<Certification>, StoreError> {
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
) -> Result<HashMap<(String, String), CertificationId>, StoreError> {
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
) -> Result<Vec<Certification>, StoreError> {
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
) -> Result<HashSet<FacilityId>, StoreError> {
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
