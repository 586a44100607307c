//! Embedded migrations, one folder per backend with the same migration names.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{ConnectionManager, DbConn};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An arbitrary, fixed advisory-lock key: replicas that start together migrate one at a time.
const MIGRATION_LOCK_KEY: i64 = 0x6f72_6574_7261_6365;

/// Applies every pending migration and returns the names of those applied.
pub fn run_migrations(manager: &ConnectionManager) -> Result<Vec<String>, String> {
    let conn = manager
        .establish()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let applied = match conn {
        DbConn::Pg(mut pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .map_err(|e| e.to_string())?;
            let result = pg
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>())
                .map_err(|e| e.to_string());
            let _ = pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
            result?
        }
        DbConn::Sqlite(mut sqlite) => sqlite
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?,
    };
    Ok(applied)
}

/// Reverts the last applied migration (its `down.sql`) and returns its name: how a test puts a
/// database back to the previous schema to check that the next migration converts what that
/// schema wrote.
pub fn revert_last_migration(manager: &ConnectionManager) -> Result<String, String> {
    let conn = manager
        .establish()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let reverted = match conn {
        DbConn::Pg(mut pg) => pg.revert_last_migration(POSTGRES),
        DbConn::Sqlite(mut sqlite) => sqlite.revert_last_migration(SQLITE),
    };
    reverted.map(|v| v.to_string()).map_err(|e| e.to_string())
}
