//! Persistence: row types and the queries over them. Handlers call these inside `Db::read` or
//! `Db::write`; everything tenant-owned takes the caller's organisation and filters by it.

pub mod api_client;
pub mod audit;
pub mod catalog;
pub mod certificate_facts;
pub mod certification;
pub mod custody_event;
pub mod facility;
pub mod idempotency;
pub mod lot;
pub mod lot_graph;
pub mod mix;
pub mod mix_rollup;
pub mod organisation;
pub mod party;
pub mod policy;
pub mod provenance;
pub mod purchase;
pub mod scheme;
