//! The rollup's optional key parts (the origin facility, the country): a primary key has no
//! NULL, so "none" is stored as `""`. [`OrEmpty`] carries the typed value in and out.

use std::fmt::Display;
use std::str::FromStr;

use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use std::io::Write;

use crate::db::MultiBackend;

/// An optional value in a `TEXT NOT NULL` key column, `""` standing for none.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = Text)]
pub struct OrEmpty<T>(pub Option<T>);

impl<T: Display> OrEmpty<T> {
    fn text(&self) -> String {
        self.0.as_ref().map(T::to_string).unwrap_or_default()
    }
}

fn read<T: FromStr>(text: &str) -> deserialize::Result<OrEmpty<T>> {
    if text.is_empty() {
        return Ok(OrEmpty(None));
    }
    text.parse().map(|v| OrEmpty(Some(v))).map_err(|_| {
        format!(
            "stored key part {text:?} is not a valid {}",
            std::any::type_name::<T>()
        )
        .into()
    })
}

impl<T: Display + std::fmt::Debug> ToSql<Text, Pg> for OrEmpty<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.text().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl<T: Display + std::fmt::Debug> ToSql<Text, Sqlite> for OrEmpty<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text());
        Ok(IsNull::No)
    }
}

impl<T: Display + std::fmt::Debug + Send + Sync + 'static> ToSql<Text, MultiBackend>
    for OrEmpty<T>
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl<T: FromStr> FromSql<Text, Pg> for OrEmpty<T> {
    fn from_sql(
        bytes: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        read(std::str::from_utf8(bytes.as_bytes())?)
    }
}

impl<T: FromStr> FromSql<Text, Sqlite> for OrEmpty<T> {
    fn from_sql(
        mut bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        read(bytes.read_text())
    }
}

impl<T: FromStr + 'static> FromSql<Text, MultiBackend> for OrEmpty<T> {
    fn from_sql(
        bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        bytes.from_sql::<Self, Text>()
    }
}
