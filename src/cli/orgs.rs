//! `oretrace orgs`: register organisations.

use clap::Subcommand;

use super::{admin_connection, command_error};
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
    }
}
