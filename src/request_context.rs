//! Per-request context behind a load balancer: the real client address (from `X-Forwarded-For`,
//! believed only from trusted proxies), a request id echoed to the caller (and the ALB's
//! `X-Amzn-Trace-Id`), and one access-log line per request.

use std::net::IpAddr;

use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");
const FORWARDED_FOR: &str = "x-forwarded-for";

/// Every `X-Forwarded-For` hop, in order, from all such headers.
pub fn forwarded_for(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().to_string())
        .filter(|hop| !hop.is_empty())
        .collect()
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
/// `X-Forwarded-For` hop that is not itself a trusted proxy. Hops left of that one are whatever
/// the client chose to send and are ignored.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: &[String],
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A malformed hop: stop at the last address we could read.
            Err(_) => break,
        }
    }
    Some(client)
}

/// A caller-supplied id, when it is at most `max_len` ASCII letters, digits and `extra`
/// punctuation: safe to log and to echo (no quotes, spaces, angle brackets or escapes that could
/// forge log fields or confuse whoever reads the header). Anything else gets a fresh id.
pub fn incoming_id(
    headers: &HeaderMap,
    name: &HeaderName,
    max_len: usize,
    extra: &[u8],
) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let acceptable = !value.is_empty()
        && value.len() <= max_len
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    acceptable.then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn hops(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| h.to_string()).collect()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn only_safe_request_ids_are_kept() {
        let id = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(REQUEST_ID, HeaderValue::from_str(value).unwrap());
            incoming_id(&headers, &REQUEST_ID, 128, b"._:-")
        };
        for ok in ["abc-123", "req_1.2:3", &"a".repeat(128)] {
            assert_eq!(id(ok).as_deref(), Some(ok));
        }
        for bad in [
            "",
            " padded ",
            "a\"b",
            "<script>",
            "x y",
            "k=v;evil",
            "%0d%0a",
            &"a".repeat(129),
        ] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let got = client_address(
            ip("203.0.113.9"),
            &hops(&["1.2.3.4"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn trusted_peer_yields_the_right_most_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        // A client forging a hop before the real one is ignored.
        let got = client_address(
            ip("10.0.1.5"),
            &hops(&["6.6.6.6", "198.51.100.7", "10.0.2.2"]),
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn trusted_peer_without_forwarded_for_is_the_client() {
        assert_eq!(
            client_address(ip("10.0.1.5"), &[], &nets(&["10.0.0.0/8"])),
            ip("10.0.1.5")
        );
    }

    #[test]
    fn malformed_hop_stops_the_walk() {
        let got = client_address(
            ip("10.0.1.5"),
            &hops(&["198.51.100.7", "garbage", "10.0.2.2"]),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, ip("10.0.2.2"));
    }

    #[test]
    fn no_trusted_proxies_means_forwarded_for_is_never_believed() {
        assert_eq!(
            client_address(ip("10.0.1.5"), &hops(&["198.51.100.7"]), &[]),
            ip("10.0.1.5")
        );
    }
}
