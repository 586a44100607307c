//! An r2d2 connection manager that picks the backend from the URL itself, so that a failed
//! PostgreSQL connection reports libpq's own error (diesel's derived `establish` tries every
//! backend in turn and reports only "invalid connection url").

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::R2D2Connection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::{Backend, DatabaseUrl, DbConn};

/// How long a SQLite write waits for the write lock (`busy_timeout`) before it fails with
/// "database is locked": a request's write is then answered 503 with `Retry-After`
/// (docs/OPERATIONS.md, "SQLite: one writer at a time"). Background writers wait longer
/// ([`super::Db::write_patiently`]).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct ConnectionManager {
    url: DatabaseUrl,
    statement_timeout: Duration,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, statement_timeout: Duration) -> ConnectionManager {
        ConnectionManager {
            url,
            statement_timeout,
        }
    }

    /// Opens one connection, configured the way every pooled connection is.
    pub fn establish(&self) -> Result<DbConn, diesel::r2d2::Error> {
        match self.url.backend {
            Backend::Postgres => {
                let target = with_connect_timeout(&self.url.target);
                let mut conn = PgConnection::establish(&target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET TIME ZONE 'UTC';",
                    self.statement_timeout.as_millis()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(conn))
            }
            Backend::Sqlite => {
                if let Some(parent) = std::path::Path::new(&self.url.target).parent()
                    && !parent.as_os_str().is_empty()
                {
                    let _ = std::fs::create_dir_all(parent);
                }
                let mut conn = SqliteConnection::establish(&self.url.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; busy_timeout makes a second writer
                // wait for the lock instead of failing at once.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    SQLITE_BUSY_TIMEOUT.as_millis()
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// libpq waits for the OS TCP timeout by default when a host does not answer; bound it.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout=2")
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::with_connect_timeout;

    #[test]
    fn connect_timeout_is_added_once() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require&connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=9"),
            "postgres://h/db?connect_timeout=9"
        );
    }
}
