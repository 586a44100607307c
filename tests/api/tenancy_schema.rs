//! The migrated schema keeps tenants apart by construction (docs/DATA-MODEL.md, "Tenancy";
//! docs/OPERATIONS.md, "Sharding by organisation"): in every tenant-owned table (one with an
//! `organisation_id` column) the primary key and every unique key include `organisation_id`, and
//! every foreign key to another tenant-owned table carries `organisation_id` to
//! `organisation_id`. That is what lets a row reference only rows of its own organisation, and
//! what a database sharded by `organisation_id` needs to keep every key and join on one shard.
//! Read from the database itself (PostgreSQL's catalog, SQLite's pragmas), on both backends.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::both_backends;
use crate::helpers::TestApp;
use oretrace::db::DbConn;

/// Tables with an `organisation_id` whose rows are keyed globally on purpose.
const GLOBALLY_KEYED: [(&str, &str); 2] = [
    (
        "api_clients",
        "a client id is a credential, looked up before its organisation is known",
    ),
    (
        "audit_events",
        "append-only, ids unique everywhere, never the target of a foreign key",
    ),
];

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// A key of a table: its kind (`unique` covers the primary key), its columns and, for a foreign
/// key, the table and columns it references.
#[derive(Debug, QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    target_columns: String,
}

const PG_TENANT_TABLES: &str = "SELECT table_name AS name FROM information_schema.columns \
     WHERE table_schema = current_schema() AND column_name = 'organisation_id'";

/// Unique indexes (primary keys and unique constraints included), then foreign keys, columns in
/// key order.
const PG_KEYS: &str = "\
SELECT t.relname::text AS table_name, 'unique' AS kind,
       (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
        FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns,
       '' AS target, '' AS target_columns
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE i.indisunique AND n.nspname = current_schema()
UNION ALL
SELECT c.conrelid::regclass::text, 'foreign',
       (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
        FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
       c.confrelid::regclass::text,
       (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
        FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum)
FROM pg_constraint c
JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = current_schema()";

const SQLITE_TENANT_TABLES: &str = "SELECT m.name AS name FROM sqlite_master m \
     JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'organisation_id'";

const SQLITE_KEYS: &str = "\
SELECT m.name AS table_name, 'unique' AS kind,
       (SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_info(il.name) ii
                                             ORDER BY ii.seqno)) AS columns,
       '' AS target, '' AS target_columns
FROM sqlite_master m JOIN pragma_index_list(m.name) il
WHERE m.type = 'table' AND il.\"unique\" = 1
UNION ALL
SELECT m.name, 'foreign',
       group_concat(fk.\"from\", ','), fk.\"table\", group_concat(fk.\"to\", ',')
FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) fk
WHERE m.type = 'table'
GROUP BY m.name, fk.id, fk.\"table\"";

/// Every rule the schema breaks, one line each.
fn violations(conn: &mut DbConn) -> (BTreeSet<String>, Vec<String>) {
    let (tables, keys): (Vec<Name>, Vec<Key>) = match conn {
        DbConn::Pg(pg) => (
            diesel::sql_query(PG_TENANT_TABLES).load(pg).unwrap(),
            diesel::sql_query(PG_KEYS).load(pg).unwrap(),
        ),
        DbConn::Sqlite(sqlite) => (
            diesel::sql_query(SQLITE_TENANT_TABLES)
                .load(sqlite)
                .unwrap(),
            diesel::sql_query(SQLITE_KEYS).load(sqlite).unwrap(),
        ),
    };
    let tenant: BTreeSet<String> = tables
        .into_iter()
        .map(|t| t.name)
        .filter(|t| !GLOBALLY_KEYED.iter().any(|(name, _)| name == t))
        .collect();
    let mut found = Vec::new();
    let mut keyed = BTreeSet::new();
    for key in keys.iter().filter(|k| tenant.contains(&k.table_name)) {
        let columns: Vec<&str> = key.columns.split(',').collect();
        match key.kind.as_str() {
            "unique" => {
                keyed.insert(key.table_name.clone());
                if !columns.contains(&"organisation_id") {
                    found.push(format!(
                        "{}: unique key ({}) leaves out organisation_id",
                        key.table_name, key.columns
                    ));
                }
            }
            _ if tenant.contains(&key.target) => {
                let targets: Vec<&str> = key.target_columns.split(',').collect();
                let paired = columns
                    .iter()
                    .zip(&targets)
                    .any(|(from, to)| *from == "organisation_id" && *to == "organisation_id");
                if !paired {
                    found.push(format!(
                        "{}: foreign key ({}) to {} ({}) leaves out organisation_id",
                        key.table_name, key.columns, key.target, key.target_columns
                    ));
                }
            }
            _ => {}
        }
    }
    for table in tenant.difference(&keyed) {
        found.push(format!("{table}: no primary or unique key"));
    }
    (tenant, found)
}

async fn tenant_keys_carry_the_organisation(app: TestApp) {
    app.with_conn(move |conn| {
        let (tenant, found) = violations(conn);
        for expected in [
            "lots",
            "custody_events",
            "custody_event_lots",
            "purchases",
            "purchase_origins",
            "purchase_mix_daily",
            "purchase_mix_monthly",
            "purchase_mix_monthly_by_origin",
            "sourcing_policies",
            "idempotency_records",
        ] {
            assert!(tenant.contains(expected), "{expected} not read: {tenant:?}");
        }
        assert_eq!(found, Vec::<String>::new());

        // The check catches what it is for: a table keyed without its organisation, and a
        // foreign key to a tenant-owned table that leaves it out.
        let bad = [
            "CREATE TABLE bad_notes (organisation_id TEXT NOT NULL, id TEXT NOT NULL, \
             lot_id TEXT NOT NULL, PRIMARY KEY (id))",
            "CREATE UNIQUE INDEX bad_notes_lot ON bad_notes (organisation_id, lot_id)",
            "CREATE TABLE bad_links (organisation_id TEXT NOT NULL, id TEXT NOT NULL, \
             note_id TEXT NOT NULL, PRIMARY KEY (organisation_id, id), \
             FOREIGN KEY (note_id) REFERENCES bad_notes (id))",
        ];
        for statement in bad {
            match &mut *conn {
                DbConn::Pg(pg) => diesel::sql_query(statement).execute(pg).unwrap(),
                DbConn::Sqlite(sqlite) => diesel::sql_query(statement).execute(sqlite).unwrap(),
            };
        }
        let (_, found) = violations(conn);
        assert!(
            found
                .iter()
                .any(|f| f == "bad_notes: unique key (id) leaves out organisation_id"),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("bad_links: foreign key (note_id)")),
            "{found:?}"
        );
        assert_eq!(found.len(), 2, "{found:?}");
    })
    .await;
}

both_backends!(tenant_keys_carry_the_organisation);
