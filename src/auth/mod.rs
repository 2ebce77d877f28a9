//! Authentication: API keys for the onboarding service account; password (argon2id) + TOTP for staff, which
//! yields a session token. Secrets are stored only as hashes (or sealed, for TOTP seeds) and compared in
//! constant time.

mod accounts;
mod client_addr;
mod gate;
mod limiter;
mod password;
mod principal;
mod random;
mod sessions;
mod throttle;
mod tokens;
mod totp;

pub use accounts::{
    create_service_account, create_staff, login, totp_aad, AccountError, Attempt, Lockout, Login, LoginError,
};
pub use client_addr::ProxyNet;
pub use gate::GateStats;
pub use limiter::Rate;
pub use password::{hash_password, verify_password};
pub use principal::{Denied, Principal};
pub use random::RandomnessUnavailable;
pub use sessions::{OpenedSession, Origin, SessionError, Sessions};
pub use throttle::{LoginThrottle, Refusal, ThrottleSettings};
pub use tokens::{digests_equal, sha256_hex, ApiKey, SessionToken, TokenKind};
pub use totp::{Totp, TOTP_STEP_SECS};
