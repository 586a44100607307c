//! Parties of the catalog: companies, ASM organisations, traders… Created, changed by merge
//! patch or in batches (a row naming a known identifier updates that party), and listed.

pub mod input;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub use input::{PartyInput, parse};

use super::kind::{CatalogKind, content_kind};
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::PartyId;
use crate::domain::validation::FieldError;
use crate::store::StoreError;
use crate::store::audit::{self, Actor, EntityType};
use crate::store::page::PageRequest;
use crate::store::party::{self, NewParty, Party, PartyFilter, PartyIdentifier};

/// Parties, as a kind of catalog record.
pub struct Parties;

impl CatalogKind for Parties {
    type Row = NewParty;
    type Record = Party;
    type Id = PartyId;
    type Key = PartyIdentifier;
    /// Nothing: a party names no other record.
    type Context = ();

    const ENTITY: EntityType = EntityType::Party;
    const NAMES: (&'static str, &'static str) = ("party", "parties");

    fn context(_: &mut DbConn, _: &[NewParty]) -> Result<(), AppError> {
        Ok(())
    }

    fn check(_: &(), _: &NewParty, _: Option<&Party>) -> Vec<FieldError> {
        Vec::new()
    }

    content_kind!(party);
}

/// A page of parties matching `filter`.
pub fn list(
    conn: &mut DbConn,
    filter: &PartyFilter,
    page: &PageRequest,
) -> Result<Vec<Party>, AppError> {
    Ok(party::list(conn, filter, page)?)
}
