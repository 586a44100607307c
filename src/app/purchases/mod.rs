//! Purchases: the organisation's ERP lines. One line (`single`) or a batch (`batch`, the HTTP
//! batch route, `oretrace import purchases` and the demo), both checked against what they name
//! and resolved into origin rows the same way (`references`), the mix's daily rollup kept exact
//! in the same transaction (`rollup`), changes audited (`audit`); reversals (`delete`) and
//! reads (`read`). `input` and `batch_body` turn outside input into validated lines.

mod audit;
pub mod batch;
pub mod batch_body;
pub mod delete;
pub mod input;
pub mod read;
mod references;
mod rollup;
pub mod single;

pub use audit::Via;
