//! Which targets a webhook may reach. A subscription's URL is checked when it is registered
//! (its form, and every address its host resolves to), and again at every delivery: the
//! delivery client resolves names through [`PublicOnly`], which drops internal addresses, so
//! a name that resolved to a public address at registration and to an internal one later (DNS
//! rebinding) is refused at the connection, not reached.

use std::net::SocketAddr;
use std::time::Duration;

use crate::domain::webhook::{check_target, is_internal};

/// How long registration waits for a host name to resolve.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Checks a target URL as registration does: its form, then the addresses of its host.
/// Answers the refusal, worded for the `url` field.
pub async fn check(url: &str, allow_internal: bool) -> Result<(), String> {
    let parsed = check_target(url, allow_internal)?;
    let Some(url::Host::Domain(host)) = parsed.host() else {
        return Ok(());
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> =
        match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(found)) => found.collect(),
            Ok(Err(e)) => return Err(format!("names a host that does not resolve ({e})")),
            Err(_) => return Err("names a host that did not resolve within 5 s".into()),
        };
    if addresses.is_empty() {
        return Err("names a host with no address".into());
    }
    if !allow_internal && addresses.iter().any(|a| is_internal(a.ip())) {
        return Err(format!(
            "names a host that resolves to an internal address ({}): webhooks are delivered \
             to public addresses only",
            addresses
                .iter()
                .filter(|a| is_internal(a.ip()))
                .map(|a| a.ip().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// The delivery client's resolver: the system's, without internal addresses (unless the
/// operator allows them); a name with only internal addresses fails to resolve.
#[derive(Clone, Copy, Debug)]
pub struct PublicOnly {
    pub allow_internal: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_internal = self.allow_internal;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_internal || !is_internal(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (internal addresses are refused)"
                )
                .into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}
