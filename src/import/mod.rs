//! Loading outside data: parsing batches (JSON arrays, NDJSON, CSV) for the batch routes, and the
//! `oretrace import` commands that load files straight into `DATABASE_URL`.

pub mod catalog;
pub mod csv_file;
pub mod declarations;
pub mod purchases;
pub mod purchases_command;

pub use catalog::{CatalogKind, describe, importing_organisation, read_rows, run};
