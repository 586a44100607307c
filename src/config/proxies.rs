//! The reverse proxies whose `X-Forwarded-For` is believed (`ORETRACE_TRUSTED_PROXIES`).

use std::net::IpAddr;

use ipnet::IpNet;

/// Reverse proxies whose `X-Forwarded-For` names the client (`ORETRACE_TRUSTED_PROXIES`); the
/// HTTP edge reads a request's source with them (`api::http::client_address`).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses or CIDR networks (`10.0.0.0/8, 192.168.1.7`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("ORETRACE_TRUSTED_PROXIES: {e:?} is not an IP address or network")
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}
