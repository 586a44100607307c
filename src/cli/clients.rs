//! `oretrace clients`: create, list and revoke API clients (what `/v1/organisations/{id}/clients`
//! does over HTTP, directly on DATABASE_URL).

use clap::Subcommand;

use super::{admin_connection, command_error, every_page, print_json};
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
        /// provenance:read provenance:write webhooks:manage events:read
        /// admin.
        #[arg(long)]
        scopes: String,
        /// A label for people.
        #[arg(long, default_value = "API client")]
        name: String,
    },
    /// List an organisation's clients (never their secrets) as a JSON array.
    List {
        /// The organisation id.
        #[arg(long)]
        org: String,
    },
    /// Revoke a client: it gets no new tokens (tokens already issued run out). Prints it.
    Revoke {
        /// The organisation id.
        #[arg(long)]
        org: String,
        /// The client's id (`otc_…`).
        client_id: String,
    },
}

fn organisation(org: &str) -> Result<OrganisationId, String> {
    org.parse()
        .map_err(|_| "--org must be an organisation id".to_owned())
}

pub(super) fn run(config: &Config, command: ClientsCommand) -> Result<(), String> {
    match command {
        ClientsCommand::Create { org, scopes, name } => {
            let org = organisation(&org)?;
            let scopes = ScopeSet::parse(&scopes).map_err(|e| format!("--scopes: {e}"))?;
            let mut conn = admin_connection(config)?;
            let (client, secret) = crate::db::write_transaction(&mut conn, |conn| {
                organisations::create_client(conn, &Actor::cli(org), org, &name, &scopes.to_vec())
            })
            .map_err(|e| command_error("--name", e))?;
            let out = serde_json::json!({
                "client_id": client.client_id,
                "client_secret": secret,
                "scopes": client.scopes,
                "organisation_id": client.organisation_id,
            });
            print_json(&out)
        }
        ClientsCommand::List { org } => {
            let org = organisation(&org)?;
            let mut conn = admin_connection(config)?;
            let clients = every_page(
                |page| {
                    organisations::list_clients(&mut conn, org, page)
                        .map_err(|e| command_error("--org", e))
                },
                |c| c.client_id.clone(),
            )?;
            print_json(&clients)
        }
        ClientsCommand::Revoke { org, client_id } => {
            let org = organisation(&org)?;
            let mut conn = admin_connection(config)?;
            let revoked = crate::db::write_transaction(&mut conn, |conn| {
                organisations::revoke_client(conn, &Actor::cli(org), org, &client_id)
            })
            .map_err(|e| command_error("--org", e))?;
            print_json(&revoked)
        }
    }
}
