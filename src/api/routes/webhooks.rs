//! `/v1/webhooks`: the organisation's webhook subscriptions, their secrets and their
//! deliveries (scope `webhooks:manage`). docs/WEBHOOKS.md.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::{ApiJson, ApiQuery};
use crate::api::http::idempotency::ShownOnce;
use crate::api::http::pagination::{self, Page, PageRequest};
use crate::api::routes::organisations::ListQuery;
use crate::api::state::AppState;
use crate::app::AppError;
use crate::app::webhooks::subscriptions::{self, NewSubscription, SubscriptionChange};
use crate::app::webhooks::targets;
use crate::auth::Scope;
use crate::domain::ids::{DeliveryId, EventId, WebhookId};
use crate::domain::webhook::EventType;
use crate::store::audit::Actor;
use crate::store::webhook::delivery::{Attempt, Delivery, Status};
use crate::store::webhook::subscription::Subscription;

crate::page_type!(WebhookList, Webhook);
crate::page_type!(DeliveryList, WebhookDelivery);

/// A webhook subscription: where the organisation's events of some types are posted, signed
/// with its secret (never shown again after it is made).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub id: WebhookId,
    /// The target: an `https://` (or `http://`) URL on a public address.
    pub url: String,
    /// A label for people.
    pub description: String,
    /// The event types posted to it.
    pub event_types: Vec<EventType>,
    /// A disabled subscription is sent nothing: events announced while it is disabled are not
    /// queued for it (they stay in the feed, `GET /v1/events`), and deliveries queued before
    /// wait until it is enabled again.
    pub enabled: bool,
    /// How many days before a certificate's last valid day `certification.expiring` is sent.
    pub expiring_days: i32,
    /// Since when its deliveries are given up after their retry window (null while they
    /// arrive): the target needs attention.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs beside the current one.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Subscription> for Webhook {
    fn from(s: Subscription) -> Webhook {
        let now = crate::domain::time::now();
        Webhook {
            id: s.id,
            url: s.url,
            description: s.description,
            event_types: s.event_types,
            enabled: s.enabled,
            expiring_days: s.expiring_days,
            failing_since: s.failing_since,
            previous_secret_valid_until: s
                .previous_secret
                .map(|(_, until)| until)
                .filter(|until| *until > now),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A subscription with its signing secret: the answer to its creation and to a rotation, the
/// only times the secret is shown.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` and the base64 of 32 bytes: the key of the `webhook-signature` HMAC (Standard
    /// Webhooks). Store it now; it cannot be shown again. A replay of the same
    /// `Idempotency-Key` answers without it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn with_secret(s: Subscription) -> WebhookWithSecret {
    let secret = Some(s.secret.clone());
    WebhookWithSecret {
        webhook: Webhook::from(s),
        secret,
    }
}

/// The event types a subscription may name ([`EventType::SUBSCRIBABLE`]).
fn subscribable_types() -> ArrayBuilder {
    let names: Vec<&str> = EventType::SUBSCRIBABLE.iter().map(|t| t.as_str()).collect();
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(names)),
        )
        .min_items(Some(1))
        .unique_items(true)
        .description(Some("The event types to post (at least one, each once)."))
}

fn subscribable_types_or_null() -> ArrayBuilder {
    subscribable_types().schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
}

/// A subscription to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// The target, at most 2,000 characters: `https://` (or `http://`), no user name or
    /// password, on a host whose addresses are all public (checked now and at every delivery).
    #[schema(
        max_length = 2000,
        format = "uri",
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub url: String,
    /// A label for people, at most 200 characters.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
    /// The event types to post (at least one, each once).
    #[schema(schema_with = subscribable_types)]
    pub event_types: Vec<EventType>,
    /// Default true.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// How many days before a certificate's last valid day `certification.expiring` is sent:
    /// 1 to 365, default 30.
    #[serde(default = "default_expiring_days")]
    #[schema(minimum = 1, maximum = 365)]
    pub expiring_days: i32,
}

fn default_expiring_days() -> i32 {
    crate::domain::webhook::DEFAULT_EXPIRING_DAYS
}

fn enabled_by_default() -> bool {
    true
}

/// What to change; members left out (or null) stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    #[schema(
        max_length = 2000,
        format = "uri",
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub url: Option<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    #[schema(schema_with = subscribable_types_or_null)]
    pub event_types: Option<Vec<EventType>>,
    pub enabled: Option<bool>,
    #[schema(minimum = 1, maximum = 365)]
    pub expiring_days: Option<i32>,
}

/// Where a delivery stands: `pending` (queued or waiting for a retry), `delivered` (the target
/// answered 2xx), `failed` (given up after the retry window).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// One attempt of a delivery.
#[derive(Serialize, ToSchema)]
pub struct DeliveryAttempt {
    /// 1 for the first attempt.
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// The target's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// How long the target took to answer or to fail, in milliseconds.
    pub latency_ms: i64,
    /// Why it failed (no answer, a non-2xx status, an internal address refused…).
    pub error: Option<String>,
}

/// One event's delivery to this subscription, with every attempt.
#[derive(Serialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    /// The event, also the `webhook-id` header of every attempt.
    pub event_id: EventId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub completed_at: Option<DateTime<Utc>>,
    pub attempts: Vec<DeliveryAttempt>,
}

impl From<Delivery> for WebhookDelivery {
    fn from(d: Delivery) -> WebhookDelivery {
        WebhookDelivery {
            id: d.id,
            webhook_id: d.subscription_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: match d.status {
                Status::Pending => DeliveryStatus::Pending,
                Status::Delivered => DeliveryStatus::Delivered,
                Status::Failed => DeliveryStatus::Failed,
            },
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            completed_at: d.completed_at,
            attempts: d.attempts.into_iter().map(attempt_view).collect(),
        }
    }
}

fn attempt_view(a: Attempt) -> DeliveryAttempt {
    DeliveryAttempt {
        attempt: a.attempt,
        attempted_at: a.at,
        status_code: a.status_code,
        latency_ms: a.latency_ms,
        error: a.error,
    }
}

/// The target's addresses, checked before anything is written (a refusal is a 422 at `/url`).
async fn check_url(url: &str, state: &AppState) -> Result<(), ApiError> {
    targets::check(url, state.config.webhooks.allow_private)
        .await
        .map_err(|refused| AppError::rejected("/url", refused).into())
}

fn location(id: WebhookId) -> (header::HeaderName, String) {
    (header::LOCATION, format!("/v1/webhooks/{id}"))
}

/// Registers a webhook subscription. The answer carries its signing secret, the only time it
/// is shown.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Created; store the secret now", body = WebhookWithSecret,
         headers(("Location" = String, description = "The new subscription"))),
        (status = 422, description = "A refused member: the URL (its form, or an internal \
         address), an unknown event type",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    caller: Caller,
    body: ApiJson<NewWebhook>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let body = body.0;
    check_url(&body.url, &state).await?;
    let actor = Actor::from(&caller);
    let allow = state.config.webhooks.allow_private;
    let input = NewSubscription {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
        expiring_days: body.expiring_days,
    };
    let created = state
        .db
        .write(move |conn| subscriptions::create(conn, &actor, input, allow))
        .await?;
    let mut response = HttpResponse::Created()
        .insert_header(location(created.id))
        .json(with_secret(created));
    response.extensions_mut().insert(ShownOnce(&["secret"]));
    Ok(response)
}

/// Lists the organisation's webhook subscriptions, oldest first.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhooks",
    params(ListQuery),
    responses((status = 200, description = "A page of subscriptions", body = WebhookList)),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
    req: HttpRequest,
    caller: Caller,
    query: ApiQuery<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let request = page.clone();
    let organisation = caller.organisation_id;
    let rows = state
        .db
        .read(move |conn| subscriptions::list(conn, organisation, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |s| s.id.to_string()).map(Webhook::from);
    Ok(pagination::respond(&req, &page))
}

/// Reads a webhook subscription (never its secret).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = WebhookId, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The subscription", body = Webhook),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[get("/v1/webhooks/{id}")]
pub async fn get_webhook(
    caller: Caller,
    id: web::Path<WebhookId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let (organisation, id) = (caller.organisation_id, id.into_inner());
    let found = state
        .db
        .read(move |conn| subscriptions::get(conn, organisation, id))
        .await?;
    Ok(HttpResponse::Ok().json(Webhook::from(found)))
}

/// Changes a webhook subscription: its URL (checked as at registration), description, event
/// types, or whether it is enabled.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "update_webhook",
    params(("id" = WebhookId, Path, description = "Subscription id")),
    request_body = WebhookChange,
    responses(
        (status = 200, description = "The subscription as changed", body = Webhook),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A refused member",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[patch("/v1/webhooks/{id}")]
pub async fn update_webhook(
    caller: Caller,
    id: web::Path<WebhookId>,
    body: ApiJson<WebhookChange>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let body = body.0;
    if let Some(url) = &body.url {
        check_url(url, &state).await?;
    }
    let (actor, id) = (Actor::from(&caller), id.into_inner());
    let allow = state.config.webhooks.allow_private;
    let change = SubscriptionChange {
        url: body.url,
        description: body.description,
        event_types: body.event_types,
        enabled: body.enabled,
        expiring_days: body.expiring_days,
    };
    let updated = state
        .db
        .write(move |conn| subscriptions::update(conn, &actor, id, change, allow))
        .await?;
    if updated.enabled {
        state.wake_webhooks();
    }
    Ok(HttpResponse::Ok().json(Webhook::from(updated)))
}

/// Deletes a webhook subscription with its pending and past deliveries.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = WebhookId, Path, description = "Subscription id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
    caller: Caller,
    id: web::Path<WebhookId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let (actor, id) = (Actor::from(&caller), id.into_inner());
    state
        .db
        .write(move |conn| subscriptions::delete(conn, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a subscription a new signing secret, shown in this answer only. The previous secret
/// keeps signing beside it (a second signature in `webhook-signature`) for
/// `ORETRACE_WEBHOOK_SECRET_GRACE_HOURS` (24 by default), so the receiver can switch over.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    params(("id" = WebhookId, Path, description = "Subscription id")),
    responses(
        (status = 200, description = "The new secret; store it now", body = WebhookWithSecret),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[post("/v1/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    caller: Caller,
    id: web::Path<WebhookId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let (actor, id) = (Actor::from(&caller), id.into_inner());
    let grace = state.config.webhooks.secret_grace;
    let rotated = state
        .db
        .write(move |conn| subscriptions::rotate_secret(conn, &actor, id, grace))
        .await?;
    let mut response = HttpResponse::Ok().json(with_secret(rotated));
    response.extensions_mut().insert(ShownOnce(&["secret"]));
    Ok(response)
}

/// Sends a `webhook.ping` event to this subscription only (whatever types it takes, even when
/// disabled), to check the target and its signature verification. Answers the queued
/// delivery; follow it at its `Location`.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "ping_webhook",
    params(("id" = WebhookId, Path, description = "Subscription id")),
    responses(
        (status = 202, description = "Queued", body = WebhookDelivery,
         headers(("Location" = String, description = "The delivery"))),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[post("/v1/webhooks/{id}/ping")]
pub async fn ping_webhook(
    caller: Caller,
    id: web::Path<WebhookId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let (actor, id) = (Actor::from(&caller), id.into_inner());
    let queued = state
        .db
        .write(move |conn| subscriptions::ping(conn, &actor, id))
        .await?;
    state.wake_webhooks();
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/v1/webhooks/{id}/deliveries/{}", queued.id),
        ))
        .json(WebhookDelivery::from(queued)))
}

/// Lists a subscription's deliveries, newest first, each with its attempts (time, status code,
/// latency, error) and its next retry.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = WebhookId, Path, description = "Subscription id"), ListQuery),
    responses(
        (status = 200, description = "A page of deliveries, newest first", body = DeliveryList),
        (status = 404, description = "No such subscription of this organisation",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[get("/v1/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    req: HttpRequest,
    caller: Caller,
    id: web::Path<WebhookId>,
    query: ApiQuery<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let (organisation, id) = (caller.organisation_id, id.into_inner());
    let page = PageRequest::new(query.0.limit, query.0.cursor.as_deref())?;
    let request = page.clone();
    let rows = state
        .db
        .read(move |conn| subscriptions::deliveries(conn, organisation, id, &request))
        .await?;
    let page = Page::from_rows(rows, &page, |d| d.id.to_string()).map(WebhookDelivery::from);
    Ok(pagination::respond(&req, &page))
}

/// Reads one delivery of a subscription with its attempts.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook_delivery",
    params(
        ("id" = WebhookId, Path, description = "Subscription id"),
        ("delivery" = DeliveryId, Path, description = "Delivery id")
    ),
    responses(
        (status = 200, description = "The delivery", body = WebhookDelivery),
        (status = 404, description = "No such delivery of this organisation's subscription",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[get("/v1/webhooks/{id}/deliveries/{delivery}")]
pub async fn get_webhook_delivery(
    caller: Caller,
    path: web::Path<(WebhookId, DeliveryId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let organisation = caller.organisation_id;
    let (id, delivery) = path.into_inner();
    let found = state
        .db
        .read(move |conn| subscriptions::delivery(conn, organisation, id, delivery))
        .await?;
    Ok(HttpResponse::Ok().json(WebhookDelivery::from(found)))
}

/// Sends a delivery again, whatever became of it (delivered, failed or pending): due now, with
/// a fresh retry window. The event keeps its id, so the receiver can tell it has seen it.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "redeliver_webhook_delivery",
    params(
        ("id" = WebhookId, Path, description = "Subscription id"),
        ("delivery" = DeliveryId, Path, description = "Delivery id")
    ),
    responses(
        (status = 202, description = "Queued again", body = WebhookDelivery),
        (status = 404, description = "No such delivery of this organisation's subscription",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["webhooks:manage"]), ("oauth2" = ["webhooks:manage"]))
)]
#[post("/v1/webhooks/{id}/deliveries/{delivery}/redeliver")]
pub async fn redeliver_webhook_delivery(
    caller: Caller,
    path: web::Path<(WebhookId, DeliveryId)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::WebhooksManage)?;
    let actor = Actor::from(&caller);
    let (id, delivery) = path.into_inner();
    let queued = state
        .db
        .write(move |conn| subscriptions::redeliver(conn, &actor, id, delivery))
        .await?;
    state.wake_webhooks();
    Ok(HttpResponse::Accepted().json(WebhookDelivery::from(queued)))
}
