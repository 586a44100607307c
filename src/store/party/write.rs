//! Creating and replacing parties. The checks (identifiers free) are the use cases'
//! (`app::catalog`); these write what they were given.

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::parties;
use crate::domain::ids::PartyId;
use crate::store::StoreError;
use crate::store::catalog::CHUNK;

crate::store::catalog::whole_record_writes!(parties, PartyId, NewParty, PartyRow, CHUNK);
