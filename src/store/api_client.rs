//! API clients: the OAuth 2.0 clients of an organisation. Secrets are stored as argon2id hashes.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::scopes::{Scope, ScopeSet};
use crate::auth::secrets;
use crate::db::DbConn;
use crate::db::schema::api_clients;
use crate::domain::ids::OrganisationId;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::page::PageRequest;

/// An API client (never with its secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiClient {
    /// The OAuth `client_id`.
    pub client_id: String,
    /// The organisation it acts for.
    pub organisation_id: OrganisationId,
    /// A label for people, such as "SAP nightly import".
    pub name: String,
    /// Scopes it may request.
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// When it was revoked; a revoked client gets no new tokens.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_clients)]
struct ApiClientRow {
    id: String,
    organisation_id: OrganisationId,
    name: String,
    secret_hash: String,
    scopes: ScopeSet,
    created_at: NaiveDateTime,
    revoked_at: Option<NaiveDateTime>,
}

impl ApiClientRow {
    fn into_client(self) -> (ApiClient, String) {
        (
            ApiClient {
                client_id: self.id,
                organisation_id: self.organisation_id,
                name: self.name,
                scopes: self.scopes.to_vec(),
                created_at: time::from_db(self.created_at),
                revoked_at: self.revoked_at.map(time::from_db),
            },
            self.secret_hash,
        )
    }
}

/// Creates a client and returns it with its secret, the only time the secret is ever seen.
pub fn insert(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    name: &str,
    scopes: &ScopeSet,
) -> Result<(ApiClient, String), StoreError> {
    let secret = secrets::new_client_secret();
    let hash = secrets::hash_secret(&secret).map_err(StoreError::corrupt)?;
    let row = ApiClientRow {
        id: secrets::new_client_id(),
        organisation_id,
        name: name.to_owned(),
        secret_hash: hash,
        scopes: scopes.clone(),
        created_at: time::to_db(time::now()),
        revoked_at: None,
    };
    diesel::insert_into(api_clients::table)
        .values(&row)
        .execute(conn)?;
    let (client, _) = row.into_client();
    Ok((client, secret))
}

/// The client and its secret hash, when it exists and is not revoked.
pub fn find_active(
    conn: &mut DbConn,
    client_id: &str,
) -> Result<Option<(ApiClient, String)>, StoreError> {
    Ok(api_clients::table
        .find(client_id)
        .filter(api_clients::revoked_at.is_null())
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()?
        .map(ApiClientRow::into_client))
}

pub fn list(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    page: &PageRequest,
) -> Result<Vec<ApiClient>, StoreError> {
    let mut query = api_clients::table
        .filter(api_clients::organisation_id.eq(organisation_id))
        .select(ApiClientRow::as_select())
        .order(api_clients::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(api_clients::id.gt(after.clone()));
    }
    Ok(query
        .load(conn)?
        .into_iter()
        .map(|row| row.into_client().0)
        .collect())
}

/// Revokes a client of `organisation_id`; false when there is no such client.
pub fn revoke(
    conn: &mut DbConn,
    organisation_id: OrganisationId,
    client_id: &str,
) -> Result<Option<ApiClient>, StoreError> {
    diesel::update(
        api_clients::table
            .filter(api_clients::id.eq(client_id))
            .filter(api_clients::organisation_id.eq(organisation_id))
            .filter(api_clients::revoked_at.is_null()),
    )
    .set(api_clients::revoked_at.eq(Some(time::to_db(time::now()))))
    .execute(conn)?;
    Ok(api_clients::table
        .find(client_id)
        .filter(api_clients::organisation_id.eq(organisation_id))
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| row.into_client().0))
}
