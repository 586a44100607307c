//! The command line: `serve` (the default), `migrate`, `openapi`, and the operator's admin
//! commands, which work directly on `DATABASE_URL` with no server running.
//!
//! This file holds the command tree and the dispatch; each command group has its own file:
//! `serve.rs` (`serve`, `migrate`), `orgs.rs`, `clients.rs`, `keys.rs` and `import.rs`.

mod clients;
mod db;
mod import;
mod keys;
mod orgs;
mod serve;

use clap::{Parser, Subcommand};

use crate::api::startup::migrate_with_retry;
use crate::app::AppError;
use crate::config::{Config, Settings};
use crate::db::{ConnectionManager, DbConn};
use crate::store::page::PageRequest;

pub use self::clients::ClientsCommand;
pub use self::db::DbCommand;
pub use self::import::ImportCommand;
pub use self::keys::KeysCommand;
pub use self::orgs::OrgsCommand;

#[derive(Parser, Debug)]
#[command(
    name = "oretrace",
    version,
    about = "Certification status, ASM/LSM sourcing mix and supplier provenance for purchasers of minerals",
    long_about = "Certification status, ASM/LSM sourcing mix and supplier provenance for purchasers \
                  of minerals.\n\nWith no command, starts the API (`serve`). Every setting is an \
                  environment variable (shown in brackets) or the flag of the same name; a `.env` \
                  file in the working directory is read too. RUST_LOG sets the log level \
                  (default: info)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the API (the default). Migrations run first.
    Serve {
        /// Seed demo data into an empty database even though DATABASE_URL is set.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create the database DATABASE_URL names.
    #[command(subcommand)]
    Db(DbCommand),
    /// Print the OpenAPI document (the committed openapi/openapi.json).
    Openapi,
    /// Manage organisations.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Manage API clients.
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Load data from files, directly into DATABASE_URL.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// Writes to standard output; a reader that stops early (`oretrace openapi | head`) is not an
/// error, any other failure to write is.
fn print_to_stdout(text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

pub fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    if let Command::Openapi = command {
        return print_to_stdout(&crate::api::openapi::to_json(
            &crate::api::openapi::document(),
        ));
    }
    if let Command::Keys(keys_command) = &command {
        return keys::run(keys_command);
    }
    let config = Config::from_settings(&cli.settings)?;
    match command {
        Command::Serve { demo } => serve::serve(config, demo),
        Command::Migrate => serve::migrate(&config),
        Command::Db(db_command) => db::run(&config, db_command),
        Command::Orgs(orgs_command) => orgs::run(&config, orgs_command),
        Command::Clients(clients_command) => clients::run(&config, clients_command),
        Command::Import(import_command) => import::run(&config, import_command),
        Command::Openapi | Command::Keys(_) => Ok(()),
    }
}

/// Prints `value` as pretty JSON on standard output.
fn print_json(value: &impl serde::Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    print_to_stdout(&format!("{text}\n"))
}

/// Every row of a keyset-paged list: `fetch` reads one page (one row more than the page, as the
/// store does), `key` is a row's sort key, from which the next page starts.
fn every_page<T>(
    mut fetch: impl FnMut(&PageRequest) -> Result<Vec<T>, String>,
    key: impl Fn(&T) -> String,
) -> Result<Vec<T>, String> {
    let mut all = Vec::new();
    let mut page = PageRequest {
        limit: 500,
        after: None,
    };
    loop {
        let mut rows = fetch(&page)?;
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        page.after = rows.last().map(&key);
        all.extend(rows);
        if !more {
            return Ok(all);
        }
    }
}

/// A use case's refusal as the command line says it: the flag for a refused name, every other
/// refusal by its detail.
fn command_error(name_flag: &str, error: AppError) -> String {
    match error {
        AppError::Rejected { rejections, .. } => rejections
            .iter()
            .map(|r| {
                if r.field == "/name" {
                    format!("{name_flag} {}", r.detail)
                } else {
                    r.detail.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// A migrated connection for the admin commands.
fn admin_connection(config: &Config) -> Result<DbConn, String> {
    migrate_with_retry(config, std::time::Duration::from_secs(5))?;
    ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
        .establish()
        .map_err(|e| format!("cannot connect to {}: {e}", config.database_url))
}
