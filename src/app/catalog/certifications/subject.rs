//! The subject of a certificate: named by id or by identifier (`rmi_cid:CID001234`), looked up
//! set-wise, and what it is (an ASM mine, an LSM mine, a smelter or refiner, a company).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::domain::identifiers;
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{FacilityKind, MiningScale, SubjectType};
use crate::store::StoreError;
use crate::store::certification::CertificationSubject;
use crate::store::facility::{self, FacilityIdentifier};
use crate::store::party::{self, PartyIdentifier};

use super::input::Parsed;

/// The subject of a certificate, by id or by identifier.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// `facility` or `party`.
    #[serde(rename = "type")]
    pub subject_type: SubjectType,
    /// The facility's or party's id; give this or `identifier`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub id: Option<uuid::Uuid>,
    /// One of its identifiers as `scheme:value`, such as `rmi_cid:CID001234` or
    /// `lei:5493001KJTIIGC8Y1R12`; give this or `id`.
    #[serde(default)]
    pub identifier: Option<String>,
}

/// A subject named by an identifier, to be looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectKey {
    Facility(FacilityIdentifier),
    Party(PartyIdentifier),
}

pub(super) fn subject_of(
    input: SubjectInput,
) -> Result<(CertificationSubject, Option<SubjectKey>), (String, String)> {
    let at_subject = |m: &str| ("/subject".to_owned(), m.to_owned());
    match (input.id, input.identifier) {
        (Some(id), None) => Ok((
            CertificationSubject {
                subject_type: input.subject_type,
                id,
            },
            None,
        )),
        (None, Some(text)) => {
            let at = |m: String| ("/subject/identifier".to_owned(), m);
            let key = match input.subject_type {
                SubjectType::Facility => identifiers::read_facility_identifier(&text)
                    .map(|(scheme, value)| {
                        SubjectKey::Facility(FacilityIdentifier { scheme, value })
                    })
                    .map_err(|why| at(why.message("a facility identifier scheme is one of")))?,
                SubjectType::Party => identifiers::read_party_identifier(&text)
                    .map(|(scheme, value)| SubjectKey::Party(PartyIdentifier { scheme, value }))
                    .map_err(|why| at(why.message("a party identifier scheme is one of")))?,
            };
            Ok((
                CertificationSubject {
                    subject_type: input.subject_type,
                    id: uuid::Uuid::nil(),
                },
                Some(key),
            ))
        }
        (Some(_), Some(_)) => Err(at_subject("give its id or an identifier, not both")),
        (None, None) => Err(at_subject("give its id, or an identifier as scheme:value")),
    }
}

/// Looks up the subjects named by identifier (one query per kind of subject) and fills their
/// ids; the errors name each unknown identifier, by row.
pub fn resolve(
    conn: &mut DbConn,
    rows: &mut [Parsed],
) -> Result<Vec<(usize, FieldError)>, StoreError> {
    let mut facility_keys = Vec::new();
    let mut party_keys = Vec::new();
    for row in rows.iter() {
        match &row.subject_key {
            Some(SubjectKey::Facility(k)) => facility_keys.push(k.clone()),
            Some(SubjectKey::Party(k)) => party_keys.push(k.clone()),
            None => {}
        }
    }
    let facilities = facility::owners_of(conn, &facility_keys)?;
    let parties = party::owners_of(conn, &party_keys)?;
    let mut errors = Vec::new();
    for (i, row) in rows.iter_mut().enumerate() {
        let found = match &row.subject_key {
            None => continue,
            Some(SubjectKey::Facility(k)) => facilities
                .get(k)
                .map(|id| id.0)
                .ok_or_else(|| format!("no facility has the identifier {k}")),
            Some(SubjectKey::Party(k)) => parties
                .get(k)
                .map(|id| id.0)
                .ok_or_else(|| format!("no party has the identifier {k}")),
        };
        match found {
            Ok(id) => row.certification.subject.id = id,
            Err(detail) => errors.push((i, FieldError::at("/subject/identifier", detail))),
        }
    }
    Ok(errors)
}

/// What is known of a subject: whether it exists and, for a facility, what scheme subject it
/// is.
pub enum SubjectInfo {
    Missing,
    Facility(FacilityKind, Option<MiningScale>),
    Party,
}

/// What is known of the subjects some certificates name: the kind of each facility and which
/// parties exist (one query each).
pub struct Subjects {
    kinds: HashMap<FacilityId, (FacilityKind, Option<MiningScale>)>,
    parties: HashSet<PartyId>,
}

impl Subjects {
    pub fn load<'a>(
        conn: &mut DbConn,
        subjects: impl Iterator<Item = &'a CertificationSubject>,
    ) -> Result<Subjects, StoreError> {
        let mut facility_ids = Vec::new();
        let mut party_ids = Vec::new();
        for subject in subjects {
            match subject.subject_type {
                SubjectType::Facility => facility_ids.push(FacilityId(subject.id)),
                SubjectType::Party => party_ids.push(PartyId(subject.id)),
            }
        }
        Ok(Subjects {
            kinds: facility::kinds(conn, &facility_ids)?,
            parties: party::existing(conn, &party_ids)?,
        })
    }

    pub fn info(&self, subject: &CertificationSubject) -> SubjectInfo {
        match subject.subject_type {
            SubjectType::Facility => match self.kinds.get(&FacilityId(subject.id)) {
                Some((kind, scale)) => SubjectInfo::Facility(*kind, *scale),
                None => SubjectInfo::Missing,
            },
            SubjectType::Party if self.parties.contains(&PartyId(subject.id)) => SubjectInfo::Party,
            SubjectType::Party => SubjectInfo::Missing,
        }
    }
}
