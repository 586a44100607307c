//! Issuing and verifying access tokens (RFC 7519 JWTs, verified per RFC 8725).
//!
//! Verification pins the algorithm to the key the `kid` names, requires `exp`, `nbf`, `iss` and
//! `aud`, checks `nbf`, and requires the `org` claim. Tokens of a trusted external issuer are
//! verified with that issuer's keys and may act only for the organisations it is bound to.

use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::caller::Caller;
use super::external::ExternalIssuers;
use super::keys::KeyRing;
use super::scopes::ScopeSet;
use crate::config::TokenConfig;
use crate::domain::ids::OrganisationId;

/// The claims of an Oretrace access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The API client id.
    pub sub: String,
    /// The organisation the client belongs to.
    pub org: String,
    /// Space-separated scopes.
    pub scope: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// A freshly issued token.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: ScopeSet,
}

/// Why a token was refused; the text goes into the 401 problem.
#[derive(Debug, PartialEq, Eq)]
pub struct TokenRejected(pub String);

pub struct TokenService {
    keys: KeyRing,
    external: ExternalIssuers,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
    leeway_seconds: u64,
}

#[derive(Deserialize)]
struct IssuerOnly {
    iss: Option<String>,
}

const MAX_TOKEN_LENGTH: usize = 8 * 1024;

impl TokenService {
    pub fn new(config: &TokenConfig) -> Result<TokenService, String> {
        let keys = KeyRing::load(config)?;
        let external = match &config.trusted_issuers_file {
            Some(path) => ExternalIssuers::load(path, &config.audience)?,
            None => ExternalIssuers::default(),
        };
        if external.contains(&config.issuer) {
            return Err(format!(
                "a trusted external issuer may not use this service's own issuer {:?}",
                config.issuer
            ));
        }
        Ok(TokenService {
            keys,
            external,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl_seconds: config.ttl.as_secs(),
            leeway_seconds: config.leeway_seconds,
        })
    }

    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The trusted external issuers and the organisations each is bound to.
    pub fn external_bindings(&self) -> Vec<(String, OrganisationId)> {
        self.external.bindings()
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs a token for `client_id` of `organisation` with `scope`.
    pub fn issue(
        &self,
        client_id: &str,
        organisation: OrganisationId,
        scope: ScopeSet,
    ) -> Result<IssuedToken, String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: client_id.to_owned(),
            org: organisation.to_string(),
            scope: scope.to_string(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds as i64,
            jti: Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(self.keys.active.algorithm);
        header.kid = Some(self.keys.active.kid.clone());
        header.typ = Some("at+jwt".into());
        let access_token = jsonwebtoken::encode(&header, &claims, &self.keys.active.key)
            .map_err(|e| format!("cannot sign the token: {e}"))?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.ttl_seconds,
            scope,
        })
    }

    /// Verifies a bearer token and names its caller.
    pub fn verify(&self, token: &str) -> Result<Caller, TokenRejected> {
        let reject = |m: &str| TokenRejected(m.to_owned());
        if token.len() > MAX_TOKEN_LENGTH {
            return Err(reject("the token is too long"));
        }
        let header = decode_header(token).map_err(|_| reject("the token is not a valid JWT"))?;
        // RFC 7515 §4.1.11: a recipient that does not understand every extension `crit` names
        // must reject the token. This service understands none.
        if header.crit.is_some() {
            return Err(reject(
                "the token's `crit` header names extensions this service does not understand",
            ));
        }
        // Only to route the token to the right key set; nothing is trusted before verification.
        let issuer = jsonwebtoken::dangerous::insecure_decode_claims::<IssuerOnly>(token)
            .map_err(|_| reject("the token is not a valid JWT"))?
            .iss
            .ok_or_else(|| reject("the token has no `iss` claim"))?;
        if issuer == self.issuer {
            self.verify_own(token, &header)
        } else if let Some(external) = self.external.get(&issuer) {
            external.verify(token, &header, self.leeway_seconds)
        } else {
            Err(reject("the token's issuer is not trusted"))
        }
    }

    fn verify_own(&self, token: &str, header: &Header) -> Result<Caller, TokenRejected> {
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| TokenRejected("the token has no `kid` header".into()))?;
        let key = self
            .keys
            .verification_key(kid)
            .ok_or_else(|| TokenRejected("the token was signed by an unknown key".into()))?;
        if header.alg != key.algorithm {
            return Err(TokenRejected(
                "the token's algorithm does not match its key".into(),
            ));
        }
        let validation = strict_validation(
            key.algorithm,
            &self.issuer,
            &self.audience,
            self.leeway_seconds,
        );
        let data = decode::<Claims>(token, &key.key, &validation).map_err(describe)?;
        let claims = data.claims;
        let organisation_id = claims.org.parse::<OrganisationId>().map_err(|_| {
            TokenRejected("the token's `org` claim is not an organisation id".into())
        })?;
        let scopes = ScopeSet::parse(&claims.scope)
            .map_err(|e| TokenRejected(format!("the token's `scope` claim is invalid: {e}")))?;
        Ok(Caller {
            organisation_id,
            client_id: claims.sub,
            scopes,
            issuer: claims.iss,
            expires_at: claims.exp,
        })
    }
}

/// `Validation` that pins one algorithm and requires and checks `exp`, `nbf`, `iss` and `aud`.
pub fn strict_validation(
    algorithm: Algorithm,
    issuer: &str,
    audience: &str,
    leeway_seconds: u64,
) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.algorithms = vec![algorithm];
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.leeway = leeway_seconds;
    validation
}

/// Maps a verification failure to a message fit for the caller (it reveals nothing secret).
pub fn describe(error: jsonwebtoken::errors::Error) -> TokenRejected {
    use jsonwebtoken::errors::ErrorKind;
    let message = match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidSignature => "the token's signature is invalid".to_owned(),
        ErrorKind::InvalidAudience => "the token is not meant for this service (aud)".to_owned(),
        ErrorKind::InvalidIssuer => "the token's issuer is not trusted".to_owned(),
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        ErrorKind::Json(_) => "the token's claims are missing or malformed".to_owned(),
        _ => "the token is invalid".to_owned(),
    };
    TokenRejected(message)
}
