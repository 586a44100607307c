//! The body of `POST /v1/certifications` (and of each batch row), and how it becomes a
//! [`NewCertification`]: field checks first, then the checks that need the scheme and the
//! subject.

use std::collections::HashMap;

use crate::domain::time::IsoDate;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::subject::subject_of;
pub use super::subject::{SubjectInfo, SubjectInput, SubjectKey, facility_info, resolve_subjects};
use crate::api::error::FieldError;
use crate::api::http::input::{Checked, FieldErrors};
use crate::api::routes::catalog::duplicates;
use crate::domain::facility::scheme_subject;
use crate::domain::text;
use crate::domain::vocabulary::{CertificationStatus, Mineral, SchemeSubject};
use crate::store::certification::{Certification, Change, NewCertification};
use crate::store::scheme::Scheme;

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
    /// Set when the subject was named by identifier: [`resolve_subjects`] fills its id.
    pub subject_key: Option<SubjectKey>,
}

/// Checks every field that needs no database, naming each bad one under `prefix`.
pub fn validate(prefix: &str, input: CertificationInput) -> Result<Parsed, Vec<FieldError>> {
    let mut e = FieldErrors::with_prefix(prefix);
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
    if input.minerals.is_empty() {
        e.add("/minerals", "must name at least one mineral in scope");
    }
    let minerals: Vec<Option<Mineral>> = input
        .minerals
        .into_iter()
        .enumerate()
        .map(|(i, m)| e.take(format!("/minerals/{i}"), m))
        .collect();
    duplicates(&mut e, "/minerals", &minerals);
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
                    minerals: minerals.into_iter().flatten().collect(),
                },
                reason,
                effective_on,
            })
        }
        _ => Err(e.into_vec()),
    }
}

/// Parses and checks one JSON value (a POST body or a batch row).
pub fn parse(prefix: &str, value: serde_json::Value) -> Result<Parsed, Vec<FieldError>> {
    let input: CertificationInput =
        crate::api::http::input::from_value(prefix, value).map_err(|e| vec![e])?;
    validate(prefix, input)
}

/// The checks that need the scheme and the subject: the scheme exists and applies to the
/// subject, the level is one of its levels, the minerals are among its minerals.
pub fn check_against(
    prefix: &str,
    c: &NewCertification,
    schemes: &HashMap<String, Scheme>,
    subject: SubjectInfo,
) -> Vec<FieldError> {
    let mut e = FieldErrors::with_prefix(prefix);
    let Some(scheme) = schemes.get(&c.scheme) else {
        let mut known: Vec<&str> = schemes.keys().map(String::as_str).collect();
        known.sort_unstable();
        e.add(
            "/scheme",
            format!(
                "no scheme {}; known schemes: {}",
                c.scheme,
                known.join(", ")
            ),
        );
        if let SubjectInfo::Missing = subject {
            missing_subject(&mut e, c);
        }
        return e.into_vec();
    };
    let wanted: Option<SchemeSubject> = match subject {
        SubjectInfo::Missing => {
            missing_subject(&mut e, c);
            None
        }
        SubjectInfo::Party => Some(SchemeSubject::Company),
        SubjectInfo::Facility(kind, scale) => {
            let wanted = scheme_subject(kind, scale);
            if wanted.is_none() {
                e.add(
                    "/subject",
                    format!(
                        "no scheme certifies a {kind} facility: certify a mine, a smelter or a \
                         refiner, or the company that operates it"
                    ),
                );
            }
            wanted
        }
    };
    if let Some(wanted) = wanted
        && !scheme.applies_to(wanted)
    {
        let applies: Vec<&str> = scheme.subjects.iter().map(|s| s.as_str()).collect();
        e.add(
            "/subject",
            format!(
                "{} certifies {}, not a {}",
                scheme.id,
                applies.join(", "),
                wanted.as_str().replace('_', " ")
            ),
        );
    }
    match (&c.level, scheme.levels.is_empty()) {
        (Some(_), true) => e.add("/level", format!("{} has no levels", scheme.id)),
        (None, false) => e.add(
            "/level",
            format!(
                "is required for {}: one of {}",
                scheme.id,
                scheme.levels.join(", ")
            ),
        ),
        (Some(level), false) if !scheme.levels.contains(level) => e.add(
            "/level",
            format!(
                "is not a level of {}: one of {}",
                scheme.id,
                scheme.levels.join(", ")
            ),
        ),
        _ => {}
    }
    for (i, mineral) in c.minerals.iter().enumerate() {
        if !scheme.covers(*mineral) {
            let covered: Vec<&str> = scheme.minerals.iter().map(|m| m.as_str()).collect();
            e.add(
                format!("/minerals/{i}"),
                format!("{} covers {} only", scheme.id, covered.join(", ")),
            );
        }
    }
    e.into_vec()
}

fn missing_subject(e: &mut FieldErrors, c: &NewCertification) {
    e.add(
        "/subject/id",
        format!("no {} {}", c.subject.subject_type, c.subject.id),
    );
}

/// The errors of a change to `current`: the scheme and subject cannot change, and a change of
/// standing cannot take effect before the latest recorded one.
pub fn check_change(
    prefix: &str,
    current: &Certification,
    new: &NewCertification,
    change: &Change,
) -> Vec<FieldError> {
    let mut e = FieldErrors::with_prefix(prefix);
    if new.scheme != current.scheme {
        e.add(
            "/scheme",
            "cannot change: a certificate of another scheme is another certificate",
        );
    }
    if new.subject != current.subject {
        e.add(
            "/subject",
            "cannot change: a certificate of another subject is another certificate",
        );
    }
    let latest = current.latest_effective_on();
    if new.changes_standing(current) && change.effective_on < latest {
        e.add(
            "/effective_on",
            format!(
                "must be on or after {latest}, when the latest recorded change takes effect: a \
                 change cannot be inserted before a later one"
            ),
        );
    }
    e.into_vec()
}
