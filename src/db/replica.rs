//! A streaming replica for heavy reads (`ORETRACE_READ_DATABASE_URL`, docs/OPERATIONS.md): its
//! replay lag is measured every second ([`ReadReplica::watch`]), and reads go to it only while
//! that lag is known and within `ORETRACE_READ_MAX_LAG_MS`; otherwise, and whenever it cannot
//! give a connection, they go to the primary. Writes never go there.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use prometheus::{IntCounter, IntGauge, Registry};

use super::{DbConn, Pool, PoolSettings};
use crate::config::ReadReplicaConfig;

/// The lag reported when it is unknown (the replica is unreachable).
const UNKNOWN: i64 = -1;

/// The replica's pool, its last measured lag and its metrics.
pub struct ReadReplica {
    pub(super) pool: Pool,
    max_lag_ms: i64,
    lag_ms: AtomicI64,
    lag_gauge: IntGauge,
    usable_gauge: IntGauge,
    /// Reads that went to the primary because the replica was behind or unreachable.
    pub(super) fallbacks: IntCounter,
    /// Reads the replica answered.
    pub(super) served: IntCounter,
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = BigInt)]
    lag_ms: i64,
}

/// How far the replica's replay is behind what it received, in milliseconds: 0 when it has
/// replayed everything it received (or is no standby at all), otherwise the age of the last
/// transaction it replayed.
const LAG_SQL: &str = "SELECT CAST(CASE \
       WHEN NOT pg_is_in_recovery() THEN 0 \
       WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
       ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0) \
     END AS BIGINT) AS lag_ms";

impl ReadReplica {
    /// The replica's pool (not connected yet) and its metrics, registered in `registry`.
    pub fn new(
        config: &ReadReplicaConfig,
        settings: &PoolSettings,
        registry: &Registry,
    ) -> Result<Arc<ReadReplica>, String> {
        let metric = |e: prometheus::Error| format!("replica metrics: {e}");
        let lag_gauge = IntGauge::new(
            "oretrace_read_replica_lag_ms",
            "Replay lag of the read replica in milliseconds (-1: unknown, reads go to the primary)",
        )
        .map_err(metric)?;
        let usable_gauge = IntGauge::new(
            "oretrace_read_replica_usable",
            "1 while the read replica serves reads, 0 while they go to the primary",
        )
        .map_err(metric)?;
        let fallbacks = IntCounter::new(
            "oretrace_read_replica_fallbacks_total",
            "Replica reads answered by the primary (replica behind or unreachable)",
        )
        .map_err(metric)?;
        let served = IntCounter::new(
            "oretrace_read_replica_reads_total",
            "Reads answered by the read replica",
        )
        .map_err(metric)?;
        let collectors: [Box<dyn prometheus::core::Collector>; 4] = [
            Box::new(lag_gauge.clone()),
            Box::new(usable_gauge.clone()),
            Box::new(fallbacks.clone()),
            Box::new(served.clone()),
        ];
        for collector in collectors {
            registry.register(collector).map_err(metric)?;
        }
        lag_gauge.set(UNKNOWN);
        Ok(Arc::new(ReadReplica {
            pool: super::pool(&config.url, settings),
            max_lag_ms: i64::try_from(config.max_lag.as_millis()).unwrap_or(i64::MAX),
            lag_ms: AtomicI64::new(UNKNOWN),
            lag_gauge,
            usable_gauge,
            fallbacks,
            served,
        }))
    }

    /// Whether reads may go to the replica now: its lag is known and within the limit.
    pub fn usable(&self) -> bool {
        let lag = self.lag_ms.load(Ordering::Relaxed);
        lag != UNKNOWN && lag <= self.max_lag_ms
    }

    /// The last measured lag in milliseconds; `None` while unknown.
    pub fn lag_ms(&self) -> Option<i64> {
        Some(self.lag_ms.load(Ordering::Relaxed)).filter(|l| *l != UNKNOWN)
    }

    fn record(&self, lag_ms: i64) {
        self.lag_ms.store(lag_ms, Ordering::Relaxed);
        self.lag_gauge.set(lag_ms);
        self.usable_gauge.set(i64::from(self.usable()));
    }

    /// Measures the lag once (on a blocking thread): unknown when no connection can be had.
    pub async fn measure(self: &Arc<Self>) {
        let replica = Arc::clone(self);
        let measured = tokio::task::spawn_blocking(move || {
            let mut conn = replica.pool.get().ok()?;
            let lag: Lag = match &mut *conn {
                DbConn::Pg(pg) => diesel::sql_query(LAG_SQL).get_result(pg).ok()?,
                DbConn::Sqlite(_) => return None,
            };
            Some(lag.lag_ms.max(0))
        })
        .await
        .ok()
        .flatten();
        if measured.is_none() && self.lag_ms().is_some() {
            log::warn!("read replica unreachable: reads go to the primary");
        }
        self.record(measured.unwrap_or(UNKNOWN));
    }

    /// Measures the lag every second, for ever.
    pub async fn watch(self: Arc<Self>) {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            self.measure().await;
        }
    }
}
