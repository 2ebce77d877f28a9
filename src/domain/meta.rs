//! The JSON `meta` part of a verification request.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::reference::{ApplicantRef, ConsentRef, Purpose};
use crate::document::iin::Iin;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    #[error("meta is not a JSON object with applicant_ref, purpose, consent_ref and optionally iin, birth_date and reference_source (and nothing else)")]
    Malformed,
    #[error("meta.{0} must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")]
    BadReference(&'static str),
    #[error("purpose is not permitted: biometric data is processed only for identification and anti_fraud")]
    PurposeNotPermitted,
    #[error("meta.iin must be a Kazakh IIN: 12 digits, a birth date and a valid check digit")]
    BadIin,
    #[error("meta.birth_date must be a date, YYYY-MM-DD")]
    BadBirthDate,
    #[error("meta.reference_source must be 1 to 32 characters of a-z 0-9 _ -")]
    BadReferenceSource,
}

/// Where the client's back end fetched the reference photo from (`gbd_fl`, `finid`, ...): a short name the client
/// chooses, recorded with the verification. Not personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceSource(String);

impl ReferenceSource {
    pub const MAX_LEN: usize = 32;

    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The applicant's birth date as the client states it, kept as the MRZ writes it (YYMMDD). Personal data: zeroed
/// on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BirthDate(Zeroizing<String>);

impl BirthDate {
    pub fn parse(s: &str) -> Option<Self> {
        let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
        let yymmdd = format!("{:02}{:02}{:02}", date.year().rem_euclid(100), u8::from(date.month()), date.day());
        Some(Self(Zeroizing::new(yymmdd)))
    }

    pub fn yymmdd(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BirthDate(<redacted>)")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    applicant_ref: String,
    purpose: String,
    consent_ref: String,
    iin: Option<Zeroizing<String>>,
    birth_date: Option<Zeroizing<String>>,
    reference_source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VerificationMeta {
    pub applicant_ref: ApplicantRef,
    pub purpose: Purpose,
    pub consent_ref: ConsentRef,
    /// Optional: compared with the document's machine-readable zone, never stored.
    pub iin: Option<Iin>,
    pub birth_date: Option<BirthDate>,
    /// Required with a `reference` part, refused without one: where the reference photo came from.
    pub reference_source: Option<ReferenceSource>,
}

impl VerificationMeta {
    pub fn parse(json: &[u8]) -> Result<Self, MetaError> {
        let raw: RawMeta = serde_json::from_slice(json).map_err(|_| MetaError::Malformed)?;
        Ok(Self {
            applicant_ref: ApplicantRef::parse(&raw.applicant_ref)
                .map_err(|_| MetaError::BadReference("applicant_ref"))?,
            purpose: Purpose::parse(&raw.purpose).ok_or(MetaError::PurposeNotPermitted)?,
            consent_ref: ConsentRef::parse(&raw.consent_ref).map_err(|_| MetaError::BadReference("consent_ref"))?,
            iin: raw.iin.as_deref().map(|s| Iin::parse(s).ok_or(MetaError::BadIin)).transpose()?,
            birth_date: raw
                .birth_date
                .as_deref()
                .map(|s| BirthDate::parse(s).ok_or(MetaError::BadBirthDate))
                .transpose()?,
            reference_source: raw
                .reference_source
                .as_deref()
                .map(|s| ReferenceSource::parse(s).ok_or(MetaError::BadReferenceSource))
                .transpose()?,
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
    fn reference_sources_are_short_lowercase_names() {
        let parse = |source: &str| {
            let json = format!(
                r#"{{"applicant_ref":"A1","purpose":"identification","consent_ref":"C","reference_source":"{source}"}}"#
            );
            VerificationMeta::parse(json.as_bytes()).map(|m| m.reference_source.map(|s| s.as_str().to_owned()))
        };
        assert_eq!(parse("gbd_fl"), Ok(Some("gbd_fl".to_owned())));
        assert_eq!(parse("fin-id2"), Ok(Some("fin-id2".to_owned())));
        assert_eq!(parse(&"a".repeat(32)).map(|s| s.map(|s| s.len())), Ok(Some(32)));
        for bad in ["", "GBD", "gbd fl", "gbd.fl", "цоид", &"a".repeat(33)] {
            assert_eq!(parse(bad), Err(MetaError::BadReferenceSource), "{bad:?}");
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
