//! Any bytes through the request parsers that see client input before authentication completes: the verification
//! `meta` JSON, bearer tokens and applicant references. No panic; references round-trip and never print.
//! (Error messages are fixed strings per variant: an earlier "never echoes the input" check only found the fuzzer
//! typing the fixed message itself.)
#![no_main]

use faceverify::auth::TokenKind;
use faceverify::domain::{ApplicantRef, VerificationMeta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = VerificationMeta::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TokenKind::parse(text);
        if let Ok(r) = ApplicantRef::parse(text) {
            assert_eq!(r.expose(), text);
            assert_eq!(format!("{r:?}"), "ApplicantRef(<redacted>)");
        }
    }
});
