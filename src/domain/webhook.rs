//! Webhooks and events, the pure part: which events exist, what a subscription's target may be,
//! and when a failed delivery is tried again (docs/WEBHOOKS.md).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::validation::FieldErrors;

/// What happened. The names are stable: a receiver switches on them.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum EventType {
    /// A batch of purchase lines was recorded (`POST /v1/purchases/batch`, `oretrace import
    /// purchases`): its counts.
    #[serde(rename = "purchases.batch_completed")]
    PurchasesBatchCompleted,
    /// A red flag appeared on one of the organisation's purchases, whatever caused it.
    #[serde(rename = "red_flag.raised")]
    RedFlagRaised,
    /// A red flag of one of the organisation's purchases went away.
    #[serde(rename = "red_flag.cleared")]
    RedFlagCleared,
    /// A certificate of a facility or party in the organisation's supply changed its effective
    /// status (a suspension, a lapse, a reinstatement, a withdrawal…).
    #[serde(rename = "certification.status_changed")]
    CertificationStatusChanged,
    /// A certificate in the organisation's supply changed its level.
    #[serde(rename = "certification.level_changed")]
    CertificationLevelChanged,
    /// A certificate in the organisation's supply reaches its last valid day within the
    /// subscription's `expiring_days`.
    #[serde(rename = "certification.expiring")]
    CertificationExpiring,
    /// A target of the organisation's policy is no longer met for the current period (the
    /// calendar year to date) after a write.
    #[serde(rename = "sourcing_target.missed")]
    SourcingTargetMissed,
    /// `POST /v1/webhooks/{id}/ping`: sent to that subscription only, never in the feed.
    #[serde(rename = "webhook.ping")]
    WebhookPing,
}

impl EventType {
    /// The types a subscription may ask for (a ping goes to the pinged subscription whatever
    /// it asked for).
    pub const SUBSCRIBABLE: [EventType; 7] = [
        EventType::PurchasesBatchCompleted,
        EventType::RedFlagRaised,
        EventType::RedFlagCleared,
        EventType::CertificationStatusChanged,
        EventType::CertificationLevelChanged,
        EventType::CertificationExpiring,
        EventType::SourcingTargetMissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PurchasesBatchCompleted => "purchases.batch_completed",
            EventType::RedFlagRaised => "red_flag.raised",
            EventType::RedFlagCleared => "red_flag.cleared",
            EventType::CertificationStatusChanged => "certification.status_changed",
            EventType::CertificationLevelChanged => "certification.level_changed",
            EventType::CertificationExpiring => "certification.expiring",
            EventType::SourcingTargetMissed => "sourcing_target.missed",
            EventType::WebhookPing => "webhook.ping",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        [EventType::WebhookPing]
            .into_iter()
            .chain(EventType::SUBSCRIBABLE)
            .find(|t| t.as_str() == text)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for EventType {
    type Err = String;
    fn from_str(text: &str) -> Result<EventType, String> {
        EventType::parse(text).ok_or_else(|| format!("unknown event type `{text}`"))
    }
}

/// The longest target URL taken.
pub const MAX_URL_LENGTH: usize = 2000;

/// Where a subscription's events go, checked for what can be checked without the network: an
/// absolute `https` (or `http`) URL with a host, no user name or password, no fragment, at
/// most [`MAX_URL_LENGTH`] characters. An address written in the URL is checked here too (see
/// [`is_internal`]); a host name is resolved and checked by the caller, at registration and at
/// every delivery.
pub fn check_target(url: &str, allow_internal: bool) -> Result<url::Url, String> {
    if url.len() > MAX_URL_LENGTH {
        return Err(format!("is longer than {MAX_URL_LENGTH} characters"));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("must be an https:// (or http://) URL".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if parsed.fragment().is_some() {
        return Err("must not carry a fragment (#…)".into());
    }
    let internal = match parsed.host() {
        None => return Err("has no host".into()),
        Some(url::Host::Ipv4(ip)) => is_internal(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_internal(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if internal && !allow_internal {
        return Err(
            "is a loopback, private, link-local or otherwise internal address: webhooks are \
             delivered to public addresses only"
                .into(),
        );
    }
    Ok(parsed)
}

/// Whether an address is one a webhook must not reach: loopback, private (RFC 1918, unique
/// local), link-local (with the cloud metadata address 169.254.169.254), shared (100.64/10),
/// unspecified, multicast, broadcast, documentation and benchmarking ranges, and IPv4 written
/// inside IPv6 (mapped, compatible, NAT64) when the IPv4 address is one of those.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    // IPv4-compatible (::a.b.c.d) and the NAT64 prefix 64:ff9b::/96 carry an IPv4 address.
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return ip.is_unspecified()
            || ip.is_loopback()
            || is_internal_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
}

/// The event types of a subscription: at least one, each one a subscription may ask for, each
/// once (kept in the order of [`EventType::SUBSCRIBABLE`]).
pub fn check_event_types(types: &[EventType], errors: &mut FieldErrors) -> Vec<EventType> {
    if types.is_empty() {
        errors.add(
            "/event_types",
            format!("names at least one event type: {}", subscribable_list()),
        );
    }
    for (i, t) in types.iter().enumerate() {
        if types[..i].contains(t) {
            errors.add(
                format!("/event_types/{i}"),
                format!("`{t}` is listed twice"),
            );
        } else if !EventType::SUBSCRIBABLE.contains(t) {
            errors.add(
                format!("/event_types/{i}"),
                format!(
                    "`{t}` cannot be subscribed to; one of {}",
                    subscribable_list()
                ),
            );
        }
    }
    EventType::SUBSCRIBABLE
        .into_iter()
        .filter(|t| types.contains(t))
        .collect()
}

fn subscribable_list() -> String {
    EventType::SUBSCRIBABLE
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The notice `certification.expiring` gives unless a subscription says otherwise, in days.
pub const DEFAULT_EXPIRING_DAYS: i32 = 30;

/// A subscription's notice period for `certification.expiring`: 1 to 365 days.
pub fn check_expiring_days(days: i32) -> Result<i32, String> {
    if (1..=365).contains(&days) {
        Ok(days)
    } else {
        Err("is between 1 and 365 days".into())
    }
}

/// The longest a failed delivery waits for its next attempt.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// How long to wait after the `failures`-th failed attempt (1 for the first): `base` doubled
/// after each failure, at most [`MAX_RETRY_DELAY`], then scaled by `jitter` (a number in
/// `[0, 1)`) into its upper half, so that deliveries failing together do not retry together.
pub fn retry_delay(base: Duration, failures: u32, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let capped = doubled.min(MAX_RETRY_DELAY);
    capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::10.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn targets_are_checked_before_any_lookup() {
        assert!(check_target("https://hooks.example.com/oretrace", false).is_ok());
        for (url, said) in [
            ("ftp://example.com/x", "https://"),
            ("https://user:pw@example.com/", "user name"),
            ("https://example.com/#x", "fragment"),
            ("not a url", "absolute URL"),
            ("http://127.0.0.1:8080/", "internal"),
            ("http://[::1]/", "internal"),
            ("http://169.254.169.254/latest/meta-data/", "internal"),
            ("http://localhost/", "internal"),
            ("http://0x7f000001/", "internal"),
            ("http://2130706433/", "internal"),
        ] {
            let error = check_target(url, false).unwrap_err();
            assert!(error.contains(said), "{url}: {error}");
        }
        assert!(check_target("http://127.0.0.1:8080/", true).is_ok());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert!(check_target(&long, false).is_err());
    }

    #[test]
    fn retries_back_off_to_an_hour_with_jitter() {
        let base = Duration::from_secs(5);
        assert_eq!(retry_delay(base, 1, 1.0), Duration::from_secs(5));
        assert_eq!(retry_delay(base, 1, 0.0), Duration::from_millis(2500));
        assert_eq!(retry_delay(base, 3, 1.0), Duration::from_secs(20));
        assert_eq!(retry_delay(base, 40, 1.0), MAX_RETRY_DELAY);
        assert!(retry_delay(base, 40, 0.3) < MAX_RETRY_DELAY);
    }

    #[test]
    fn event_types_are_checked_and_kept_in_order() {
        let mut errors = FieldErrors::new();
        let kept = check_event_types(
            &[
                EventType::RedFlagCleared,
                EventType::PurchasesBatchCompleted,
            ],
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(
            kept,
            [
                EventType::PurchasesBatchCompleted,
                EventType::RedFlagCleared
            ]
        );
        let mut errors = FieldErrors::new();
        check_event_types(&[EventType::WebhookPing], &mut errors);
        assert!(!errors.is_empty());
        let mut errors = FieldErrors::new();
        check_event_types(
            &[EventType::RedFlagRaised, EventType::RedFlagRaised],
            &mut errors,
        );
        assert_eq!(
            errors.into_vec()[0].pointer.as_deref(),
            Some("/event_types/1")
        );
        for t in EventType::SUBSCRIBABLE {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
    }
}
