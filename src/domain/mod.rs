//! Pure domain code: types and rules with no actix or diesel in them.

pub mod ids;
pub mod time;
