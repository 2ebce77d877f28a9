//! A bounded in-memory rate limiter: one token bucket per key (a client address, a username). A bucket holds
//! `attempts` tokens and refills at `attempts` per `window`; an attempt takes a token, and an attempt refused for
//! want of one takes nothing, so hammering a limited key does not prolong its limit. The table holds at most
//! `capacity` keys and forgets the least recently used one to admit a new key, so flooding it with fresh keys costs
//! memory no more than that.

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

impl Table {
    fn touch(&mut self, key: &str, rate: Rate, epoch: i64, now: Instant, capacity: usize) -> &mut Bucket {
        self.next += 1;
        let seq = self.next;
        if let Some(bucket) = self.buckets.get(key) {
            self.recency.remove(&bucket.touched);
        } else if self.buckets.len() >= capacity.max(1) {
            if let Some((_, oldest)) = self.recency.pop_first() {
                self.buckets.remove(&oldest);
            }
        }
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
        bucket
    }
}

impl Limiter {
    pub(crate) fn new(rate: Rate, capacity: usize) -> Self {
        Self { rate, capacity, table: Mutex::default() }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one attempt for `key`, or says how long until one is available.
    pub(crate) fn take(&self, key: &str, epoch: i64, now: Instant) -> Result<(), Duration> {
        let (rate, capacity) = (self.rate, self.capacity);
        let mut table = self.table();
        let bucket = table.touch(key, rate, epoch, now, capacity);
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
    fn the_table_is_bounded_and_forgets_the_least_recently_used_key() {
        let l = limiter(1, 600, 3);
        let t0 = Instant::now();
        for key in ["a", "b", "c"] {
            l.take(key, 0, t0).ok();
        }
        assert!(l.take("a", 0, t0).is_err(), "a is limited and now the most recent");
        for i in 0..1000 {
            l.take(&format!("flood-{i}"), 0, t0).ok();
        }
        assert_eq!(l.len(), 3);
    }
}
