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
use tokio::sync::Notify;

use crate::app::AppError;
use crate::config::WebhookConfig;
use crate::db::Db;
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

    /// Delivers until the task is dropped: a round whenever deliveries may be due (every
    /// `ORETRACE_WEBHOOK_POLL_MS`, or at once when this replica announced something).
    pub async fn run(self) {
        let mut gauges_at: Option<Instant> = None;
        loop {
            let claimed = match self.round().await {
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
            if claimed == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = self.wake.notified() => {}
                }
            }
        }
    }

    /// Claims what is due and delivers it, concurrently; answers how many were claimed.
    pub async fn round(&self) -> Result<usize, AppError> {
        let now = time::now();
        let lease_until = now + lease(self.config.timeout);
        let limit = self.config.concurrency as i64;
        let claimed = self
            .db
            .write(move |conn| {
                delivery::claim(conn, now, lease_until, limit).map_err(AppError::from)
            })
            .await?;
        let count = claimed.len();
        futures_util::future::join_all(claimed.into_iter().map(|c| self.deliver(c))).await;
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

    async fn deliver(&self, claimed: Claimed) {
        if let Err(e) = self.try_deliver(&claimed).await {
            log::warn!(
                "webhook delivery {} of organisation {}: {e}",
                claimed.id,
                claimed.organisation_id
            );
        }
    }

    async fn try_deliver(&self, claimed: &Claimed) -> Result<(), AppError> {
        let organisation: OrganisationId = claimed
            .organisation_id
            .parse()
            .map_err(AppError::internal)?;
        let subscription_id: WebhookId = claimed
            .subscription_id
            .parse()
            .map_err(AppError::internal)?;
        let seq = claimed.event_seq;
        let (found, event) = self
            .db
            .read(move |conn| {
                Ok::<_, AppError>((
                    subscription::find(conn, organisation, subscription_id)?,
                    event::find(conn, organisation, seq)?,
                ))
            })
            .await?;
        let (Some(subscription), Some(event)) = (found, event) else {
            return Ok(()); // deleted meanwhile, with its deliveries
        };
        let now = time::now();
        if !subscription.enabled && event.event_type != EventType::WebhookPing {
            // Held while the subscription is disabled; looked at again later.
            let claimed = claimed.clone();
            let again = now + chrono::Duration::seconds(60);
            return self
                .db
                .write(move |conn| delivery::release(conn, &claimed, again).map_err(AppError::from))
                .await;
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
            let at = attempt.at + chrono::Duration::from_std(delay).map_err(AppError::internal)?;
            let window =
                chrono::Duration::from_std(self.config.retry_window).map_err(AppError::internal)?;
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
                "webhook {subscription_id} of organisation {organisation} is failing: delivery {} \
                 of event {} given up after {} attempts ({})",
                claimed.id,
                event.id,
                claimed.attempts + 1,
                attempt.error.as_deref().unwrap_or_default()
            );
        }
        let claimed = claimed.clone();
        self.db
            .write(move |conn| {
                delivery::finish(conn, &claimed, &attempt, next)?;
                match next {
                    Next::Delivered => {
                        subscription::set_failing(conn, organisation, subscription_id, None)?;
                    }
                    Next::GiveUp => {
                        subscription::set_failing(
                            conn,
                            organisation,
                            subscription_id,
                            Some(attempt.at),
                        )?;
                    }
                    Next::RetryAt(_) => {}
                }
                Ok::<_, AppError>(())
            })
            .await
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
