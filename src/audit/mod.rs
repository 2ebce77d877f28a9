//! The tamper-evident audit log: every action on personal data, written in the same transaction as the action.
//! Each row's hash is a MAC (under a service key wrapped by the KEK) over the previous row's hash and its own
//! fields; `audit_head` holds the last link, under a MAC too; signed checkpoints exported elsewhere pin the history.
//! On PostgreSQL the log is several such chains, lanes (`lanes.rs`), so that replicas do not queue on one head.
//! Subjects appear only as keyed pseudonyms.

mod chain;
mod checkpoint;
mod lanes;
mod security;
mod verify;

pub use chain::{append, export, prune, seal_head, AuditEvent, AuditRow, Audited, Outcome, Subject};
pub use checkpoint::{checkpoint, signed_message, Checkpoint, LaneMark, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_LANES};
pub use lanes::{open as open_lanes, Lanes, POSTGRES_LANES};
pub use security::{check_access_burst, events_since, raise, SecurityEvent, Severity, StoredEvent};
pub use verify::{verify, verify_against, ChainBreak, ChainReport};

/// Actions recorded in the audit log (stable strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Verify,
    ReadVerification,
    RecordConsent,
    ReadConsent,
    WithdrawConsent,
    EraseBiometrics,
    Login,
    LoginFailed,
    Logout,
    ExportAudit,
    VerifyAudit,
    RotateKeys,
    CreateAccount,
    ListCases,
    ViewCase,
    ViewCrop,
    AssignCase,
    DecideCase,
    SignOffCase,
    EraseSubject,
    CheckErasure,
    RetentionSweep,
    ReadSecurityEvents,
    SignCheckpoint,
    RevokeKey,
    DisableAccount,
    UnlockAccount,
    AdoptLegacyAudit,
    /// A staff member chose their console language.
    SetLanguage,
    /// A signed evidence package was exported.
    ExportEvidence,
    /// The console's dashboard (aggregate counts only) was viewed.
    ViewDashboard,
    /// An analyst added a note to a case.
    AddCaseNote,
    /// An analyst asked the onboarding flow for a new capture (webhook `case.recapture_requested`).
    RequestRecapture,
    /// A supervisor put a confirmed-fraud case's face on the blocklist.
    BlocklistAdd,
    /// A supervisor removed a blocklist entry.
    BlocklistRemove,
    /// The blocklist (ids, reasons, who, when) was listed.
    BlocklistList,
    /// A supervisor put a pair of subjects (twins) on the allowlist.
    AllowlistAdd,
    /// A supervisor removed an allowlist entry.
    AllowlistRemove,
    /// The allowlist (ids, who, when) was listed.
    AllowlistList,
    /// An onboarding client opened a liveness session for an applicant.
    CreateLivenessSession,
    /// The applicant's device sent one attempt's frames (success: the attempt passed).
    LivenessAttempt,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::ReadVerification => "read_verification",
            Action::RecordConsent => "record_consent",
            Action::ReadConsent => "read_consent",
            Action::WithdrawConsent => "withdraw_consent",
            Action::EraseBiometrics => "erase_biometrics",
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::ExportAudit => "export_audit",
            Action::VerifyAudit => "verify_audit",
            Action::RotateKeys => "rotate_keys",
            Action::CreateAccount => "create_account",
            Action::ListCases => "list_cases",
            Action::ViewCase => "view_case",
            Action::ViewCrop => "view_crop",
            Action::AssignCase => "assign_case",
            Action::DecideCase => "decide_case",
            Action::SignOffCase => "sign_off_case",
            Action::EraseSubject => "erase_subject",
            Action::CheckErasure => "check_erasure",
            Action::RetentionSweep => "retention_sweep",
            Action::ReadSecurityEvents => "read_security_events",
            Action::SignCheckpoint => "sign_checkpoint",
            Action::RevokeKey => "revoke_key",
            Action::DisableAccount => "disable_account",
            Action::UnlockAccount => "unlock_account",
            Action::AdoptLegacyAudit => "adopt_legacy_audit",
            Action::SetLanguage => "set_language",
            Action::ExportEvidence => "export_evidence",
            Action::ViewDashboard => "view_dashboard",
            Action::AddCaseNote => "add_case_note",
            Action::RequestRecapture => "request_recapture",
            Action::BlocklistAdd => "blocklist_add",
            Action::BlocklistRemove => "blocklist_remove",
            Action::BlocklistList => "blocklist_list",
            Action::AllowlistAdd => "allowlist_add",
            Action::AllowlistRemove => "allowlist_remove",
            Action::AllowlistList => "allowlist_list",
            Action::CreateLivenessSession => "create_liveness_session",
            Action::LivenessAttempt => "liveness_attempt",
        }
    }
}
