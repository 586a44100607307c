//! `oretrace db create`: the database `DATABASE_URL` names, made when it does not exist yet.
//!
//! On PostgreSQL the command connects to the server's maintenance database (`postgres`, with the
//! same user, password, host and options) and runs `CREATE DATABASE`; a database that already
//! exists is left as it is. An SQLite file is created by opening it.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};

use super::url::{Backend, DatabaseUrl, redact};

/// What `create_database` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// The PostgreSQL database was created.
    Created(String),
    /// It existed already; nothing was changed.
    AlreadyExisted(String),
    /// The SQLite file exists (created when it did not).
    SqliteFile(String),
}

/// The database a PostgreSQL URL names, and the URL of the server's maintenance database.
pub fn database_and_maintenance_url(raw: &str) -> Result<(String, String), String> {
    let mut parsed =
        url::Url::parse(raw).map_err(|e| format!("DATABASE_URL {}: {e}", redact(raw)))?;
    // libpq reads the database name percent-decoded (`my%20db` is "my db"; `+` stays a plus).
    let name = percent_encoding::percent_decode_str(parsed.path().trim_start_matches('/'))
        .decode_utf8()
        .map_err(|e| format!("DATABASE_URL {}: the database name: {e}", redact(raw)))?
        .into_owned();
    if name.is_empty() {
        return Err(format!(
            "DATABASE_URL {} names no database (postgres://user@host:5432/oretrace)",
            redact(raw)
        ));
    }
    parsed.set_path("/postgres");
    Ok((name, parsed.to_string()))
}

/// Creates the database `url` names unless it exists.
pub fn create_database(url: &DatabaseUrl) -> Result<Created, String> {
    match url.backend {
        Backend::Sqlite => {
            SqliteConnection::establish(&url.target)
                .map_err(|e| format!("cannot open the SQLite file {}: {e}", url.target))?;
            Ok(Created::SqliteFile(url.target.clone()))
        }
        Backend::Postgres => {
            let (name, maintenance) = database_and_maintenance_url(&url.target)?;
            let mut conn = PgConnection::establish(&maintenance).map_err(|e| {
                format!(
                    "cannot connect to the server's maintenance database {}: {e}",
                    redact(&maintenance)
                )
            })?;
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            match conn.batch_execute(&format!("CREATE DATABASE {quoted}")) {
                Ok(()) => Ok(Created::Created(name)),
                Err(e) if e.to_string().contains("already exists") => {
                    Ok(Created::AlreadyExisted(name))
                }
                Err(e) => Err(format!("cannot create the database {quoted}: {e}")),
            }
        }
    }
}

/// Whether a failure to connect names a database that does not exist (a fix the user must make,
/// never worth retrying).
pub fn is_missing_database(message: &str) -> bool {
    message.contains("database \"") && message.contains("does not exist")
}

/// Whether a failure to connect is worth retrying: the server is not listening yet, or is
/// starting. Missing databases, wrong passwords, unknown roles and refused hosts are not.
pub fn is_transient_connect_error(message: &str) -> bool {
    let permanent = [
        "does not exist",
        "authentication",
        "no pg_hba.conf entry",
        "could not translate host name",
    ];
    if permanent.iter().any(|p| message.contains(p)) {
        return false;
    }
    [
        "Connection refused",
        "the database system is starting up",
        "the database system is shutting down",
        "timeout expired",
        "Connection timed out",
        "server closed the connection unexpectedly",
    ]
    .iter()
    .any(|t| message.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maintenance_url_keeps_everything_but_the_database() {
        let (name, url) = database_and_maintenance_url(
            "postgres://app:s3cret@db.example:5433/oretrace_prod?sslmode=require",
        )
        .unwrap();
        assert_eq!(name, "oretrace_prod");
        assert_eq!(
            url,
            "postgres://app:s3cret@db.example:5433/postgres?sslmode=require"
        );
        let (name, _) = database_and_maintenance_url("postgres://u@h/my%20db").unwrap();
        assert_eq!(name, "my db");
        let (name, _) = database_and_maintenance_url("postgres://u@h/a+b").unwrap();
        assert_eq!(name, "a+b", "a plus is not a space in a URL path");
        assert!(database_and_maintenance_url("postgres://u@h/").is_err());
    }

    #[test]
    fn only_a_server_that_is_not_up_yet_is_retried() {
        assert!(is_transient_connect_error(
            "connection to server at \"127.0.0.1\", port 5439 failed: Connection refused"
        ));
        assert!(is_transient_connect_error(
            "FATAL:  the database system is starting up"
        ));
        let missing = "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  \
                       database \"oretrace\" does not exist";
        assert!(!is_transient_connect_error(missing));
        assert!(is_missing_database(missing));
        assert!(!is_transient_connect_error(
            "FATAL:  password authentication failed for user \"app\""
        ));
    }
}
