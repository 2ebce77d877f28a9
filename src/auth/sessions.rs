//! Staff sessions, whatever front-end signs in (the API, the console): password + TOTP after the throttle, then
//! the session row, the failure count and the audit row (login / login_failed) in one transaction; sign-out deletes
//! the session with its audit row.

use std::net::IpAddr;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{
    login as check_credentials, Attempt, Lockout, LoginError, LoginThrottle, Principal, Refusal, SessionToken,
};
use crate::audit::{self, Action, AuditEvent, Outcome, SecurityEvent, Severity};
use crate::error::{ApiError, ErrorCode};
use crate::policy::Role;
use crate::store::{access, lockout, Store, StoreError};
use crate::vault::Kek;

/// What signing in needs, shared by every request.
pub struct Sessions {
    pub(crate) store: Store,
    pub(crate) kek: Arc<Kek>,
    pub(crate) throttle: Arc<LoginThrottle>,
    pub(crate) lockout: Lockout,
    /// Sessions expire after this many seconds without a request.
    pub(crate) ttl_secs: i64,
}

/// Where a sign-in comes from: the peer address, `X-Forwarded-For` (believed only from trusted proxies), the
/// request id for the audit row.
pub struct Origin {
    pub peer: Option<IpAddr>,
    pub forwarded_for: Option<String>,
    pub request_id: Option<String>,
}

pub struct OpenedSession {
    pub token: SessionToken,
    pub role: Role,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Unknown user, wrong password, wrong or replayed code, disabled or locked: one answer for all.
    #[error("invalid username, password or code")]
    Invalid,
    #[error("too many sign-in attempts, retry later")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("too many sign-ins in progress, retry later")]
    Overloaded,
    #[error("service accounts have no session")]
    NoSession,
    #[error("session token generation failed")]
    Randomness(#[source] super::RandomnessUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(SessionError);

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        let message = e.to_string();
        match e {
            SessionError::Invalid => ApiError::new(ErrorCode::InvalidCredentials, message),
            SessionError::TooManyAttempts { retry_after_secs } => {
                ApiError::new(ErrorCode::TooManyAttempts, message).with_retry_after(retry_after_secs)
            }
            SessionError::Overloaded => ApiError::new(ErrorCode::Overloaded, message),
            SessionError::NoSession => ApiError::new(ErrorCode::Forbidden, message),
            SessionError::Randomness(cause) => ApiError::internal(&cause),
            SessionError::Store(store) => store.into(),
        }
    }
}

impl Sessions {
    /// Password + TOTP, after the throttle; on success a session row, and either way (unless refused before any
    /// credential was checked) an audit row with the stored failure count, together.
    pub async fn open(
        &self,
        origin: &Origin,
        username: &str,
        password: Zeroizing<String>,
        totp: &str,
    ) -> Result<OpenedSession, SessionError> {
        let client = self.throttle.client_key(origin.peer, origin.forwarded_for.as_deref());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let attempt = Attempt { username, password, code: totp, client: &client };
        let login = match check_credentials(&self.store, &self.kek, &self.throttle, attempt, now).await {
            Ok(login) => Some(login),
            Err(LoginError::Invalid) => None,
            Err(LoginError::Refused(Refusal::TooManyAttempts { retry_after_secs })) => {
                return Err(SessionError::TooManyAttempts { retry_after_secs })
            }
            Err(LoginError::Refused(Refusal::Overloaded)) => return Err(SessionError::Overloaded),
            Err(LoginError::Store(e)) => return Err(e.into()),
        };
        let actor: String = username.chars().take(64).collect();
        let (role, result, action) = match &login {
            Some(l) => (l.role.as_str(), Outcome::Success, Action::Login),
            None => ("unknown", Outcome::Denied, Action::LoginFailed),
        };
        let event = AuditEvent {
            actor: &actor,
            role,
            action,
            purpose: None,
            subject_ref: None,
            result,
            request_id: origin.request_id.as_deref(),
        };
        let mut tx = self.store.begin_write().await?;
        let session = match &login {
            Some(login) => {
                let (token, expires_at) = login.new_session(now, self.ttl_secs).map_err(SessionError::Randomness)?;
                access::insert_session(&mut tx, &token.sha256, &login.username, login.role, now, expires_at).await?;
                if login.had_failures {
                    lockout::clear_failed_logins(&mut tx, &login.username).await?;
                }
                Some(OpenedSession { token, role: login.role, expires_at })
            }
            None => {
                // Runs for unknown names too (changing nothing): the same statements whoever is asked about.
                if let Some(secs) = lockout::record_failed_login(&mut tx, username, now, self.lockout).await? {
                    let detail = format!(
                        "staff account {actor} had {} consecutive failed logins (next report in {secs} s at the earliest)",
                        self.lockout.threshold
                    );
                    audit::raise(&mut tx, SecurityEvent::RepeatedFailedLogins, Severity::Warning, &detail).await?;
                }
                None
            }
        };
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        session.ok_or(SessionError::Invalid)
    }

    /// Deletes the caller's session with its audit row.
    pub async fn close(&self, principal: &Principal) -> Result<(), SessionError> {
        let Some(session) = principal.session.as_deref() else { return Err(SessionError::NoSession) };
        let mut tx = self.store.begin_write().await?;
        access::delete_session(&mut tx, session).await?;
        let audited = audit::append(&mut tx, &principal.event(Action::Logout, None, None, Outcome::Success)).await?;
        tx.commit(audited).await?;
        Ok(())
    }
}
