//! Trusted external token issuers: organisations that bring their own identity provider.
//!
//! `ORETRACE_TRUSTED_ISSUERS_FILE` names a JSON file (docs/OPERATIONS.md shows one):
//!
//! ```json
//! { "issuers": [ {
//!     "issuer": "https://login.example.com/",
//!     "keys_file": "example-jwks.json",
//!     "organisations": ["0193..."],
//!     "allowed_scopes": ["catalog:read", "purchases:read", "purchases:write"]
//! } ] }
//! ```
//!
//! Each issuer is bound to the organisations it may speak for: a token whose organisation claim
//! names any other organisation is refused, so one identity provider can never reach another
//! tenant's data. Symmetric (HS*) keys are refused for external issuers.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, decode};
use serde::Deserialize;

use super::caller::Caller;
use super::keys::VerificationKey;
use super::scopes::{Scope, ScopeSet};
use super::tokens::{TokenRejected, describe, strict_validation};
use crate::domain::ids::OrganisationId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuersFile {
    issuers: Vec<IssuerEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    /// The exact `iss` value of the provider's tokens.
    issuer: String,
    /// Expected `aud`; defaults to this service's audience.
    audience: Option<String>,
    /// A JWKS (JSON) or a PEM public key, relative to the issuers file.
    keys_file: PathBuf,
    /// Required for a PEM key; for a JWKS, used when a key has no `alg`.
    algorithm: Option<String>,
    /// The organisations this issuer may act for.
    organisations: Vec<String>,
    /// The claim naming the organisation (default `org`).
    #[serde(default = "default_org_claim")]
    organisation_claim: String,
    /// The claim carrying scopes, space-separated or as an array (default `scope`).
    #[serde(default = "default_scope_claim")]
    scope_claim: String,
    /// Scopes this issuer may grant (default: every scope but `admin` and `catalog:write`).
    allowed_scopes: Option<Vec<Scope>>,
}

fn default_org_claim() -> String {
    "org".into()
}

fn default_scope_claim() -> String {
    "scope".into()
}

pub struct ExternalIssuer {
    issuer: String,
    audience: String,
    keys: Vec<(Option<String>, VerificationKey)>,
    organisations: HashSet<OrganisationId>,
    organisation_claim: String,
    scope_claim: String,
    allowed_scopes: ScopeSet,
}

#[derive(Default)]
pub struct ExternalIssuers(HashMap<String, ExternalIssuer>);

impl ExternalIssuers {
    pub fn load(path: &Path, default_audience: &str) -> Result<ExternalIssuers, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: IssuersFile = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a valid issuers file: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut issuers = HashMap::new();
        for entry in file.issuers {
            let issuer = ExternalIssuer::from_entry(entry, base, default_audience)?;
            if issuers.insert(issuer.issuer.clone(), issuer).is_some() {
                return Err(format!("{}: an issuer is listed twice", path.display()));
            }
        }
        Ok(ExternalIssuers(issuers))
    }

    pub fn get(&self, issuer: &str) -> Option<&ExternalIssuer> {
        self.0.get(issuer)
    }

    pub fn contains(&self, issuer: &str) -> bool {
        self.0.contains_key(issuer)
    }

    /// Every (issuer, organisation) binding, sorted: checked against the database at start-up.
    pub fn bindings(&self) -> Vec<(String, OrganisationId)> {
        let mut bindings: Vec<(String, OrganisationId)> = self
            .0
            .values()
            .flat_map(|i| i.organisations.iter().map(|o| (i.issuer.clone(), *o)))
            .collect();
        bindings.sort();
        bindings
    }
}

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    let algorithm: Algorithm = name
        .parse()
        .map_err(|_| format!("unknown algorithm {name:?}"))?;
    if matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err("external issuers must use asymmetric keys, not HS*".into());
    }
    Ok(algorithm)
}

impl ExternalIssuer {
    fn from_entry(
        entry: IssuerEntry,
        base: &Path,
        default_audience: &str,
    ) -> Result<ExternalIssuer, String> {
        let context = |m: String| format!("trusted issuer {:?}: {m}", entry.issuer);
        let keys_path = base.join(&entry.keys_file);
        let text = std::fs::read_to_string(&keys_path)
            .map_err(|e| context(format!("cannot read {}: {e}", keys_path.display())))?;
        let configured = entry
            .algorithm
            .as_deref()
            .map(parse_algorithm)
            .transpose()
            .map_err(context)?;
        let mut keys = Vec::new();
        if text.trim_start().starts_with('{') {
            let set: JwkSet = serde_json::from_str(&text)
                .map_err(|e| context(format!("{} is not a JWKS: {e}", keys_path.display())))?;
            for jwk in &set.keys {
                let algorithm = match jwk.common.key_algorithm {
                    Some(alg) => parse_algorithm(&alg.to_string()).map_err(context)?,
                    None => configured.ok_or_else(|| {
                        context("a JWK has no `alg` and none is configured".into())
                    })?,
                };
                let key = DecodingKey::from_jwk(jwk)
                    .map_err(|e| context(format!("unusable JWK: {e}")))?;
                keys.push((
                    jwk.common.key_id.clone(),
                    VerificationKey { algorithm, key },
                ));
            }
        } else {
            let algorithm =
                configured.ok_or_else(|| context("a PEM key needs `algorithm`".into()))?;
            let pem = text.as_bytes();
            let key = match algorithm {
                Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
                Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem),
                _ => DecodingKey::from_rsa_pem(pem),
            }
            .map_err(|e| context(format!("unusable PEM key: {e}")))?;
            keys.push((None, VerificationKey { algorithm, key }));
        }
        if keys.is_empty() {
            return Err(context("no keys".into()));
        }
        let organisations = entry
            .organisations
            .iter()
            .map(|id| id.parse::<OrganisationId>())
            .collect::<Result<HashSet<_>, _>>()
            .map_err(|_| context("`organisations` must be organisation ids".into()))?;
        if organisations.is_empty() {
            return Err(context(
                "`organisations` must name at least one organisation".into(),
            ));
        }
        let allowed_scopes = match entry.allowed_scopes {
            Some(scopes) => scopes.into_iter().collect(),
            None => Scope::ALL
                .into_iter()
                .filter(|s| !matches!(s, Scope::Admin | Scope::CatalogWrite))
                .collect(),
        };
        Ok(ExternalIssuer {
            issuer: entry.issuer,
            audience: entry
                .audience
                .unwrap_or_else(|| default_audience.to_owned()),
            keys,
            organisations,
            organisation_claim: entry.organisation_claim,
            scope_claim: entry.scope_claim,
            allowed_scopes,
        })
    }

    pub fn verify(
        &self,
        token: &str,
        header: &Header,
        leeway_seconds: u64,
    ) -> Result<Caller, TokenRejected> {
        let reject = |m: &str| TokenRejected(m.to_owned());
        let key = match header.kid.as_deref() {
            Some(kid) => self
                .keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .or(match self.keys.as_slice() {
                    [(None, _)] => self.keys.first(),
                    _ => None,
                }),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
        .map(|(_, key)| key)
        .ok_or_else(|| reject("the token was signed by an unknown key"))?;
        if header.alg != key.algorithm {
            return Err(reject("the token's algorithm does not match its key"));
        }
        let validation =
            strict_validation(key.algorithm, &self.issuer, &self.audience, leeway_seconds);
        let data =
            decode::<serde_json::Map<String, serde_json::Value>>(token, &key.key, &validation)
                .map_err(describe)?;
        let claims = data.claims;
        let organisation_id = claims
            .get(&self.organisation_claim)
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                TokenRejected(format!(
                    "the token has no `{}` organisation claim",
                    self.organisation_claim
                ))
            })?
            .parse::<OrganisationId>()
            .map_err(|_| reject("the token's organisation claim is not an organisation id"))?;
        if !self.organisations.contains(&organisation_id) {
            return Err(reject(
                "the token's issuer may not act for this organisation",
            ));
        }
        let granted = match claims.get(&self.scope_claim) {
            Some(serde_json::Value::String(s)) => ScopeSet::parse_lenient(s),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().and_then(Scope::parse))
                .collect(),
            _ => ScopeSet::default(),
        };
        let client_id = claims
            .get("sub")
            .and_then(|v| v.as_str())
            .unwrap_or("external")
            .to_owned();
        let expires_at = claims.get("exp").and_then(|v| v.as_i64()).unwrap_or(0);
        Ok(Caller {
            organisation_id,
            client_id,
            scopes: granted.intersection(&self.allowed_scopes),
            issuer: self.issuer.clone(),
            expires_at,
        })
    }
}
