//! Stored responses for `Idempotency-Key` replays, one row per (organisation, client, key).
//!
//! A key belongs to the API client that used it: another client, even of the same organisation,
//! neither replays nor blocks it.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::idempotency_records as records;
use crate::domain::ids::OrganisationId;
use crate::domain::time;
use crate::store::StoreError;

/// The request a key was first used for.
pub struct Fingerprint {
    pub method: String,
    pub path: String,
    /// SHA-256 of method, path, query, content type and body.
    pub hash: String,
}

/// A response kept for replay.
#[derive(Clone, Debug)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

/// Whose key it is: the organisation and the API client (`sub` of the token).
#[derive(Clone, Debug)]
pub struct KeyOwner {
    pub organisation: OrganisationId,
    pub client_id: String,
}

/// What claiming a key found.
pub enum Claim {
    /// The key is ours: run the request, then [`complete`] or [`release`].
    Acquired,
    /// The same request was answered before: replay this.
    Replay(StoredResponse),
    /// The same key is being processed by another request right now.
    InProgress,
    /// The key was used for a different request.
    Mismatch,
}

#[derive(Queryable)]
struct Row {
    request_method: String,
    request_path: String,
    request_hash: String,
    status: Option<i32>,
    response_content_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<String>,
    created_at: chrono::NaiveDateTime,
}

/// A claim older than this whose request never completed (a crashed replica) may be taken over.
const ABANDONED_AFTER_SECONDS: i64 = 60;

/// Claims `key` for `fingerprint`. Run inside a write transaction.
pub fn claim(
    conn: &mut DbConn,
    owner: &KeyOwner,
    key: &str,
    fingerprint: &Fingerprint,
    ttl: Duration,
) -> Result<Claim, StoreError> {
    let now: DateTime<Utc> = time::now();
    let org = owner.organisation;
    let client = owner.client_id.as_str();
    let existing: Option<Row> = records::table
        .find((&org, client, key))
        .select((
            records::request_method,
            records::request_path,
            records::request_hash,
            records::status,
            records::response_content_type,
            records::response_location,
            records::response_body,
            records::created_at,
        ))
        .first(conn)
        .optional()?;
    if let Some(row) = existing {
        let created = time::from_db(row.created_at);
        let expired = created + ttl < now;
        if !expired {
            if row.request_hash != fingerprint.hash
                || row.request_method != fingerprint.method
                || row.request_path != fingerprint.path
            {
                return Ok(Claim::Mismatch);
            }
            if let (Some(status), Some(body)) = (row.status, row.response_body) {
                return Ok(Claim::Replay(StoredResponse {
                    status: u16::try_from(status).unwrap_or(500),
                    content_type: row.response_content_type,
                    location: row.response_location,
                    body,
                }));
            }
            if created + Duration::seconds(ABANDONED_AFTER_SECONDS) > now {
                return Ok(Claim::InProgress);
            }
        }
        diesel::delete(records::table.find((&org, client, key))).execute(conn)?;
    }
    let inserted = diesel::insert_into(records::table)
        .values((
            records::organisation_id.eq(&org),
            records::client_id.eq(client),
            records::idempotency_key.eq(key),
            records::request_method.eq(&fingerprint.method),
            records::request_path.eq(&fingerprint.path),
            records::request_hash.eq(&fingerprint.hash),
            records::created_at.eq(time::to_db(now)),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Claim::Acquired),
        // A concurrent request inserted the same key first.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(Claim::InProgress),
        Err(e) => Err(e.into()),
    }
}

/// Stores the response of a claimed key.
pub fn complete(
    conn: &mut DbConn,
    owner: &KeyOwner,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    let org = owner.organisation;
    diesel::update(records::table.find((&org, owner.client_id.as_str(), key)))
        .set((
            records::status.eq(Some(i32::from(response.status))),
            records::response_content_type.eq(&response.content_type),
            records::response_location.eq(&response.location),
            records::response_body.eq(Some(&response.body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a claimed key up (the response is not one to replay, such as a 503).
pub fn release(conn: &mut DbConn, owner: &KeyOwner, key: &str) -> Result<(), StoreError> {
    let org = owner.organisation;
    diesel::delete(records::table.find((&org, owner.client_id.as_str(), key))).execute(conn)?;
    Ok(())
}

/// Deletes records older than `ttl`; returns how many.
pub fn purge_expired(conn: &mut DbConn, ttl: Duration) -> Result<usize, StoreError> {
    let cutoff = time::to_db(time::now() - ttl);
    Ok(diesel::delete(records::table.filter(records::created_at.lt(cutoff))).execute(conn)?)
}
