//! Parsing batches of outside input (JSON arrays, NDJSON, CSV), shared by the batch routes and
//! the `oretrace import` commands. Nothing here touches the database.

pub mod purchases;
pub mod run;
