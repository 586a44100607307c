//! Webhook subscriptions: where an organisation's events go, and the secrets that sign them.
//! The secrets are stored as they are, because every delivery is signed with them (a
//! database reader can read them: docs/WEBHOOKS.md); the API shows a secret only when it is
//! made.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::webhook_subscriptions as subs;
use crate::domain::ids::{OrganisationId, WebhookId};
use crate::domain::time;
use crate::domain::webhook::EventType;
use crate::store::StoreError;
use crate::store::page::PageRequest;

/// A subscription as stored.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: WebhookId,
    pub organisation_id: OrganisationId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub enabled: bool,
    /// How many days before a certificate's last valid day `certification.expiring` is sent.
    pub expiring_days: i32,
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<(String, DateTime<Utc>)>,
    /// Since when its deliveries are given up (cleared by the next delivered one).
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Subscription {
    /// The secrets that sign a delivery sent at `now`: the current one, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some((previous, until)) = &self.previous_secret
            && *until > now
        {
            secrets.push(previous);
        }
        secrets
    }

    pub fn wants(&self, event_type: EventType) -> bool {
        self.enabled && self.event_types.contains(&event_type)
    }
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = subs, treat_none_as_null = true)]
struct Row {
    organisation_id: OrganisationId,
    id: WebhookId,
    url: String,
    description: String,
    event_types: String,
    enabled: i16,
    expiring_days: i32,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<NaiveDateTime>,
    failing_since: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn types_text(types: &[EventType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Row {
    fn of(s: &Subscription) -> Row {
        Row {
            organisation_id: s.organisation_id,
            id: s.id,
            url: s.url.clone(),
            description: s.description.clone(),
            event_types: types_text(&s.event_types),
            enabled: i16::from(s.enabled),
            expiring_days: s.expiring_days,
            secret: s.secret.clone(),
            previous_secret: s.previous_secret.as_ref().map(|(p, _)| p.clone()),
            previous_secret_until: s.previous_secret.as_ref().map(|(_, u)| time::to_db(*u)),
            failing_since: s.failing_since.map(time::to_db),
            created_at: time::to_db(s.created_at),
            updated_at: time::to_db(s.updated_at),
        }
    }

    fn into_subscription(self) -> Result<Subscription, StoreError> {
        let event_types = self
            .event_types
            .split_ascii_whitespace()
            .map(|t| t.parse::<EventType>().map_err(StoreError::corrupt))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Subscription {
            id: self.id,
            organisation_id: self.organisation_id,
            url: self.url,
            description: self.description,
            event_types,
            enabled: self.enabled != 0,
            expiring_days: self.expiring_days,
            secret: self.secret,
            previous_secret: self
                .previous_secret
                .zip(self.previous_secret_until.map(time::from_db)),
            failing_since: self.failing_since.map(time::from_db),
            created_at: time::from_db(self.created_at),
            updated_at: time::from_db(self.updated_at),
        })
    }
}

pub fn insert(conn: &mut DbConn, subscription: &Subscription) -> Result<(), StoreError> {
    diesel::insert_into(subs::table)
        .values(Row::of(subscription))
        .execute(conn)?;
    Ok(())
}

/// Writes every member of a stored subscription.
pub fn save(conn: &mut DbConn, subscription: &Subscription) -> Result<(), StoreError> {
    diesel::update(
        subs::table
            .filter(subs::organisation_id.eq(subscription.organisation_id))
            .filter(subs::id.eq(subscription.id)),
    )
    .set(Row::of(subscription))
    .execute(conn)?;
    Ok(())
}

pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
) -> Result<Option<Subscription>, StoreError> {
    subs::table
        .filter(subs::organisation_id.eq(organisation))
        .filter(subs::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_subscription)
        .transpose()
}

/// A page of the organisation's subscriptions, oldest first.
pub fn list(
    conn: &mut DbConn,
    organisation: OrganisationId,
    page: &PageRequest,
) -> Result<Vec<Subscription>, StoreError> {
    let mut query = subs::table
        .filter(subs::organisation_id.eq(organisation))
        .select(Row::as_select())
        .order(subs::id.asc())
        .limit(page.fetch_limit())
        .into_boxed();
    if let Some(after) = &page.after {
        query = query.filter(subs::id.gt(after.clone()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(Row::into_subscription)
        .collect()
}

/// Every enabled subscription of the organisation (an organisation has a handful).
pub fn enabled(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Subscription>, StoreError> {
    subs::table
        .filter(subs::organisation_id.eq(organisation))
        .filter(subs::enabled.eq(1))
        .select(Row::as_select())
        .order(subs::id.asc())
        .load(conn)?
        .into_iter()
        .map(Row::into_subscription)
        .collect()
}

/// Deletes a subscription with its deliveries and their attempts; false when there is none.
pub fn delete(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        subs::table
            .filter(subs::organisation_id.eq(organisation))
            .filter(subs::id.eq(id)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// Marks a subscription failing since `since` (or clears the mark with `None`); answers
/// whether the mark changed.
pub fn set_failing(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: WebhookId,
    since: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let target = subs::table
        .filter(subs::organisation_id.eq(organisation))
        .filter(subs::id.eq(id));
    let changed = match since {
        Some(since) => diesel::update(target.filter(subs::failing_since.is_null()))
            .set(subs::failing_since.eq(Some(time::to_db(since))))
            .execute(conn)?,
        None => diesel::update(target.filter(subs::failing_since.is_not_null()))
            .set(subs::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?,
    };
    Ok(changed > 0)
}

/// How many subscriptions are marked failing, across organisations (for `/metrics`).
pub fn count_failing(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(subs::table
        .filter(subs::failing_since.is_not_null())
        .count()
        .get_result(conn)?)
}
