//! Persistence: typed rows and the queries over them, called by the use cases (`app`) inside
//! the caller's transaction. Everything tenant-owned takes the caller's organisation and
//! filters by it. Store functions answer [`StoreError`]; nothing here speaks HTTP.

pub mod api_client;
pub mod audit;
pub mod catalog;
pub mod certificate_facts;
pub mod certification;
pub mod credential_status;
pub mod custody_event;
pub mod declaration;
pub mod epcis;
pub mod error;
pub mod facility;
pub mod idempotency;
pub mod lot;
pub mod lot_graph;
pub mod mix;
pub mod mix_rollup;
pub mod organisation;
pub mod organisation_profile;
pub mod page;
pub mod party;
pub mod policy;
pub mod provenance;
pub mod purchase;
pub mod red_flag_case;
pub mod scheme;
pub mod webhook;

pub use error::{Rejection, StoreError};
