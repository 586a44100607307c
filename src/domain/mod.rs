//! Pure domain code: types and rules with no actix or diesel in them.

pub mod certification;
pub mod country;
pub mod credential_status;
pub mod declaration;
pub mod epcis;
pub mod facility;
pub mod identifiers;
pub mod ids;
pub mod lot;
pub mod mass;
pub mod mix;
pub mod organisation;
pub mod policy;
pub mod provenance;
pub mod purchase;
pub mod quantity;
pub mod red_flags;
pub mod shares;
#[cfg(test)]
pub(crate) mod test_strategies;
pub mod text;
pub mod time;
pub mod validation;
pub mod vocabulary;
pub mod webhook;
