//! Sign-in throttling, in front of any password work: a per-address limit (what stops a guesser), a per-username
//! limit (what stops a guesser spread over many addresses; unknown names are limited exactly like real ones, so it
//! reveals nothing), and the bound on concurrent argon2 work. All in memory, per replica; the stored lockout
//! (`store::lockout`) is the persistent, shared part.

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
    /// Keys each limiter remembers at most.
    pub limiter_entries: usize,
    pub trusted_proxies: Vec<ProxyNet>,
}

pub struct LoginThrottle {
    gate: HashGate,
    by_address: Limiter,
    by_username: Limiter,
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

impl LoginThrottle {
    pub fn new(settings: &ThrottleSettings) -> Self {
        Self {
            gate: HashGate::new(settings.password_checks_in_flight),
            by_address: Limiter::new(settings.per_address, settings.limiter_entries),
            by_username: Limiter::new(settings.per_username, settings.limiter_entries),
            trusted_proxies: settings.trusted_proxies.clone(),
        }
    }

    /// The per-address key of a request from `peer` carrying `forwarded_for` (`X-Forwarded-For`).
    pub fn client_key(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> String {
        address_key(client_ip(peer, forwarded_for, &self.trusted_proxies))
    }

    pub(crate) fn admit_address(&self, client: &str, now: Instant) -> Result<(), Refusal> {
        self.by_address.take(client, 0, now).map_err(refusal)
    }

    pub(crate) fn enter_gate(&self) -> Result<HashPermit, Refusal> {
        self.gate.try_enter().ok_or(Refusal::Overloaded)
    }

    /// `unlocks`: the account's unlock count (0 for unknown names); an operator's unlock starts the limit over.
    pub(crate) fn admit_username(&self, username: &str, unlocks: i64, now: Instant) -> Result<(), Refusal> {
        self.by_username.take(&username_key(username), unlocks, now).map_err(refusal)
    }

    /// A successful sign-in: its attempt does not count against the address or the username.
    pub(crate) fn succeeded(&self, client: &str, username: &str, now: Instant) {
        self.by_address.give_back(client, now);
        self.by_username.give_back(&username_key(username), now);
    }

    pub fn stats(&self) -> GateStats {
        self.gate.stats()
    }
}
