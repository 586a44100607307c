//! The rows the loader reads, the same on both backends: each is loaded by position from the
//! SQLite DSL query (`Queryable`, fields in the `select` order) and by name from the PostgreSQL
//! SQL of `pg_sql` (`QueryableByName`).

use diesel::sql_types::{BigInt, Bool, Date, Nullable, SmallInt, Text};
use diesel::{Queryable, QueryableByName};

use crate::db::sql_types::StoredDate;
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType};

/// A lot of the frontier.
#[derive(Queryable, QueryableByName)]
pub(super) struct LotRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = BigInt)]
    pub quantity_mg: i64,
    #[diesel(sql_type = BigInt)]
    pub quantity_uozt: i64,
    #[diesel(sql_type = SmallInt)]
    pub recycled: i16,
    #[diesel(sql_type = Nullable<Text>)]
    pub origin_event_id: Option<String>,
}

/// An input or output of an extraction or transformation, with its event.
#[derive(Queryable, QueryableByName)]
pub(super) struct SideRow {
    #[diesel(sql_type = Text)]
    pub event_id: String,
    /// An input (`direction = 'input'`), else an output: read as a comparison, not as text.
    #[diesel(sql_type = Bool)]
    pub is_input: bool,
    #[diesel(sql_type = Text)]
    pub lot_id: String,
    #[diesel(sql_type = BigInt)]
    pub quantity_mg: i64,
    #[diesel(sql_type = BigInt)]
    pub quantity_uozt: i64,
    #[diesel(sql_type = Text)]
    pub event_type: CustodyEventType,
    #[diesel(sql_type = Date)]
    pub occurred_on: StoredDate,
    #[diesel(sql_type = Nullable<Text>)]
    pub facility_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub chain_of_custody: Option<ChainOfCustody>,
}

/// An input or transfer naming a lot. The event's date and parties are read for transfers; on
/// PostgreSQL an input's event is not read, so they are absent.
#[derive(Queryable, QueryableByName)]
pub(super) struct UseRow {
    #[diesel(sql_type = Text)]
    pub event_id: String,
    #[diesel(sql_type = Text)]
    pub lot_id: String,
    /// An input (`direction = 'input'`), else a transfer.
    #[diesel(sql_type = Bool)]
    pub is_input: bool,
    #[diesel(sql_type = BigInt)]
    pub quantity_mg: i64,
    #[diesel(sql_type = BigInt)]
    pub quantity_uozt: i64,
    #[diesel(sql_type = Nullable<Date>)]
    pub occurred_on: Option<StoredDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_party_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub to_party_id: Option<String>,
}
