//! `oretrace clients`: create API clients.

use clap::Subcommand;

use super::{admin_connection, command_error};
use crate::app::organisations;
use crate::auth::scopes::ScopeSet;
use crate::config::Config;
use crate::domain::ids::OrganisationId;
use crate::store::audit::Actor;

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

pub(super) fn run(config: &Config, command: ClientsCommand) -> Result<(), String> {
    match command {
        ClientsCommand::Create { org, scopes, name } => {
            let org: OrganisationId = org
                .parse()
                .map_err(|_| "--org must be an organisation id")?;
            let scopes = ScopeSet::parse(&scopes).map_err(|e| format!("--scopes: {e}"))?;
            let mut conn = admin_connection(config)?;
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
    }
}
