//! The console's dashboard: per-day verification counts by decision with the spoof, duplicate and review rates,
//! the queue now and the analysts' overturns, read from the SVG's `data-*` attributes (numbers, not pixels), in
//! English and Russian; only staff who may read cases see it, and the view is audited.

use faceverify::policy::Role;
use serde_json::Value;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::console_csrf::client;
use crate::helpers::{face, require_shared, spawn_app, tiny_jpeg, TestApp};

/// The case opened for verification `v` (through the API, as an analyst).
async fn case_of(app: &TestApp, token: &str, v: &Value) -> String {
    let list = staff_json(app, token, "/v1/cases?limit=200").await;
    let item = list["items"].as_array().expect("items").iter().find(|c| c["verification_id"] == v["verification_id"]);
    item.expect("a case for the verification")["case_id"].as_str().expect("id").to_owned()
}

async fn decide(app: &TestApp, token: &str, case: &str, outcome: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/v1/cases/{case}/decision")))
        .bearer_auth(token)
        .header("X-Purpose", "anti_fraud")
        .json(&serde_json::json!({ "outcome": outcome, "comment": "checked" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200, "{outcome}");
    response.json().await.expect("json")
}

async fn staff_json(app: &TestApp, token: &str, path: &str) -> Value {
    let request = app.client.get(app.url(path)).bearer_auth(token).header("X-Purpose", "anti_fraud");
    let response = request.send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.expect("json")
}

async fn dashboard(app: &TestApp, cookie: Option<&str>, accept: &str) -> reqwest::Response {
    let mut request = client().get(app.url("/console/dashboard")).header("accept-language", accept);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("request")
}

fn day(back: i64) -> String {
    let d = OffsetDateTime::now_utc().date() - Duration::days(back);
    d.format(format_description!("[year]-[month]-[day]")).expect("day")
}

/// The `data-count` of the element whose attributes start with `attrs`; 0 when the page has none (no bar drawn).
fn count(page: &str, attrs: &str) -> i64 {
    let Some(at) = page.find(attrs) else { return 0 };
    let rest = &page[at + attrs.len()..];
    let rest = &rest[rest.find("data-count=\"").expect("a count") + "data-count=\"".len()..];
    rest[..rest.find('"').expect("quote")].parse().expect("a number")
}

fn bar(page: &str, chart: &str, day: &str, series: &str) -> i64 {
    count(page, &format!(r#"data-chart="{chart}" data-day="{day}" data-series="{series}""#))
}

fn cell(page: &str, id: &str) -> i64 {
    count(page, &format!(r#"id="{id}""#))
}

#[tokio::test]
async fn the_dashboard_counts_decisions_rates_the_queue_and_overturns_per_day() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let first = app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(first["decision"], "match", "{first}");
    let duplicate = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(duplicate["decision"], "review", "{duplicate}");
    let mut unusable = Vec::new();
    for subject in ["APP-1", "APP-2", "APP-3", "APP-OLD"] {
        unusable.push(app.verified(subject, tiny_jpeg(), tiny_jpeg()).await);
    }
    assert!(unusable.iter().all(|v| v["decision"] == "rejected"), "{unusable:?}");

    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    let cleared = case_of(&app, &analyst, &unusable[0]).await;
    assert_eq!(decide(&app, &analyst, &cleared, "clear").await["outcome"], "cleared");
    let confirmed = case_of(&app, &analyst, &unusable[1]).await;
    decide(&app, &analyst, &confirmed, "confirm_fraud").await;
    assert_eq!(decide(&app, &supervisor, &confirmed, "confirm_fraud").await["outcome"], "confirmed_fraud");
    let pending = case_of(&app, &analyst, &unusable[2]).await;
    assert_eq!(decide(&app, &analyst, &pending, "confirm_fraud").await["status"], "pending_signoff");
    // The match two days ago, one verification outside the window, the duplicate's case opened three hours ago.
    let at = |back: i64| format!("{}T10:00:00.000000Z", day(back));
    let id = |v: &Value| v["verification_id"].as_str().expect("id").to_owned();
    app.sql_exec(&format!("UPDATE verifications SET created_at = '{}' WHERE id = '{}'", at(2), id(&first))).await;
    app.sql_exec(&format!("UPDATE verifications SET created_at = '{}' WHERE id = '{}'", at(40), id(&unusable[3])))
        .await;
    let opened = OffsetDateTime::now_utc() - Duration::hours(3);
    let opened = faceverify::store::timestamp(opened).expect("timestamp");
    app.sql_exec(&format!("UPDATE cases SET created_at = '{opened}' WHERE verification_id = '{}'", id(&duplicate)))
        .await;

    let cookie = format!("fv_session={analyst}");
    for (accept, lang, known) in [
        ("en", "en", ["Dashboard", "Verifications per day by decision", "Overturn rate"]),
        ("ru-RU,ru;q=0.9", "ru", ["Сводка", "Проверки по дням и решениям", "Доля отмен"]),
    ] {
        let response = dashboard(&app, Some(&cookie), accept).await;
        assert_eq!(response.status().as_u16(), 200);
        let page = response.text().await.expect("page");
        assert!(page.contains(&format!(r#"<html lang="{lang}">"#)), "{lang}: {page}");
        for text in known {
            assert!(page.contains(text), "{lang}: no {text:?}");
        }
        assert!(page.contains(r#"href="/console/dashboard""#), "the nav links the dashboard");
        let (today, before) = (day(0), day(2));
        assert_eq!(bar(&page, "decisions", &before, "match"), 1, "{page}");
        assert_eq!(bar(&page, "decisions", &today, "match"), 0);
        assert_eq!(bar(&page, "decisions", &today, "review"), 1);
        assert_eq!(bar(&page, "decisions", &today, "rejected"), 3, "the one 40 days old is outside the window");
        assert_eq!(bar(&page, "rates", &today, "duplicate"), 1);
        assert_eq!(bar(&page, "rates", &today, "review"), 1);
        assert_eq!(bar(&page, "rates", &today, "spoof"), 0);
        assert!(page.contains(&format!(r#"data-day="{today}" data-series="duplicate" data-count="1" data-total="4""#)));
        assert_eq!((bar(&page, "closed", &today, "cleared"), bar(&page, "closed", &today, "confirmed_fraud")), (1, 1));
        assert_eq!(cell(&page, "total"), 5);
        assert_eq!((cell(&page, "open"), cell(&page, "pending")), (2, 1), "the duplicate's and APP-OLD's");
        assert_eq!((cell(&page, "cleared"), cell(&page, "confirmed")), (1, 1));
        assert!(page.contains(r#"id="overturn-rate">50.0 %<"#), "{page}");
        let age = page.split(r#"data-age-secs=""#).nth(1).and_then(|s| s.split('"').next()).expect("age");
        let age: i64 = age.parse().expect("seconds");
        assert!((3 * 3600..3 * 3600 + 600).contains(&age), "oldest open case: {age} s");
        for private in ["APP-A", "APP-B", "APP-1", &id(&first), &cleared] {
            assert!(!page.contains(private), "no personal data or case ids on the dashboard");
        }
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'view_dashboard'").await, 2);
}

#[tokio::test]
async fn only_staff_who_read_cases_see_the_dashboard() {
    let app = spawn_app().await;
    let anonymous = dashboard(&app, None, "en").await;
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(anonymous.headers()["location"], "/console/login");
    let onboarding = client()
        .get(app.url("/console/dashboard"))
        .bearer_auth(&app.api_key)
        .header("cookie", format!("fv_session={}", app.api_key))
        .send()
        .await
        .expect("request");
    assert_eq!(onboarding.status().as_u16(), 303, "the onboarding client is no analyst");
    let auditor = app.staff_session("aud", Role::Auditor).await;
    let refused = dashboard(&app, Some(&format!("fv_session={auditor}")), "en").await;
    assert_eq!(refused.status().as_u16(), 303, "an auditor may not read cases");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'view_dashboard'").await, 0);
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let empty = dashboard(&app, Some(&format!("fv_session={analyst}")), "kk").await;
    assert_eq!(empty.status().as_u16(), 200);
    let page = empty.text().await.expect("page");
    assert!(page.contains(r#"<html lang="kk">"#) && page.contains("Шолу"));
    assert_eq!((cell(&page, "total"), cell(&page, "open")), (0, 0));
}
