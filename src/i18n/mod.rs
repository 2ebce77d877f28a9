//! Languages: the console's (and the capture page's) texts in English, Russian and Kazakh, from Fluent catalogues
//! under locales/ embedded in the binary. A page's language is the staff account's own when set, else the
//! browser's Accept-Language, else English. Labels for stable codes (reasons, case statuses, roles, error codes)
//! are looked up by the code itself, so the catalogues and the code tables cannot drift apart unnoticed (tests).

mod catalogue;
mod negotiate;

use crate::domain::Reason;
use crate::store::cases::CaseStatus;

pub use negotiate::from_accept_language;

/// A language the catalogues cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
    Kk,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Kk];

    /// The BCP 47 tag, as in `<html lang>` and as stored for an account.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Kk => "kk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(s))
    }

    /// The language's name in itself, for a language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
            Lang::Kk => "Қазақша",
        }
    }

    /// Message `key`; English when this catalogue lacks it, the key itself when English does too.
    pub fn text(self, key: &str) -> String {
        catalogue::text(self, key)
    }

    /// A reason code as analysts read it.
    pub fn reason(self, reason: Reason) -> String {
        self.text(&format!("reason-{}", reason_code(reason)))
    }

    /// What the applicant is asked to do for a reason that means "retake the photo"; `None` for other reasons.
    pub fn retake_hint(self, reason: Reason) -> Option<String> {
        let key = format!("hint-{}", reason_code(reason));
        catalogue::has(Lang::En, &key).then(|| self.text(&key))
    }

    pub fn case_status(self, status: CaseStatus) -> String {
        self.text(&format!("status-{}", status.as_str()))
    }

    /// The message an error page shows for a stable error code (`crate::error::ErrorCode::as_str`).
    pub fn error_message(self, code: &str) -> String {
        self.text(&format!("error-{code}"))
    }

    /// A role (`crate::policy::Role::as_str`).
    pub fn role(self, role: &str) -> String {
        self.text(&format!("role-{role}"))
    }
}

/// The reason's stable code (its serde name).
pub fn reason_code(reason: Reason) -> String {
    serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
