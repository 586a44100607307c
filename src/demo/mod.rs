//! Demo data: a fictional operator and purchaser with API clients, and a small fictional
//! catalog ([`catalog`]), so that a first run can be tried with curl at once. Seeded only into
//! an empty database, and only for the embedded default or with `--demo`.

pub mod cases;
pub mod catalog;
pub mod declarations;
pub mod provenance;
pub mod purchases;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::error::ApiError;
use crate::auth::scopes::{Scope, ScopeSet};
use crate::db::DbConn;
use crate::store::audit::Actor;
use crate::store::organisation::OrganisationKind;
use crate::store::{api_client, organisation};

/// The demo clients' credentials, shown once when seeded (and kept beside the embedded
/// database so that later starts can show them again).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DemoCredentials {
    pub operator_organisation_id: String,
    pub operator_client_id: String,
    pub operator_client_secret: String,
    pub purchaser_organisation_id: String,
    pub purchaser_client_id: String,
    pub purchaser_client_secret: String,
}

pub const CREDENTIALS_FILE: &str = "oretrace-demo-credentials.json";

/// Seeds the demo when the database has no organisation yet; `None` when it has.
pub fn seed_if_empty(conn: &mut DbConn) -> Result<Option<DemoCredentials>, ApiError> {
    crate::db::write_transaction(conn, |conn| {
        if organisation::count(conn)? > 0 {
            return Ok(None);
        }
        let operator = organisation::insert(
            conn,
            "Demo Operator (fictional)",
            OrganisationKind::Operator,
        )?;
        let all: ScopeSet = Scope::ALL.into_iter().collect();
        let (operator_client, operator_secret) =
            api_client::insert(conn, operator.id, "Demo operator console", &all)?;
        let purchaser = organisation::insert(
            conn,
            "Demo Purchaser — Aurora Components Ltd (fictional)",
            OrganisationKind::Purchaser,
        )?;
        let purchaser_scopes: ScopeSet = Scope::ALL
            .into_iter()
            .filter(|s| s.allowed_for(OrganisationKind::Purchaser))
            .collect();
        let (purchaser_client, purchaser_secret) = api_client::insert(
            conn,
            purchaser.id,
            "Demo ERP integration",
            &purchaser_scopes,
        )?;
        let today = crate::domain::time::now().date_naive();
        let catalog = catalog::seed(
            conn,
            &Actor {
                organisation_id: operator.id,
                client_id: Some(operator_client.client_id.clone()),
            },
            today,
        )?;
        purchases::seed(conn, purchaser.id, &catalog, today)?;
        provenance::seed(conn, purchaser.id, &catalog, today)?;
        declarations::seed(conn, purchaser.id, &catalog, today)?;
        cases::seed(conn, purchaser.id, &purchaser_client.client_id)?;
        Ok(Some(DemoCredentials {
            operator_organisation_id: operator.id.to_string(),
            operator_client_id: operator_client.client_id,
            operator_client_secret: operator_secret,
            purchaser_organisation_id: purchaser.id.to_string(),
            purchaser_client_id: purchaser_client.client_id,
            purchaser_client_secret: purchaser_secret,
        }))
    })
}

/// Where the embedded demo keeps its credentials: beside the SQLite file.
pub fn credentials_path(sqlite_file: &Path) -> PathBuf {
    match sqlite_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(CREDENTIALS_FILE),
        _ => PathBuf::from(CREDENTIALS_FILE),
    }
}

pub fn save_credentials(path: &Path, credentials: &DemoCredentials) -> Result<(), String> {
    let json = serde_json::to_string_pretty(credentials).map_err(|e| e.to_string())?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut f| f.write_all(json.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn load_credentials(path: &Path) -> Option<DemoCredentials> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
}

/// The ready-to-paste walkthrough printed at start-up.
pub fn banner(base_url: &str, credentials: &DemoCredentials) -> String {
    format!(
        r#"
Demo data is loaded (fictional organisations). Get a token for the demo purchaser and call /v1/me:

  TOKEN=$(curl -s {base_url}/v1/auth/token \
    -d grant_type=client_credentials \
    -d client_id={pid} \
    -d client_secret={psecret} \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s {base_url}/v1/me -H "Authorization: Bearer $TOKEN"

The demo catalog (fictional mines, smelters, refiners and certificates) is shared reference data:
  curl -s "{base_url}/v1/facilities?identifier=rmi_cid:CID009901" -H "Authorization: Bearer $TOKEN"
  curl -s "{base_url}/v1/certifications?effective_status=active" -H "Authorization: Bearer $TOKEN"

Supplier provenance: the demo's traced purchases, and the red flags their chains raise:
  curl -s "{base_url}/v1/purchases?external_ref=DEMO-PROV-GOLD-01" -H "Authorization: Bearer $TOKEN"
  curl -s "{base_url}/v1/red-flags" -H "Authorization: Bearer $TOKEN"

Demo operator (admin, catalog:write): client_id={oid} client_secret={osecret}
Interactive docs: {base_url}/docs   Catalog walkthrough: README.md, "Catalog"
"#,
        pid = credentials.purchaser_client_id,
        psecret = credentials.purchaser_client_secret,
        oid = credentials.operator_client_id,
        osecret = credentials.operator_client_secret,
    )
}
