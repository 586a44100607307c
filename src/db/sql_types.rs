//! Typed values into and out of diesel: typed ids and vocabulary enums travel as SQL `TEXT` on
//! both backends, so that row structs carry `FacilityId`, `Mineral` or `OriginClass`, never
//! `String`.
//!
//! Each type is stored as its `Display` text and read back with its `FromStr`, parsed from the
//! text where the driver holds it (no `String` per value: a mix or a trace reads tens of
//! thousands of values). A stored value that does not parse, or is not UTF-8, is a
//! deserialization error (a corrupt row), never a silent default. The
//! domain types stay free of diesel: the impls live here, derived through a proxy
//! (`#[diesel(foreign_derive)]`) plus `ToSql`/`FromSql` for PostgreSQL, SQLite and the
//! `MultiConnection` backend that dispatches between them.

use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Date, Text};
use diesel::sqlite::Sqlite;
use std::io::Write;

use super::MultiBackend;

/// Implements storage as `TEXT` for types with `Display` and `FromStr`.
macro_rules! stored_as_text {
    ($($ty:ty => $proxy:ident),+ $(,)?) => {$(
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(foreign_derive)]
        #[diesel(sql_type = Text)]
        #[allow(dead_code)]
        struct $proxy($ty);

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.to_string().as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Sqlite> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.to_string());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, MultiBackend> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: <Pg as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse_stored(std::str::from_utf8(bytes.as_bytes())?)
            }
        }

        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(mut bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parse_stored(bytes.read_text())
            }
        }

        impl FromSql<Text, MultiBackend> for $ty {
            fn from_sql(bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                bytes.from_sql::<Self, Text>()
            }
        }
    )+};
}

/// A `DATE` as read in bulk (the mix's rollup cells): on SQLite, where a date is `YYYY-MM-DD`
/// text, its ten bytes are read as digits rather than through chrono's format parser (a tenth
/// of a mix's time on SQLite went there, docs/PERFORMANCE.md); any other text goes to that
/// parser, as diesel's own `NaiveDate` would. PostgreSQL's binary date is read as diesel reads
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct StoredDate(pub chrono::NaiveDate);

impl StoredDate {
    /// `YYYY-MM-DD` read digit by digit; `None` for any other text, or a day no calendar has.
    fn from_iso(text: &str) -> Option<chrono::NaiveDate> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| {
            b[range].iter().try_fold(0u32, |value, &c| {
                c.is_ascii_digit().then(|| value * 10 + u32::from(c - b'0'))
            })
        };
        let year = i32::try_from(number(0..4)?).ok()?;
        chrono::NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
    }
}

impl FromSql<Date, Pg> for StoredDate {
    fn from_sql(
        bytes: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <chrono::NaiveDate as FromSql<Date, Pg>>::from_sql(bytes).map(StoredDate)
    }
}

impl FromSql<Date, Sqlite> for StoredDate {
    fn from_sql(
        mut bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        if let Some(day) = StoredDate::from_iso(bytes.read_text()) {
            return Ok(StoredDate(day));
        }
        // Anything else as diesel reads a date: the same answer, the same refusals.
        <chrono::NaiveDate as FromSql<Date, Sqlite>>::from_sql(bytes).map(StoredDate)
    }
}

impl FromSql<Date, MultiBackend> for StoredDate {
    fn from_sql(
        bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        bytes.from_sql::<Self, Date>()
    }
}

fn parse_stored<T: std::str::FromStr>(text: &str) -> deserialize::Result<T> {
    text.parse().map_err(|_| {
        format!(
            "stored value {text:?} is not a valid {}",
            std::any::type_name::<T>()
        )
        .into()
    })
}

use crate::domain::ids::{
    AuditEventId, CertificationEntryId, CertificationId, CustodyEventId, DeclarationId, DeliveryId,
    EpcisCaptureId, EventId, FacilityId, LotId, OrganisationId, PartyId, PurchaseId, RedFlagId,
    WebhookId,
};

stored_as_text!(
    OrganisationId => OrganisationIdColumn,
    AuditEventId => AuditEventIdColumn,
    FacilityId => FacilityIdColumn,
    PartyId => PartyIdColumn,
    CertificationId => CertificationIdColumn,
    CertificationEntryId => CertificationEntryIdColumn,
    LotId => LotIdColumn,
    CustodyEventId => CustodyEventIdColumn,
    PurchaseId => PurchaseIdColumn,
    WebhookId => WebhookIdColumn,
    DeliveryId => DeliveryIdColumn,
    EventId => EventIdColumn,
    DeclarationId => DeclarationIdColumn,
    RedFlagId => RedFlagIdColumn,
    EpcisCaptureId => EpcisCaptureIdColumn,
);

use crate::domain::country::CountryCode;
use crate::domain::quantity::MassUnit;
use crate::domain::red_flags::EvidenceKind;
use crate::domain::vocabulary::CertificationStatus;
use crate::domain::vocabulary::{
    ChainOfCustody, CoexistenceStatus, CustodyEventType, FacilityIdentifierScheme, FacilityKind,
    FacilityStatus, LotForm, Mineral, MiningScale, OriginClass, PartyIdentifierScheme, PartyRole,
    RedFlagKind, SchemeSubject, Severity, SubjectType,
};

stored_as_text!(
    crate::domain::organisation::OrganisationKind => OrganisationKindColumn,
    crate::auth::scopes::ScopeSet => ScopeSetColumn,
    CountryCode => CountryCodeColumn,
    Mineral => MineralColumn,
    FacilityKind => FacilityKindColumn,
    FacilityStatus => FacilityStatusColumn,
    MiningScale => MiningScaleColumn,
    OriginClass => OriginClassColumn,
    CoexistenceStatus => CoexistenceStatusColumn,
    FacilityIdentifierScheme => FacilityIdentifierSchemeColumn,
    PartyIdentifierScheme => PartyIdentifierSchemeColumn,
    PartyRole => PartyRoleColumn,
    SchemeSubject => SchemeSubjectColumn,
    SubjectType => SubjectTypeColumn,
    CertificationStatus => CertificationStatusColumn,
    CustodyEventType => CustodyEventTypeColumn,
    ChainOfCustody => ChainOfCustodyColumn,
    LotForm => LotFormColumn,
    MassUnit => MassUnitColumn,
    RedFlagKind => RedFlagKindColumn,
    EvidenceKind => EvidenceKindColumn,
    Severity => SeverityColumn,
    crate::domain::webhook::EventType => EventTypeColumn,
    crate::domain::declaration::Template => TemplateColumn,
    crate::domain::red_flags::case::CaseStatus => CaseStatusColumn,
    crate::domain::red_flags::case::CaseEntryKind => CaseEntryKindColumn,
);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use crate::db::{ConnectionManager, DatabaseUrl, DbConn};
    use crate::domain::ids::FacilityId;
    use crate::domain::vocabulary::Mineral;

    #[derive(QueryableByName)]
    struct Typed {
        #[diesel(sql_type = Text)]
        id: FacilityId,
        #[diesel(sql_type = Text)]
        mineral: Mineral,
    }

    /// A connection to a fresh SQLite file in `dir`.
    fn sqlite(dir: &tempfile::TempDir) -> DbConn {
        let url = DatabaseUrl::parse(&format!("sqlite://{}/t.db", dir.path().display())).unwrap();
        ConnectionManager::new(url, std::time::Duration::from_secs(5))
            .establish()
            .unwrap()
    }

    #[derive(QueryableByName)]
    struct Dated {
        #[diesel(sql_type = diesel::sql_types::Date)]
        day: super::StoredDate,
    }

    #[test]
    fn stored_dates_read_as_chrono_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = sqlite(&dir);
        for text in [
            "2026-02-28",
            "2024-02-29",
            "0001-01-01",
            "9999-12-31",
            "2026-2-5",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "20260228",
            "2026-02-2x",
            "",
        ] {
            let read = diesel::sql_query("SELECT $1 AS day")
                .bind::<Text, _>(text)
                .get_result::<Dated>(&mut conn)
                .map(|d| d.day.0)
                .ok();
            let chrono = chrono::NaiveDate::parse_from_str(text, "%F").ok();
            assert_eq!(read, chrono, "{text:?}");
        }
    }

    #[test]
    fn typed_values_round_trip_through_sqlite_and_refuse_corrupt_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = sqlite(&dir);
        let id = FacilityId::generate();
        let row: Typed = diesel::sql_query("SELECT $1 AS id, $2 AS mineral")
            .bind::<Text, _>(id)
            .bind::<Text, _>(Mineral::Gold)
            .get_result(&mut conn)
            .unwrap();
        assert_eq!((row.id, row.mineral), (id, Mineral::Gold));
        let corrupt =
            diesel::sql_query("SELECT 'x' AS id, 'gold' AS mineral").get_result::<Typed>(&mut conn);
        assert!(corrupt.is_err());
    }
}
