//! The `[auth]` section's derived settings and validation.

use super::{AuthSettings, ConfigError, Invalid};

impl AuthSettings {
    /// The sign-in throttle's settings (validated by `Settings::validate`).
    pub fn throttle(&self) -> Result<crate::auth::ThrottleSettings, ConfigError> {
        use crate::auth::{ProxyNet, Rate};
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|p| ProxyNet::parse(p))
            .collect::<Result<_, _>>()
            .map_err(ConfigError::Invalid)?;
        let checks = match self.password_checks_in_flight {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()).min(4),
            n => n,
        };
        let rate = |attempts, secs| Rate { attempts, window: std::time::Duration::from_secs(secs) };
        Ok(crate::auth::ThrottleSettings {
            password_checks_in_flight: checks,
            per_address: rate(self.address_max_attempts, self.address_window_secs),
            per_username: rate(self.username_max_attempts, self.username_window_secs),
            // The lockout, per account and client address: max_failed_logins attempts per lockout_max_secs.
            per_account_address: rate(
                u32::try_from(self.max_failed_logins).unwrap_or(u32::MAX),
                u64::try_from(self.lockout_max_secs).unwrap_or(u64::MAX),
            ),
            limiter_entries: self.limiter_entries,
            trusted_proxies,
        })
    }

    pub fn lockout(&self) -> crate::auth::Lockout {
        crate::auth::Lockout {
            threshold: self.max_failed_logins,
            base_secs: self.lockout_secs,
            max_secs: self.lockout_max_secs,
        }
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.max_failed_logins < 1 {
            return Err(Invalid::new("max_failed_logins", "must be positive"));
        }
        if self.lockout_secs < 1 {
            return Err(Invalid::new("lockout_secs", "must be positive"));
        }
        if !(self.lockout_secs..=86_400).contains(&self.lockout_max_secs) {
            return Err(Invalid::new("lockout_max_secs", "must be at least auth.lockout_secs and at most 86400"));
        }
        if !(60..=86_400).contains(&self.session_ttl_secs) {
            return Err(Invalid::new("session_ttl_secs", "must be 60..=86400"));
        }
        if !(self.session_ttl_secs..=7 * 86_400).contains(&self.session_max_lifetime_secs) {
            return Err(Invalid::new(
                "session_max_lifetime_secs",
                "must be at least auth.session_ttl_secs, at most 7 days",
            ));
        }
        if self.password_checks_in_flight > 256 {
            return Err(Invalid::new("password_checks_in_flight", "must be 0..=256"));
        }
        let window = |n: u32, secs: u64| n > 0 && (1..=86_400).contains(&secs);
        if !window(self.address_max_attempts, self.address_window_secs) {
            return Err(Invalid::new("address_max_attempts", "needs at least one attempt per window of 1..=86400 s"));
        }
        if !window(self.username_max_attempts, self.username_window_secs) {
            return Err(Invalid::new("username_max_attempts", "needs at least one attempt per window of 1..=86400 s"));
        }
        if !(1..=1_000_000).contains(&self.limiter_entries) {
            return Err(Invalid::new("limiter_entries", "must be 1..=1000000"));
        }
        for proxy in &self.trusted_proxies {
            crate::auth::ProxyNet::parse(proxy).map_err(|e| Invalid::new("trusted_proxies", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    #[test]
    fn auth_limits_are_checked() {
        let s = Settings::defaults().expect("defaults");
        let throttle = s.auth.throttle().expect("valid");
        assert!((1..=4).contains(&throttle.password_checks_in_flight), "0: one per core, at most 4");
        assert!(throttle.trusted_proxies.is_empty(), "X-Forwarded-For is ignored by default");
        for tweak in [
            (|a: &mut AuthSettings| a.trusted_proxies = vec!["10.0.0.0/40".into()]) as fn(&mut AuthSettings),
            |a| a.lockout_max_secs = a.lockout_secs - 1,
            |a| a.session_max_lifetime_secs = a.session_ttl_secs - 1,
            |a| a.address_max_attempts = 0,
            |a| a.username_window_secs = 0,
            |a| a.limiter_entries = 0,
        ] {
            let mut bad = s.clone();
            tweak(&mut bad.auth);
            assert!(bad.validate().is_err(), "{:?}", bad.auth);
        }
    }
}
