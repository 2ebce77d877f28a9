//! A bounded in-memory rate limiter: one token bucket per key (a client address, a username). A bucket holds
//! `attempts` tokens and refills at `attempts` per `window`; an attempt takes a token, and an attempt refused for
//! want of one takes nothing, so hammering a limited key does not prolong its limit. The table holds at most
//! `capacity` keys. To admit a new key it forgets the least recently used bucket that has refilled (forgetting it
//! loses nothing); it never forgets a bucket that is still limiting its key, so flooding the table with fresh keys
//! (junk usernames, IPv6 networks) cannot reset anyone's limit. When none of the oldest buckets has refilled, the
//! new key is refused until one has, as if it were limited.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub attempts: u32,
    pub window: Duration,
}

struct Bucket {
    tokens: f64,
    at: Instant,
    /// Its place in the recency order.
    touched: u64,
    /// Buckets recorded under another epoch start over (an operator's unlock).
    epoch: i64,
}

#[derive(Default)]
struct Table {
    buckets: HashMap<String, Bucket>,
    recency: BTreeMap<u64, String>,
    next: u64,
}

pub(crate) struct Limiter {
    rate: Rate,
    capacity: usize,
    table: Mutex<Table>,
}

impl Rate {
    fn per_sec(self) -> f64 {
        f64::from(self.attempts) / self.window.as_secs_f64().max(1e-3)
    }
}

/// How many of the least recently used buckets are looked at for one that has refilled (bounding the work a new
/// key can cost while the table is full of limited keys).
const EVICTION_SCAN: usize = 16;

impl Table {
    /// Forgets the least recently used bucket that has refilled by `now`, among the oldest [`EVICTION_SCAN`]; when
    /// none has, says how long until the first of them will have.
    fn make_room(&mut self, rate: Rate, now: Instant) -> Result<(), Duration> {
        let full = f64::from(rate.attempts);
        let mut wait = Duration::MAX;
        let mut victim = None;
        for (&seq, key) in self.recency.iter().take(EVICTION_SCAN) {
            let Some(bucket) = self.buckets.get(key) else { continue };
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            let missing = full - (bucket.tokens + elapsed * rate.per_sec());
            if missing <= 1e-9 {
                victim = Some(seq);
                break;
            }
            wait = wait.min(Duration::from_secs_f64(missing / rate.per_sec()));
        }
        let seq = victim.ok_or(wait)?;
        if let Some(key) = self.recency.remove(&seq) {
            self.buckets.remove(&key);
        }
        Ok(())
    }

    fn touch(
        &mut self,
        key: &str,
        rate: Rate,
        epoch: i64,
        now: Instant,
        capacity: usize,
    ) -> Result<&mut Bucket, Duration> {
        if let Some(bucket) = self.buckets.get(key) {
            self.recency.remove(&bucket.touched);
        } else if self.buckets.len() >= capacity.max(1) {
            self.make_room(rate, now)?;
        }
        self.next += 1;
        let seq = self.next;
        self.recency.insert(seq, key.to_owned());
        let full = f64::from(rate.attempts);
        let bucket =
            self.buckets.entry(key.to_owned()).or_insert(Bucket { tokens: full, at: now, touched: seq, epoch });
        if bucket.epoch != epoch {
            *bucket = Bucket { tokens: full, at: now, touched: seq, epoch };
        }
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate.per_sec()).min(full);
        bucket.at = now.max(bucket.at);
        bucket.touched = seq;
        Ok(bucket)
    }
}

impl Limiter {
    pub(crate) fn new(rate: Rate, capacity: usize) -> Self {
        Self { rate, capacity, table: Mutex::default() }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one attempt for `key`, or says how long until one is available (for a new key while the table is full
    /// of limited ones: until one of them has refilled).
    pub(crate) fn take(&self, key: &str, epoch: i64, now: Instant) -> Result<(), Duration> {
        let (rate, capacity) = (self.rate, self.capacity);
        let mut table = self.table();
        let bucket = table.touch(key, rate, epoch, now, capacity)?;
        // The epsilon absorbs rounding in the refill: a whole period refills a whole token.
        if bucket.tokens >= 1.0 - 1e-9 {
            bucket.tokens = (bucket.tokens - 1.0).max(0.0);
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate.per_sec()))
        }
    }

    /// Gives an attempt back (a sign-in that succeeded does not count against its client or account).
    pub(crate) fn give_back(&self, key: &str, now: Instant) {
        let mut table = self.table();
        if let Some(bucket) = table.buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(self.rate.attempts));
            bucket.at = now.max(bucket.at);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(attempts: u32, window_secs: u64, capacity: usize) -> Limiter {
        Limiter::new(Rate { attempts, window: Duration::from_secs(window_secs) }, capacity)
    }

    #[test]
    fn allows_the_burst_then_refuses_with_the_wait_and_refills_over_the_window() {
        let l = limiter(3, 60, 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take("a", 0, t0).is_ok());
        }
        let wait = l.take("a", 0, t0).expect_err("limited");
        assert!((wait.as_secs_f64() - 20.0).abs() < 0.01, "one attempt per 20 s: {wait:?}");
        assert!(l.take("b", 0, t0).is_ok(), "keys are independent");
        assert!(l.take("a", 0, t0 + Duration::from_secs(21)).is_ok(), "refilled");
    }

    #[test]
    fn refused_attempts_do_not_extend_the_limit() {
        let l = limiter(2, 60, 10);
        let t0 = Instant::now();
        l.take("a", 0, t0).ok();
        l.take("a", 0, t0).ok();
        for s in 1..30 {
            assert!(l.take("a", 0, t0 + Duration::from_secs(s)).is_err());
        }
        assert!(l.take("a", 0, t0 + Duration::from_secs(30)).is_ok(), "30 s refills one, hammering or not");
    }

    #[test]
    fn a_success_gives_its_attempt_back_and_a_new_epoch_starts_over() {
        let l = limiter(1, 600, 10);
        let t0 = Instant::now();
        assert!(l.take("a", 0, t0).is_ok());
        l.give_back("a", t0);
        assert!(l.take("a", 0, t0).is_ok());
        assert!(l.take("a", 0, t0).is_err());
        assert!(l.take("a", 1, t0).is_ok(), "unlocked");
    }

    #[test]
    fn a_full_table_forgets_a_refilled_key_never_a_limited_one() {
        let l = limiter(1, 600, 2);
        let t0 = Instant::now();
        assert!(l.take("target", 0, t0).is_ok());
        assert!(l.take("other", 0, t0 + Duration::from_secs(1)).is_ok());
        l.give_back("other", t0 + Duration::from_secs(1));
        // "target" is the least recently used but still limited; "other" has refilled and makes room.
        assert!(l.take("new", 0, t0 + Duration::from_secs(2)).is_ok());
        assert!(l.take("target", 0, t0 + Duration::from_secs(3)).is_err(), "still limited");
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn flooding_a_full_table_of_limited_keys_refuses_the_new_keys_and_keeps_the_limits() {
        let l = limiter(1, 600, 3);
        let t0 = Instant::now();
        for key in ["a", "b", "c"] {
            assert!(l.take(key, 0, t0).is_ok());
        }
        for i in 0..1000 {
            let wait = l.take(&format!("flood-{i}"), 0, t0).expect_err("no room: refused");
            assert!((wait.as_secs_f64() - 600.0).abs() < 0.01, "until the oldest has refilled: {wait:?}");
        }
        assert_eq!(l.len(), 3);
        for key in ["a", "b", "c"] {
            assert!(l.take(key, 0, t0 + Duration::from_secs(10)).is_err(), "{key} is still limited");
        }
        let later = t0 + Duration::from_secs(600);
        assert!(l.take("flood-0", 0, later).is_ok(), "room again once a limit has run out");
        assert_eq!(l.len(), 3);
    }
}
