//! The console's CSRF defences without a browser: the login form's token bound to its nonce cookie, session tokens
//! keyed by the server (the database's session digest is not enough to forge one), and the Origin check.

use faceverify::policy::Role;
use reqwest::{Client, Response};

use crate::helpers::{spawn_app, TestApp};

const PASSWORD: &str = "correct horse battery staple";

pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn set_cookie(response: &Response, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    let cookies = response.headers().get_all("set-cookie");
    cookies
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&prefix).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The value of the page's first hidden `csrf` field.
pub fn form_token(page: &str) -> String {
    let start = page.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    page[start..].split('"').next().expect("value").to_owned()
}

/// Opens the login page: the nonce cookie and the form's token.
pub async fn login_form(app: &TestApp) -> (String, String) {
    let response = client().get(app.url("/console/login")).send().await.expect("request");
    let attributes = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("fv_login="))
        .expect("a login cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console/login", "Max-Age=600"] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    let nonce = set_cookie(&response, "fv_login").expect("nonce");
    (nonce, form_token(&response.text().await.expect("page")))
}

async fn post_login(app: &TestApp, nonce: Option<&str>, fields: &[(&str, String)]) -> Response {
    let mut request = client().post(app.url("/console/login")).form(fields);
    if let Some(nonce) = nonce {
        request = request.header("cookie", format!("fv_login={nonce}"));
    }
    request.send().await.expect("request")
}

async fn assert_refused(response: Response) {
    assert_eq!(response.status().as_u16(), 403);
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"), "the refusal carries the CSP");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
    let page = response.text().await.expect("page");
    assert!(page.contains(r#"id="error-code">csrf_failed<"#), "{page}");
}

#[tokio::test]
async fn the_login_form_needs_its_token_and_the_cookie_it_is_bound_to() {
    let app = spawn_app().await;
    let totp =
        faceverify::auth::create_staff(&app.store, &app.kek, "ana", Role::FraudAnalyst, PASSWORD).await.expect("staff");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = totp.code_at(now / faceverify::auth::TOTP_STEP_SECS);
    let credentials = vec![("username", "ana".to_owned()), ("password", PASSWORD.to_owned()), ("totp", code)];
    let (nonce, token) = login_form(&app).await;
    let (other_nonce, _) = login_form(&app).await;
    assert_ne!(nonce, other_nonce);
    assert_refused(post_login(&app, Some(&nonce), &credentials).await).await;
    let with = |t: &str| [credentials.clone(), vec![("csrf", t.to_owned())]].concat();
    assert_refused(post_login(&app, None, &with(&token)).await).await;
    assert_refused(post_login(&app, Some(&other_nonce), &with(&token)).await).await;
    assert_refused(post_login(&app, Some(&nonce), &with("forged")).await).await;
    let signed_in = post_login(&app, Some(&nonce), &with(&token)).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    assert_eq!(header(&signed_in, "location"), "/console");
    assert!(set_cookie(&signed_in, "fv_session").is_some_and(|s| s.starts_with("fvs_")));
    assert_eq!(set_cookie(&signed_in, "fv_login").as_deref(), Some(""), "the nonce is cleared");
}

#[tokio::test]
async fn session_tokens_are_keyed_and_the_unkeyed_digest_hash_is_refused() {
    let app = spawn_app().await;
    let session = app.staff_session("ana", Role::FraudAnalyst).await;
    let cookie = format!("fv_session={session}");
    let digest = faceverify::auth::sha256_hex(session.strip_prefix("fvs_").expect("session token"));
    let unkeyed = faceverify::auth::sha256_hex(&format!("faceverify/csrf/v1\0{digest}"));
    let logout =
        |csrf: String| client().post(app.url("/console/logout")).header("cookie", &cookie).form(&[("csrf", csrf)]);
    assert_refused(logout(unkeyed.clone()).send().await.expect("request")).await;
    let queue = client().get(app.url("/console")).header("cookie", &cookie).send().await.expect("request");
    let token = form_token(&queue.text().await.expect("page"));
    assert_ne!(token, unkeyed);
    let done = logout(token).send().await.expect("request");
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(header(&done, "location"), "/console/login");
}

#[tokio::test]
async fn console_posts_from_another_origin_are_refused() {
    let app = spawn_app().await;
    let session = app.staff_session("ana", Role::FraudAnalyst).await;
    let cookie = format!("fv_session={session}");
    let queue = client().get(app.url("/console")).header("cookie", &cookie).send().await.expect("request");
    let token = form_token(&queue.text().await.expect("page"));
    let logout = |name: &'static str, value: &str| {
        client()
            .post(app.url("/console/logout"))
            .header("cookie", &cookie)
            .header(name, value)
            .form(&[("csrf", token.as_str())])
            .send()
    };
    assert_refused(logout("origin", "http://evil.example").await.expect("request")).await;
    assert_refused(logout("origin", "null").await.expect("request")).await;
    assert_refused(logout("sec-fetch-site", "cross-site").await.expect("request")).await;
    let own = logout("origin", &app.address).await.expect("request");
    assert_eq!(own.status().as_u16(), 303, "a same-origin post goes through");
}
