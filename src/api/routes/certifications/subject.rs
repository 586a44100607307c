//! The subject of a certificate: named by id or by identifier (`rmi_cid:CID001234`), looked up
//! set-wise, and what it is (an ASM mine, an LSM mine, a smelter or refiner, a company).

use std::collections::HashMap;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::error::{ApiError, FieldError};
use crate::db::DbConn;
use crate::domain::identifiers;
use crate::domain::ids::FacilityId;
use crate::domain::vocabulary::{
    FacilityIdentifierScheme, FacilityKind, MiningScale, PartyIdentifierScheme, SubjectType,
};
use crate::store::certification::CertificationSubject;
use crate::store::facility::FacilityIdentifier;
use crate::store::party::PartyIdentifier;

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
            let (scheme, value) = text
                .split_once(':')
                .ok_or_else(|| at("must be scheme:value, such as rmi_cid:CID001234".into()))?;
            let key = match input.subject_type {
                SubjectType::Facility => {
                    let scheme = FacilityIdentifierScheme::parse(scheme).ok_or_else(|| {
                        at(format!(
                            "a facility identifier scheme is one of {}",
                            FacilityIdentifierScheme::expected()
                        ))
                    })?;
                    let value = identifiers::facility_identifier(scheme, value).map_err(at)?;
                    SubjectKey::Facility(FacilityIdentifier { scheme, value })
                }
                SubjectType::Party => {
                    let scheme = PartyIdentifierScheme::parse(scheme).ok_or_else(|| {
                        at(format!(
                            "a party identifier scheme is one of {}",
                            PartyIdentifierScheme::expected()
                        ))
                    })?;
                    let value = identifiers::party_identifier(scheme, value).map_err(at)?;
                    SubjectKey::Party(PartyIdentifier { scheme, value })
                }
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
/// ids; the errors name each unknown identifier under `prefix(row)`.
pub fn resolve_subjects(
    conn: &mut DbConn,
    rows: &mut [Parsed],
    prefix: impl Fn(usize) -> String,
) -> Result<Vec<FieldError>, ApiError> {
    let facility_keys: Vec<FacilityIdentifier> = rows
        .iter()
        .filter_map(|p| match &p.subject_key {
            Some(SubjectKey::Facility(k)) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let party_keys: Vec<PartyIdentifier> = rows
        .iter()
        .filter_map(|p| match &p.subject_key {
            Some(SubjectKey::Party(k)) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let facilities = crate::store::facility::owners_of(conn, &facility_keys)?;
    let parties = crate::store::party::owners_of(conn, &party_keys)?;
    let mut errors = Vec::new();
    for (i, p) in rows.iter_mut().enumerate() {
        let found = match &p.subject_key {
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
            Ok(id) => p.certification.subject.id = id,
            Err(detail) => errors.push(FieldError::at(
                format!("{}/subject/identifier", prefix(i)),
                detail,
            )),
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

/// Which subject kind a facility id refers to, from a lookup of the facilities' kinds.
pub fn facility_info(
    kinds: &HashMap<FacilityId, (FacilityKind, Option<MiningScale>)>,
    id: uuid::Uuid,
) -> SubjectInfo {
    match kinds.get(&FacilityId(id)) {
        Some((kind, scale)) => SubjectInfo::Facility(*kind, *scale),
        None => SubjectInfo::Missing,
    }
}
