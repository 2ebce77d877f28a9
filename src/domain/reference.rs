//! Opaque references supplied by the onboarding client, and the declared processing purpose.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")]
    Malformed,
}

fn parse_reference(s: &str) -> Result<String, ReferenceError> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then(|| s.to_owned()).ok_or(ReferenceError::Malformed)
}

macro_rules! reference_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, ReferenceError> {
                parse_reference(s).map(Self)
            }

            /// The raw value, for storage. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }
    };
}

reference_type!(
    /// The lender's reference for the applicant (personal data: it identifies a person in the lender's systems).
    ApplicantRef
);
reference_type!(
    /// The reference of the consent record under which the biometric processing happens.
    ConsentRef
);

/// Why biometric data is processed. Policy §6 allows exactly these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Purpose {
    Identification,
    AntiFraud,
}

impl Purpose {
    /// `None` for any purpose the policy does not permit.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "identification" => Some(Self::Identification),
            "anti_fraud" => Some(Self::AntiFraud),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identification => "identification",
            Self::AntiFraud => "anti_fraud",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_accept_plain_identifiers() {
        for ok in ["A-1", "loan:2026:000123", "x", &"a".repeat(128)] {
            assert!(ApplicantRef::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn references_reject_empty_long_and_odd_characters() {
        for bad in ["", " ", "a b", "<script>", "имя", "a/b", &"a".repeat(129)] {
            assert_eq!(ConsentRef::parse(bad), Err(ReferenceError::Malformed), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_value() {
        let r = ApplicantRef::parse("IIN-900101300123").expect("valid");
        assert_eq!(format!("{r:?}"), "ApplicantRef(<redacted>)");
    }

    #[test]
    fn only_two_purposes_are_permitted() {
        assert_eq!(Purpose::parse("identification"), Some(Purpose::Identification));
        assert_eq!(Purpose::parse("anti_fraud"), Some(Purpose::AntiFraud));
        for other in ["marketing", "Identification", "", "scoring"] {
            assert_eq!(Purpose::parse(other), None);
        }
    }
}
