//! Oretrace: certification status, the ASM/LSM sourcing mix and supplier provenance for
//! purchasers of minerals. See docs/ARCHITECTURE.md for the map of this crate.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod import;
pub mod store;
