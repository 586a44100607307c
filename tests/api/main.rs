//! One integration test binary: the real application over HTTP, on SQLite and PostgreSQL.

mod helpers;
mod proxy;

mod auth;
mod cli;
mod conventions;
mod fixtures;
mod health;
mod openapi;
mod organisations;
mod purchases;
mod sourcing_mix;
mod token_attacks;
