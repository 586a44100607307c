//! Who is calling: the organisation, API client and scopes a verified token names.
//!
//! The HTTP layer (`api::http::caller`) turns a request's bearer token into a [`Caller`]; the
//! use cases receive it (or the [`Actor`](crate::store::audit::Actor) made from it) and never
//! see the token.

use super::scopes::{Scope, ScopeSet};
use crate::domain::ids::OrganisationId;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub organisation_id: OrganisationId,
    /// The API client id (`sub`).
    pub client_id: String,
    pub scopes: ScopeSet,
    /// `iss` of the token: this service or a trusted external issuer.
    pub issuer: String,
    /// `exp` of the token, in seconds since the epoch.
    pub expires_at: i64,
}

/// The token lacks a scope the operation needs (403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingScope(pub Scope);

impl Caller {
    /// `Err` unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), MissingScope> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(MissingScope(scope))
        }
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }
}
