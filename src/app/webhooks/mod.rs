//! Webhooks and the event feed (docs/WEBHOOKS.md): subscriptions and their secrets
//! ([`subscriptions`]), announcing an event in the transaction that causes it ([`announce`]),
//! the Standard Webhooks signature ([`signature`]), which targets may be reached
//! ([`targets`]), and the worker every replica runs to deliver them ([`worker`]).

pub mod announce;
pub mod certification_watch;
pub mod signature;
pub mod subscriptions;
pub mod sweep;
pub mod target_watch;
pub mod targets;
pub mod worker;

pub use announce::announce;
