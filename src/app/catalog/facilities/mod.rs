//! Facilities of the catalog: mines, concentrators, smelters, refiners… Created, changed by
//! merge patch or in batches (a row naming a known identifier updates that facility), listed
//! with filters, including whether a certificate of a scheme is active on a day.

pub mod input;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

pub use input::{FacilityInput, parse};

use super::kind::{CatalogKind, content_kind};
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::facility::scheme_subject;
use crate::domain::ids::{FacilityId, PartyId};
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::SubjectType;
use crate::store::StoreError;
use crate::store::audit::{self, Actor, EntityType};
use crate::store::certification::{self, CertificationFilter};
use crate::store::facility::{self, Facility, FacilityFilter, FacilityIdentifier, NewFacility};
use crate::store::page::{PageRequest, fill};
use crate::store::{party, scheme};

/// Facilities, as a kind of catalog record.
pub struct Facilities;

impl CatalogKind for Facilities {
    type Row = NewFacility;
    type Record = Facility;
    type Id = FacilityId;
    type Key = FacilityIdentifier;
    /// The parties the rows name that exist.
    type Context = HashSet<PartyId>;

    const ENTITY: EntityType = EntityType::Facility;
    const NAMES: (&'static str, &'static str) = ("facility", "facilities");
    const OBSTACLE_FIELD: &'static str = "/kind";

    fn context(conn: &mut DbConn, rows: &[NewFacility]) -> Result<HashSet<PartyId>, AppError> {
        let named: Vec<PartyId> = rows.iter().flat_map(NewFacility::party_ids).collect();
        Ok(party::existing(conn, &named)?)
    }

    fn check(known: &HashSet<PartyId>, row: &NewFacility, _: Option<&Facility>) -> Vec<FieldError> {
        input::missing_parties(row, known)
    }

    content_kind!(facility);

    fn obstacles(
        conn: &mut DbConn,
        row: &NewFacility,
        current: &Facility,
    ) -> Result<Vec<String>, AppError> {
        certificates_left_behind(conn, current, row)
    }

    fn blocked(reasons: &[String]) -> String {
        format!(
            "the facility's kind or mining scale cannot change while it holds certificates its \
             new kind cannot hold: {}",
            reasons.join("; ")
        )
    }
}

/// Which certificates a facility must hold to be listed: of `scheme`, active on `on`.
#[derive(Clone, Debug)]
pub struct Certified {
    pub scheme: String,
    pub on: NaiveDate,
}

/// A page of facilities matching `filter` and, when given, `certified` (evaluated in Rust by
/// the as-of rules, the page filled past the facilities it drops).
pub fn list(
    conn: &mut DbConn,
    filter: &FacilityFilter,
    certified: Option<&Certified>,
    page: &PageRequest,
) -> Result<Vec<Facility>, AppError> {
    let Some(certified) = certified else {
        return Ok(facility::list(
            conn,
            filter,
            page.after.as_deref(),
            page.fetch_limit(),
        )?);
    };
    if scheme::find(conn, &certified.scheme)?.is_none() {
        return Err(AppError::BadParameter {
            name: "certified_scheme".into(),
            detail: format!("no scheme {}; see GET /v1/schemes", certified.scheme),
        });
    }
    let conn = std::cell::RefCell::new(conn);
    Ok(fill(
        page,
        |after, limit| facility::list(&mut conn.borrow_mut(), filter, after, limit),
        |f| f.id.to_string(),
        |batch| {
            let ids: Vec<FacilityId> = batch.iter().map(|f| f.id).collect();
            let active = certification::facilities_active_on(
                &mut conn.borrow_mut(),
                &certified.scheme,
                &ids,
                certified.on,
            )?;
            Ok(batch
                .into_iter()
                .filter(|f| active.contains(&f.id))
                .collect())
        },
    )?)
}

/// Why the certificates of `current` would no longer apply if it became `new` (another kind or
/// scale), one message per certificate; empty when the kind and scale stay or all still apply.
pub fn certificates_left_behind(
    conn: &mut DbConn,
    current: &Facility,
    new: &NewFacility,
) -> Result<Vec<String>, AppError> {
    if current.kind == new.kind && current.mining_scale == new.mining_scale {
        return Ok(Vec::new());
    }
    let subject = scheme_subject(new.kind, new.mining_scale);
    let schemes = super::schemes::by_id(conn)?;
    let filter = CertificationFilter {
        subject_type: Some(SubjectType::Facility),
        subject_id: Some(current.id.0),
        ..Default::default()
    };
    let held = certification::list(conn, &filter, None, i64::from(u16::MAX))?;
    Ok(held
        .iter()
        .filter(|c| {
            !subject.is_some_and(|s| {
                schemes
                    .get(&c.scheme)
                    .is_some_and(|scheme| scheme.applies_to(s))
            })
        })
        .map(|c| {
            format!(
                "certification {} ({}) would no longer apply to a {}{}",
                c.id,
                c.scheme,
                new.mining_scale
                    .map(|s| format!("{s} "))
                    .unwrap_or_default(),
                new.kind
            )
        })
        .collect())
}
