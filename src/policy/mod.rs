//! Who may do what, and for which purpose: policy §5/§11 (least privilege) and §6 (purpose limitation),
//! in one table each.

use serde::{Deserialize, Serialize};

use crate::domain::Purpose;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The loan-onboarding service account (API key).
    Onboarding,
    FraudAnalyst,
    Supervisor,
    Dpo,
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Onboarding, Role::FraudAnalyst, Role::Supervisor, Role::Dpo, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Onboarding => "onboarding",
            Role::FraudAnalyst => "fraud_analyst",
            Role::Supervisor => "supervisor",
            Role::Dpo => "dpo",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff roles sign in with password + TOTP; the onboarding role is a service account.
    pub fn is_staff(self) -> bool {
        self != Role::Onboarding
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    CreateVerification,
    ReadVerification,
    RecordConsent,
    ReadConsent,
    WithdrawConsent,
    ExportAudit,
    VerifyAudit,
    ReadCase,
    ViewCrop,
    AssignCase,
    DecideCase,
    /// The second pair of eyes on a fraud confirmation.
    SignOffFraud,
    /// Erase a subject's personal data and prove nothing remains (DPO).
    EraseSubject,
    /// Security events and the incident export for the breach notification (DPO).
    ReadSecurityEvents,
    /// A signed evidence package of a verification or a case (a case's holds its face crops).
    ExportEvidence,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::CreateVerification,
        Permission::ReadVerification,
        Permission::RecordConsent,
        Permission::ReadConsent,
        Permission::WithdrawConsent,
        Permission::ExportAudit,
        Permission::VerifyAudit,
        Permission::ReadCase,
        Permission::ViewCrop,
        Permission::AssignCase,
        Permission::DecideCase,
        Permission::SignOffFraud,
        Permission::EraseSubject,
        Permission::ReadSecurityEvents,
        Permission::ExportEvidence,
    ];
}

/// The role -> permission table. Everything not listed is denied.
pub fn permits(role: Role, permission: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Onboarding => {
            matches!(permission, CreateVerification | ReadVerification | RecordConsent | ReadConsent | WithdrawConsent)
        }
        Role::FraudAnalyst => matches!(permission, ReadVerification | ReadCase | ViewCrop | AssignCase | DecideCase),
        Role::Supervisor => {
            matches!(
                permission,
                ReadVerification | ReadCase | ViewCrop | AssignCase | DecideCase | SignOffFraud | ExportEvidence
            )
        }
        Role::Dpo => {
            matches!(
                permission,
                ReadConsent | WithdrawConsent | VerifyAudit | EraseSubject | ReadSecurityEvents | ExportEvidence
            )
        }
        Role::Auditor => matches!(permission, ExportAudit | VerifyAudit),
    }
}

/// The purposes each role may declare. Fraud work is anti-fraud only.
pub fn purposes(role: Role) -> &'static [Purpose] {
    match role {
        Role::Onboarding | Role::Dpo | Role::Auditor => &[Purpose::Identification, Purpose::AntiFraud],
        Role::FraudAnalyst | Role::Supervisor => &[Purpose::AntiFraud],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_onboarding_is_a_service() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.is_staff(), r != Role::Onboarding);
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn no_role_may_both_create_verifications_and_export_the_audit_log() {
        for r in Role::ALL {
            assert!(!(permits(r, Permission::CreateVerification) && permits(r, Permission::ExportAudit)), "{r:?}");
        }
    }

    #[test]
    fn only_supervisors_sign_off_fraud() {
        for r in Role::ALL {
            assert_eq!(permits(r, Permission::SignOffFraud), r == Role::Supervisor, "{r:?}");
        }
    }

    #[test]
    fn only_supervisors_and_the_dpo_export_evidence() {
        for r in Role::ALL {
            assert_eq!(permits(r, Permission::ExportEvidence), matches!(r, Role::Supervisor | Role::Dpo), "{r:?}");
        }
    }

    #[test]
    fn analysts_work_for_anti_fraud_only() {
        assert_eq!(purposes(Role::FraudAnalyst), &[Purpose::AntiFraud]);
        assert!(!permits(Role::FraudAnalyst, Permission::CreateVerification));
    }
}
