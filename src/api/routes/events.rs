//! `/v1/events`: the organisation's events as a durable feed, for integrations that cannot
//! receive webhooks (scope `events:read`). docs/WEBHOOKS.md.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::http::caller::Caller;
use crate::api::http::extract::ApiQuery;
use crate::api::state::AppState;
use crate::app::webhooks::subscriptions;
use crate::auth::Scope;
use crate::domain::ids::{EventId, OrganisationId};
use crate::domain::webhook::EventType;
use crate::store::webhook::event::Event;

/// An event: what a webhook delivery carries as its body, and what the feed lists.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    /// Stable: the `webhook-id` of every delivery of this event, for de-duplication.
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the change it announces was committed.
    pub timestamp: DateTime<Utc>,
    pub organisation_id: OrganisationId,
    /// Its place in the organisation's feed (1, 2, …, in commit order); the feed's cursor.
    pub seq: i64,
    /// What it names, by ids the API resolves; the members depend on the type
    /// (docs/WEBHOOKS.md).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for EventView {
    fn from(e: Event) -> EventView {
        EventView {
            id: e.id,
            event_type: e.event_type,
            timestamp: e.occurred_at,
            organisation_id: e.organisation_id,
            seq: e.seq,
            data: e.data,
        }
    }
}

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct EventFeed {
    /// The events after the cursor, oldest first.
    pub items: Vec<EventView>,
    /// Pass as `after` to read on: the `seq` of the last event listed (the `after` given when
    /// none was). Never null: a feed is read again later from where it stopped.
    pub next_cursor: String,
}

/// Where to read from.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page (an event's `seq`); from the oldest kept event
    /// when left out.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub after: Option<String>,
    /// Only these event types, comma-separated (`red_flag.raised,red_flag.cleared`).
    #[serde(rename = "type")]
    #[param(
        rename = "type",
        pattern = "^(purchases\\.batch_completed|red_flag\\.raised|red_flag\\.cleared|certification\\.status_changed|certification\\.level_changed|certification\\.expiring|sourcing_target\\.missed)(,(purchases\\.batch_completed|red_flag\\.raised|red_flag\\.cleared|certification\\.status_changed|certification\\.level_changed|certification\\.expiring|sourcing_target\\.missed))*$"
    )]
    pub event_type: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// The organisation's events after a cursor, oldest first: the same events webhooks deliver
/// (pings excepted), kept `ORETRACE_EVENT_RETENTION_DAYS` (35 by default, at least 30).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_events",
    params(FeedQuery),
    responses(
        (status = 200, description = "Events after the cursor", body = EventFeed),
        (status = 400, description = "A bad cursor, type or limit",
         body = crate::api::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["events:read"]), ("oauth2" = ["events:read"]))
)]
#[get("/v1/events")]
pub async fn list_events(
    caller: Caller,
    query: ApiQuery<FeedQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::EventsRead)?;
    let query = query.0;
    let after = match query.after.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0 && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                ApiError::invalid_parameter("after", "is the `next_cursor` of a page: digits")
            })?,
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_parameter(
            "limit",
            "is between 1 and 1000",
        ));
    }
    let mut types = Vec::new();
    for name in query.event_type.iter().flat_map(|t| t.split(',')) {
        match EventType::parse(name.trim()).filter(|t| EventType::SUBSCRIBABLE.contains(t)) {
            Some(t) => types.push(t),
            None => {
                return Err(ApiError::invalid_parameter(
                    "type",
                    format!("`{name}` is not an event type of the feed"),
                ));
            }
        }
    }
    let organisation = caller.organisation_id;
    let events = state
        .db
        .read(move |conn| subscriptions::feed(conn, organisation, after, &types, limit))
        .await?;
    let next_cursor = events.last().map_or(after, |e| e.seq).to_string();
    Ok(HttpResponse::Ok().json(EventFeed {
        items: events.into_iter().map(EventView::from).collect(),
        next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented pattern of `type` names exactly the types of the feed.
    #[test]
    fn the_type_pattern_names_every_feed_type() {
        let names: Vec<String> = EventType::SUBSCRIBABLE
            .iter()
            .map(|t| t.as_str().replace('.', "\\."))
            .collect();
        let one = format!("({})", names.join("|"));
        let expected = format!("^{one}(,{one})*$");
        let params = FeedQuery::into_params(|| None);
        let documented = params
            .iter()
            .find(|p| p.name == "type")
            .and_then(|p| p.schema.as_ref())
            .map(|schema| serde_json::to_value(schema).unwrap()["pattern"].clone());
        assert_eq!(documented, Some(serde_json::Value::String(expected)));
    }
}
