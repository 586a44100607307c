//! The event outbox and feed. An event is written by the transaction whose change it announces
//! ([`append`]); each organisation's events are numbered in commit order (`event_counters`, see
//! the migration), which is the feed's cursor.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbConn;
use crate::db::schema::{events, webhook_deliveries};
use crate::domain::ids::{EventId, OrganisationId};
use crate::domain::time;
use crate::domain::webhook::EventType;
use crate::store::StoreError;

/// An event as stored.
#[derive(Clone, Debug)]
pub struct Event {
    pub organisation_id: OrganisationId,
    /// Its number in the organisation's feed (1, 2, …, in commit order).
    pub seq: i64,
    pub id: EventId,
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    /// What it names (JSON).
    pub data: serde_json::Value,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
struct Row {
    organisation_id: OrganisationId,
    seq: i64,
    id: EventId,
    event_type: EventType,
    occurred_at: NaiveDateTime,
    data: String,
}

impl Row {
    fn into_event(self) -> Result<Event, StoreError> {
        Ok(Event {
            organisation_id: self.organisation_id,
            seq: self.seq,
            id: self.id,
            event_type: self.event_type,
            occurred_at: time::from_db(self.occurred_at),
            data: serde_json::from_str(&self.data).map_err(StoreError::corrupt)?,
        })
    }
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

/// Numbers and writes an event of `organisation`, inside the caller's transaction. The counter
/// row stays locked until that transaction ends, so the organisation's events are numbered in
/// the order their transactions commit.
pub fn append(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event_type: EventType,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Event, StoreError> {
    let seq = diesel::sql_query(
        "INSERT INTO event_counters (organisation_id, last_seq) VALUES ($1, 1) \
         ON CONFLICT (organisation_id) DO UPDATE SET last_seq = event_counters.last_seq + 1 \
         RETURNING last_seq",
    )
    .bind::<Text, _>(organisation.to_string())
    .get_result::<Seq>(conn)?
    .last_seq;
    let row = Row {
        organisation_id: organisation,
        seq,
        id: EventId::generate(),
        event_type,
        occurred_at: time::to_db(now),
        data: data.to_string(),
    };
    diesel::insert_into(events::table)
        .values(&row)
        .execute(conn)?;
    row.into_event()
}

/// The organisation's events after `after` (a `seq`), oldest first, of the given types (all
/// but pings when empty).
pub fn feed(
    conn: &mut DbConn,
    organisation: OrganisationId,
    after: i64,
    types: &[EventType],
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    let mut query = events::table
        .filter(events::organisation_id.eq(organisation))
        .filter(events::seq.gt(after))
        .filter(events::event_type.ne(EventType::WebhookPing))
        .select(Row::as_select())
        .order(events::seq.asc())
        .limit(limit)
        .into_boxed();
    if !types.is_empty() {
        query = query.filter(events::event_type.eq_any(types.to_vec()));
    }
    query.load(conn)?.into_iter().map(Row::into_event).collect()
}

pub fn find(
    conn: &mut DbConn,
    organisation: OrganisationId,
    seq: i64,
) -> Result<Option<Event>, StoreError> {
    events::table
        .filter(events::organisation_id.eq(organisation))
        .filter(events::seq.eq(seq))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_event)
        .transpose()
}

/// Forgets events older than `before` whose deliveries are all done, with those deliveries;
/// answers how many events went.
pub fn prune(conn: &mut DbConn, before: DateTime<Utc>) -> Result<usize, StoreError> {
    let before = time::to_db(before);
    let pending_event = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::organisation_id.eq(events::organisation_id))
        .filter(webhook_deliveries::event_seq.eq(events::seq));
    let old: Vec<(OrganisationId, i64)> = events::table
        .filter(events::occurred_at.lt(before))
        .filter(diesel::dsl::not(diesel::dsl::exists(pending_event)))
        .select((events::organisation_id, events::seq))
        .limit(10_000)
        .load(conn)?;
    for (organisation, seq) in &old {
        diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::organisation_id.eq(organisation))
                .filter(webhook_deliveries::event_seq.eq(seq)),
        )
        .execute(conn)?;
        diesel::delete(
            events::table
                .filter(events::organisation_id.eq(organisation))
                .filter(events::seq.eq(seq)),
        )
        .execute(conn)?;
    }
    Ok(old.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{ConnectionManager, DatabaseUrl, run_migrations};
    use crate::domain::ids::WebhookId;
    use crate::store::organisation::{self, OrganisationKind};
    use crate::store::webhook::{delivery, subscription};

    /// Old events go once their deliveries are done; a pending delivery keeps its event.
    #[test]
    fn retention_prunes_old_events_whose_deliveries_are_done() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&format!("sqlite://{}/t.db", dir.path().display())).unwrap();
        let manager = ConnectionManager::new(url, std::time::Duration::from_secs(5));
        run_migrations(&manager).unwrap();
        let mut conn: DbConn = manager.establish().unwrap();
        let org = organisation::insert(&mut conn, "Pruned", OrganisationKind::Purchaser)
            .unwrap()
            .id;
        let now = time::now();
        let hook = subscription::Subscription {
            id: WebhookId::generate(),
            organisation_id: org,
            url: "https://example.com/hook".into(),
            description: String::new(),
            event_types: vec![EventType::PurchasesBatchCompleted],
            enabled: true,
            expiring_days: 30,
            secret: "whsec_AAAA".into(),
            previous_secret: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        subscription::insert(&mut conn, &hook).unwrap();
        let old = now - chrono::Duration::days(40);
        let data = serde_json::json!({});
        let done = append(
            &mut conn,
            org,
            EventType::PurchasesBatchCompleted,
            &data,
            old,
        )
        .unwrap();
        let waiting = append(
            &mut conn,
            org,
            EventType::PurchasesBatchCompleted,
            &data,
            old,
        )
        .unwrap();
        let recent = append(
            &mut conn,
            org,
            EventType::PurchasesBatchCompleted,
            &data,
            now,
        )
        .unwrap();
        delivery::enqueue(&mut conn, org, &[hook.id], waiting.seq, old).unwrap();
        let finished = delivery::enqueue(&mut conn, org, &[hook.id], done.seq, old).unwrap();
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(finished[0])))
            .set(webhook_deliveries::status.eq("delivered"))
            .execute(&mut conn)
            .unwrap();

        assert_eq!(
            prune(&mut conn, now - chrono::Duration::days(35)).unwrap(),
            1
        );
        let kept: Vec<i64> = feed(&mut conn, org, 0, &[], 10)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(kept, [waiting.seq, recent.seq]);
        assert_eq!(delivery::count_pending(&mut conn).unwrap(), 1);
    }
}
