//! Certification schemes: seeded reference data (migration 000002), read-only through the API.

use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::db::schema::schemes;
use crate::domain::vocabulary::{Mineral, SchemeSubject};
use crate::store::StoreError;

/// A certification scheme (standard) and what it can certify.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Scheme {
    /// Stable id, such as `irma`, `fairmined` or `rmi_rmap`.
    #[schema(example = "irma")]
    pub id: String,
    /// Name of the standard.
    pub name: String,
    /// Who owns the standard.
    pub owner: String,
    /// The standard's website.
    pub url: String,
    /// What the scheme assures.
    pub description: String,
    /// What it certifies: `asm_mine`, `lsm_mine`, `smelter_refiner`, `company`.
    pub subjects: Vec<SchemeSubject>,
    /// Its levels, lowest first (IRMA: transparency < irma_50 < irma_75 < irma_100). Empty when
    /// the scheme has no levels; then a certificate carries no level.
    pub levels: Vec<String>,
    /// The minerals it covers; empty means any mineral.
    pub minerals: Vec<Mineral>,
}

impl Scheme {
    pub fn applies_to(&self, subject: SchemeSubject) -> bool {
        self.subjects.contains(&subject)
    }

    pub fn covers(&self, mineral: Mineral) -> bool {
        self.minerals.is_empty() || self.minerals.contains(&mineral)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = schemes)]
struct SchemeRow {
    id: String,
    name: String,
    owner: String,
    url: String,
    description: String,
    subjects: String,
    levels: String,
    minerals: String,
}

impl TryFrom<SchemeRow> for Scheme {
    type Error = StoreError;
    fn try_from(row: SchemeRow) -> Result<Scheme, StoreError> {
        let bad = |what: &str, e: serde_json::Error| {
            StoreError::corrupt(format!("scheme {}: bad {what}: {e}", row.id))
        };
        Ok(Scheme {
            subjects: serde_json::from_str(&row.subjects).map_err(|e| bad("subjects", e))?,
            levels: serde_json::from_str(&row.levels).map_err(|e| bad("levels", e))?,
            minerals: serde_json::from_str(&row.minerals).map_err(|e| bad("minerals", e))?,
            id: row.id,
            name: row.name,
            owner: row.owner,
            url: row.url,
            description: row.description,
        })
    }
}

/// Every scheme, by id. There are a dozen or so: callers load them all and look up in memory.
pub fn all(conn: &mut DbConn) -> Result<Vec<Scheme>, StoreError> {
    schemes::table
        .select(SchemeRow::as_select())
        .order(schemes::id.asc())
        .load(conn)?
        .into_iter()
        .map(Scheme::try_from)
        .collect()
}

/// Schemes after `after` (by id), for pagination.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> Result<Vec<Scheme>, StoreError> {
    let mut query = schemes::table
        .select(SchemeRow::as_select())
        .order(schemes::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(schemes::id.gt(after.to_owned()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(Scheme::try_from)
        .collect()
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Scheme>, StoreError> {
    schemes::table
        .find(id)
        .select(SchemeRow::as_select())
        .first(conn)
        .optional()?
        .map(Scheme::try_from)
        .transpose()
}
