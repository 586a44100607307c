//! A facility as a UNTP Digital Facility Record (DFR 0.6.1), with a conformity claim per
//! certificate that links to the certificate's own credential (which carries its status).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Issuer;
use crate::app::AppError;
use crate::app::catalog::facilities::Facilities;
use crate::app::catalog::record;
use crate::db::DbConn;
use crate::domain::certification::EffectiveStatus;
use crate::domain::ids::FacilityId;
use crate::domain::vocabulary::SubjectType;
use crate::store::certification::{self, CertificationFilter};
use crate::store::{party, scheme};

/// The most certificates a record lists (a facility has a handful).
const MAX_CLAIMS: i64 = 100;

/// The DFR of a facility, issued at `now`; 404 when there is no such facility.
pub fn issue(
    conn: &mut DbConn,
    issuer: &Issuer,
    id: FacilityId,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let facility = record::find::<Facilities>(conn, id)?;
    let facility_url = issuer.url(&format!("/v1/facilities/{}", facility.id));
    let today = now.date_naive();

    let mut described = facility.kind.as_str().to_owned();
    if let Some(scale) = facility.mining_scale {
        described = format!("{} {described}", scale.as_str().to_uppercase());
    }
    if !facility.minerals.is_empty() {
        let minerals: Vec<&str> = facility.minerals.iter().map(|m| m.as_str()).collect();
        described.push_str(&format!(" of {}", minerals.join(", ")));
    }
    if facility.cahra {
        described.push_str("; in a conflict-affected or high-risk area");
        if let Some(basis) = &facility.cahra_basis {
            described.push_str(&format!(" ({basis})"));
        }
    }
    described.push_str(&format!("; {}", facility.status.as_str()));

    let mut subject_facility = Map::new();
    subject_facility.insert("type".into(), json!(["Facility"]));
    subject_facility.insert("id".into(), json!(facility_url));
    subject_facility.insert("name".into(), json!(facility.name));
    if let Some(first) = facility.identifiers.first() {
        subject_facility.insert("registeredId".into(), json!(first.value));
    }
    subject_facility.insert("description".into(), json!(described));
    subject_facility.insert(
        "countryOfOperation".into(),
        json!(facility.country.as_str()),
    );
    subject_facility.insert(
        "processCategory".into(),
        json!([{
            "type": ["Classification"],
            "id": format!("urn:oretrace:facility-kind:{}", facility.kind.as_str()),
            "code": facility.kind.as_str(),
            "name": facility.kind.as_str(),
        }]),
    );
    if let Some(operator) = facility.operator_party_id
        && let Some(party) = party::find(conn, operator)?
    {
        subject_facility.insert(
            "operatedByParty".into(),
            json!({
                "id": issuer.url(&format!("/v1/parties/{}", party.id)),
                "name": party.name,
            }),
        );
    }
    if !facility.identifiers.is_empty() {
        subject_facility.insert(
            "facilityAlsoKnownAs".into(),
            Value::Array(
                facility
                    .identifiers
                    .iter()
                    .map(|i| {
                        json!({
                            "id": format!("urn:oretrace:{}:{}", i.scheme.as_str(), i.value),
                            "name": facility.name,
                            "registeredId": i.value,
                        })
                    })
                    .collect(),
            ),
        );
    }
    if let Some(location) = &facility.location {
        subject_facility.insert(
            "locationInformation".into(),
            json!({
                "type": ["Location"],
                "geoLocation": {"type": "Point", "coordinates": [location.lon, location.lat]},
            }),
        );
    }
    let mut address = json!({"type": ["Address"], "addressCountry": facility.country.as_str()});
    if let Some(region) = &facility.subdivision {
        address["addressRegion"] = json!(region);
    }
    subject_facility.insert("address".into(), address);

    let filter = CertificationFilter {
        subject_type: Some(SubjectType::Facility),
        subject_id: Some(facility.id.0),
        ..CertificationFilter::default()
    };
    let certificates = certification::list(conn, &filter, None, MAX_CLAIMS)?;
    let mut claims = Vec::new();
    for cert in certificates {
        let standing = cert.standing_on(today);
        let Some(scheme) = scheme::find(conn, &cert.scheme)? else {
            continue;
        };
        let cert_url = issuer.url(&format!("/v1/certifications/{}", cert.id));
        claims.push(json!({
            "type": ["Claim", "Declaration"],
            "id": cert_url,
            "description": format!(
                "{}{}: {} on {today}",
                scheme.name,
                standing.level.as_ref().map(|l| format!(" ({l})")).unwrap_or_default(),
                standing.status.as_str()
            ),
            "referenceStandard": {
                "type": ["Standard"],
                "id": scheme.url,
                "name": scheme.name,
                "issuingParty": {"id": scheme.url, "name": scheme.owner},
            },
            "conformance": standing.status == EffectiveStatus::Active,
            "conformityTopic": "governance.compliance",
            "conformityEvidence": {
                "type": ["SecureLink", "Link"],
                "linkURL": format!("{cert_url}/credential"),
                "linkName": "Digital Conformity Credential",
                "linkType": "https://test.uncefact.org/vocabulary/linkTypes/dcc",
            },
        }));
    }

    let mut subject = Map::new();
    subject.insert("type".into(), json!(["FacilityRecord"]));
    subject.insert("id".into(), json!(format!("{facility_url}#record")));
    subject.insert("facility".into(), Value::Object(subject_facility));
    if !claims.is_empty() {
        subject.insert("conformityClaim".into(), Value::Array(claims));
    }

    Ok(json!({
        "@context": Issuer::contexts("dfr"),
        "type": ["DigitalFacilityRecord", "VerifiableCredential"],
        "id": format!("{facility_url}/credential"),
        "issuer": issuer.untp(),
        "validFrom": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "credentialSubject": Value::Object(subject),
    }))
}
