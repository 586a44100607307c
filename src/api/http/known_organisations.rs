//! Organisations known to exist, so that a token naming one that does not (minted by a trusted
//! external issuer for a wrong id, or before the database was restored) is refused with 401
//! instead of reaching handlers that would fail on a foreign key.
//!
//! Organisations are never deleted, so an id seen once stays valid: each replica looks an
//! organisation up once and remembers it. An id that does not exist is looked up again on every
//! request that names it (such tokens are rare and are refused anyway).

use std::collections::HashSet;
use std::sync::RwLock;

use crate::api::error::ApiError;
use crate::app::organisations;
use crate::db::Db;
use crate::domain::ids::OrganisationId;

#[derive(Default)]
pub struct KnownOrganisations(RwLock<HashSet<OrganisationId>>);

impl KnownOrganisations {
    fn remembered(&self, id: OrganisationId) -> bool {
        self.0.read().map(|set| set.contains(&id)).unwrap_or(false)
    }

    /// Whether `id` names an existing organisation; an error when the database cannot say.
    pub async fn exists(&self, db: &Db, id: OrganisationId) -> Result<bool, ApiError> {
        if self.remembered(id) {
            return Ok(true);
        }
        let found = db.read(move |conn| organisations::exists(conn, id)).await?;
        if found && let Ok(mut set) = self.0.write() {
            set.insert(id);
        }
        Ok(found)
    }
}
