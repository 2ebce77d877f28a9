//! The console's defences against cross-site requests. Form tokens are HMAC-SHA256 under a key derived from the
//! KEK (`Kek::derive("faceverify/csrf/v1")`): the database holds session digests, so an unkeyed hash of one would
//! be forgeable by anyone who can read it, and every replica with the same KEK computes the same token.
//! Before sign-in there is no session: the login form's token is bound to a random nonce in a short-lived cookie
//! (signed double submit). And every POST must come from this origin when the browser says where it comes from
//! (`Origin`, `Sec-Fetch-Site`).

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::HttpRequest;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::digests_equal;
use crate::error::{ApiError, ErrorCode};
use crate::vault::Kek;

const LABEL: &str = "faceverify/csrf/v1";
pub(super) const LOGIN_COOKIE: &str = "fv_login";
const LOGIN_PATH: &str = "/console/login";
const LOGIN_COOKIE_SECS: i64 = 600;

/// HMAC-SHA256(derive(KEK), `purpose` 0 `value`), hex.
fn token(kek: &Kek, purpose: &str, value: &str) -> String {
    let key = kek.derive(LABEL);
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key[..]) else {
        return String::new(); // unreachable: HMAC takes keys of any length
    };
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn refused() -> ApiError {
    ApiError::new(ErrorCode::CsrfFailed, "missing or wrong CSRF token: reload the page and try again")
}

/// The token of a session's forms (`session_digest` is what the database stores for the session).
pub(super) fn session_token(kek: &Kek, session_digest: &str) -> String {
    token(kek, "session", session_digest)
}

pub(super) fn check_session(kek: &Kek, session_digest: Option<&str>, presented: &str) -> Result<(), ApiError> {
    match session_digest {
        Some(digest) if !presented.is_empty() && digests_equal(&session_token(kek, digest), presented) => Ok(()),
        _ => Err(refused()),
    }
}

/// The login form's nonce: the one the browser already holds (so two tabs both work), else a new random one.
pub(super) fn login_nonce(req: &HttpRequest) -> String {
    let held = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    held.filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit())).unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        // Without OS randomness nothing else works either; a zero nonce still needs the keyed token.
        let _ = getrandom::getrandom(&mut bytes);
        hex::encode(bytes)
    })
}

/// The cookie carrying the login nonce: scoped to the login path, HttpOnly, SameSite=Strict, ten minutes
/// (`max_age` 0 clears it after sign-in).
pub(super) fn login_cookie(nonce: String, secure: bool, max_age: Option<i64>) -> Cookie<'static> {
    Cookie::build(LOGIN_COOKIE, nonce)
        .path(LOGIN_PATH)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age.unwrap_or(LOGIN_COOKIE_SECS)))
        .finish()
}

pub(super) fn login_token(kek: &Kek, nonce: &str) -> String {
    token(kek, "login", nonce)
}

/// The login form's token must match the nonce cookie sent with it.
pub(super) fn check_login(kek: &Kek, req: &HttpRequest, presented: &str) -> Result<(), ApiError> {
    match req.cookie(LOGIN_COOKIE) {
        Some(c) if !presented.is_empty() && digests_equal(&login_token(kek, c.value()), presented) => Ok(()),
        _ => Err(refused()),
    }
}

/// A state-changing request must not come from another site. `Sec-Fetch-Site` (which page scripts cannot set)
/// decides when the browser sends it: `same-origin`, or `none` (typed by the user). Else `Origin`, when sent, must
/// name this host; `null` (an opaque origin) is refused. Clients sending neither (not browsers, or old ones) still
/// need the form token.
pub(crate) fn check_origin(req: &HttpRequest) -> Result<(), ApiError> {
    if req.method().is_safe() {
        return Ok(());
    }
    let cross = || ApiError::new(ErrorCode::CsrfFailed, "cross-origin form posts are refused");
    let get = |name| req.headers().get(name).map(|v| v.to_str().unwrap_or(""));
    if let Some(site) = get(header::HeaderName::from_static("sec-fetch-site")) {
        return if matches!(site, "same-origin" | "none") { Ok(()) } else { Err(cross()) };
    }
    if let Some(origin) = get(header::ORIGIN) {
        let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
        let info = req.connection_info();
        if !authority.eq_ignore_ascii_case(info.host()) {
            return Err(cross());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn kek(byte: u8) -> Kek {
        Kek::from_bytes("test", [byte; 32])
    }

    #[test]
    fn session_tokens_are_keyed_by_the_kek_and_bound_to_the_session() {
        let t = session_token(&kek(1), "digest-a");
        assert_eq!(t.len(), 64);
        assert!(check_session(&kek(1), Some("digest-a"), &t).is_ok());
        assert!(check_session(&kek(1), Some("digest-b"), &t).is_err(), "another session");
        assert!(check_session(&kek(2), Some("digest-a"), &t).is_err(), "another key");
        assert!(check_session(&kek(1), None, &t).is_err(), "no session");
        assert!(check_session(&kek(1), Some("digest-a"), "").is_err());
        let unkeyed = crate::auth::sha256_hex(&format!("faceverify/csrf/v1\0{}", "digest-a"));
        assert!(check_session(&kek(1), Some("digest-a"), &unkeyed).is_err(), "the old unkeyed token");
        assert_ne!(login_token(&kek(1), "digest-a"), t, "the two uses are separated");
    }

    #[test]
    fn the_origin_must_be_this_host_when_a_browser_names_it() {
        let post = |headers: &[(&str, &str)]| {
            let mut r = TestRequest::post().uri("/console/logout").insert_header(("host", "fv.example:8080"));
            for (k, v) in headers {
                r = r.insert_header((*k, *v));
            }
            check_origin(&r.to_http_request())
        };
        assert!(post(&[]).is_ok(), "no browser headers");
        assert!(post(&[("origin", "https://fv.example:8080"), ("sec-fetch-site", "same-origin")]).is_ok());
        assert!(post(&[("origin", "https://evil.example")]).is_err());
        assert!(post(&[("origin", "null")]).is_err());
        assert!(post(&[("origin", "http://fv.example:8080")]).is_ok(), "an older browser");
        // Under a no-referrer policy a browser sends Origin: null even to its own site; Sec-Fetch-Site decides.
        assert!(post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]).is_ok());
        assert!(post(&[("sec-fetch-site", "cross-site")]).is_err());
        assert!(post(&[("sec-fetch-site", "same-site")]).is_err());
        let get = TestRequest::get().insert_header(("origin", "https://evil.example")).to_http_request();
        assert!(check_origin(&get).is_ok(), "reading a page is not a state change");
    }
}
