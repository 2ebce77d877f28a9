//! The applicant's capture page for a liveness session: `GET /capture/{session_id}` (the capture token travels in
//! the URL fragment, so it never reaches this request), its script `GET /capture/app.js` and style
//! `GET /capture/app.css`. The page holds no personal data: it is served for any well-formed session id, and the
//! script itself asks the API for the challenge (`GET /v1/liveness/sessions/{id}/challenge`) and posts the frames
//! (`POST /v1/liveness/sessions/{id}/frames`), both with `Authorization: Capture <token>`. No external assets; a
//! strict CSP (scripts and styles from this origin only, no inline code); texts in English, Russian or Kazakh from
//! Accept-Language (locales/*/capture.ftl).

mod page;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
use crate::i18n::{self, Lang};
use page::CapturePage;

/// The page's Content-Security-Policy: nothing but this origin's script and style, the camera stream and the
/// frames' blobs; no framing, no forms, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/capture")
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add(("Permissions-Policy", "camera=(self), microphone=(), geolocation=()"))
                    .add(("Cross-Origin-Opener-Policy", "same-origin"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            // The assets first: `{session_id}` would match their names too.
            .service(web::resource("/app.js").route(web::get().to(script)).default_service(get_only()))
            .service(web::resource("/app.css").route(web::get().to(style)).default_service(get_only()))
            .service(web::resource("/{session_id}").route(web::get().to(capture_page)).default_service(get_only())),
    );
}

/// 405 with `Allow: GET` (the body becomes the usual `{code, message}` in `http::edges::finish`).
fn get_only() -> actix_web::Route {
    web::to(|| async { HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, "GET")).finish() })
}

async fn script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(SCRIPT)
}

async fn style() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(STYLE)
}

/// A session id as the API issues it: a hyphenated UUID (36 characters). Anything else is no session.
fn session_id(raw: &str) -> Option<Uuid> {
    (raw.len() == 36).then(|| Uuid::try_parse(raw).ok()).flatten()
}

async fn capture_page(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path).ok_or(ApiError::new(ErrorCode::NotFound, "no such resource"))?;
    let t = language(&req);
    let body = CapturePage::new(t, id).render().map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// The browser's language (as the console's pages before sign-in): Accept-Language, English when none of ours.
fn language(req: &HttpRequest) -> Lang {
    i18n::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_uuids_are_session_ids() {
        let id = Uuid::new_v4();
        assert_eq!(session_id(&id.to_string()), Some(id));
        assert_eq!(session_id(&id.to_string().to_uppercase()), Some(id));
        for bad in [
            String::new(),
            "app.js".to_owned(),
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
            format!("{id}x"),
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz".to_owned(),
        ] {
            assert_eq!(session_id(&bad), None, "{bad}");
        }
    }

    #[test]
    fn every_text_the_script_uses_is_in_every_catalogue() {
        for lang in Lang::ALL {
            for key in page::SCRIPT_TEXTS {
                let text = lang.text(&format!("capture-{key}"));
                assert!(!text.starts_with("capture-"), "{}: no capture-{key}", lang.code());
            }
        }
        // And the script asks for no text the page does not carry: every `t("key")` call (not `get("…")`), and
        // every family of keys it builds (`t(`error-${kind}`)`).
        let mut calls = 0;
        for (at, _) in SCRIPT.match_indices("t(\"") {
            let before = SCRIPT[..at].chars().next_back().unwrap_or(' ');
            if before.is_alphanumeric() || matches!(before, '_' | '.' | '$') {
                continue;
            }
            let key = SCRIPT[at + 3..].split('"').next().unwrap_or_default();
            assert!(page::SCRIPT_TEXTS.contains(&key), "app.js uses t(\"{key}\"), which the page does not carry");
            calls += 1;
        }
        assert!(calls >= 8, "only {calls} t(\"…\") calls found: the scan is broken");
        for family in ["error-", "action-"] {
            assert!(SCRIPT.contains(&format!("t(`{family}${{")), "app.js builds no {family} key");
            assert!(page::SCRIPT_TEXTS.iter().any(|k| k.starts_with(family)), "no {family} texts");
        }
    }
}
