//! A certificate as a UNTP Digital Conformity Credential (DCC 0.6.1).

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::{Issuer, mineral_product, start_of, status};
use crate::app::AppError;
use crate::app::catalog::certifications::Certifications;
use crate::app::catalog::record;
use crate::db::DbConn;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::{CertificationId, FacilityId, PartyId};
use crate::domain::vocabulary::SubjectType;
use crate::store::certification::Certification;
use crate::store::credential_status::StatusIndex;
use crate::store::{facility, party, scheme};

/// The certificate, or 404.
pub fn certificate(conn: &mut DbConn, id: CertificationId) -> Result<Certification, AppError> {
    record::find::<Certifications>(conn, id)
}

/// The DCC of a certificate, when its status index is already allocated (`None`: allocate it in
/// a write transaction with [`issue_allocating`]).
pub fn issue(
    conn: &mut DbConn,
    issuer: &Issuer,
    id: CertificationId,
    today: NaiveDate,
) -> Result<Option<Value>, AppError> {
    let cert = certificate(conn, id)?;
    match status::usable(conn, &cert, today)? {
        Some(index) => Ok(Some(build(conn, issuer, &cert, &index, today)?)),
        None => Ok(None),
    }
}

/// The DCC of a certificate, allocating its status index when needed.
pub fn issue_allocating(
    conn: &mut DbConn,
    issuer: &Issuer,
    id: CertificationId,
    today: NaiveDate,
) -> Result<Value, AppError> {
    let cert = certificate(conn, id)?;
    let index = status::allocate(conn, &cert, today)?;
    build(conn, issuer, &cert, &index, today)
}

fn party_ref(issuer: &Issuer, party: &party::Party) -> Value {
    let mut value = json!({
        "id": issuer.url(&format!("/v1/parties/{}", party.id)),
        "name": party.name,
    });
    if let Some(first) = party.identifiers.first() {
        value["registeredId"] = json!(first.value);
    }
    value
}

fn facility_ref(issuer: &Issuer, facility: &facility::Facility) -> Value {
    let mut value = json!({
        "id": issuer.url(&format!("/v1/facilities/{}", facility.id)),
        "name": facility.name,
    });
    if let Some(first) = facility.identifiers.first() {
        value["registeredId"] = json!(first.value);
    }
    value
}

fn build(
    conn: &mut DbConn,
    issuer: &Issuer,
    cert: &Certification,
    index: &StatusIndex,
    today: NaiveDate,
) -> Result<Value, AppError> {
    let standing = cert.standing_on(today);
    let scheme = scheme::find(conn, &cert.scheme)?
        .ok_or_else(|| AppError::internal(format!("unknown scheme {}", cert.scheme)))?;
    let cert_url = issuer.url(&format!("/v1/certifications/{}", cert.id));

    let mut assessment = Map::new();
    assessment.insert(
        "type".into(),
        json!(["ConformityAssessment", "Declaration"]),
    );
    assessment.insert("id".into(), json!(format!("{cert_url}#assessment")));
    assessment.insert(
        "name".into(),
        json!(match &standing.level {
            Some(level) => format!("{} ({level})", scheme.name),
            None => scheme.name.clone(),
        }),
    );
    assessment.insert(
        "description".into(),
        json!(format!(
            "Status on {today}: {}. Minerals in scope: {}.",
            standing.status.as_str(),
            if cert.minerals.is_empty() {
                "any".to_owned()
            } else {
                cert.minerals
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )),
    );
    assessment.insert(
        "referenceStandard".into(),
        json!({
            "type": ["Standard"],
            "id": scheme.url,
            "name": scheme.name,
            "issuingParty": {"id": scheme.url, "name": scheme.owner},
        }),
    );
    assessment.insert(
        "conformance".into(),
        json!(standing.status == EffectiveStatus::Active),
    );
    assessment.insert("conformityTopic".into(), json!("governance.compliance"));
    if !cert.minerals.is_empty() {
        assessment.insert(
            "assessedProduct".into(),
            Value::Array(
                cert.minerals
                    .iter()
                    .map(|m| json!({"type": ["ProductVerification"], "product": mineral_product(*m)}))
                    .collect(),
            ),
        );
    }
    if let Some(body) = &cert.assurance_body {
        assessment.insert(
            "auditor".into(),
            json!({"id": format!("{cert_url}#assurance-body"), "name": body}),
        );
    }

    // The certified subject, and the party the attestation was issued to: the party itself, or
    // the facility's operator (the facility when it has none recorded).
    let issued_to = match cert.subject.subject_type {
        SubjectType::Party => {
            let party = party::find(conn, PartyId(cert.subject.id))?
                .ok_or_else(|| AppError::internal("a certificate's party is missing"))?;
            let reference = party_ref(issuer, &party);
            assessment.insert("assessedOrganisation".into(), reference.clone());
            reference
        }
        SubjectType::Facility => {
            let facility = facility::find(conn, FacilityId(cert.subject.id))?
                .ok_or_else(|| AppError::internal("a certificate's facility is missing"))?;
            assessment.insert(
                "assessedFacility".into(),
                json!([{"type": ["FacilityVerification"], "facility": facility_ref(issuer, &facility)}]),
            );
            match facility.operator_party_id {
                Some(operator) => match party::find(conn, operator)? {
                    Some(party) => party_ref(issuer, &party),
                    None => facility_ref(issuer, &facility),
                },
                None => facility_ref(issuer, &facility),
            }
        }
    };

    let mut subject = Map::new();
    subject.insert(
        "type".into(),
        json!(["ConformityAttestation", "Attestation"]),
    );
    subject.insert("id".into(), json!(cert_url));
    subject.insert(
        "name".into(),
        json!(match &cert.certificate_number {
            Some(number) => format!("{} certificate {number}", scheme.name),
            None => format!("{} certificate", scheme.name),
        }),
    );
    subject.insert("assessorLevel".into(), json!("3rdParty"));
    subject.insert("assessmentLevel".into(), json!("Unspecified"));
    subject.insert("attestationType".into(), json!("certification"));
    subject.insert("description".into(), json!(scheme.description));
    subject.insert("issuedToParty".into(), issued_to);
    if let Some(url) = &cert.evidence_url {
        let mut link = json!({
            "type": ["SecureLink", "Link"],
            "linkURL": url,
            "linkName": "Certificate or audit report",
        });
        if let Some(sha) = &cert.evidence_sha256 {
            link["hashDigest"] = json!(sha);
            link["hashMethod"] = json!("SHA-256");
        }
        subject.insert("conformityCertificate".into(), link);
    }
    subject.insert("assessment".into(), json!([Value::Object(assessment)]));

    let valid_from = standing.valid_from.unwrap_or(cert.valid_from);
    let valid_until = if standing.valid_from.is_some() {
        standing.valid_until
    } else {
        cert.valid_until
    };
    let mut credential = json!({
        "@context": Issuer::contexts("dcc"),
        "type": ["DigitalConformityCredential", "VerifiableCredential"],
        "id": format!("{cert_url}/credential"),
        "issuer": issuer.untp(),
        "validFrom": start_of(valid_from),
        "credentialSubject": Value::Object(subject),
        "credentialStatus": status::entries(issuer, index),
    });
    if let Some(until) = valid_until.and_then(|d| d.succ_opt()) {
        credential["validUntil"] = json!(start_of(until));
    }
    Ok(credential)
}
