//! The certificates in an organisation's supply as a sweep last saw them, and the expiry
//! notices already given (see the migration).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{
    certification_expiry_notices as notices, certification_states as states, custody_events,
    purchase_origins, purchases,
};
use crate::domain::ids::OrganisationId;
use crate::store::StoreError;

/// The facilities and parties in an organisation's supply: the suppliers of its purchases, the
/// facilities its purchases declare as origins, and the facilities and parties of its custody
/// events (the traced ancestry of its lots is made of those events).
pub fn supply(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let mut facilities = BTreeSet::new();
    let mut parties = BTreeSet::new();
    let suppliers: Vec<String> = purchases::table
        .filter(purchases::organisation_id.eq(organisation))
        .select(purchases::supplier_party_id)
        .distinct()
        .load(conn)?;
    parties.extend(suppliers);
    let declared: Vec<Option<String>> = purchase_origins::table
        .filter(purchase_origins::organisation_id.eq(organisation))
        .select(purchase_origins::facility_id)
        .distinct()
        .load(conn)?;
    facilities.extend(declared.into_iter().flatten());
    let events: Vec<(Option<String>, Option<String>, Option<String>)> = custody_events::table
        .filter(custody_events::organisation_id.eq(organisation))
        .select((
            custody_events::facility_id,
            custody_events::from_party_id,
            custody_events::to_party_id,
        ))
        .distinct()
        .load(conn)?;
    for (facility, from, to) in events {
        facilities.extend(facility);
        parties.extend(from.into_iter().chain(to));
    }
    Ok((
        facilities.into_iter().collect(),
        parties.into_iter().collect(),
    ))
}

/// A certificate's effective status and level as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub certification_id: String,
    pub status: String,
    pub level: Option<String>,
}

pub fn seen(conn: &mut DbConn, organisation: OrganisationId) -> Result<Vec<Seen>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = states::table
        .filter(states::organisation_id.eq(organisation))
        .select((states::certification_id, states::status, states::level))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(certification_id, status, level)| Seen {
            certification_id,
            status,
            level,
        })
        .collect())
}

/// Records what a certificate looks like now (inserted or replaced).
pub fn record(
    conn: &mut DbConn,
    organisation: OrganisationId,
    seen: &Seen,
) -> Result<(), StoreError> {
    forget(conn, organisation, &seen.certification_id)?;
    diesel::insert_into(states::table)
        .values((
            states::organisation_id.eq(organisation),
            states::certification_id.eq(&seen.certification_id),
            states::status.eq(&seen.status),
            states::level.eq(seen.level.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets a certificate that left the organisation's supply.
pub fn forget(
    conn: &mut DbConn,
    organisation: OrganisationId,
    certification_id: &str,
) -> Result<(), StoreError> {
    diesel::delete(
        states::table
            .filter(states::organisation_id.eq(organisation))
            .filter(states::certification_id.eq(certification_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Records an expiry notice; false when it was given already.
pub fn notice_once(
    conn: &mut DbConn,
    organisation: OrganisationId,
    certification_id: &str,
    valid_until: NaiveDate,
    notice_days: i32,
) -> Result<bool, StoreError> {
    let given: i64 = notices::table
        .filter(notices::organisation_id.eq(organisation))
        .filter(notices::certification_id.eq(certification_id))
        .filter(notices::valid_until.eq(valid_until))
        .filter(notices::notice_days.eq(notice_days))
        .count()
        .get_result(conn)?;
    if given > 0 {
        return Ok(false);
    }
    diesel::insert_into(notices::table)
        .values((
            notices::organisation_id.eq(organisation),
            notices::certification_id.eq(certification_id),
            notices::valid_until.eq(valid_until),
            notices::notice_days.eq(notice_days),
        ))
        .execute(conn)?;
    Ok(true)
}
