//! One integration test binary: the real application over HTTP, on SQLite and PostgreSQL.

mod fixtures;
mod helpers;
mod proxy;

mod auth;
mod cli;
mod conventions;
mod facilities;
mod health;
mod openapi;
mod organisations;
mod parties;
mod purchases;
mod schemes;
mod sourcing_mix;
mod token_attacks;
