//! `oretrace orgs`: register and list organisations.

use clap::Subcommand;

use super::{admin_connection, command_error};
use crate::app::organisations;
use crate::config::Config;
use crate::store::organisation::OrganisationKind;
use crate::store::page::PageRequest;

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
    /// List every organisation, oldest first, as a JSON array.
    List,
}

pub(super) fn run(config: &Config, command: OrgsCommand) -> Result<(), String> {
    match command {
        OrgsCommand::Create { name, kind } => {
            let kind = OrganisationKind::parse(&kind).ok_or("--kind: purchaser or operator")?;
            let mut conn = admin_connection(config)?;
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
        OrgsCommand::List => {
            let mut conn = admin_connection(config)?;
            let mut all = Vec::new();
            let mut page = PageRequest {
                limit: 500,
                after: None,
            };
            loop {
                let mut rows = organisations::list(&mut conn, &page).map_err(|e| e.to_string())?;
                let more = rows.len() as i64 > page.limit;
                rows.truncate(page.limit as usize);
                page.after = rows.last().map(|o| o.id.to_string());
                all.extend(rows);
                if !more {
                    break;
                }
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?
            );
            Ok(())
        }
    }
}
