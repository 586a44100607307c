//! Persistence: row types and the queries over them. Handlers call these inside `Db::read` or
//! `Db::write`; everything tenant-owned takes the caller's organisation and filters by it.

pub mod api_client;
pub mod audit;
pub mod catalog;
pub mod idempotency;
pub mod organisation;

pub mod certification;
pub mod facility;
pub mod party;
pub mod scheme;
