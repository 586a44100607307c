//! Creating and replacing facilities. The checks (identifiers free, parties known) are the use
//! cases' (`app::catalog`); these write what they were given.

use diesel::prelude::*;

use super::rows::*;
use super::*;
use crate::db::DbConn;
use crate::db::schema::facilities;
use crate::domain::ids::FacilityId;
use crate::store::StoreError;

// 17 columns a row: 500 rows stay far below every bind-parameter limit.
crate::store::catalog::whole_record_writes!(facilities, FacilityId, NewFacility, FacilityRow, 500);
