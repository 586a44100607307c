//! `oretrace import`: load purchases or catalog rows from files, directly into DATABASE_URL.

use std::path::PathBuf;

use clap::Subcommand;

use super::{admin_connection, print_json};
use crate::config::Config;
use crate::domain::ids::OrganisationId;
use crate::store::audit::Actor;

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
    /// Import every supplier workbook (CMRT, EMRT: .xlsx, .xlsm, .xls) of a folder as a
    /// declaration of the organisation, with a progress bar: each file on its own, with the
    /// same checks as POST /v1/declarations. Prints what happened to each file; exits non-zero
    /// when any was refused. See docs/DECLARATIONS.md.
    Declarations {
        /// The organisation id.
        #[arg(long)]
        org: String,
        /// The supplier (catalog party id) of every workbook; default: the party named as the
        /// workbook's company (Declaration!D8).
        #[arg(long)]
        supplier: Option<String>,
        /// The folder of workbooks.
        dir: PathBuf,
    },
}

pub(super) fn run(config: &Config, command: ImportCommand) -> Result<(), String> {
    match command {
        ImportCommand::Purchases { org, file } => {
            let org: OrganisationId = org
                .parse()
                .map_err(|_| "--org must be an organisation id")?;
            let lines = crate::import::purchases::read(&file)?;
            let mut conn = admin_connection(config)?;
            let result = crate::import::purchases_command::import(&mut conn, org, &file, &lines)?;
            print_json(&result)
        }
        ImportCommand::Catalog { kind, org, file } => {
            let org: Option<OrganisationId> = org
                .map(|o| o.parse().map_err(|_| "--org must be an organisation id"))
                .transpose()?;
            let rows = crate::import::read_rows(kind, &file)?;
            let csv = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let mut conn = admin_connection(config)?;
            let org = crate::import::importing_organisation(&mut conn, org)?;
            let result = crate::import::run(&mut conn, kind, &Actor::cli(org), rows, csv)?;
            let out = crate::import::catalog::report_json(&result);
            print_json(&out)
        }
        ImportCommand::Declarations { org, supplier, dir } => {
            let org: OrganisationId = org
                .parse()
                .map_err(|_| "--org must be an organisation id")?;
            let supplier = supplier
                .map(|s| s.parse().map_err(|_| "--supplier must be a party id"))
                .transpose()?;
            let mut conn = admin_connection(config)?;
            let result =
                crate::import::declarations::import_folder(&mut conn, org, supplier, &dir)?;
            print_json(&result)?;
            if result.refused > 0 {
                return Err(format!(
                    "{} of {} workbook(s) refused (see above)",
                    result.refused, result.files
                ));
            }
            Ok(())
        }
    }
}
