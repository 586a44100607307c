//! Authentication and authorisation: OAuth 2.0 client credentials, JWT access tokens, scopes.

pub mod caller;
pub mod external;
pub mod keys;
pub mod scopes;
pub mod secret_checks;
pub mod secrets;
pub mod tokens;
pub mod vc_jwt;

pub use caller::Caller;
pub use scopes::{Scope, ScopeSet};
