//! RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits), the second factor for every staff login.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::random::{self, RandomnessUnavailable, Source};

pub const TOTP_STEP_SECS: u64 = 30;

/// A TOTP seed. Zeroed on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Totp {
    seed: Vec<u8>,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Totp(<redacted>)")
    }
}

impl Totp {
    /// A fresh 160-bit seed; fails closed without OS randomness.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        Self::generate_from(random::OS)
    }

    pub(crate) fn generate_from(source: Source) -> Result<Self, RandomnessUnavailable> {
        let mut seed = Self { seed: vec![0u8; 20] };
        random::fill(&mut seed.seed, source)?;
        Ok(seed)
    }

    pub fn from_seed(seed: Vec<u8>) -> Self {
        Self { seed }
    }

    pub fn seed(&self) -> &[u8] {
        &self.seed
    }

    /// The base32 seed and an otpauth:// URI for authenticator apps.
    pub fn provisioning_uri(&self, account: &str) -> String {
        let secret = data_encoding::BASE32_NOPAD.encode(&self.seed);
        format!(
            "otpauth://totp/faceverify:{account}?secret={secret}&issuer=faceverify&algorithm=SHA1&digits=6&period=30"
        )
    }

    pub fn code_at(&self, step: u64) -> String {
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&self.seed) else {
            return String::new();
        };
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let offset = usize::from(digest[19] & 0x0f);
        let bin =
            u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
        format!("{:06}", bin % 1_000_000)
    }

    /// The time step `code` belongs to, allowing one step of clock drift either way; `None` if it is wrong.
    pub fn verify(&self, code: &str, unix_secs: u64) -> Option<u64> {
        let now = unix_secs / TOTP_STEP_SECS;
        [now.saturating_sub(1), now, now + 1]
            .into_iter()
            .find(|&step| bool::from(self.code_at(step).as_bytes().ct_eq(code.trim().as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vectors() {
        let totp = Totp::from_seed(b"12345678901234567890".to_vec());
        // RFC 6238 appendix B, truncated to 6 digits.
        for (time, code) in
            [(59u64, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(totp.code_at(time / TOTP_STEP_SECS), code, "t={time}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_nothing_further() {
        let totp = Totp::generate().expect("randomness");
        let now = 1_800_000_000;
        let step = now / TOTP_STEP_SECS;
        assert_eq!(totp.verify(&totp.code_at(step), now), Some(step));
        assert_eq!(totp.verify(&totp.code_at(step - 1), now), Some(step - 1));
        assert_eq!(totp.verify(&totp.code_at(step + 3), now), None);
        assert_eq!(totp.verify("", now), None);
        assert_eq!(format!("{totp:?}"), "Totp(<redacted>)");
    }

    #[test]
    fn without_os_randomness_no_seed_is_made() {
        assert_eq!(Totp::generate_from(random::broken).err(), Some(RandomnessUnavailable));
        assert_ne!(Totp::generate().expect("randomness").seed(), [0u8; 20]);
    }
}
