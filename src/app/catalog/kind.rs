//! What each kind of catalog record (facilities, parties, certifications) brings to the one
//! batch pipeline ([`super::batch`]) and to single creations and patches ([`super::record`]).

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{CertificationId, FacilityId, OrganisationId, PartyId};
use crate::domain::validation::{FieldError, Invalid};
use crate::store::StoreError;
use crate::store::audit::{self, Actor, EntityType};

/// Who holds each of some keys.
pub type Lookup<K, Id> = fn(&mut DbConn, &[K]) -> Result<HashMap<K, Id>, StoreError>;
/// The records of some ids.
pub type Load<Id, R> = fn(&mut DbConn, &[Id]) -> Result<Vec<R>, StoreError>;

/// The typed ids of catalog records.
pub trait RecordId: Copy + Eq + Hash + Ord + Display + Send + 'static {
    fn generate() -> Self;
    fn uuid(self) -> uuid::Uuid;
}

macro_rules! record_ids {
    ($($id:ident),+) => {$(
        impl RecordId for $id {
            fn generate() -> $id {
                $id::generate()
            }
            fn uuid(self) -> uuid::Uuid {
                self.0
            }
        }
    )+};
}

record_ids!(FacilityId, PartyId, CertificationId);

/// One kind of catalog record.
pub trait CatalogKind {
    /// A checked row: the content to write, and what the row says about how to write it.
    type Row: Send + 'static;
    /// The record as stored and shown.
    type Record: Serialize + Send + 'static;
    type Id: RecordId;
    /// What names a known record: an identifier, or a scheme and certificate number.
    type Key: Clone + Eq + Hash + Display;
    /// What the checks of rows need from the database (known parties, schemes…).
    type Context;

    const ENTITY: EntityType;
    /// The record's name, once and many times: `facility`, `facilities`.
    const NAMES: (&'static str, &'static str);
    /// Where a row names its keys, for refusals about the record they name.
    const KEYS_FIELD: &'static str = "/identifiers";
    /// Members of the record's view a merge patch cannot change.
    const READ_ONLY: &'static [&'static str] = &["id", "created_at", "updated_at"];

    /// Parses and checks one row (a body, a batch row, a row of a file): no database.
    const PARSE: fn(serde_json::Value) -> Result<Self::Row, Invalid>;
    /// Who holds each of these keys.
    const OWNERS: Lookup<Self::Key, Self::Id>;
    /// The records with these ids (those that exist).
    const FIND_MANY: Load<Self::Id, Self::Record>;

    /// Parses and checks the body of one new record.
    fn parse_new(value: serde_json::Value) -> Result<Self::Row, AppError> {
        Ok((Self::PARSE)(value)?)
    }

    /// What the audit trail records of a record created on its own: the record, without its
    /// read-only members but its id.
    fn as_created(record: &Self::Record) -> Result<serde_json::Value, AppError> {
        let hidden: Vec<&str> = Self::READ_ONLY
            .iter()
            .copied()
            .filter(|m| *m != "id")
            .collect();
        super::patch::editable(record, &hidden)
    }

    /// The record as `viewer` may see it.
    fn seen_by(record: Self::Record, _viewer: OrganisationId) -> Self::Record {
        record
    }

    /// The keys a row names known records by, each with its field inside the row.
    fn keys(row: &Self::Row) -> Vec<(String, Self::Key)>;

    /// Why a key named again by a later row is refused.
    fn also_in_row(key: &Self::Key, first: usize) -> String {
        format!("{key} is also the identifier of row {first}")
    }

    /// Why a key another record holds is refused (a conflict).
    fn taken(key: &Self::Key, owner: Self::Id) -> String {
        format!(
            "the identifier {key} is already used by {} {owner}",
            Self::NAMES.0
        )
    }

    fn id(record: &Self::Record) -> Self::Id;

    /// Looks up what rows name by other means than ids (a certificate's subject named by
    /// identifier) and fills it in; refusals by row index.
    fn resolve(
        _conn: &mut DbConn,
        _rows: &mut [Self::Row],
    ) -> Result<Vec<(usize, FieldError)>, AppError> {
        Ok(Vec::new())
    }

    /// What [`CatalogKind::check`] needs to know of the database, for all rows at once.
    fn context(conn: &mut DbConn, rows: &[Self::Row]) -> Result<Self::Context, AppError>;

    /// The refusals of a row against the database, given the known record it updates.
    fn check(
        context: &Self::Context,
        row: &Self::Row,
        current: Option<&Self::Record>,
    ) -> Vec<FieldError>;

    /// A batch row naming a known record, as it would replace it (facilities and parties keep
    /// their known identifiers).
    fn merged(row: Self::Row, _current: &Self::Record) -> Self::Row {
        row
    }

    /// Whether `current` holds exactly what the row says already.
    fn matches(row: &Self::Row, current: &Self::Record) -> bool;

    /// Why `current` cannot become what the row says, though each is valid (a facility whose
    /// new kind cannot hold its certificates).
    fn obstacles(
        _conn: &mut DbConn,
        _row: &Self::Row,
        _current: &Self::Record,
    ) -> Result<Vec<String>, AppError> {
        Ok(Vec::new())
    }

    /// Where a batch reports [`CatalogKind::obstacles`], and what a single change answers.
    const OBSTACLE_FIELD: &'static str = "";
    fn blocked(reasons: &[String]) -> String {
        reasons.join("; ")
    }

    fn insert_many(
        conn: &mut DbConn,
        actor: &Actor,
        rows: &[(Self::Id, Self::Row)],
    ) -> Result<(), StoreError>;

    /// What the audit trail records of a row a batch created.
    fn created(
        id: Self::Id,
        row: &Self::Row,
        at: DateTime<Utc>,
    ) -> Result<serde_json::Value, AppError>;

    /// Replaces known records (`current`, by id) with rows; answers each change to audit.
    fn replace_many(
        conn: &mut DbConn,
        actor: &Actor,
        rows: &[(Self::Id, Self::Row)],
        current: &HashMap<Self::Id, Self::Record>,
    ) -> Result<Vec<audit::Change>, AppError>;
}

/// What a creation records in the audit trail for a kind whose row makes its record without
/// the database (facilities, parties): the record, marked as coming from a batch.
pub fn created_view(view: &impl Serialize) -> Result<serde_json::Value, AppError> {
    let mut record = super::patch::editable(view, &["id", "created_at", "updated_at"])?;
    if let Some(object) = record.as_object_mut() {
        object.insert("via".to_owned(), serde_json::Value::from("batch"));
    }
    Ok(record)
}

/// The audit changes of records replaced by rows that make their records without the database
/// (facilities, parties): `view(row, id, before)` is the record a row made of `before`.
pub fn replaced<K: CatalogKind>(
    rows: &[(K::Id, K::Row)],
    current: &HashMap<K::Id, K::Record>,
    view: impl Fn(&K::Row, K::Id, &K::Record) -> K::Record,
) -> Result<Vec<audit::Change>, AppError> {
    let mut changes = Vec::with_capacity(rows.len());
    for (id, row) in rows {
        if let Some(before) = current.get(id) {
            changes.push(updated::<K>(*id, before, &view(row, *id, before))?);
        }
    }
    Ok(changes)
}

/// The audit change of a record replaced: each changed member, from and to.
pub fn updated<K: CatalogKind>(
    id: K::Id,
    before: &impl Serialize,
    after: &impl Serialize,
) -> Result<audit::Change, AppError> {
    Ok(audit::Change {
        action: "update",
        entity_type: K::ENTITY,
        entity_id: id.to_string(),
        changes: audit::diff(
            &serde_json::to_value(before).map_err(AppError::internal)?,
            &serde_json::to_value(after).map_err(AppError::internal)?,
            &["updated_at"],
        ),
    })
}

/// The items of [`CatalogKind`] that facilities and parties share: a row is parsed by the
/// calling module's `parse` and is the record's whole content (its `into_view` makes the record
/// without the database), the store module `$store` finds and writes them, and a row naming a
/// known record adds its identifiers to the known ones (none is removed).
macro_rules! content_kind {
    ($store:ident) => {
        const PARSE: fn(
            serde_json::Value,
        ) -> Result<Self::Row, $crate::domain::validation::Invalid> = parse;
        const OWNERS: $crate::app::catalog::kind::Lookup<Self::Key, Self::Id> = $store::owners_of;
        const FIND_MANY: $crate::app::catalog::kind::Load<Self::Id, Self::Record> =
            $store::find_many;

        fn keys(row: &Self::Row) -> Vec<(String, Self::Key)> {
            row.identifiers
                .iter()
                .enumerate()
                .map(|(j, identifier)| (format!("/identifiers/{j}"), identifier.clone()))
                .collect()
        }

        fn id(record: &Self::Record) -> Self::Id {
            record.id
        }

        fn merged(mut row: Self::Row, current: &Self::Record) -> Self::Row {
            row.identifiers.extend(current.identifiers.iter().cloned());
            row.normalised()
        }

        fn matches(row: &Self::Row, current: &Self::Record) -> bool {
            row.matches(current)
        }

        fn insert_many(
            conn: &mut DbConn,
            _: &Actor,
            rows: &[(Self::Id, Self::Row)],
        ) -> Result<(), StoreError> {
            $store::insert_many(conn, rows)
        }

        fn created(
            id: Self::Id,
            row: &Self::Row,
            at: DateTime<Utc>,
        ) -> Result<serde_json::Value, AppError> {
            $crate::app::catalog::kind::created_view(&row.clone().into_view(id, at, at))
        }

        fn replace_many(
            conn: &mut DbConn,
            _: &Actor,
            rows: &[(Self::Id, Self::Row)],
            current: &HashMap<Self::Id, Self::Record>,
        ) -> Result<Vec<audit::Change>, AppError> {
            let at = $store::replace_many(conn, rows)?;
            $crate::app::catalog::kind::replaced::<Self>(rows, current, |row, id, was| {
                row.clone().into_view(id, was.created_at, at)
            })
        }
    };
}
pub(crate) use content_kind;
