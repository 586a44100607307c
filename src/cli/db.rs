//! `oretrace db create`: the database DATABASE_URL names, before the first `serve` or `migrate`.

use clap::Subcommand;

use crate::config::Config;
use crate::db::{Created, create_database};

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Create the database DATABASE_URL names (PostgreSQL: through the server's `postgres`
    /// maintenance database; SQLite: the file). Nothing changes when it exists already.
    Create,
}

pub(super) fn run(config: &Config, command: DbCommand) -> Result<(), String> {
    match command {
        DbCommand::Create => {
            let said = match create_database(&config.database_url)? {
                Created::Created(name) => format!("created the database \"{name}\""),
                Created::AlreadyExisted(name) => {
                    format!("the database \"{name}\" exists already; nothing changed")
                }
                Created::SqliteFile(path) => format!("the SQLite file {path} is ready"),
            };
            eprintln!("{said}; `oretrace migrate` or `oretrace serve` creates its tables");
            Ok(())
        }
    }
}
