//! The requests to sweep an organisation again, and its red flags as last announced
//! (`supply_sweeps`, see the migration).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{SmallInt, Text, Timestamp};

use crate::db::DbConn;
use crate::db::schema::{red_flag_states, supply_sweeps};
use crate::domain::ids::OrganisationId;
use crate::domain::time;
use crate::store::StoreError;

/// Requests a sweep of `organisation`'s flags, in the caller's transaction.
pub fn request(
    conn: &mut DbConn,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "INSERT INTO supply_sweeps (organisation_id, requested_at, quiet) VALUES ($1, $2, 0) \
         ON CONFLICT (organisation_id) DO UPDATE SET requested_at = excluded.requested_at",
    )
    .bind::<Text, _>(organisation.to_string())
    .bind::<Timestamp, _>(time::to_db(now))
    .execute(conn)?;
    Ok(())
}

/// Requests a sweep of every organisation's flags (a catalog change, a new day), locking
/// their rows in id order so that two such requests never wait for each other in a cycle.
pub fn request_all(conn: &mut DbConn, now: DateTime<Utc>) -> Result<(), StoreError> {
    let now = time::to_db(now);
    diesel::sql_query(
        "INSERT INTO supply_sweeps (organisation_id, requested_at, quiet) \
         SELECT id, $1, 0 FROM organisations WHERE true ORDER BY id \
         ON CONFLICT (organisation_id) DO UPDATE SET requested_at = excluded.requested_at",
    )
    .bind::<Timestamp, _>(now)
    .execute(conn)?;
    Ok(())
}

/// A sweep a worker has leased.
#[derive(Clone, Debug, QueryableByName)]
pub struct Sweep {
    #[diesel(sql_type = Text)]
    pub organisation_id: String,
    /// The request it answers: a later request asks for another sweep.
    #[diesel(sql_type = Timestamp)]
    pub requested_at: NaiveDateTime,
    /// Record the flags without announcing them.
    #[diesel(sql_type = SmallInt)]
    pub quiet: i16,
}

/// A sweep requested since it was last done (or never done).
macro_rules! pending {
    () => {
        "(swept_at IS NULL OR requested_at > swept_at)"
    };
}

const DUE: &str = concat!(
    "SELECT organisation_id, requested_at, quiet FROM supply_sweeps WHERE ",
    pending!(),
    " AND (lease_until IS NULL OR lease_until < $1) ORDER BY requested_at LIMIT 1"
);

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

/// How many organisations have a sweep requested and not yet done, leased or not (the
/// benchmarks wait for none before timing anything).
pub fn pending(conn: &mut DbConn) -> Result<i64, StoreError> {
    let found: Count = diesel::sql_query(concat!(
        "SELECT COUNT(*) AS count FROM supply_sweeps WHERE ",
        pending!()
    ))
    .get_result(conn)?;
    Ok(found.count)
}

/// Leases the oldest requested sweep until `lease_until`, inside the caller's transaction.
pub fn claim(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<Sweep>, StoreError> {
    let sql = match conn {
        DbConn::Pg(_) => format!("{DUE} FOR UPDATE SKIP LOCKED"),
        DbConn::Sqlite(_) => DUE.to_owned(),
    };
    let found: Option<Sweep> = diesel::sql_query(sql)
        .bind::<Timestamp, _>(time::to_db(now))
        .get_result(conn)
        .optional()?;
    if let Some(sweep) = &found {
        diesel::update(
            supply_sweeps::table.filter(supply_sweeps::organisation_id.eq(&sweep.organisation_id)),
        )
        .set(supply_sweeps::lease_until.eq(Some(time::to_db(lease_until))))
        .execute(conn)?;
    }
    Ok(found)
}

/// Shortens a failed sweep's lease to `retry_at`, if the lease is still the one this worker
/// took (`leased_until`): another worker's lease, taken after this one expired, is left alone.
/// Answers whether it was shortened.
pub fn retry_at(
    conn: &mut DbConn,
    sweep: &Sweep,
    leased_until: DateTime<Utc>,
    retry_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        supply_sweeps::table
            .filter(supply_sweeps::organisation_id.eq(&sweep.organisation_id))
            .filter(supply_sweeps::lease_until.eq(Some(time::to_db(leased_until)))),
    )
    .set(supply_sweeps::lease_until.eq(Some(time::to_db(retry_at))))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks a leased sweep done: its request answered, its lease released.
pub fn done(conn: &mut DbConn, sweep: &Sweep) -> Result<(), StoreError> {
    diesel::update(
        supply_sweeps::table.filter(supply_sweeps::organisation_id.eq(&sweep.organisation_id)),
    )
    .set((
        supply_sweeps::swept_at.eq(Some(sweep.requested_at)),
        supply_sweeps::lease_until.eq(None::<NaiveDateTime>),
        supply_sweeps::quiet.eq(0),
    ))
    .execute(conn)?;
    Ok(())
}

/// A flag as announced: its purchase, its fingerprint (what makes it the same flag when
/// computed again) and what was announced.
#[derive(Clone, Debug)]
pub struct AnnouncedFlag {
    pub purchase_id: String,
    pub fingerprint: String,
    pub flag: serde_json::Value,
}

pub fn announced(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<AnnouncedFlag>, StoreError> {
    let rows: Vec<(String, String, String)> = red_flag_states::table
        .filter(red_flag_states::organisation_id.eq(organisation))
        .select((
            red_flag_states::purchase_id,
            red_flag_states::fingerprint,
            red_flag_states::flag,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(purchase_id, fingerprint, flag)| {
            Ok(AnnouncedFlag {
                purchase_id,
                fingerprint,
                flag: serde_json::from_str(&flag).map_err(StoreError::corrupt)?,
            })
        })
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    flag: &AnnouncedFlag,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(red_flag_states::table)
        .values((
            red_flag_states::organisation_id.eq(organisation),
            red_flag_states::purchase_id.eq(&flag.purchase_id),
            red_flag_states::fingerprint.eq(&flag.fingerprint),
            red_flag_states::flag.eq(flag.flag.to_string()),
            red_flag_states::raised_at.eq(time::to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn remove(
    conn: &mut DbConn,
    organisation: OrganisationId,
    flag: &AnnouncedFlag,
) -> Result<(), StoreError> {
    diesel::delete(
        red_flag_states::table
            .filter(red_flag_states::organisation_id.eq(organisation))
            .filter(red_flag_states::purchase_id.eq(&flag.purchase_id))
            .filter(red_flag_states::fingerprint.eq(&flag.fingerprint)),
    )
    .execute(conn)?;
    Ok(())
}
