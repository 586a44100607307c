//! Bounded client-secret verification.
//!
//! An argon2id check of a client secret takes about 19 MiB and tens of milliseconds of one core
//! while it runs. Unbounded, a flood of token requests (even with unknown client ids, which are
//! checked against a dummy hash so that they take as long as known ones) runs one check per
//! blocking thread at once: 200 concurrent requests took a replica to 9 GB. Here at most
//! `in_flight` checks run at once per replica; up to `queue` more wait their turn, and beyond
//! that a request is answered 503 with `Retry-After` at once, before it allocates anything.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// How long a queued check waits for its turn before the request is answered 503.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// Too many checks are running and waiting: answer 503 and ask the client to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

pub struct SecretChecks {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl SecretChecks {
    /// At most `in_flight` checks at once (at least 1), with up to `queue` waiting.
    pub fn new(in_flight: usize, queue: usize) -> SecretChecks {
        SecretChecks {
            permits: Arc::new(Semaphore::new(in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// Runs `check` (an argon2 verification) on the blocking pool once a slot is free.
    pub async fn run<T, F>(&self, check: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let busy = || Busy;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue + self.available() {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let permit =
            tokio::time::timeout(MAX_WAIT, Arc::clone(&self.permits).acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let permit = match permit {
            Ok(Ok(permit)) => permit,
            _ => return Err(busy()),
        };
        let result = tokio::task::spawn_blocking(move || {
            let value = check();
            drop(permit);
            value
        })
        .await
        .map_err(|_| Busy)?;
        Ok(result)
    }

    fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn no_more_than_the_bound_run_at_once_and_the_rest_are_refused() {
        let checks = Arc::new(SecretChecks::new(2, 3));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (checks, running, peak) = (checks.clone(), running.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                checks
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .is_ok()
            }));
        }
        let mut admitted = 0;
        for task in tasks {
            if task.await.unwrap() {
                admitted += 1;
            }
        }
        assert!(peak.load(Ordering::SeqCst) <= 2, "at most 2 at once");
        assert!((2..20).contains(&admitted), "admitted {admitted}");
    }
}
