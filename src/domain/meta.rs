//! The JSON `meta` part of a verification request.

use serde::Deserialize;

use super::reference::{ApplicantRef, ConsentRef, Purpose};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    #[error("meta is not a JSON object with applicant_ref, purpose and consent_ref (and nothing else)")]
    Malformed,
    #[error("meta.{0} must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")]
    BadReference(&'static str),
    #[error("purpose is not permitted: biometric data is processed only for identification and anti_fraud")]
    PurposeNotPermitted,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    applicant_ref: String,
    purpose: String,
    consent_ref: String,
}

#[derive(Debug, Clone)]
pub struct VerificationMeta {
    pub applicant_ref: ApplicantRef,
    pub purpose: Purpose,
    pub consent_ref: ConsentRef,
}

impl VerificationMeta {
    pub fn parse(json: &[u8]) -> Result<Self, MetaError> {
        let raw: RawMeta = serde_json::from_slice(json).map_err(|_| MetaError::Malformed)?;
        Ok(Self {
            applicant_ref: ApplicantRef::parse(&raw.applicant_ref)
                .map_err(|_| MetaError::BadReference("applicant_ref"))?,
            purpose: Purpose::parse(&raw.purpose).ok_or(MetaError::PurposeNotPermitted)?,
            consent_ref: ConsentRef::parse(&raw.consent_ref).map_err(|_| MetaError::BadReference("consent_ref"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_meta() {
        let m = VerificationMeta::parse(br#"{"applicant_ref":"A1","purpose":"anti_fraud","consent_ref":"C1"}"#)
            .expect("valid");
        assert_eq!(m.purpose, Purpose::AntiFraud);
        assert_eq!(m.applicant_ref.expose(), "A1");
    }

    #[test]
    fn rejects_missing_unknown_and_invalid_fields() {
        let cases: [(&[u8], MetaError); 6] = [
            (b"", MetaError::Malformed),
            (b"[]", MetaError::Malformed),
            (br#"{"applicant_ref":"A1","purpose":"identification"}"#, MetaError::Malformed),
            (br#"{"applicant_ref":"A1","purpose":"identification","consent_ref":"C","x":1}"#, MetaError::Malformed),
            (
                br#"{"applicant_ref":"A 1","purpose":"identification","consent_ref":"C"}"#,
                MetaError::BadReference("applicant_ref"),
            ),
            (br#"{"applicant_ref":"A1","purpose":"marketing","consent_ref":"C"}"#, MetaError::PurposeNotPermitted),
        ];
        for (input, want) in cases {
            assert_eq!(VerificationMeta::parse(input).map(|_| ()), Err(want));
        }
    }

    #[test]
    fn errors_never_echo_the_input() {
        let err =
            VerificationMeta::parse(br#"{"applicant_ref":"SECRET NAME","purpose":"identification","consent_ref":"C"}"#)
                .expect_err("invalid");
        assert!(!err.to_string().contains("SECRET"));
    }
}
