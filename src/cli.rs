//! The command line: `serve` (the default), `migrate`, `openapi`, and the operator's admin
//! commands, which work directly on `DATABASE_URL` with no server running.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::api::startup::{Application, migrate_with_retry};
use crate::app::{AppError, organisations};
use crate::auth::scopes::ScopeSet;
use crate::config::{Config, Settings};
use crate::db::{ConnectionManager, DbConn};
use crate::domain::ids::OrganisationId;
use crate::store::audit::Actor;
use crate::store::organisation::OrganisationKind;

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

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import purchase lines for an organisation from CSV, NDJSON or a JSON array (by file
    /// extension: .csv, .ndjson/.jsonl, .json), all or none, with a progress bar. Lines whose
    /// external_ref exists are updated. See docs/PURCHASES.md for the CSV columns.
    Purchases {
        /// The organisation id.
        #[arg(long)]
        org: String,
        /// The file to import.
        file: PathBuf,
    },
    /// Load facilities, parties or certifications from a JSON array or a CSV file into
    /// DATABASE_URL: the same checks and upserts as the batch routes, all or nothing. CSV
    /// columns: see docs/DATA-MODEL.md ("Importing").
    Catalog {
        /// What the file holds.
        #[arg(long, value_enum)]
        kind: crate::import::CatalogKind,
        /// The operator organisation recorded as the author (default: the only operator).
        #[arg(long)]
        org: Option<String>,
        /// A .json file (an array of rows, as the batch routes take) or a .csv file.
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgsCommand {
    /// Register an organisation; prints it as JSON (with its id).
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// purchaser (default) or operator.
        #[arg(long, default_value = "purchaser", value_parser = ["purchaser", "operator"])]
        kind: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// Create an API client; prints {"client_id", "client_secret", "scopes"} as JSON. The
    /// secret is shown this once.
    Create {
        /// The organisation id.
        #[arg(long)]
        org: String,
        /// Space-separated scopes: catalog:read catalog:write purchases:read purchases:write
        /// provenance:read provenance:write admin.
        #[arg(long)]
        scopes: String,
        /// A label for people.
        #[arg(long, default_value = "API client")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Write a new Ed25519 signing key (PKCS#8 PEM, mode 0600) to FILE.
    Generate {
        /// Where to write it; an existing file is never overwritten.
        file: PathBuf,
    },
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
    if let Command::Keys(KeysCommand::Generate { file }) = &command {
        crate::auth::keys::write_new_key_file(file)?;
        eprintln!("wrote a new Ed25519 signing key to {}", file.display());
        return Ok(());
    }
    let config = Config::from_settings(&cli.settings)?;
    match command {
        Command::Serve { demo } => serve(config, demo),
        Command::Migrate => {
            let applied = migrate_with_retry(&config, std::time::Duration::from_secs(30))?;
            eprintln!(
                "{}: {} migration(s) applied",
                config.database_url,
                applied.len()
            );
            Ok(())
        }
        Command::Orgs(OrgsCommand::Create { name, kind }) => {
            let kind = OrganisationKind::parse(&kind).ok_or("--kind: purchaser or operator")?;
            let mut conn = admin_connection(&config)?;
            let created = crate::db::write_transaction(&mut conn, |conn| {
                organisations::register(conn, None, &name, kind)
            })
            .map_err(|e| command_error("--name", e))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&created).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Clients(ClientsCommand::Create { org, scopes, name }) => {
            let org: OrganisationId = org
                .parse()
                .map_err(|_| "--org must be an organisation id")?;
            let scopes = ScopeSet::parse(&scopes).map_err(|e| format!("--scopes: {e}"))?;
            let mut conn = admin_connection(&config)?;
            let (client, secret) = crate::db::write_transaction(&mut conn, |conn| {
                organisations::create_client(conn, &Actor::cli(org), org, &name, &scopes.to_vec())
            })
            .map_err(|e| command_error("--name", e))?;
            let out = serde_json::json!({
                "client_id": client.client_id,
                "client_secret": secret,
                "scopes": client.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                "organisation_id": client.organisation_id,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Import(ImportCommand::Purchases { org, file }) => {
            let org: OrganisationId = org
                .parse()
                .map_err(|_| "--org must be an organisation id")?;
            let lines = crate::import::purchases::read(&file)?;
            let mut conn = admin_connection(&config)?;
            let result = crate::import::purchases_command::import(&mut conn, org, &file, &lines)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Import(ImportCommand::Catalog { kind, org, file }) => {
            let org: Option<OrganisationId> = org
                .map(|o| o.parse().map_err(|_| "--org must be an organisation id"))
                .transpose()?;
            let rows = crate::import::read_rows(kind, &file)?;
            let csv = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let mut conn = admin_connection(&config)?;
            let org = crate::import::importing_organisation(&mut conn, org)?;
            let result = crate::import::run(&mut conn, kind, &Actor::cli(org), rows, csv)?;
            let out = crate::import::catalog::report_json(&result);
            println!(
                "{}",
                serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Openapi | Command::Keys(_) => Ok(()),
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

fn serve(config: Config, demo: bool) -> Result<(), String> {
    migrate_with_retry(&config, std::time::Duration::from_secs(60))?;
    let banner = if config.embedded_default || demo {
        demo_banner(&config)?
    } else {
        None
    };
    let base_url = format!("http://{}", config.bind.replace("0.0.0.0", "127.0.0.1"));
    let database = config.database_url.to_string();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config)?;
        log::info!("Oretrace listening on {base_url} (database: {database})");
        println!("Oretrace is running at {base_url} (database: {database})");
        if let Some(banner) = banner {
            println!("{banner}");
        }
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// Seeds an empty database and returns the walkthrough to print, when there is one to show.
fn demo_banner(config: &Config) -> Result<Option<String>, String> {
    let mut conn =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
            .establish()
            .map_err(|e| format!("cannot connect to {}: {e}", config.database_url))?;
    let seeded = crate::demo::seed_if_empty(&mut conn).map_err(|e| e.to_string())?;
    let base_url = format!("http://{}", config.bind.replace("0.0.0.0", "127.0.0.1"));
    let kept = config
        .database_url
        .sqlite_path()
        .map(|file| crate::demo::credentials_path(&file));
    match (seeded, kept) {
        (Some(credentials), Some(path)) => {
            crate::demo::save_credentials(&path, &credentials)?;
            Ok(Some(crate::demo::banner(&base_url, &credentials)))
        }
        (Some(credentials), None) => Ok(Some(crate::demo::banner(&base_url, &credentials))),
        (None, Some(path)) => Ok(crate::demo::load_credentials(&path)
            .map(|credentials| crate::demo::banner(&base_url, &credentials))),
        (None, None) => Ok(None),
    }
}
