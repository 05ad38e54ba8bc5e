//! Where on the network a connector's requests may land, beyond the names
//! its allowlist permits.
//!
//! The allowlist checks names; a name can resolve anywhere. Unless the
//! operator grants private networks ([`NetworkPolicy::allow_private_networks`]),
//! every request's destination is checked at connect time, for every origin:
//! IP literals before sending, names by a resolver that drops forbidden
//! addresses (so a DNS answer pointing at `127.0.0.1` or the cloud metadata
//! service fails the request instead of reaching it). Plain `http://` is
//! refused unless granted ([`NetworkPolicy::allow_http`]).
//!
//! An origin override (`https://api.twilio.com=http://127.0.0.1:9000`) is
//! the operator's explicit grant for its own target: requests routed by it
//! skip these checks, since pointing at a sandbox or a mock is its purpose.
//!
//! Forbidden: loopback, unspecified, RFC 1918 private, CGNAT (100.64/10),
//! link-local (169.254/16 with the metadata address 169.254.169.254,
//! fe80::/10), unique-local (fc00::/7, with AWS's fd00:ec2::254),
//! site-local (fec0::/10), multicast, broadcast, documentation and
//! benchmarking ranges, IETF protocol assignments, 240/4, and IPv6 forms
//! that embed an IPv4 address (mapped, compatible, NAT64, 6to4), judged by
//! the embedded address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What the HTTP capability may reach beyond the plugins' allowlists.
/// The default grants nothing: public addresses over HTTPS only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Let requests reach loopback, private, link-local and other
    /// non-public addresses (an on-premises SMS gateway, a test mock).
    pub allow_private_networks: bool,
    /// Let requests use plain `http://` (credentials then travel in clear).
    pub allow_http: bool,
}

impl NetworkPolicy {
    /// Nothing granted: public addresses over HTTPS only.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Everything granted, for tests and trusted local gateways.
    pub fn permissive() -> Self {
        NetworkPolicy {
            allow_private_networks: true,
            allow_http: true,
        }
    }
}

/// Whether `ip` is a public unicast address a connector may reach without
/// the private-network grant.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let forbidden = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // CGNAT, RFC 6598.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, RFC 6890 (includes 192.0.0.170 NAT64 discovery).
        || (a == 192 && b == 0 && c == 0)
        // 6to4 relay anycast, deprecated.
        || (a == 192 && b == 88 && c == 99)
        // Benchmarking, RFC 2544.
        || (a == 198 && (18..20).contains(&b))
        // Reserved (240/4).
        || a >= 240;
    !forbidden
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    let forbidden = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7 (AWS metadata fd00:ec2::254 is in it).
        || (first & 0xfe00) == 0xfc00
        // Link-local fe80::/10, site-local fec0::/10.
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32 and 3fff::/20.
        || (first == 0x2001 && segments[1] == 0x0db8)
        || (first & 0xfff0) == 0x3ff0
        // Teredo 2001::/32 tunnels to anywhere; discard 100::/64.
        || (first == 0x2001 && segments[1] == 0)
        || (first == 0x0100 && segments[1..4] == [0, 0, 0]);
    !forbidden
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified())) {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// A resolver that drops every non-public address from the answer, so a
/// name resolving to a private address cannot be reached through it.
#[derive(Debug, Default)]
pub(crate) struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.iter().copied().filter(|addr| is_public(addr.ip())).collect();
            if public.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = if addrs.is_empty() {
                    format!("{host} did not resolve").into()
                } else {
                    format!("{host} resolves only to private or reserved addresses, which this host does not allow")
                        .into()
                };
                return Err(error);
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.9.9.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "192.0.0.170",
            "224.0.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "54.239.28.85",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} must be allowed");
        }
    }
}
