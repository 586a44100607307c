//! Per-organisation rate limits (GCRA, via the `governor` crate), with `RateLimit-*` headers on
//! every authenticated response and 429 + `Retry-After` past the limit.
//!
//! The limits live in each replica's memory: with N replicas an organisation may send up to N
//! times the configured rate. docs/OPERATIONS.md says how to size them.

use std::num::NonZeroU32;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

use crate::api::error::{ApiError, ProblemType};
use crate::api::http::caller::Authentication;
use crate::api::state::AppState;

type Limiter = governor::RateLimiter<
    String,
    DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// What a check says about the caller's budget.
#[derive(Debug)]
pub struct Budget {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the budget is full again.
    pub reset: u64,
}

pub struct RateLimiter {
    limiter: Option<Limiter>,
    burst: u32,
    per_second: f64,
}

impl RateLimiter {
    /// `per_second` sustained with bursts of `burst`; 0 turns the limiter off.
    pub fn per_second(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter::build(
            NonZeroU32::new(per_second).map(Quota::per_second),
            burst,
            f64::from(per_second),
        )
    }

    /// `per_minute` sustained, with bursts of the same size; 0 turns the limiter off.
    pub fn per_minute(per_minute: u32) -> RateLimiter {
        RateLimiter::build(
            NonZeroU32::new(per_minute).map(Quota::per_minute),
            per_minute,
            f64::from(per_minute) / 60.0,
        )
    }

    fn build(quota: Option<Quota>, burst: u32, per_second: f64) -> RateLimiter {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: quota.map(|q| {
                governor::RateLimiter::keyed(q.allow_burst(burst))
                    .with_middleware::<StateInformationMiddleware>()
            }),
            burst: burst.get(),
            per_second,
        }
    }

    /// Takes one request from `key`'s budget: `Ok` with what is left, or `Err` with the 429.
    pub fn check(&self, key: &str) -> Result<Option<Budget>, ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(None);
        };
        match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = self.burst.saturating_sub(remaining);
                Ok(Some(Budget {
                    limit: self.burst,
                    remaining,
                    reset: (f64::from(used) / self.per_second).ceil() as u64,
                }))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ProblemType::RateLimited,
                    format!(
                        "the rate limit of {} requests per second (bursts of {}) is exceeded; \
                             retry after {} s",
                        self.per_second,
                        self.burst,
                        seconds.max(1)
                    ),
                )
                .with_retry_after(seconds.max(1)))
            }
        }
    }

    /// Forgets idle keys (called periodically).
    pub fn shrink(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

pub fn budget_headers(budget: &Budget) -> [(HeaderName, HeaderValue); 3] {
    [
        (
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from(budget.limit),
        ),
        (
            HeaderName::from_static("ratelimit-remaining"),
            HeaderValue::from(budget.remaining),
        ),
        (
            HeaderName::from_static("ratelimit-reset"),
            HeaderValue::from(budget.reset),
        ),
    ]
}

/// Charges each authenticated request to its organisation. Operations that need no token
/// (`RouteTable::is_public`: probes, metrics, keys, the token endpoint, the contract) are never
/// charged, even when a client sends its token along: a load balancer's or Prometheus' polling
/// must not fail because of an organisation's traffic, nor eat its budget; the token endpoint
/// has its own limit per client id instead.
pub async fn limit_by_organisation(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<Data<AppState>>().cloned();
    let key = match req.extensions().get::<Authentication>() {
        Some(Authentication::Valid(caller))
            if !state
                .as_ref()
                .is_some_and(|s| s.routes.is_public(req.path())) =>
        {
            Some(caller.organisation_id.to_string())
        }
        _ => None,
    };
    let (Some(key), Some(state)) = (key, state) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    match state.rate_limiter.check(&key) {
        Ok(budget) => {
            let mut response = next.call(req).await?;
            if let Some(budget) = budget {
                for (name, value) in budget_headers(&budget) {
                    response.headers_mut().insert(name, value);
                }
            }
            Ok(response.map_into_left_body())
        }
        Err(error) => {
            // The 429 carries the budget too: nothing left, full again after `Retry-After`.
            let refused = Budget {
                limit: state.rate_limiter.burst,
                remaining: 0,
                reset: error.retry_after.unwrap_or(1),
            };
            let mut response = req.error_response(error);
            for (name, value) in budget_headers(&refused) {
                response.headers_mut().insert(name, value);
            }
            Ok(response.map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_with_retry_after() {
        let limiter = RateLimiter::per_second(1, 3);
        for expected_remaining in [2, 1, 0] {
            let budget = limiter.check("org-a").unwrap().unwrap();
            assert_eq!(budget.remaining, expected_remaining);
        }
        let refused = limiter.check("org-a").unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.retry_after, Some(1));
        assert!(
            limiter.check("org-b").is_ok(),
            "organisations have their own budgets"
        );
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::per_second(0, 1);
        for _ in 0..1000 {
            assert!(limiter.check("k").unwrap().is_none());
        }
    }
}
