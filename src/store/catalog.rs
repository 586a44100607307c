//! What the catalog's stores (facilities, parties, certifications) share: chunked lookups,
//! children grouped by owner, multi-row inserts, and the small conversions of stored values.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;

use chrono::NaiveDateTime;

use crate::store::StoreError;

/// How many values go into one `IN (…)` list or one multi-row `INSERT`: far below SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters, even for the widest row.
pub const CHUNK: usize = 1000;

/// Inserts `rows` into `table` with one multi-row `INSERT` per `size` rows, on the concrete
/// connection (`MultiConnection` has no multi-row insert).
macro_rules! insert_chunks {
    ($conn:ident, $table:expr, $rows:expr, $size:expr) => {
        for chunk in $rows.chunks($size) {
            $crate::db_run!($conn => diesel::insert_into($table).values(chunk).execute($conn))?;
        }
    };
}
pub(crate) use insert_chunks;

/// The writes of a catalog table whose records are replaced whole, children included
/// (facilities, parties): `insert_many` and `replace_many`, from what the calling module
/// defines: the row type `$row { id, content, created_at, updated_at }`, `changeset(&$new)`,
/// `insert_children` and `delete_children`.
macro_rules! whole_record_writes {
    ($table:ident, $id:ty, $new:ty, $row:ident, $rows_per_insert:expr) => {
        /// Creates records with the given ids (one multi-row insert per table and chunk).
        pub fn insert_many(conn: &mut DbConn, new: &[($id, $new)]) -> Result<(), StoreError> {
            let now = $crate::store::catalog::now_db();
            let rows = new
                .iter()
                .map(|(id, content)| {
                    Ok($row {
                        id: *id,
                        content: changeset(content)?,
                        created_at: now,
                        updated_at: now,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            $crate::store::catalog::insert_chunks!(conn, $table::table, rows, $rows_per_insert);
            insert_children(conn, new)
        }

        /// Replaces records' rows and children: one UPDATE per record, then one DELETE and one
        /// multi-row INSERT per child table and chunk. Returns the `updated_at` written.
        pub fn replace_many(
            conn: &mut DbConn,
            rows: &[($id, $new)],
        ) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
            let now = $crate::domain::time::now();
            for (id, content) in rows {
                diesel::update($table::table.find(id))
                    .set((
                        changeset(content)?,
                        $table::updated_at.eq($crate::domain::time::to_db(now)),
                    ))
                    .execute(conn)?;
            }
            let ids: Vec<$id> = rows.iter().map(|(id, _)| *id).collect();
            delete_children(conn, &ids)?;
            insert_children(conn, rows)?;
            Ok(now)
        }
    };
}
pub(crate) use whole_record_writes;

/// Runs `load` over `keys` one chunk at a time (each chunk one `IN (…)` list) and gathers what
/// it answers.
pub fn chunked<K, T>(
    keys: &[K],
    mut load: impl FnMut(&[K]) -> Result<Vec<T>, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        found.extend(load(chunk)?);
    }
    Ok(found)
}

/// The children of each owner, in the order loaded.
pub fn by_owner<Id: Eq + Hash, T>(pairs: Vec<(Id, T)>) -> HashMap<Id, Vec<T>> {
    let mut grouped: HashMap<Id, Vec<T>> = HashMap::new();
    for (owner, child) in pairs {
        grouped.entry(owner).or_default().push(child);
    }
    grouped
}

/// The children of `owner`, sorted (vocabulary order, identifiers by scheme then value).
pub fn take_sorted<Id: Eq + Hash, T: Ord>(
    children: &mut HashMap<Id, Vec<T>>,
    owner: &Id,
) -> Vec<T> {
    let mut own = children.remove(owner).unwrap_or_default();
    own.sort();
    own
}

/// Each distinct value once, in order: the keys of an `IN (…)` lookup.
pub fn distinct<T: Ord + Clone>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values
        .into_iter()
        .collect::<BTreeSet<T>>()
        .into_iter()
        .collect()
}

/// Who owns each of `wanted` (an identifier, a certificate number): `load` answers the
/// candidate keys and owners of one chunk of the distinct `value`s, of which only the wanted
/// keys are kept.
pub fn owners<K: Eq + Hash + Clone, Id>(
    wanted: &[K],
    value: impl Fn(&K) -> String,
    load: impl FnMut(&[String]) -> Result<Vec<(K, Id)>, StoreError>,
) -> Result<HashMap<K, Id>, StoreError> {
    let keys: HashSet<&K> = wanted.iter().collect();
    let values = distinct(wanted.iter().map(value));
    Ok(chunked(&values, load)?
        .into_iter()
        .filter(|(key, _)| keys.contains(key))
        .collect())
}

/// A `LIKE` pattern matching values that contain `needle` (escaped with `\`).
pub fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Parses stored text (an id, an enum) or reports the corrupt row. The catalog's rows are
/// typed (`db::sql_types`); this remains for the stores that still read text.
pub fn parse_stored<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("bad stored {what} {text:?}")))
}

pub fn now_db() -> NaiveDateTime {
    crate::domain::time::to_db(crate::domain::time::now())
}

pub fn bool_to_db(value: bool) -> i16 {
    i16::from(value)
}

pub fn bool_from_db(value: i16) -> bool {
    value != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }

    #[test]
    fn owners_keep_only_the_wanted_keys() {
        let wanted = [("a", "1".to_owned()), ("b", "2".to_owned())];
        let found = owners(
            &wanted,
            |(_, value)| value.clone(),
            |values| {
                assert_eq!(values, ["1", "2"]);
                Ok(vec![(("a", "1".to_owned()), 7), (("x", "2".to_owned()), 8)])
            },
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[&("a", "1".to_owned())], 7);
    }
}
