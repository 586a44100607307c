//! Webhooks: the organisation's subscriptions, the event outbox that is also the feed, and each
//! event's deliveries with their attempts (docs/WEBHOOKS.md).

pub mod certification_state;
pub mod delivery;
pub mod event;
pub mod flag_state;
pub mod subscription;
pub mod target_state;
