//! Organisations: the tenants (purchasers) and the operator of the instance.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::db::schema::organisations;
use crate::domain::ids::OrganisationId;
use crate::domain::time;
use crate::store::StoreError;
use crate::store::page::PageRequest;

pub use crate::domain::organisation::OrganisationKind;

/// An organisation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Organisation {
    /// Organisation id.
    pub id: OrganisationId,
    /// Display name.
    pub name: String,
    /// `purchaser` or `operator`.
    pub kind: OrganisationKind,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
struct OrganisationRow {
    id: OrganisationId,
    name: String,
    kind: OrganisationKind,
    created_at: NaiveDateTime,
}

impl From<OrganisationRow> for Organisation {
    fn from(row: OrganisationRow) -> Organisation {
        Organisation {
            id: row.id,
            name: row.name,
            kind: row.kind,
            created_at: time::from_db(row.created_at),
        }
    }
}

pub fn insert(
    conn: &mut DbConn,
    name: &str,
    kind: OrganisationKind,
) -> Result<Organisation, StoreError> {
    let organisation = Organisation {
        id: OrganisationId::generate(),
        name: name.to_owned(),
        kind,
        created_at: time::now(),
    };
    diesel::insert_into(organisations::table)
        .values(OrganisationRow {
            id: organisation.id,
            name: organisation.name.clone(),
            kind,
            created_at: time::to_db(organisation.created_at),
        })
        .execute(conn)?;
    Ok(organisation)
}

pub fn find(conn: &mut DbConn, id: OrganisationId) -> Result<Option<Organisation>, StoreError> {
    Ok(organisations::table
        .find(id)
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?
        .map(Organisation::from))
}

pub fn list(conn: &mut DbConn, page: &PageRequest) -> Result<Vec<Organisation>, StoreError> {
    let mut query = organisations::table
        .select(OrganisationRow::as_select())
        .order(organisations::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(organisations::id.gt(after.clone()));
    }
    Ok(query
        .load(conn)?
        .into_iter()
        .map(Organisation::from)
        .collect())
}

pub fn count(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(organisations::table.count().get_result(conn)?)
}

/// Every operator organisation, oldest first.
pub fn operators(conn: &mut DbConn) -> Result<Vec<Organisation>, StoreError> {
    Ok(organisations::table
        .filter(organisations::kind.eq(OrganisationKind::Operator))
        .select(OrganisationRow::as_select())
        .order(organisations::id.asc())
        .load(conn)?
        .into_iter()
        .map(Organisation::from)
        .collect())
}
