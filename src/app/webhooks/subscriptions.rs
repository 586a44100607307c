//! Webhook subscriptions of the caller's organisation: registered, read, changed, deleted,
//! their secret rotated, pinged; their deliveries read and sent again. Every change is audited
//! (never with a secret).

use std::time::Duration;

use serde_json::json;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{DeliveryId, OrganisationId, WebhookId};
use crate::domain::time;
use crate::domain::validation::FieldErrors;
use crate::domain::webhook::{EventType, check_event_types, check_expiring_days, check_target};
use crate::store::audit::{self, Actor};
use crate::store::page::PageRequest;
use crate::store::webhook::delivery::{self, Delivery};
use crate::store::webhook::subscription::{self, Subscription};

use super::signature;

/// The longest description taken.
pub const MAX_DESCRIPTION: usize = 200;

/// A subscription to register.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    pub expiring_days: i32,
}

/// What a change sets; `None` leaves a member as it is.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<EventType>>,
    pub enabled: Option<bool>,
    pub expiring_days: Option<i32>,
}

fn check_description(description: &str, errors: &mut FieldErrors) {
    if description.chars().count() > MAX_DESCRIPTION {
        errors.add(
            "/description",
            format!("is longer than {MAX_DESCRIPTION} characters"),
        );
    }
}

fn audited(subscription: &Subscription) -> serde_json::Value {
    json!({
        "url": subscription.url,
        "description": subscription.description,
        "event_types": subscription.event_types,
        "enabled": subscription.enabled,
        "expiring_days": subscription.expiring_days,
    })
}

/// Registers a subscription of the actor's organisation with a new secret (the answer is the
/// only place the secret is shown). The URL's form is checked here; its host's addresses by
/// the caller ([`super::targets::check`]), which needs the network.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: NewSubscription,
    allow_internal: bool,
) -> Result<Subscription, AppError> {
    let mut errors = FieldErrors::new();
    errors.check("/url", check_target(&input.url, allow_internal));
    check_description(&input.description, &mut errors);
    let event_types = check_event_types(&input.event_types, &mut errors);
    errors.check("/expiring_days", check_expiring_days(input.expiring_days));
    errors.into_result()?;
    let now = time::now();
    let created = Subscription {
        id: WebhookId::generate(),
        organisation_id: actor.organisation_id,
        url: input.url,
        description: input.description,
        event_types,
        enabled: input.enabled,
        expiring_days: input.expiring_days,
        secret: signature::new_secret(),
        previous_secret: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    subscription::insert(conn, &created)?;
    audit::record(
        conn,
        actor,
        "create",
        "webhook",
        &created.id.to_string(),
        &audited(&created),
    )?;
    Ok(created)
}

fn not_found(id: WebhookId) -> AppError {
    AppError::not_found(format!("no webhook {id} in this organisation"))
}

pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
) -> Result<Subscription, AppError> {
    subscription::find(conn, organisation, id)?.ok_or_else(|| not_found(id))
}

pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    page: &PageRequest,
) -> Result<Vec<Subscription>, AppError> {
    Ok(subscription::list(conn, organisation, page)?)
}

/// Changes what `change` names; checked whole, as a registration is.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: WebhookId,
    change: SubscriptionChange,
    allow_internal: bool,
) -> Result<Subscription, AppError> {
    let mut current = get(conn, actor.organisation_id, id)?;
    let before = audited(&current);
    let mut errors = FieldErrors::new();
    if let Some(url) = change.url {
        errors.check("/url", check_target(&url, allow_internal));
        current.url = url;
    }
    if let Some(description) = change.description {
        check_description(&description, &mut errors);
        current.description = description;
    }
    if let Some(types) = change.event_types {
        current.event_types = check_event_types(&types, &mut errors);
    }
    if let Some(enabled) = change.enabled {
        current.enabled = enabled;
    }
    if let Some(days) = change.expiring_days
        && let Some(days) = errors.check("/expiring_days", check_expiring_days(days))
    {
        current.expiring_days = days;
    }
    errors.into_result()?;
    current.updated_at = time::now();
    subscription::save(conn, &current)?;
    audit::record(
        conn,
        actor,
        "update",
        "webhook",
        &id.to_string(),
        &json!({ "before": before, "after": audited(&current) }),
    )?;
    Ok(current)
}

/// Deletes a subscription with its deliveries.
pub fn delete(conn: &mut DbConn, actor: &Actor, id: WebhookId) -> Result<(), AppError> {
    let current = get(conn, actor.organisation_id, id)?;
    subscription::delete(conn, actor.organisation_id, id)?;
    audit::record(
        conn,
        actor,
        "delete",
        "webhook",
        &id.to_string(),
        &audited(&current),
    )?;
    Ok(())
}

/// Gives a subscription a new secret; the old one keeps signing beside it for `grace`.
pub fn rotate_secret(
    conn: &mut DbConn,
    actor: &Actor,
    id: WebhookId,
    grace: Duration,
) -> Result<Subscription, AppError> {
    let mut current = get(conn, actor.organisation_id, id)?;
    let now = time::now();
    let until = now + chrono::Duration::from_std(grace).map_err(AppError::internal)?;
    let old = std::mem::replace(&mut current.secret, signature::new_secret());
    current.previous_secret = (!grace.is_zero()).then_some((old, until));
    current.updated_at = now;
    subscription::save(conn, &current)?;
    audit::record(
        conn,
        actor,
        "rotate_secret",
        "webhook",
        &id.to_string(),
        &json!({ "previous_secret_valid_until": current.previous_secret.as_ref().map(|(_, u)| u) }),
    )?;
    Ok(current)
}

/// Sends a `webhook.ping` event to this subscription only (whatever types it asked for,
/// even when disabled): answers its delivery.
pub fn ping(conn: &mut DbConn, actor: &Actor, id: WebhookId) -> Result<Delivery, AppError> {
    let current = get(conn, actor.organisation_id, id)?;
    let now = time::now();
    let event = crate::store::webhook::event::append(
        conn,
        actor.organisation_id,
        EventType::WebhookPing,
        &json!({ "webhook_id": current.id }),
        now,
    )?;
    let ids = delivery::enqueue(conn, actor.organisation_id, &[id], event.seq, now)?;
    delivery::find(conn, actor.organisation_id, id, ids[0])?
        .ok_or_else(|| AppError::internal("a queued ping delivery is missing"))
}

/// A page of a subscription's deliveries, newest first, with their attempts.
pub fn deliveries(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
    page: &PageRequest,
) -> Result<Vec<Delivery>, AppError> {
    get(conn, organisation, id)?;
    Ok(delivery::list(conn, organisation, id, page)?)
}

/// One delivery of a subscription.
pub fn delivery(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
    delivery_id: DeliveryId,
) -> Result<Delivery, AppError> {
    get(conn, organisation, id)?;
    delivery::find(conn, organisation, id, delivery_id)?
        .ok_or_else(|| AppError::not_found(format!("no delivery {delivery_id} of webhook {id}")))
}

/// Sends a delivery again, whatever became of it: pending, due now, with a fresh retry window.
pub fn redeliver(
    conn: &mut DbConn,
    actor: &Actor,
    id: WebhookId,
    delivery_id: DeliveryId,
) -> Result<Delivery, AppError> {
    let organisation = actor.organisation_id;
    delivery(conn, organisation, id, delivery_id)?;
    delivery::redeliver(conn, organisation, delivery_id, time::now())?;
    audit::record(
        conn,
        actor,
        "redeliver",
        "webhook",
        &id.to_string(),
        &json!({ "delivery_id": delivery_id }),
    )?;
    delivery::find(conn, organisation, id, delivery_id)?
        .ok_or_else(|| AppError::internal("a redelivered delivery is missing"))
}

/// The organisation's events after `after`, of `types` (all when empty), oldest first.
pub fn feed(
    conn: &mut DbConn,
    organisation: OrganisationId,
    after: i64,
    types: &[EventType],
    limit: i64,
) -> Result<Vec<crate::store::webhook::event::Event>, AppError> {
    Ok(crate::store::webhook::event::feed(
        conn,
        organisation,
        after,
        types,
        limit,
    )?)
}
