//! The use cases: what Oretrace does, one module per capability, called by the HTTP routes, the
//! command line, the importers and the demo alike. A use case takes a connection (inside the
//! caller's transaction), the actor and validated domain values; it answers domain values or an
//! [`AppError`]. Nothing here knows HTTP.

pub mod batch;
pub mod catalog;
pub mod credentials;
pub mod declarations;
pub mod epcis;
pub mod error;
pub mod organisation_profile;
pub mod organisations;
pub mod policy;
pub mod provenance;
pub mod purchases;
pub mod reports;
pub mod sourcing_mix;
pub mod webhooks;

pub use error::AppError;
