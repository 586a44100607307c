//! One integration test binary: the real application over HTTP, on SQLite and PostgreSQL.

mod helpers;
mod proxy;

mod auth;
mod cli;
mod fixtures;
mod conventions;
mod health;
mod openapi;
mod organisations;
mod purchases;
mod token_attacks;
