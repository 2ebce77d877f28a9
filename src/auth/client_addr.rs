//! Who a sign-in comes from, for the per-address limit. The peer address of the connection, unless that peer is a
//! configured trusted proxy (`auth.trusted_proxies`): then each trusted hop is believed about the one before it,
//! reading `X-Forwarded-For` from the right. Without trusted proxies the header is ignored, since any client can
//! write it. IPv6 clients are keyed by their /64, the block one subscriber usually holds.

use std::net::IpAddr;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`; a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    net: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("auth.trusted_proxies: `{s}` is not an address or CIDR network");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Self { net: net.to_canonical(), prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: `peer`, or what trusted proxies in front of it report in `forwarded_for`.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[ProxyNet]) -> Option<IpAddr> {
    let mut client = peer?.to_canonical();
    for entry in forwarded_for.unwrap_or("").rsplit(',') {
        if !trusted.iter().any(|net| net.contains(client)) {
            break;
        }
        match hop(entry) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    Some(client)
}

/// The limiter's key for a client address.
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) => {
            let block = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(block))
        }
        Some(ip) => ip.to_string(),
        None => "unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let peer = Some(ip("10.1.2.3"));
        assert_eq!(client_ip(peer, Some("203.0.113.9"), &[]), peer);
        let trusted = [ProxyNet::parse("10.0.0.0/8").expect("net")];
        assert_eq!(client_ip(peer, Some("203.0.113.9"), &trusted), Some(ip("203.0.113.9")));
        assert_eq!(client_ip(peer, None, &trusted), peer);
        assert_eq!(client_ip(Some(ip("192.0.2.1")), Some("203.0.113.9"), &trusted), Some(ip("192.0.2.1")));
    }

    #[test]
    fn a_client_cannot_spoof_past_the_proxies() {
        let trusted = [ProxyNet::parse("10.0.0.0/8").expect("net")];
        // The client wrote "1.1.1.1" itself; the proxy appended the address it saw.
        let got = client_ip(Some(ip("10.0.0.5")), Some("1.1.1.1, 203.0.113.9"), &trusted);
        assert_eq!(got, Some(ip("203.0.113.9")));
        let two_hops = client_ip(Some(ip("10.0.0.5")), Some("1.1.1.1, 203.0.113.9, 10.0.0.7"), &trusted);
        assert_eq!(two_hops, Some(ip("203.0.113.9")));
        assert_eq!(client_ip(Some(ip("10.0.0.5")), Some("junk"), &trusted), Some(ip("10.0.0.5")));
    }

    #[test]
    fn networks_parse_and_match() {
        let v6 = ProxyNet::parse("fd00::/8").expect("v6");
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        assert!(ProxyNet::parse("127.0.0.1").expect("host").contains(ip("::ffff:127.0.0.1")));
        assert!(ProxyNet::parse("0.0.0.0/0").expect("all").contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x", ""] {
            assert!(ProxyNet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64() {
        assert_eq!(address_key(Some(ip("2001:db8:1:2:3:4:5:6"))), address_key(Some(ip("2001:db8:1:2:ffff::1"))));
        assert_ne!(address_key(Some(ip("2001:db8:1:2::1"))), address_key(Some(ip("2001:db8:1:3::1"))));
        assert_eq!(address_key(Some(ip("192.0.2.7"))), "192.0.2.7");
    }
}
