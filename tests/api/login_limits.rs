//! Sign-in hardening: the bound on concurrent password hashing, per-address and per-username limits (unknown names
//! alike), one answer after the same work for every failure, and a lockout per account and client address that
//! keeps a guesser out without keeping the account's owner out.

use faceverify::auth::{Lockout, Totp, TOTP_STEP_SECS};
use faceverify::policy::Role;
use faceverify::store::lockout::record_failed_login;

use crate::helpers::{assert_error, spawn_app_with, TestApp};

const PASSWORD: &str = "correct horse battery staple";

async fn staff(app: &TestApp, username: &str) -> Totp {
    faceverify::auth::create_staff(&app.store, &app.kek, username, Role::FraudAnalyst, PASSWORD).await.expect("staff")
}

fn code(totp: &Totp) -> String {
    totp.code_at(time::OffsetDateTime::now_utc().unix_timestamp() as u64 / TOTP_STEP_SECS)
}

async fn body(response: reqwest::Response) -> (u16, Option<String>, serde_json::Value) {
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, retry, response.json().await.expect("json body"))
}

#[tokio::test]
async fn a_login_flood_never_runs_more_password_checks_than_the_bound() {
    let app = spawn_app_with(|s| {
        s.auth.password_checks_in_flight = 2;
        s.auth.address_max_attempts = 10_000;
    })
    .await;
    let (mut answered, mut refused) = (0u64, 0u64);
    // Rounds of 48 parallel sign-ins with unknown names; the first round normally finds the bound full already.
    for round in 0..5 {
        let mut flood = tokio::task::JoinSet::new();
        for i in 0..48 {
            let (client, url) = (app.client.clone(), app.url("/v1/auth/login"));
            let json = serde_json::json!({"username": format!("ghost-{round}-{i}"), "password": "guess", "totp": "1"});
            flood.spawn(async move { body(client.post(url).json(&json).send().await.expect("request")).await });
        }
        while let Some(done) = flood.join_next().await {
            let (status, retry, json) = done.expect("task");
            match status {
                401 => answered += 1,
                503 => {
                    assert_eq!(json["code"], "overloaded", "{json}");
                    assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok()), "503 says when to retry");
                    refused += 1;
                }
                other => panic!("unexpected {other}: {json}"),
            }
        }
        if refused > 0 {
            break;
        }
    }
    let stats = app.login.stats();
    assert!(refused > 0, "a full bound refuses at once instead of queueing");
    assert!(stats.high_water <= 2 && stats.high_water >= 1, "{stats:?}");
    assert_eq!((stats.capacity, stats.in_flight), (2, 0));
    assert_eq!(stats.verifications, answered, "each 401 did one argon2 verification, each 503 none");
}

#[tokio::test]
async fn too_many_attempts_from_one_address_get_429_with_retry_after() {
    let app = spawn_app_with(|s| s.auth.address_max_attempts = 3).await;
    let totp = staff(&app, "ana").await;
    for name in ["ana", "bob", "carl"] {
        assert_error(app.login(name, "guess", "123456").await, 401, "invalid_credentials").await;
    }
    let before = app.login.stats().verifications;
    let (status, retry, json) = body(app.login("ana", PASSWORD, &code(&totp)).await).await;
    assert_eq!((status, json["code"].as_str()), (429, Some("too_many_attempts")), "{json}");
    let wait: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=200).contains(&wait), "one attempt per 200 s refills: {wait}");
    assert_eq!(app.login.stats().verifications, before, "refused before any password work");
}

#[tokio::test]
async fn an_unknown_name_is_limited_exactly_like_a_real_one() {
    let app = spawn_app_with(|s| {
        s.auth.username_max_attempts = 3;
        s.auth.max_failed_logins = 100;
    })
    .await;
    staff(&app, "ana").await;
    let mut answers = Vec::new();
    for name in ["ana", "ghost"] {
        for _ in 0..3 {
            assert_error(app.login(name, "guess", "123456").await, 401, "invalid_credentials").await;
        }
        let (status, retry, json) = body(app.login(name, "guess", "123456").await).await;
        assert_eq!(status, 429, "{name}: {json}");
        answers.push((retry.is_some(), json));
    }
    assert_eq!(answers[0], answers[1], "the same answer whether the account exists or not");
    assert_error(app.login("bob", "guess", "123456").await, 401, "invalid_credentials").await;
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let forwarded = |app: &TestApp, from: &str| {
        let json = serde_json::json!({"username": "nobody", "password": "guess", "totp": "1"});
        app.client.post(app.url("/v1/auth/login")).header("X-Forwarded-For", from).json(&json).send()
    };
    let proxied = spawn_app_with(|s| {
        s.auth.address_max_attempts = 2;
        s.auth.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    for _ in 0..2 {
        assert_error(forwarded(&proxied, "203.0.113.1").await.expect("request"), 401, "invalid_credentials").await;
    }
    assert_error(forwarded(&proxied, "203.0.113.1").await.expect("request"), 429, "too_many_attempts").await;
    assert_error(forwarded(&proxied, "203.0.113.2").await.expect("request"), 401, "invalid_credentials").await;

    let direct = spawn_app_with(|s| s.auth.address_max_attempts = 2).await;
    for from in ["203.0.113.1", "203.0.113.2"] {
        assert_error(forwarded(&direct, from).await.expect("request"), 401, "invalid_credentials").await;
    }
    let spoofed = forwarded(&direct, "203.0.113.3").await.expect("request");
    assert_error(spoofed, 429, "too_many_attempts").await;
}

#[tokio::test]
async fn every_failure_gives_one_answer_after_one_password_verification() {
    let app = spawn_app_with(|_| {}).await;
    let ana = staff(&app, "ana").await;
    let gone = staff(&app, "gone").await;
    faceverify::cli::admin::disable_staff(&app.store, "gone").await.expect("disable");
    let ok = app.login("ana", PASSWORD, &code(&ana)).await;
    assert_eq!(ok.status().as_u16(), 200);
    let cases = [
        ("unknown user", "nobody", PASSWORD, code(&ana)),
        ("wrong password", "ana", "wrong password", code(&ana)),
        ("wrong code", "ana", PASSWORD, "000000".to_owned()),
        ("replayed code", "ana", PASSWORD, code(&ana)),
        ("disabled account, right credentials", "gone", PASSWORD, code(&gone)),
    ];
    let mut first = None;
    for (case, username, password, totp) in cases {
        let before = app.login.stats().verifications;
        let answer = body(app.login(username, password, &totp).await).await;
        assert_eq!(app.login.stats().verifications, before + 1, "{case}: exactly one argon2 verification");
        assert_eq!(answer.0, 401, "{case}");
        assert_eq!(answer, *first.get_or_insert_with(|| answer.clone()), "{case}: the same answer");
    }
}

#[tokio::test]
async fn the_lockout_is_capped_and_one_failure_after_it_expires_does_not_relock() {
    let app = spawn_app_with(|_| {}).await;
    staff(&app, "ana").await;
    let policy = Lockout { threshold: 3, base_secs: 60, max_secs: 150 };
    let mut pooled = app.store.acquire().await.expect("connection");
    let conn: &mut sqlx::AnyConnection = &mut pooled;
    let t = 1_000_000;
    let mut fails = Vec::new();
    for at in [t, t + 1, t + 2] {
        fails.push(record_failed_login(conn, "ana", at, policy).await.expect("record"));
    }
    assert_eq!(fails, [None, None, Some(60)]);
    for s in 3..60 {
        let extended = record_failed_login(conn, "ana", t + s, policy).await.expect("record");
        assert_eq!(extended, None, "attempts while locked neither count nor extend");
    }
    let once = record_failed_login(conn, "ana", t + 62, policy).await.expect("record");
    assert_eq!(once, None, "one failure after expiry does not lock again");
    let mut fails = Vec::new();
    for at in [t + 63, t + 64] {
        fails.push(record_failed_login(conn, "ana", at, policy).await.expect("record"));
    }
    assert_eq!(fails, [None, Some(120)], "three fresh ones do, for longer");
    let after = t + 64 + 120;
    let mut fails = Vec::new();
    for _ in 0..3 {
        fails.push(record_failed_login(conn, "ana", after, policy).await.expect("record"));
    }
    assert_eq!(fails, [None, None, Some(150)], "doubling is capped");
    assert_eq!(record_failed_login(conn, "ana", after + 150, policy).await.expect("record"), None);
    assert_eq!(record_failed_login(conn, "nobody", t, policy).await.expect("record"), None);
    drop(pooled);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM staff_users WHERE username = 'ana' AND lockouts = 3").await, 1);
}

#[tokio::test]
async fn a_lockout_raises_a_security_event_naming_the_account_for_the_dpo() {
    let app = spawn_app_with(|s| s.auth.max_failed_logins = 2).await;
    staff(&app, "ana").await;
    for _ in 0..2 {
        assert_error(app.login("ana", "guess", "123456").await, 401, "invalid_credentials").await;
    }
    assert_error(app.login("ana", "guess", "123456").await, 429, "too_many_attempts").await;
    let named = "SELECT COUNT(*) FROM security_events WHERE kind = 'repeated_failed_logins'
                 AND detail LIKE 'staff account ana had 2 consecutive failed logins%'";
    assert_eq!(app.sql_count(named).await, 1, "one event for one lockout, naming the account");
}

#[tokio::test]
async fn an_outsider_locks_only_their_own_address_out_of_an_account() {
    // Defaults: 5 attempts per address and account, 10 per username, 20 per address.
    let app = spawn_app_with(|s| s.auth.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let totp = staff(&app, "ana").await;
    let from = |address: &'static str, password: &str, code: &str| {
        let json = serde_json::json!({"username": "ana", "password": password, "totp": code});
        app.client.post(app.url("/v1/auth/login")).header("X-Forwarded-For", address).json(&json).send()
    };
    for _ in 0..5 {
        assert_error(from("198.51.100.7", "guess", "123456").await.expect("request"), 401, "invalid_credentials").await;
    }
    for _ in 0..10 {
        let locked = from("198.51.100.7", PASSWORD, &code(&totp)).await.expect("request");
        assert_error(locked, 429, "too_many_attempts").await;
    }
    let owner = from("203.0.113.5", PASSWORD, &code(&totp)).await.expect("request");
    assert_eq!(owner.status().as_u16(), 200, "the owner, from another address, still signs in");
    let event = "SELECT COUNT(*) FROM security_events WHERE kind = 'repeated_failed_logins'
                 AND detail LIKE 'staff account ana %'";
    assert_eq!(app.sql_count(event).await, 1, "the DPO still hears of it");
}
