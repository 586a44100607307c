//! One integration test binary: the real application over HTTP, on SQLite and PostgreSQL.

mod builders;
mod client;
mod fixtures;
mod helpers;
mod proxy;
mod receiver;

mod audit_events;
mod auth;
mod catalog_batch;
mod certifications;
mod cli;
mod conventions;
mod custody_events;
mod declarations;
mod demo;
mod exact_quantities;
mod facilities;
mod hardening;
mod health;
mod isolation;
mod layering;
mod lots;
mod openapi;
mod organisations;
mod parties;
mod provenance;
mod purchases;
mod read_replica;
mod red_flag_cases;
mod schemes;
mod security_regressions;
mod sourcing_mix;
mod tenancy_schema;
mod token_attacks;
mod webhooks;
