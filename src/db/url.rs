//! `DATABASE_URL`: the scheme picks the backend.

use std::fmt;
use std::path::PathBuf;

/// Which database engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// What the driver is given: the libpq URL, or the SQLite file path.
    pub target: String,
}

/// The embedded default when `DATABASE_URL` is unset: an SQLite file in the working directory.
pub const DEFAULT_SQLITE_FILE: &str = "oretrace.db";

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path` (or `sqlite:path`) is an
    /// SQLite file (`sqlite:///abs/path` for an absolute path).
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: raw.to_owned(),
            });
        }
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path.starts_with(":memory:") {
                return Err(
                    "DATABASE_URL: an SQLite URL needs a file path (sqlite://oretrace.db); \
                     in-memory databases are not supported because every pooled connection \
                     would see a different database"
                        .into(),
                );
            }
            return Ok(DatabaseUrl {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        Err(format!(
            "DATABASE_URL: unsupported scheme in {:?}; use postgres://user@host/db or sqlite://path",
            redact(raw)
        ))
    }

    /// The embedded default: `sqlite://oretrace.db`.
    pub fn embedded_default() -> DatabaseUrl {
        DatabaseUrl {
            backend: Backend::Sqlite,
            target: DEFAULT_SQLITE_FILE.to_owned(),
        }
    }

    /// The SQLite file, when this is SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self.backend {
            Backend::Sqlite => Some(PathBuf::from(&self.target)),
            Backend::Postgres => None,
        }
    }
}

/// The URL with any password replaced, fit for logs.
pub fn redact(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &raw[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &raw[..scheme_end + 3],
                    &userinfo[..colon],
                    &raw[at..]
                ),
                None => raw.to_owned(),
            }
        }
        _ => raw.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backend {
            Backend::Postgres => f.write_str(&redact(&self.target)),
            Backend::Sqlite => write!(f, "sqlite://{}", self.target),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_pick_the_backend() {
        let pg = DatabaseUrl::parse("postgres://u:p@h/db").unwrap();
        assert_eq!(pg.backend, Backend::Postgres);
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").unwrap().backend,
            Backend::Postgres
        );
        let rel = DatabaseUrl::parse("sqlite://data/o.db").unwrap();
        assert_eq!(rel.backend, Backend::Sqlite);
        assert_eq!(rel.target, "data/o.db");
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/o.db").unwrap().target,
            "/var/lib/o.db"
        );
        assert_eq!(DatabaseUrl::parse("sqlite:o.db").unwrap().target, "o.db");
    }

    #[test]
    fn bad_urls_are_refused_without_leaking_passwords() {
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        let err = DatabaseUrl::parse("mysql://root:secret@h/db").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn display_redacts_the_password() {
        let url = DatabaseUrl::parse("postgres://alice:s3cret@db:5432/o").unwrap();
        assert_eq!(url.to_string(), "postgres://alice:***@db:5432/o");
    }
}
