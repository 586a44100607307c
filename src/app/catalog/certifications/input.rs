//! A certificate as a row: the body of `POST /v1/certifications`, of each row of
//! `POST /v1/certifications/batch` and of each row of `oretrace import catalog --kind
//! certifications` (two edges, one contract), and how it becomes a [`NewCertification`]. The
//! checks that need the scheme and the subject are `checks.rs`'.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::subject::{SubjectInput, SubjectKey, subject_of};
use crate::app::catalog::checked_list;
use crate::domain::text;
use crate::domain::time::IsoDate;
use crate::domain::validation::{Checked, FieldErrors, Invalid, from_value};
use crate::domain::vocabulary::{CertificationStatus, Mineral};
use crate::store::certification::NewCertification;

/// A certificate of a facility or a party under a scheme.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationInput {
    /// What it certifies: `{"type": "facility", "id": …}` for an ASM mine (schemes for
    /// `asm_mine`), an LSM mine (`lsm_mine`) or a smelter or refiner (`smelter_refiner`);
    /// `{"type": "party", "id": …}` for a company (`company`). Instead of its `id`, the subject
    /// may be named by one of its identifiers: `{"type": "facility", "identifier":
    /// "rmi_cid:CID001234"}`. It must exist, and the scheme must apply to it.
    #[schema(value_type = SubjectInput)]
    pub subject: Checked<SubjectInput>,
    /// The scheme's id (see `GET /v1/schemes`), such as `irma`, `fairmined` or `rmi_rmap`.
    #[schema(example = "irma")]
    pub scheme: String,
    /// One of the scheme's levels; required when the scheme has levels, refused when it has
    /// none.
    #[serde(default)]
    #[schema(example = "irma_75")]
    pub level: Option<String>,
    /// The recorded status: `in_assessment`, `active`, `suspended`, `expired` or `withdrawn`.
    #[schema(value_type = CertificationStatus)]
    pub status: Checked<CertificationStatus>,
    /// The first valid day (ISO 8601 date). The certificate's first history entry takes effect
    /// on this day.
    #[schema(value_type = NaiveDate)]
    pub valid_from: Checked<IsoDate>,
    /// The last valid day, after `valid_from`; null when open-ended.
    #[serde(default)]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_until: Option<Checked<IsoDate>>,
    /// The number the scheme issued, unique within the scheme (1 to 100 characters). A batch
    /// row with a known scheme and number updates that certificate.
    #[serde(default)]
    pub certificate_number: Option<String>,
    /// The audit firm or assurance provider (1 to 200 characters).
    #[serde(default)]
    pub assurance_body: Option<String>,
    /// Where the certificate or audit report can be read: an http or https URL.
    #[serde(default)]
    pub evidence_url: Option<String>,
    /// SHA-256 of the evidence document, 64 hexadecimal digits; needs `evidence_url`.
    #[serde(default)]
    pub evidence_sha256: Option<String>,
    /// The minerals in scope, at least one, each once; when the scheme lists minerals they must
    /// be among them.
    #[schema(value_type = Vec<Mineral>, min_items = 1)]
    pub minerals: Vec<Checked<Mineral>>,
    /// Why this state is recorded (an audit decision, a renewal…), 1 to 2,000 characters; kept
    /// in the history entry.
    #[serde(default)]
    pub reason: Option<String>,
    /// Batch rows that update a known certificate: the day a change of status, level or
    /// validity takes effect (default today, UTC). On creation the first entry takes effect on
    /// `valid_from`, so a different date is refused.
    #[serde(default)]
    #[schema(value_type = Option<NaiveDate>)]
    pub effective_on: Option<Checked<IsoDate>>,
}

/// A certificate checked field by field, before its scheme and subject are looked at.
pub struct Parsed {
    pub certification: NewCertification,
    pub reason: Option<String>,
    pub effective_on: Option<NaiveDate>,
    /// Set when the subject was named by identifier: `subject::resolve` fills its id.
    pub subject_key: Option<SubjectKey>,
}

/// Checks every field that needs no database, naming each bad one.
pub fn validate(input: CertificationInput) -> Result<Parsed, Invalid> {
    let mut e = FieldErrors::new();
    let subject = e
        .take("/subject", input.subject)
        .and_then(|s| match subject_of(s) {
            Ok(subject) => Some(subject),
            Err((pointer, detail)) => {
                e.add(pointer, detail);
                None
            }
        });
    let scheme = e.check("/scheme", text::short_text(&input.scheme, 100));
    let level = input
        .level
        .and_then(|l| e.check("/level", text::short_text(&l, 100)));
    let status = e.take("/status", input.status);
    let valid_from = e.take("/valid_from", input.valid_from).map(|d| d.0);
    let valid_until = input
        .valid_until
        .and_then(|d| e.take("/valid_until", d))
        .map(|d| d.0);
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && until <= from
    {
        e.add("/valid_until", "must be after valid_from");
    }
    let certificate_number = input
        .certificate_number
        .and_then(|n| e.check("/certificate_number", text::short_text(&n, 100)));
    let assurance_body = input
        .assurance_body
        .and_then(|b| e.check("/assurance_body", text::name(&b)));
    let url_given = input.evidence_url.is_some();
    let evidence_url = input
        .evidence_url
        .and_then(|u| e.check("/evidence_url", text::http_url(&u)));
    let evidence_sha256 = input
        .evidence_sha256
        .and_then(|h| e.check("/evidence_sha256", text::sha256_hex(&h)));
    if evidence_sha256.is_some() && evidence_url.is_none() && !url_given {
        e.add(
            "/evidence_sha256",
            "is the digest of the evidence document: give evidence_url too",
        );
    }
    let minerals = checked_list(
        &mut e,
        "/minerals",
        input.minerals,
        Some("must name at least one mineral in scope"),
    );
    let reason = input
        .reason
        .and_then(|r| e.check("/reason", text::explanation(&r)));
    let effective_on = input
        .effective_on
        .and_then(|d| e.take("/effective_on", d))
        .map(|d| d.0);
    match (subject, scheme, status, valid_from, e.is_empty()) {
        (Some((subject, subject_key)), Some(scheme), Some(status), Some(valid_from), true) => {
            Ok(Parsed {
                subject_key,
                certification: NewCertification {
                    subject,
                    scheme,
                    level,
                    status,
                    valid_from,
                    valid_until,
                    certificate_number,
                    assurance_body,
                    evidence_url,
                    evidence_sha256,
                    minerals,
                },
                reason,
                effective_on,
            })
        }
        _ => Err(Invalid(e.into_vec())),
    }
}

/// Parses and checks one JSON value (a body or a row).
pub fn parse(value: serde_json::Value) -> Result<Parsed, Invalid> {
    validate(from_value(value)?)
}
