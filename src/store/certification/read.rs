//! Reading certificates: by id, by number, filtered lists, and who is certified on a day.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::{certification_minerals, certifications};
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::vocabulary::SubjectType;
use crate::store::StoreError;
use crate::store::catalog::{CHUNK, chunked, owners};

pub fn find(conn: &mut DbConn, id: CertificationId) -> Result<Option<Certification>, StoreError> {
    Ok(find_many(conn, &[id])?.pop())
}

/// The certificates with these ids (those that exist), in id order.
pub fn find_many(
    conn: &mut DbConn,
    ids: &[CertificationId],
) -> Result<Vec<Certification>, StoreError> {
    let mut rows = chunked(ids, |chunk| {
        Ok(certifications::table
            .filter(certifications::id.eq_any(chunk))
            .select(CertificationRow::as_select())
            .load(conn)?)
    })?;
    rows.sort_by_key(|row| row.id);
    assemble(conn, rows)
}

/// A certificate number within its scheme: what names a known certificate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateNumber {
    pub scheme: String,
    pub number: String,
}

impl std::fmt::Display for CertificateNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {}", self.number, self.scheme)
    }
}

/// The certificates that hold any of `numbers` (one query per chunk of numbers).
pub fn number_owners(
    conn: &mut DbConn,
    numbers: &[CertificateNumber],
) -> Result<HashMap<CertificateNumber, CertificationId>, StoreError> {
    owners(
        numbers,
        |n| n.number.clone(),
        |values| {
            let rows = certifications::table
                .filter(certifications::certificate_number.eq_any(values))
                .select((
                    certifications::scheme_id,
                    certifications::certificate_number.assume_not_null(),
                    certifications::id,
                ))
                .load::<(String, String, CertificationId)>(conn)?;
            Ok(rows
                .into_iter()
                .map(|(scheme, number, id)| (CertificateNumber { scheme, number }, id))
                .collect())
        },
    )
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
        query = query.filter(certifications::status.eq(status));
    }
    match filter.subject_type {
        Some(SubjectType::Facility) => {
            query = query.filter(certifications::facility_id.is_not_null());
            if let Some(id) = filter.subject_id {
                query = query.filter(certifications::facility_id.eq(FacilityId(id)));
            }
        }
        Some(SubjectType::Party) => {
            query = query.filter(certifications::party_id.is_not_null());
            if let Some(id) = filter.subject_id {
                query = query.filter(certifications::party_id.eq(PartyId(id)));
            }
        }
        None => {
            if let Some(id) = filter.subject_id {
                query = query.filter(
                    certifications::facility_id
                        .eq(FacilityId(id))
                        .or(certifications::party_id.eq(PartyId(id))),
                );
            }
        }
    }
    if let Some(mineral) = filter.mineral {
        query = query.filter(
            certifications::id.eq_any(
                certification_minerals::table
                    .filter(certification_minerals::mineral.eq(mineral))
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
        let rows: Vec<CertificationRow> = certifications::table
            .filter(certifications::scheme_id.eq(scheme))
            .filter(certifications::facility_id.eq_any(chunk))
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
