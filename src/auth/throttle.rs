//! Sign-in throttling, in front of any password work: a per-address limit (what stops a guesser), a limit per
//! username and client address (the lockout: a guesser locks only their own address out of that account, never the
//! account's owner elsewhere), a per-username limit (what stops a guesser spread over many addresses), and the bound
//! on concurrent argon2 work. Unknown names are limited exactly like real ones, so no limit reveals whether an
//! account exists. All in memory, per replica; the stored failure count (`store::lockout`) only raises the DPO's
//! security event.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::client_addr::{address_key, client_ip, ProxyNet};
use super::gate::{GateStats, HashGate, HashPermit};
use super::limiter::{Limiter, Rate};

/// Why an attempt was refused before its credentials were looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address or username is over its limit; retry after this many seconds.
    TooManyAttempts { retry_after_secs: u64 },
    /// Every password-hashing slot is busy.
    Overloaded,
}

#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    pub password_checks_in_flight: usize,
    pub per_address: Rate,
    pub per_username: Rate,
    /// Attempts against one username from one client address.
    pub per_account_address: Rate,
    /// Keys each limiter remembers at most.
    pub limiter_entries: usize,
    pub trusted_proxies: Vec<ProxyNet>,
}

pub struct LoginThrottle {
    gate: HashGate,
    by_address: Limiter,
    by_username: Limiter,
    by_account_address: Limiter,
    trusted_proxies: Vec<ProxyNet>,
}

/// Usernames are keyed by at most this many characters, so that long junk names cost no more memory.
const USERNAME_KEY_CHARS: usize = 64;

fn refusal(wait: Duration) -> Refusal {
    Refusal::TooManyAttempts { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }
}

fn username_key(username: &str) -> String {
    username.chars().take(USERNAME_KEY_CHARS).collect()
}

fn account_address_key(username: &str, client: &str) -> String {
    format!("{}\0{client}", username_key(username))
}

impl LoginThrottle {
    pub fn new(settings: &ThrottleSettings) -> Self {
        Self {
            gate: HashGate::new(settings.password_checks_in_flight),
            by_address: Limiter::new(settings.per_address, settings.limiter_entries),
            by_username: Limiter::new(settings.per_username, settings.limiter_entries),
            by_account_address: Limiter::new(settings.per_account_address, settings.limiter_entries),
            trusted_proxies: settings.trusted_proxies.clone(),
        }
    }

    /// The per-address key of a request from `peer` carrying `forwarded_for` (`X-Forwarded-For`).
    pub fn client_key(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> String {
        address_key(client_ip(peer, forwarded_for, &self.trusted_proxies))
    }

    /// An attempt from `client` and a password-hashing slot for it. Refused for want of a slot, the attempt does
    /// not count against the address (the client did nothing wrong).
    pub(crate) fn admit_address(&self, client: &str, now: Instant) -> Result<HashPermit, Refusal> {
        self.by_address.take(client, 0, now).map_err(refusal)?;
        self.gate.try_enter().ok_or_else(|| {
            self.by_address.give_back(client, now);
            Refusal::Overloaded
        })
    }

    /// An attempt at `username` from `client`: first the limit of this address on this account (so an address
    /// over it spends nothing of the account's own limit), then the username's. `unlocks`: the account's unlock
    /// count (0 for unknown names); an operator's unlock starts both over.
    pub(crate) fn admit_account(
        &self,
        username: &str,
        client: &str,
        unlocks: i64,
        now: Instant,
    ) -> Result<(), Refusal> {
        let pair = account_address_key(username, client);
        self.by_account_address.take(&pair, unlocks, now).map_err(refusal)?;
        self.by_username.take(&username_key(username), unlocks, now).map_err(|wait| {
            self.by_account_address.give_back(&pair, now);
            refusal(wait)
        })
    }

    /// A successful sign-in: its attempt does not count against the address, the account or the username.
    pub(crate) fn succeeded(&self, client: &str, username: &str, now: Instant) {
        self.by_address.give_back(client, now);
        self.by_account_address.give_back(&account_address_key(username, client), now);
        self.by_username.give_back(&username_key(username), now);
    }

    pub fn stats(&self) -> GateStats {
        self.gate.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_account_address: u32, per_username: u32) -> LoginThrottle {
        let rate = |attempts| Rate { attempts, window: Duration::from_secs(600) };
        LoginThrottle::new(&ThrottleSettings {
            password_checks_in_flight: 1,
            per_address: rate(1),
            per_username: rate(per_username),
            per_account_address: rate(per_account_address),
            limiter_entries: 100,
            trusted_proxies: Vec::new(),
        })
    }

    #[test]
    fn a_sign_in_refused_for_want_of_a_hashing_slot_keeps_its_address_attempt() {
        let t = throttle(5, 10);
        let now = Instant::now();
        let busy = t.admit_address("10.0.0.9", now).expect("the only slot");
        assert_eq!(t.admit_address("10.0.0.1", now).err(), Some(Refusal::Overloaded));
        drop(busy);
        assert!(t.admit_address("10.0.0.1", now).is_ok(), "its one attempt was given back");
        assert!(matches!(t.admit_address("10.0.0.1", now), Err(Refusal::TooManyAttempts { .. })));
    }

    #[test]
    fn one_address_over_its_limit_on_an_account_leaves_the_account_to_others() {
        let t = throttle(2, 3);
        let now = Instant::now();
        for _ in 0..2 {
            assert!(t.admit_account("ana", "198.51.100.7", 0, now).is_ok());
        }
        for _ in 0..10 {
            let refused = t.admit_account("ana", "198.51.100.7", 0, now);
            assert!(matches!(refused, Err(Refusal::TooManyAttempts { .. })), "that address is locked out of ana");
        }
        assert!(t.admit_account("ana", "203.0.113.5", 0, now).is_ok(), "the username limit was not spent");
        assert!(t.admit_account("ana", "198.51.100.7", 1, now).is_ok(), "an unlock starts it over");
    }
}
