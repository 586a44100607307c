//! The delivery worker every replica runs: claims due deliveries
//! ([`delivery::claim`](crate::store::webhook::delivery::claim)), signs and posts each to its
//! subscription's target, records the attempt, and schedules the next one with exponential
//! backoff and jitter until the retry window passes; then the delivery is given up, its
//! subscription marked failing, the log and `/metrics` told.
//!
//! At-least-once: an attempt whose answer is lost (the replica stops between the post and the
//! record) is made again once the lease runs out; receivers de-duplicate by `webhook-id`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use prometheus::{Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry};
use rand::Rng;
use serde_json::json;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::app::AppError;
use crate::config::WebhookConfig;
use crate::db::{Db, DbConn};
use crate::domain::ids::{OrganisationId, WebhookId};
use crate::domain::time;
use crate::domain::webhook::{EventType, check_target, retry_delay};
use crate::store::webhook::delivery::{self, AttemptRecord, Claimed, Next};
use crate::store::webhook::event::{self, Event};
use crate::store::webhook::subscription::{self, Subscription};

use super::signature;
use super::targets::PublicOnly;

/// The delivery metrics in `/metrics`.
pub struct WebhookMetrics {
    /// Attempts by outcome: `delivered`, `retry`, `failed` (given up).
    attempts: IntCounterVec,
    latency: Histogram,
    pending: IntGauge,
    failing: IntGauge,
}

impl WebhookMetrics {
    pub fn register(registry: &Registry) -> Result<WebhookMetrics, String> {
        let attempts = IntCounterVec::new(
            Opts::new(
                "oretrace_webhook_attempts_total",
                "Webhook delivery attempts by outcome: delivered, retry (failed, tried again \
                 later), failed (failed and given up)",
            ),
            &["outcome"],
        )
        .map_err(|e| e.to_string())?;
        let latency = Histogram::with_opts(HistogramOpts::new(
            "oretrace_webhook_attempt_seconds",
            "How long a webhook target took to answer (or to fail)",
        ))
        .map_err(|e| e.to_string())?;
        let pending = IntGauge::new(
            "oretrace_webhook_deliveries_pending",
            "Webhook deliveries not yet delivered nor given up, all organisations",
        )
        .map_err(|e| e.to_string())?;
        let failing = IntGauge::new(
            "oretrace_webhook_subscriptions_failing",
            "Webhook subscriptions whose last delivery was given up after its retry window",
        )
        .map_err(|e| e.to_string())?;
        registry
            .register(Box::new(attempts.clone()))
            .and_then(|_| registry.register(Box::new(latency.clone())))
            .and_then(|_| registry.register(Box::new(pending.clone())))
            .and_then(|_| registry.register(Box::new(failing.clone())))
            .map_err(|e| format!("webhook metrics: {e}"))?;
        Ok(WebhookMetrics {
            attempts,
            latency,
            pending,
            failing,
        })
    }
}

/// One replica's delivery worker.
pub struct Worker {
    db: Db,
    http: reqwest::Client,
    config: WebhookConfig,
    metrics: Arc<WebhookMetrics>,
    wake: Arc<Notify>,
}

/// How often the pending and failing gauges are refreshed.
const GAUGE_EVERY: Duration = Duration::from_secs(10);

impl Worker {
    /// The worker and its HTTP client: no redirects followed, no proxy, short timeouts, and
    /// names resolved to public addresses only (unless the operator allows internal ones).
    pub fn new(
        db: Db,
        config: WebhookConfig,
        metrics: Arc<WebhookMetrics>,
        wake: Arc<Notify>,
    ) -> Result<Worker, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Oretrace-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(PublicOnly {
                allow_internal: config.allow_private,
            })
            .build()
            .map_err(|e| format!("webhook HTTP client: {e}"))?;
        Ok(Worker {
            db,
            http,
            config,
            metrics,
            wake,
        })
    }

    /// Delivers until the task is dropped. Up to `ORETRACE_WEBHOOK_CONCURRENCY` deliveries are
    /// in flight at once, each recorded as soon as it ends, so that a slow or dead target holds
    /// only its own slot (and its own subscription, whose later events wait behind it), never
    /// the other organisations' deliveries. Free slots are filled whenever deliveries may be
    /// due: every `ORETRACE_WEBHOOK_POLL_MS`, at once when this replica announced something,
    /// and right after a claim that filled every free slot.
    pub async fn run(self: Arc<Self>) {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut gauges_at: Option<Instant> = None;
        loop {
            let Ok(first) = slots.clone().acquire_owned().await else {
                return;
            };
            let mut free = vec![first];
            while let Ok(slot) = slots.clone().try_acquire_owned() {
                free.push(slot);
            }
            let wanted = free.len();
            let claimed = match self.clone().dispatch(free).await {
                Ok(n) => n,
                Err(e) => {
                    log::warn!("webhook delivery round: {e}");
                    0
                }
            };
            if gauges_at.is_none_or(|at| at.elapsed() >= GAUGE_EVERY) {
                self.refresh_gauges().await;
                gauges_at = Some(Instant::now());
            }
            if claimed < wanted {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = self.wake.notified() => {}
                }
            }
        }
    }

    /// Claims up to one delivery per free slot, reads their subscriptions and events in one
    /// database call, and sends each in a task of its own that records its attempt and frees
    /// its slot. Answers how many were claimed.
    async fn dispatch(self: Arc<Self>, free: Vec<OwnedSemaphorePermit>) -> Result<usize, AppError> {
        let now = time::now();
        let lease_until = now + lease(self.config.timeout);
        let limit = free.len() as i64;
        let claimed = self
            .db
            .write_patiently(move |conn| {
                delivery::claim(conn, now, lease_until, limit).map_err(AppError::from)
            })
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let loaded = self.db.read(move |conn| load(conn, claimed)).await?;
        for ((claimed, found), slot) in loaded.into_iter().zip(free) {
            let worker = self.clone();
            tokio::spawn(async move {
                let id = claimed.id.clone();
                let outcome = worker.deliver(claimed, found).await;
                // Patiently: an attempt not recorded is sent again once its lease runs out.
                let recorded = worker
                    .db
                    .write_patiently(move |conn| record(conn, &outcome))
                    .await;
                if let Err(e) = recorded {
                    // The lease runs out and the delivery is tried again: at least once.
                    log::warn!("webhook delivery {id}: the attempt could not be recorded: {e}");
                }
                drop(slot);
            });
        }
        Ok(count)
    }

    async fn refresh_gauges(&self) {
        let counts = self
            .db
            .read(|conn| {
                Ok::<_, AppError>((
                    delivery::count_pending(conn)?,
                    subscription::count_failing(conn)?,
                ))
            })
            .await;
        match counts {
            Ok((pending, failing)) => {
                self.metrics.pending.set(pending);
                self.metrics.failing.set(failing);
            }
            Err(e) => log::warn!("webhook gauges: {e}"),
        }
    }

    /// Sends one claimed delivery (or holds it while its subscription is disabled) and says
    /// what to record.
    async fn deliver(
        &self,
        claimed: Claimed,
        found: Option<(OrganisationId, Subscription, Event)>,
    ) -> Outcome {
        let Some((organisation, subscription, event)) = found else {
            return Outcome::Gone; // deleted meanwhile, with its deliveries
        };
        let now = time::now();
        if !subscription.enabled && event.event_type != EventType::WebhookPing {
            // Held while the subscription is disabled; looked at again later.
            return Outcome::Held(claimed, now + chrono::Duration::seconds(60));
        }
        let attempt = self.attempt(&subscription, &event, now).await;
        self.metrics
            .latency
            .observe(attempt.latency_ms as f64 / 1000.0);
        let next = if attempt.error.is_none() {
            Next::Delivered
        } else {
            let failures = u32::try_from(claimed.attempts + 1).unwrap_or(u32::MAX);
            let delay = retry_delay(
                self.config.retry_base,
                failures,
                rand::thread_rng().r#gen::<f64>(),
            );
            let at = attempt.at
                + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1));
            let window = chrono::Duration::from_std(self.config.retry_window)
                .unwrap_or(chrono::Duration::days(1));
            if at > time::from_db(claimed.retry_since) + window {
                Next::GiveUp
            } else {
                Next::RetryAt(at)
            }
        };
        let outcome = match next {
            Next::Delivered => "delivered",
            Next::RetryAt(_) => "retry",
            Next::GiveUp => "failed",
        };
        self.metrics.attempts.with_label_values(&[outcome]).inc();
        if let Next::GiveUp = next {
            log::warn!(
                "webhook {} of organisation {organisation} is failing: delivery {} of event {} \
                 given up after {} attempts ({})",
                subscription.id,
                claimed.id,
                event.id,
                claimed.attempts + 1,
                attempt.error.as_deref().unwrap_or_default()
            );
        }
        Outcome::Tried {
            organisation,
            subscription: subscription.id,
            claimed,
            attempt,
            next,
        }
    }

    /// Posts one event to one subscription and says what came of it.
    async fn attempt(
        &self,
        subscription: &Subscription,
        event: &Event,
        now: DateTime<Utc>,
    ) -> AttemptRecord {
        let started = Instant::now();
        let failed = |error: String, status_code: Option<u16>| AttemptRecord {
            at: now,
            status_code,
            latency_ms: started.elapsed().as_millis() as i64,
            error: Some(error),
        };
        if let Err(refused) = check_target(&subscription.url, self.config.allow_private) {
            return failed(format!("the target URL {refused}"), None);
        }
        let body = payload(event).to_string();
        let id = event.id.to_string();
        let timestamp = now.timestamp();
        let signatures = signature::header(
            &subscription.signing_secrets(now),
            &id,
            timestamp,
            body.as_bytes(),
        );
        let sent = self
            .http
            .post(&subscription.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => AttemptRecord {
                at: now,
                status_code: Some(response.status().as_u16()),
                latency_ms: started.elapsed().as_millis() as i64,
                error: None,
            },
            Ok(response) => {
                let status = response.status();
                let said = if status.is_redirection() {
                    format!("answered {status}; redirects are not followed")
                } else {
                    format!("answered {status}")
                };
                failed(said, Some(status.as_u16()))
            }
            Err(e) => failed(describe(&e), None),
        }
    }
}

/// What became of a claimed delivery, to record.
enum Outcome {
    /// Its subscription was deleted meanwhile (with its deliveries): nothing to record.
    Gone,
    /// Held while its subscription is disabled: due again at this time.
    Held(Claimed, DateTime<Utc>),
    /// Attempted.
    Tried {
        organisation: OrganisationId,
        subscription: WebhookId,
        claimed: Claimed,
        attempt: AttemptRecord,
        next: Next,
    },
}

/// The subscription and event of each claimed delivery (none when the subscription is gone).
type Loaded = Vec<(Claimed, Option<(OrganisationId, Subscription, Event)>)>;

fn load(conn: &mut DbConn, claimed: Vec<Claimed>) -> Result<Loaded, AppError> {
    let mut loaded = Vec::with_capacity(claimed.len());
    for c in claimed {
        let organisation: OrganisationId = c.organisation_id.parse().map_err(AppError::internal)?;
        let subscription_id: WebhookId = c.subscription_id.parse().map_err(AppError::internal)?;
        let found = match (
            subscription::find(conn, organisation, subscription_id)?,
            event::find(conn, organisation, c.event_seq)?,
        ) {
            (Some(subscription), Some(event)) => Some((organisation, subscription, event)),
            _ => None,
        };
        loaded.push((c, found));
    }
    Ok(loaded)
}

/// Records one outcome: the attempt and what follows, and the subscription's failing mark.
fn record(conn: &mut DbConn, outcome: &Outcome) -> Result<(), AppError> {
    match outcome {
        Outcome::Gone => {}
        Outcome::Held(claimed, at) => delivery::release(conn, claimed, *at)?,
        Outcome::Tried {
            organisation,
            subscription: id,
            claimed,
            attempt,
            next,
        } => {
            delivery::finish(conn, claimed, attempt, *next)?;
            match next {
                Next::Delivered => {
                    subscription::set_failing(conn, *organisation, *id, None)?;
                }
                Next::GiveUp => {
                    subscription::set_failing(conn, *organisation, *id, Some(attempt.at))?;
                }
                Next::RetryAt(_) => {}
            }
        }
    }
    Ok(())
}

/// The lease a worker takes on a claimed delivery: time for one attempt and its record.
fn lease(timeout: Duration) -> chrono::Duration {
    chrono::Duration::from_std(timeout * 2 + Duration::from_secs(30))
        .unwrap_or(chrono::Duration::minutes(5))
}

/// The body of a delivery: the event as the feed shows it.
pub fn payload(event: &Event) -> serde_json::Value {
    json!({
        "id": event.id,
        "type": event.event_type,
        "timestamp": event.occurred_at,
        "organisation_id": event.organisation_id,
        "seq": event.seq,
        "data": event.data,
    })
}

/// A transport error with its causes, for the attempt's record.
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}
