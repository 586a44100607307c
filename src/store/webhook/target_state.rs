//! Whether each of an organisation's policy targets was met for a period when a sweep last
//! looked (see the migration).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::sourcing_target_states as states;
use crate::domain::ids::OrganisationId;
use crate::store::StoreError;

/// Each target's key and whether it was met, for the period starting `period_start`.
pub fn seen(
    conn: &mut DbConn,
    organisation: OrganisationId,
    period_start: NaiveDate,
) -> Result<HashMap<String, bool>, StoreError> {
    let rows: Vec<(String, i16)> = states::table
        .filter(states::organisation_id.eq(organisation))
        .filter(states::period_start.eq(period_start))
        .select((states::target_key, states::met))
        .load(conn)?;
    Ok(rows.into_iter().map(|(k, met)| (k, met != 0)).collect())
}

/// Records whether a target is met for the period (and forgets earlier periods').
pub fn record(
    conn: &mut DbConn,
    organisation: OrganisationId,
    target_key: &str,
    period_start: NaiveDate,
    met: bool,
) -> Result<(), StoreError> {
    diesel::delete(
        states::table
            .filter(states::organisation_id.eq(organisation))
            .filter(states::target_key.eq(target_key)),
    )
    .execute(conn)?;
    diesel::insert_into(states::table)
        .values((
            states::organisation_id.eq(organisation),
            states::target_key.eq(target_key),
            states::period_start.eq(period_start),
            states::met.eq(i16::from(met)),
        ))
        .execute(conn)?;
    Ok(())
}
