//! Ending access: `accounts revoke` (API keys), `accounts disable` (staff, with their sessions), `accounts unlock`,
//! and the absolute session lifetime.

use faceverify::auth::TOTP_STEP_SECS;
use faceverify::cli::admin;
use faceverify::policy::Role;

use crate::helpers::{assert_error, spawn_app_with, TestApp};

const PASSWORD: &str = "correct horse battery staple";

async fn export(app: &TestApp, token: &str) -> reqwest::Response {
    let request = app.client.get(app.url("/v1/audit/export")).bearer_auth(token).header("X-Purpose", "anti_fraud");
    request.send().await.expect("request")
}

async fn audited(app: &TestApp, action: &str, subject: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND actor = 'operator' AND subject_ref = '{subject}'"
    );
    app.sql_count(&sql).await
}

#[tokio::test]
async fn a_disabled_account_s_open_session_stops_working_at_once() {
    let app = spawn_app_with(|_| {}).await;
    let token = app.staff_session("aud", Role::Auditor).await;
    assert_eq!(export(&app, &token).await.status().as_u16(), 200);
    let said = admin::disable_staff(&app.store, "aud").await.expect("disable");
    assert!(said.contains("1 session(s) ended"), "{said}");
    assert_error(export(&app, &token).await, 401, "unauthenticated").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM sessions").await, 0, "deleted with the account's disabling");
    assert_eq!(audited(&app, "disable_account", "staff:aud").await, 1);
    assert!(admin::disable_staff(&app.store, "aud").await.is_err(), "already disabled");
    assert!(admin::disable_staff(&app.store, "nobody").await.is_err());
}

#[tokio::test]
async fn a_session_of_an_account_disabled_behind_its_back_is_refused_too() {
    let app = spawn_app_with(|_| {}).await;
    let token = app.staff_session("aud", Role::Auditor).await;
    // As if a sign-in had raced the disabling and written its session afterwards.
    app.sql_exec("UPDATE staff_users SET disabled_at = '2026-12-02T00:00:00.000000Z' WHERE username = 'aud'").await;
    assert_error(export(&app, &token).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_revoked_api_key_is_refused_at_once() {
    let app = spawn_app_with(|_| {}).await;
    let read =
        || app.client.get(app.url("/v1/consents/none")).bearer_auth(&app.api_key).header("X-Purpose", "identification");
    assert_error(read().send().await.expect("request"), 404, "not_found").await;
    let key_id = &app.api_key["fvk_".len().."fvk_".len() + 16];
    admin::revoke_key(&app.store, key_id).await.expect("revoke");
    assert_error(read().send().await.expect("request"), 401, "unauthenticated").await;
    assert_eq!(audited(&app, "revoke_key", &format!("api_key:{key_id}")).await, 1);
    assert!(admin::revoke_key(&app.store, key_id).await.is_err(), "already revoked");
}

#[tokio::test]
async fn unlock_clears_the_lockout_and_the_username_limit() {
    let app = spawn_app_with(|s| {
        s.auth.max_failed_logins = 2;
        s.auth.username_max_attempts = 2;
    })
    .await;
    let totp =
        faceverify::auth::create_staff(&app.store, &app.kek, "ana", Role::FraudAnalyst, PASSWORD).await.expect("staff");
    for _ in 0..2 {
        assert_error(app.login("ana", "guess", "123456").await, 401, "invalid_credentials").await;
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = totp.code_at(now / TOTP_STEP_SECS);
    assert_error(app.login("ana", PASSWORD, &code).await, 429, "too_many_attempts").await;
    admin::unlock_staff(&app.store, "ana").await.expect("unlock");
    assert_eq!(app.login("ana", PASSWORD, &code).await.status().as_u16(), 200, "locked out no more");
    assert_eq!(audited(&app, "unlock_account", "staff:ana").await, 1);
    assert!(admin::unlock_staff(&app.store, "nobody").await.is_err());
}

#[tokio::test]
async fn sessions_end_at_their_absolute_lifetime_however_active() {
    let app = spawn_app_with(|s| {
        s.auth.session_ttl_secs = 60;
        s.auth.session_max_lifetime_secs = 120;
    })
    .await;
    let token = app.staff_session("aud", Role::Auditor).await;
    app.sql_exec("UPDATE sessions SET created_at = created_at - 100").await;
    assert_eq!(export(&app, &token).await.status().as_u16(), 200);
    let capped = "SELECT COUNT(*) FROM sessions WHERE expires_at = created_at + 120";
    assert_eq!(app.sql_count(capped).await, 1, "sliding stops at the absolute end");
    app.sql_exec("UPDATE sessions SET created_at = created_at - 30, expires_at = expires_at + 600").await;
    assert_error(export(&app, &token).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_cli_disables_an_account() {
    let app = spawn_app_with(|_| {}).await;
    let token = app.staff_session("aud", Role::Auditor).await;
    let out = app.cli(&["accounts", "disable", "aud"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabled"));
    assert_error(export(&app, &token).await, 401, "unauthenticated").await;
    let again = app.cli(&["accounts", "disable", "aud"]);
    assert!(!again.status.success(), "nothing to disable: exit status 1");
}
