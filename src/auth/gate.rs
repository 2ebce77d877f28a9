//! The bound on concurrent password hashing. argon2id as configured here takes 19 MiB and tens of milliseconds per
//! verification on tokio's blocking pool: unbounded, a flood of sign-ins grows memory without limit. A sign-in
//! takes a permit before it does any work and is refused at once (503 with Retry-After) when none is free; the
//! permit travels into the blocking task, so a client that hangs up cannot free it before the hashing ends. Each
//! permit's argon2 memory is allocated once and reused, so hashing memory stays at capacity x 19 MiB.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use std::sync::Mutex;

use argon2::Block;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::Zeroizing;

use super::password::check_password_in;

/// What the gate has done, for `/metrics`-style inspection and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateStats {
    /// Password verifications allowed at once (`auth.password_checks_in_flight`).
    pub capacity: usize,
    /// Verifications running now.
    pub in_flight: usize,
    /// The most that ever ran at once.
    pub high_water: usize,
    /// argon2 verifications performed (each failed sign-in performs exactly one, whatever the reason).
    pub verifications: u64,
}

#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    high_water: AtomicUsize,
    verifications: AtomicU64,
    /// argon2 working memory, one buffer per permit at most, allocated on first use and kept.
    memory: Mutex<Vec<Vec<Block>>>,
}

impl Counters {
    fn memory(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) struct HashGate {
    permits: Arc<Semaphore>,
    capacity: usize,
    counters: Arc<Counters>,
}

/// The right to run one password verification.
pub(crate) struct HashPermit {
    _permit: OwnedSemaphorePermit,
    counters: Arc<Counters>,
}

impl HashGate {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(capacity)), capacity, counters: Arc::default() }
    }

    /// A permit, or `None` at once when all are taken: never a queue.
    pub(crate) fn try_enter(&self) -> Option<HashPermit> {
        let permit = self.permits.clone().try_acquire_owned().ok()?;
        Some(HashPermit { _permit: permit, counters: self.counters.clone() })
    }

    pub(crate) fn stats(&self) -> GateStats {
        GateStats {
            capacity: self.capacity,
            in_flight: self.counters.in_flight.load(Ordering::SeqCst),
            high_water: self.counters.high_water.load(Ordering::SeqCst),
            verifications: self.counters.verifications.load(Ordering::SeqCst),
        }
    }
}

impl HashPermit {
    /// Verifies `password` against the PHC string `stored` on the blocking pool, holding the permit throughout.
    pub(crate) async fn verify(self, password: Zeroizing<String>, stored: String) -> bool {
        tokio::task::spawn_blocking(move || {
            let counters = &self.counters;
            let running = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            counters.high_water.fetch_max(running, Ordering::SeqCst);
            let mut memory = counters.memory().pop().unwrap_or_default();
            let verdict = check_password_in(&password, &stored, &mut memory);
            counters.memory().push(memory);
            if verdict.is_some() {
                counters.verifications.fetch_add(1, Ordering::SeqCst);
            }
            counters.in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(password);
            drop(self);
            verdict == Some(true)
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_gate_refuses_at_once_and_frees_its_permits() {
        let gate = HashGate::new(2);
        let a = gate.try_enter().expect("first");
        let _b = gate.try_enter().expect("second");
        assert!(gate.try_enter().is_none(), "refused, not queued");
        drop(a);
        assert!(gate.try_enter().is_some());
    }

    #[tokio::test]
    async fn counts_argon2_work_and_holds_the_permit_until_it_ends() {
        let gate = HashGate::new(1);
        let stored = super::super::hash_password("correct horse").expect("hash");
        let permit = gate.try_enter().expect("permit");
        assert!(permit.verify(Zeroizing::new("correct horse".into()), stored.clone()).await);
        let permit = gate.try_enter().expect("freed after the verification");
        assert!(!permit.verify(Zeroizing::new("wrong".into()), "not a hash".into()).await);
        let stats = gate.stats();
        assert_eq!((stats.verifications, stats.high_water, stats.in_flight), (1, 1, 0), "a malformed hash is no work");
    }
}
