//! Bounded client-secret verification.
//!
//! An argon2id check of a client secret takes about 19 MiB and tens of milliseconds of one core
//! while it runs. Unbounded, a flood of token requests (even with unknown client ids, which are
//! checked against a dummy hash so that they take as long as known ones) ran one check per
//! blocking thread at once: 200 concurrent requests took a replica to 9 GB, and the memory stayed
//! with the threads' allocator arenas afterwards. Here the checks run on `in_flight` threads of
//! their own, each with argon2 memory it keeps ([`Verifier`]); up to `queue` more wait
//! their turn, and beyond that a request is answered at once ([`Busy`]: 503 with `Retry-After`),
//! before anything is allocated.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::secrets::Verifier;

/// How long a queued check waits for its turn and its answer before the request is refused.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// Too many checks are running and waiting: answer 503 and ask the client to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

type Job = Box<dyn FnOnce(&mut Verifier) + Send>;

pub struct SecretChecks {
    jobs: SyncSender<Job>,
}

impl SecretChecks {
    /// `in_flight` checking threads (at least 1), with up to `queue` checks waiting.
    pub fn new(in_flight: usize, queue: usize) -> SecretChecks {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..in_flight.max(1) {
            let waiting = Arc::clone(&waiting);
            let spawned = std::thread::Builder::new()
                .name(format!("secret-check-{i}"))
                .spawn(move || work(&waiting));
            if let Err(e) = spawned {
                log::error!("cannot start a secret-check thread: {e}");
            }
        }
        SecretChecks { jobs }
    }

    /// Runs `check` on a checking thread once one is free, with that thread's [`Verifier`].
    pub async fn run<T, F>(&self, check: F) -> Result<T, Busy>
    where
        F: FnOnce(&mut Verifier) -> T + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |verifier| {
            let _ = answer.send(check(verifier));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => return Err(Busy),
        }
        match tokio::time::timeout(MAX_WAIT, answered).await {
            Ok(Ok(value)) => Ok(value),
            _ => Err(Busy),
        }
    }
}

/// A checking thread: takes jobs until the service (the sender) is gone, with argon2 memory of
/// its own.
fn work(waiting: &Mutex<Receiver<Job>>) {
    let mut verifier = Verifier::default();
    loop {
        let job = match waiting.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut verifier),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
                    .run(move |_| {
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
