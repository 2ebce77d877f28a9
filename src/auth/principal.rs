//! Who is acting, and what they may do: the authenticated actor and role, the role -> permission table check and
//! the declared purpose against the role's purposes. The HTTP front-end authenticates (`http::principal`); the
//! verification and review cores take the `Principal` it made.

use crate::audit::{Action, AuditEvent, Outcome};
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::policy::{permits, purposes, Permission, Role};

#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: String,
    pub role: Role,
    /// Digest of the session token, for logout; `None` for API keys.
    pub(crate) session: Option<String>,
    pub request_id: String,
}

/// A refusal by the access policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this role may not perform this action")]
    Forbidden,
    #[error("declare a permitted purpose: identification or anti_fraud, as this role allows")]
    PurposeNotPermitted,
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        let code = match denied {
            Denied::Forbidden => ErrorCode::Forbidden,
            Denied::PurposeNotPermitted => ErrorCode::PurposeNotPermitted,
        };
        ApiError::new(code, denied.to_string())
    }
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), Denied> {
        if permits(self.role, permission) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// The purpose this request declares (policy §6), checked against what the role may use.
    pub fn allow_purpose(&self, purpose: Option<Purpose>) -> Result<Purpose, Denied> {
        match purpose {
            Some(p) if purposes(self.role).contains(&p) => Ok(p),
            _ => Err(Denied::PurposeNotPermitted),
        }
    }

    /// An audit event for an action this principal performed; `subject_ref` in clear (the row stores its pseudonym).
    pub fn event<'a>(
        &'a self,
        action: Action,
        purpose: Option<Purpose>,
        subject_ref: Option<&'a str>,
        result: Outcome,
    ) -> AuditEvent<'a> {
        AuditEvent {
            actor: &self.actor,
            role: self.role.as_str(),
            action,
            purpose,
            subject_ref: subject_ref.map(crate::audit::Subject::Clear),
            result,
            request_id: Some(&self.request_id),
        }
    }

    /// The client (service account) this request comes from; `None` for staff. Clients see only what they
    /// created: their verifications, consents and idempotency keys (404 across clients).
    pub fn client(&self) -> Option<&str> {
        (self.session.is_none() && self.role == Role::Onboarding).then_some(self.actor.as_str())
    }

    /// Whether this principal may see a record created by `owner` (staff see every record).
    pub fn owns(&self, owner: Option<&str>) -> bool {
        self.client().is_none_or(|client| owner == Some(client))
    }
}
