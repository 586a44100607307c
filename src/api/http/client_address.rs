//! The address a request comes from, for limits that count per source.
//!
//! The TCP peer, unless the peer is one of `ORETRACE_TRUSTED_PROXIES` (a load balancer or
//! reverse proxy): then the right-most address of `X-Forwarded-For` that is not itself a trusted
//! proxy. A client can prepend anything to `X-Forwarded-For`, so only what trusted proxies
//! appended is believed, and with no trusted proxies configured the header is ignored.

use std::net::IpAddr;

use actix_web::HttpRequest;

pub use crate::config::TrustedProxies;

impl TrustedProxies {
    /// The source address of `req`, as text (`"unknown"` when there is no peer, as in tests
    /// that call handlers directly).
    pub fn source_of(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
            return "unknown".into();
        };
        if !self.trusts(peer) {
            return peer.to_string();
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .collect();
        forwarded
            .iter()
            .rev()
            .find(|ip| !self.trusts(**ip))
            .copied()
            .unwrap_or(peer)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), " 192.0.2.1 ".into()]).unwrap();
        let from = |peer: &str, forwarded: Option<&str>| {
            let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
            if let Some(f) = forwarded {
                req = req.insert_header(("x-forwarded-for", f));
            }
            proxies.source_of(&req.to_http_request())
        };
        assert_eq!(from("203.0.113.9:1000", Some("1.2.3.4")), "203.0.113.9");
        assert_eq!(
            from("10.1.1.1:1000", Some("1.2.3.4, 198.51.100.2")),
            "198.51.100.2"
        );
        assert_eq!(
            from("10.1.1.1:1000", Some("6.6.6.6, 198.51.100.2, 10.2.2.2")),
            "198.51.100.2"
        );
        assert_eq!(from("10.1.1.1:1000", None), "10.1.1.1");
        assert!(TrustedProxies::parse(&["not an ip".into()]).is_err());
        assert_eq!(
            TrustedProxies::default().source_of(
                &TestRequest::default()
                    .peer_addr("192.0.2.5:1".parse().unwrap())
                    .insert_header(("x-forwarded-for", "1.1.1.1"))
                    .to_http_request()
            ),
            "192.0.2.5"
        );
    }
}
