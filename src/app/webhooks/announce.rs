//! Announcing an event: written to the outbox (the feed) with one delivery per enabled
//! subscription that asked for its type, inside the caller's transaction, so that nothing is
//! announced that did not commit and nothing committed goes unannounced.

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::OrganisationId;
use crate::domain::time;
use crate::domain::webhook::EventType;
use crate::store::webhook::event::{self, Event};
use crate::store::webhook::subscription::Subscription;
use crate::store::webhook::{delivery, subscription};

/// Announces `event_type` with `data` to `organisation`, in the caller's transaction.
pub fn announce(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_type: EventType,
    data: serde_json::Value,
) -> Result<Event, AppError> {
    announce_to(conn, organisation, event_type, data, |_| true)
}

/// As [`announce`], delivered only to the subscriptions that asked for the type and that
/// `to` keeps (a `certification.expiring` notice goes to the subscriptions with its notice
/// period).
pub fn announce_to(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_type: EventType,
    data: serde_json::Value,
    to: impl Fn(&Subscription) -> bool,
) -> Result<Event, AppError> {
    let now = time::now();
    let event = event::append(conn, organisation, event_type, &data, now)?;
    let wanting: Vec<_> = subscription::enabled(conn, organisation)?
        .into_iter()
        .filter(|s| s.wants(event_type) && to(s))
        .map(|s| s.id)
        .collect();
    delivery::enqueue(conn, organisation, &wanting, event.seq, now)?;
    Ok(event)
}
