//! Connections, the pool, migrations and transactions: one diesel code base over PostgreSQL and
//! SQLite.
//!
//! Most queries are written once against [`DbConn`], diesel's `MultiConnection` over both
//! backends. What `MultiConnection` cannot express (multi-row inserts, upserts, `RETURNING`) is
//! written once as a generic expression and dispatched to the concrete connection with
//! [`db_run!`](crate::db_run).
//!
//! Every call into diesel runs on the runtime's blocking thread pool ([`Db::read`] and
//! [`Db::write`]), never on the async executor.

mod create;
mod manager;
mod migrate;
mod replica;
pub mod schema;
pub mod sql_types;
mod url;

#[cfg(test)]
mod tests;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::result::Error as DieselError;

pub use create::{
    Created, create_database, database_and_maintenance_url, is_missing_database,
    is_transient_connect_error,
};
pub use manager::{ConnectionManager, SQLITE_BUSY_TIMEOUT};
pub use migrate::{revert_last_migration, run_migrations};
pub use replica::ReadReplica;
pub use url::{Backend, DatabaseUrl};

/// One connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same diesel expression on the concrete connection behind a [`DbConn`]:
/// `db_run!(conn => diesel::insert_into(t).values(&rows).execute(conn))`.
///
/// Inside the expression `conn` is a `&mut PgConnection` or a `&mut SqliteConnection`; use it for
/// what `MultiConnection` cannot express (multi-row inserts, `ON CONFLICT`, `RETURNING`).
#[macro_export]
macro_rules! db_run {
    ($conn:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($conn) => $body,
            $crate::db::DbConn::Sqlite($conn) => $body,
        }
    };
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// How the pool is sized and how long a request waits for a connection.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_size: u32,
    /// How long a request waits for a free, working connection before it is answered 503.
    pub checkout_timeout: Duration,
    /// PostgreSQL `statement_timeout`: no single statement may run longer.
    pub statement_timeout: Duration,
}

/// The database handle shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// The streaming replica for heavy reads ([`Db::read_replica`]), when configured.
    replica: Option<std::sync::Arc<ReadReplica>>,
}

/// A pool that does not connect yet: a database that is down at start-up is retried by the
/// pool, and requests are answered 503 until it is back.
fn pool(url: &DatabaseUrl, settings: &PoolSettings) -> Pool {
    let manager = ConnectionManager::new(url.clone(), settings.statement_timeout);
    r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(Some(1))
        .connection_timeout(settings.checkout_timeout)
        .test_on_check_out(true)
        .build_unchecked(manager)
}

impl Db {
    /// Builds the pool without connecting: a database that is down at start-up is retried by the
    /// pool, and requests are answered 503 until it is back.
    pub fn new(url: &DatabaseUrl, settings: &PoolSettings) -> Db {
        Db {
            pool: pool(url, settings),
            backend: url.backend,
            replica: None,
        }
    }

    /// The same database, with a streaming replica for [`Db::read_replica`].
    pub fn with_replica(mut self, replica: std::sync::Arc<ReadReplica>) -> Db {
        self.replica = Some(replica);
        self
    }

    /// The replica, when one is configured.
    pub fn replica(&self) -> Option<&std::sync::Arc<ReadReplica>> {
        self.replica.as_ref()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool, or [`Unavailable`] when none can be had within the checkout
    /// timeout.
    pub fn conn(&self) -> Result<PooledConn, Unavailable> {
        self.pool.get().map_err(Unavailable::from)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool (no transaction: each
    /// statement commits on its own).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Unavailable> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(Unavailable::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|_| Unavailable("the server is shutting down".into()))?
    }

    /// Runs a read-only `f` on the streaming replica while it is within its allowed lag
    /// (`ORETRACE_READ_MAX_LAG_MS`), otherwise on the primary; also on the primary when the
    /// replica gives no connection at once. For heavy reads that may lag that far behind the
    /// latest write (the mix, traces, red flags, lists), never for what a client reads back
    /// right after writing it.
    pub async fn read_replica<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: Fn(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Unavailable> + Send + 'static,
    {
        let Some(replica) = self.replica.clone().filter(|r| r.usable()) else {
            if let Some(replica) = &self.replica {
                replica.fallbacks.inc();
            }
            return self.read(f).await;
        };
        let primary = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let Some(mut conn) = replica.pool.try_get() else {
                replica.fallbacks.inc();
                let mut conn = primary.get().map_err(Unavailable::from)?;
                return f(&mut conn);
            };
            replica.served.inc();
            match f(&mut conn) {
                // The standby went away under the read (stopped, restarted, its connection
                // killed): the same read on the primary, never a 503 for the replica's sake.
                Err(_) if diesel::r2d2::R2D2Connection::ping(&mut *conn).is_err() => {
                    log::warn!(
                        "read replica: a read lost its connection; read again on the primary"
                    );
                    replica.fallbacks.inc();
                    let mut conn = primary.get().map_err(Unavailable::from)?;
                    f(&mut conn)
                }
                done => done,
            }
        })
        .await
        .map_err(|_| Unavailable("the server is shutting down".into()))?
    }

    /// As [`Db::write`], run again (at most twice more) when it fails because a concurrent
    /// transaction committed the same unique key first (two upserts of the same new external
    /// reference at once): the next run finds that row and updates it, or leaves it unchanged,
    /// as if the two had come one after the other. On SQLite writers never overlap (`BEGIN
    /// IMMEDIATE`), so there is nothing to retry.
    pub async fn write_upsert<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: Fn(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Unavailable> + From<DieselError> + UniqueRace + Send + 'static,
    {
        self.read(move |conn| {
            let mut attempt = 0;
            loop {
                match write_transaction(conn, &f) {
                    Err(error) if error.is_unique_race() && attempt < 2 => {
                        attempt += 1;
                        log::info!("a concurrent write took the same unique key first: retrying");
                    }
                    done => return done,
                }
            }
        })
        .await
    }

    /// Runs `f` inside one write transaction on the blocking thread pool: all of it or none.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Unavailable> + From<DieselError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, f)).await
    }

    /// As [`Db::write`], for a background task nobody is waiting on (a sweep's results, a
    /// delivery's attempt): on SQLite it waits up to [`BACKGROUND_BUSY_TIMEOUT`] for the write
    /// lock rather than [`SQLITE_BUSY_TIMEOUT`], so that a long purchase batch holding the lock
    /// delays it instead of failing it (a failed sweep is tried again only after its retry, an
    /// unrecorded delivery is sent again). The connection goes back to the pool with the usual
    /// timeout. On PostgreSQL the same as [`Db::write`]: it has no database-wide write lock.
    pub async fn write_patiently<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Unavailable> + From<DieselError> + Send + 'static,
    {
        self.read(move |conn| {
            if !matches!(conn, DbConn::Sqlite(_)) {
                return write_transaction(conn, f);
            }
            busy_timeout(conn, BACKGROUND_BUSY_TIMEOUT)?;
            let done = write_transaction(conn, f);
            if let Err(e) = busy_timeout(conn, SQLITE_BUSY_TIMEOUT) {
                log::warn!("could not restore a connection's busy_timeout: {e}");
            }
            done
        })
        .await
    }
}

/// How long a background writer waits for SQLite's write lock ([`Db::write_patiently`]):
/// longer than a purchase batch holds it (a 50,000-line batch held it about 6 s on the bench
/// machine; docs/OPERATIONS.md, "SQLite: one writer at a time").
pub const BACKGROUND_BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Sets a SQLite connection's `busy_timeout`.
fn busy_timeout(conn: &mut DbConn, timeout: Duration) -> Result<(), DieselError> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&format!("PRAGMA busy_timeout = {}", timeout.as_millis()))
}

/// An error that may be a unique-key race with a concurrent writer ([`Db::write_upsert`]).
pub trait UniqueRace {
    /// Whether the database refused a row because another transaction holds the same unique
    /// key.
    fn is_unique_race(&self) -> bool;
}

impl UniqueRace for DieselError {
    fn is_unique_race(&self) -> bool {
        matches!(
            self,
            DieselError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
        )
    }
}

/// No database connection could be had: the pool's checkout timed out (the database is down or
/// every connection is busy), or the server is shutting down. Callers answer 503.
#[derive(Clone, Debug)]
pub struct Unavailable(pub String);

impl From<r2d2::Error> for Unavailable {
    fn from(error: r2d2::Error) -> Unavailable {
        log::warn!("database pool: {error}");
        Unavailable("the database is unreachable; retry shortly".into())
    }
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `f` in a transaction that is going to write.
///
/// On SQLite the transaction starts with `BEGIN IMMEDIATE`, so that it takes the write lock up
/// front (waiting up to `busy_timeout`) instead of failing with `SQLITE_BUSY` when a read
/// transaction tries to upgrade while another writer holds the lock.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => <DbConn as Connection>::TransactionManager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => match <DbConn as Connection>::TransactionManager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // A failed COMMIT may leave the transaction open (SQLITE_BUSY): roll it back so
                // that the connection returns to the pool clean.
                let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// Serialises the write transactions of one organisation that take the same `lock` (custody
/// events, whose checks read the lot graph before they insert): on PostgreSQL a transaction-
/// scoped advisory lock on (`lock`, organisation), released at commit or rollback; on SQLite
/// nothing, because `BEGIN IMMEDIATE` already makes every write transaction the only one.
/// Call it first in the transaction, before anything is read.
pub fn lock_for_organisation(
    conn: &mut DbConn,
    lock: &str,
    organisation: &str,
) -> Result<(), DieselError> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<Text, _>(format!("{lock}:{organisation}"))
            .execute(pg)?;
    }
    Ok(())
}

/// `SELECT 1` through a pooled connection: the readiness probe.
pub async fn ping(db: &Db) -> Result<(), String> {
    use diesel::RunQueryDsl;
    db.read(|conn| {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(|e| Unavailable(e.to_string()))
    })
    .await
    .map_err(|e: Unavailable| e.0)
}
