//! The loader's id lists on SQLite: one JSON array parameter read by `json_each`, instead of an
//! `IN (?, ?, …)` list of one bound parameter per id. SQLite plans both the same way (the ids
//! into an ephemeral index, then one probe of the table's index per id), but a list of 4,000
//! parameters costs its parse and its binds on every query (6 % of a six-tier load in a
//! profile, docs/PERFORMANCE.md, "Trace"), where one text parameter costs a JSON parse.

use diesel::dsl::{AsExprOf, sql};
use diesel::expression::{SqlLiteral, UncheckedBind};
use diesel::sql_types::{Bool, Text};

/// `column IN (the ids)`, the ids as one JSON array. `column` is a qualified column name
/// written in this module's callers, never input.
pub type InIds = SqlLiteral<Bool, UncheckedBind<SqlLiteral<Bool>, AsExprOf<String, Text>>>;

/// `column IN (SELECT value FROM json_each(?))` with the ids bound as one JSON array.
pub fn in_ids(column: &'static str, ids: &[String]) -> InIds {
    let json = serde_json::to_string(ids).expect("a list of strings is JSON");
    sql::<Bool>(&format!("{column} IN (SELECT value FROM json_each("))
        .bind::<Text, _>(json)
        .sql("))")
}
