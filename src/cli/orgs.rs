//! `oretrace orgs`: register and list organisations.

use clap::Subcommand;

use super::{admin_connection, command_error, every_page, print_json};
use crate::app::organisations;
use crate::config::Config;
use crate::store::organisation::OrganisationKind;

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
            print_json(&created)
        }
        OrgsCommand::List => {
            let mut conn = admin_connection(config)?;
            let all = every_page(
                |page| organisations::list(&mut conn, page).map_err(|e| e.to_string()),
                |o| o.id.to_string(),
            )?;
            print_json(&all)
        }
    }
}
