//! UN Transparency Protocol credentials (issue 13, part 4; docs/CREDENTIALS.md): what Oretrace
//! knows, as W3C Verifiable Credentials 2.0 in the UNTP 0.6.1 vocabularies.
//!
//! - [`conformity`]: a certificate as a Digital Conformity Credential,
//! - [`facility`]: a facility as a Digital Facility Record,
//! - [`traceability`]: a custody event as a Digital Traceability Event,
//! - [`status`]: the status indexes of certificates and the Bitstring Status Lists.
//!
//! Each builds the unsecured credential (JSON); the HTTP edge secures it (`auth::vc_jwt`).

pub mod conformity;
pub mod facility;
pub mod status;
pub mod traceability;

use serde_json::{Value, json};

/// Who issues the credentials: the service at its public address.
#[derive(Clone, Debug)]
pub struct Issuer {
    /// `ORETRACE_PUBLIC_BASE_URL`, without a trailing slash.
    pub base: String,
}

/// The W3C VC 2.0 context, first in every credential.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The UNTP release followed (docs/CREDENTIALS.md says why this one).
pub const UNTP_VERSION: &str = "0.6.1";

impl Issuer {
    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `issuer` member of a UNTP credential.
    pub fn untp(&self) -> Value {
        json!({
            "type": ["CredentialIssuer"],
            "id": self.base,
            "name": "Oretrace",
        })
    }

    /// The UNTP context of a vocabulary (`dcc`, `dfr`, `dte`).
    pub fn contexts(vocabulary: &str) -> Value {
        json!([
            VC_CONTEXT,
            format!("https://test.uncefact.org/vocabulary/untp/{vocabulary}/{UNTP_VERSION}/")
        ])
    }
}

/// A date as the start of its day, UTC (`2026-01-01T00:00:00Z`).
pub fn start_of(day: chrono::NaiveDate) -> String {
    format!("{day}T00:00:00Z")
}

/// A mineral as a UNTP product reference.
pub fn mineral_product(mineral: crate::domain::vocabulary::Mineral) -> Value {
    json!({
        "id": format!("urn:oretrace:mineral:{}", mineral.as_str()),
        "name": mineral.as_str(),
    })
}
