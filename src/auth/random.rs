//! The one place auth secrets (API keys, session tokens, TOTP seeds, password salts) get their randomness. Without
//! an OS entropy source this is an error, never a predictable value: callers fail closed.

/// The operating system gave no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator is unavailable")]
pub struct RandomnessUnavailable;

/// Where random bytes come from: the OS in production, a failing source in tests (the seam).
pub(crate) type Source = fn(&mut [u8]) -> Result<(), getrandom::Error>;

pub(crate) const OS: Source = getrandom::getrandom;

/// Fills `buf` from `source`; on failure the buffer is wiped and nothing derived from it may be used.
pub(crate) fn fill(buf: &mut [u8], source: Source) -> Result<(), RandomnessUnavailable> {
    source(buf).map_err(|_| {
        buf.fill(0);
        RandomnessUnavailable
    })
}

#[cfg(test)]
pub(crate) fn broken(_: &mut [u8]) -> Result<(), getrandom::Error> {
    Err(getrandom::Error::UNSUPPORTED)
}
