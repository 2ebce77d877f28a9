//! Any bytes through the request parsers that see client input before authentication completes: the verification
//! `meta` JSON, bearer tokens and consent references. Typed errors only, and errors never echo the input.
#![no_main]

use faceverify::auth::TokenKind;
use faceverify::domain::{ApplicantRef, VerificationMeta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = VerificationMeta::parse(data) {
        let message = e.to_string();
        if data.len() > 24 {
            if let Ok(text) = std::str::from_utf8(data) {
                assert!(!message.contains(text), "an error echoed the request");
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TokenKind::parse(text);
        if let Ok(r) = ApplicantRef::parse(text) {
            assert_eq!(r.expose(), text);
            assert_eq!(format!("{r:?}"), "ApplicantRef(<redacted>)");
        }
    }
});
