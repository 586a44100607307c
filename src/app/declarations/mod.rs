//! Supplier declarations: a supplier's filled RMI workbook (CMRT, EMRT) imported, read and
//! checked, its smelters matched to the catalog, the organisation's smelters rolled up across
//! its suppliers' current declarations, and its own CMRT or EMRT written. docs/DECLARATIONS.md.

pub mod coverage;
pub mod export;
pub mod import;
pub mod matching;
pub mod read;
pub mod rollup;
pub mod workbook;
pub mod xlsx_writer;
