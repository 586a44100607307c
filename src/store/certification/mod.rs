//! Certificates of facilities and parties, with their history: every change of status, level
//! or validity is an entry that takes effect on its `effective_on` date. The as-of rules live in
//! `domain::certification`; this module stores and loads what they read.
//!
//! `mod.rs` holds the types the API shows and the validated content a certificate is written
//! from; `write.rs` the inserts and changes (with their history entries), `read.rs` the lookups
//! and filtered lists, `rows.rs` the row types both share.

mod read;
mod rows;
mod write;

pub use read::*;
pub use rows::minerals_of;
pub use write::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::certification::{EffectiveStatus, Snapshot, Standing, standing_on};
use crate::domain::ids::{CertificationId, OrganisationId};
use crate::domain::vocabulary::{CertificationStatus, Mineral, SubjectType};
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
    /// The API client; null when recorded from the command line, and for every organisation but
    /// the one that recorded it.
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
    /// The day `effective_status` is evaluated for: today (UTC). An as-of answer's top-level
    /// `effective_status` is for its `as_of` day instead.
    pub effective_on: NaiveDate,
    /// Every recorded state, in effective order.
    pub history: Vec<HistoryEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Certification {
    /// The certificate as `viewer` may see it: the API client that recorded each change is
    /// shown only to the organisation that recorded it. A client id is half of a credential
    /// pair and the key of its token rate limit, so other organisations never learn the
    /// operator's.
    pub fn seen_by(mut self, viewer: OrganisationId) -> Certification {
        for entry in &mut self.history {
            if entry.recorded_by.organisation_id != viewer {
                entry.recorded_by.client_id = None;
            }
        }
        self
    }

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
