//! Sign-in throttling rules as plain code: which keys an attempt counts against (its account and its
//! client address), when the counts refuse it, and which address a request really comes from behind
//! trusted proxies. The counts themselves live in PostgreSQL (`db::throttle`), shared by every instance.
//!
//! Every attempt is counted *before* its password is checked, against both keys, in one statement; an
//! attempt whose account or address is over its limit is refused without a password check. So a burst of
//! guesses sent at once is checked at most [`SignInLimits::per_account`] times. A successful sign-in clears
//! only its own account's count and gives its own attempt back to its address, so it never helps another
//! account and never wipes the failures of others behind the same address.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Sign-in attempts allowed per account (email) in one window.
pub const ATTEMPTS_PER_ACCOUNT: u32 = 10;
/// Sign-in attempts allowed per client address in one window (higher: an office may share one address;
/// successful sign-ins do not count against it).
pub const ATTEMPTS_PER_ADDRESS: u32 = 30;
/// How long a window lasts, from its first attempt.
pub const WINDOW: Duration = Duration::from_secs(300);

/// How many attempts are allowed, and over how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub window: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        SignInLimits {
            per_account: ATTEMPTS_PER_ACCOUNT,
            per_address: ATTEMPTS_PER_ADDRESS,
            window: WINDOW,
        }
    }
}

/// What a counted key identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    /// The value stored in `login_attempts.scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }
}

/// Attempts counted in the current windows, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCounts {
    pub account: i64,
    pub address: i64,
}

/// Whether an attempt may have its password checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Check,
    /// Refused because this key is over its limit (the account if both are).
    Refuse(Scope),
}

impl SignInLimits {
    /// The verdict for an attempt whose counts (after counting it) are `counts`.
    pub fn verdict(&self, counts: AttemptCounts) -> Verdict {
        if counts.account > i64::from(self.per_account) {
            Verdict::Refuse(Scope::Account)
        } else if counts.address > i64::from(self.per_address) {
            Verdict::Refuse(Scope::Address)
        } else {
            Verdict::Check
        }
    }
}

/// The two keys one sign-in attempt counts against, as stored: digests, so the table holds neither the
/// emails people typed nor their addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKeys {
    pub account: Vec<u8>,
    pub address: Vec<u8>,
}

impl AttemptKeys {
    /// Keys for an attempt to sign in as `email` from `client`.
    pub fn new(email: &str, client: IpAddr) -> AttemptKeys {
        AttemptKeys {
            account: digest(Scope::Account, email.trim().to_lowercase().as_bytes()),
            address: digest(Scope::Address, address_group(client).to_string().as_bytes()),
        }
    }
}

fn digest(scope: Scope, value: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(scope.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(value);
    hasher.finalize().to_vec()
}

/// Length of the IPv6 prefix one client is counted by: a single host is usually handed a whole /64, so
/// counting full IPv6 addresses would let it try again from each of its 2^64 addresses.
pub const IPV6_CLIENT_PREFIX: u32 = 64;

/// The address an attempt is counted by: IPv4 as is (IPv4-mapped IPv6 included), IPv6 by its /64.
pub fn address_group(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`LOKET_TRUSTED_PROXIES`): addresses and networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses and CIDR networks, e.g. `127.0.0.1, 10.0.0.0/8`.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<ipnet::IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(ip) => ipnet::IpNet::from(ip.to_canonical()),
                    Err(_) => return Err(format!("`{item}` is neither an IP address nor a CIDR network")),
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The address a request comes from. `peer` is the connection's address; `forwarded_for` are the
    /// request's `X-Forwarded-For` header values in order. Only a trusted peer's header is believed, and
    /// only as far as it was appended by trusted proxies: the list is read from the right (the hop nearest
    /// to us) and the first address that is not a trusted proxy is the client. An entry that is not an
    /// address ends the walk at the last address known, so a garbled header cannot pick a client.
    pub fn client_address<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.contains(ip) {
                return ip;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_attempt_over_either_limit_is_refused_before_its_password_is_checked() {
        let limits = SignInLimits {
            per_account: 3,
            per_address: 5,
            window: WINDOW,
        };
        let counts = |account, address| AttemptCounts { account, address };
        assert_eq!(limits.verdict(counts(1, 1)), Verdict::Check);
        assert_eq!(
            limits.verdict(counts(3, 5)),
            Verdict::Check,
            "the limit itself is still allowed"
        );
        assert_eq!(limits.verdict(counts(4, 1)), Verdict::Refuse(Scope::Account));
        assert_eq!(limits.verdict(counts(1, 6)), Verdict::Refuse(Scope::Address));
        assert_eq!(limits.verdict(counts(9, 9)), Verdict::Refuse(Scope::Account));
    }

    #[test]
    fn keys_ignore_case_and_spaces_of_emails_and_group_ipv6_by_64() {
        let a = AttemptKeys::new(" Ana@Example.org ", ip("10.0.0.1"));
        let b = AttemptKeys::new("ana@example.org", ip("::ffff:10.0.0.1"));
        assert_eq!(a, b, "IPv4-mapped addresses are the IPv4 address");
        assert_ne!(a.account, AttemptKeys::new("ben@example.org", ip("10.0.0.1")).account);
        assert_ne!(a.address, AttemptKeys::new("ana@example.org", ip("10.0.0.2")).address);
        assert_eq!(
            AttemptKeys::new("x", ip("2001:db8:1:2:aaaa::1")).address,
            AttemptKeys::new("x", ip("2001:db8:1:2:bbbb::9")).address,
            "one /64 is one client"
        );
        assert_ne!(
            AttemptKeys::new("x", ip("2001:db8:1:2::1")).address,
            AttemptKeys::new("x", ip("2001:db8:1:3::1")).address
        );
        assert_ne!(
            digest(Scope::Account, b"10.0.0.1"),
            digest(Scope::Address, b"10.0.0.1"),
            "the scopes never share a key"
        );
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks_and_explain_bad_entries() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.1.0.0/16,::1,").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(trusted.contains(ip("10.1.200.3")));
        assert!(!trusted.contains(ip("10.2.0.1")));
        assert!(trusted.contains(ip("::1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let err = TrustedProxies::parse("127.0.0.1, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn the_forwarded_address_is_believed_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let client = |peer: &str, xff: &[&str]| trusted.client_address(ip(peer), xff.iter().copied());
        // An untrusted peer's header is ignored.
        assert_eq!(client("198.51.100.7", &["203.0.113.5"]), ip("198.51.100.7"));
        // A trusted peer without a header is the client itself.
        assert_eq!(client("127.0.0.1", &[]), ip("127.0.0.1"));
        // One proxy: the address it appended.
        assert_eq!(client("127.0.0.1", &["203.0.113.5"]), ip("203.0.113.5"));
        // A client cannot pick its address by sending its own header: the rightmost untrusted entry wins.
        assert_eq!(
            client("127.0.0.1", &["192.0.2.66, 203.0.113.5, 10.0.0.3"]),
            ip("203.0.113.5")
        );
        // Several header lines are one list; ports are ignored.
        assert_eq!(
            client("127.0.0.1", &["192.0.2.66", "203.0.113.5:4711"]),
            ip("203.0.113.5")
        );
        assert_eq!(client("127.0.0.1", &["[2001:db8::5]:4711"]), ip("2001:db8::5"));
        // Garbage stops the walk at the last known hop.
        assert_eq!(client("127.0.0.1", &["203.0.113.5, unknown"]), ip("127.0.0.1"));
        assert_eq!(client("127.0.0.1", &["unknown, 10.0.0.3"]), ip("10.0.0.3"));
        // Nothing trusted: the peer.
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ip("127.0.0.1"), ["203.0.113.5"]), ip("127.0.0.1"));
    }
}
