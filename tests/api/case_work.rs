//! Case work beyond the decision: notes (API and console), the queue's order and age, and requests for a new
//! capture (audited, one webhook event with ids only); erasure leaves no note behind.

use std::time::Duration;

use faceverify::policy::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_error, form, spawn_app, spawn_app_with, tiny_jpeg, TestApp};

/// A case opened by a face-free verification of `subject`; its id.
async fn flagged_case(app: &TestApp, subject: &str) -> String {
    let meta = app.consented_meta(subject).await;
    let created = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(created.status().as_u16(), 201);
    let verification: Value = created.json().await.expect("json");
    let id = uuid::Uuid::parse_str(verification["verification_id"].as_str().expect("id")).expect("uuid");
    let mut conn = app.store.acquire().await.expect("conn");
    faceverify::store::cases::by_verification(&mut conn, id).await.expect("query").expect("a case").case_id.to_string()
}

async fn post_json(app: &TestApp, token: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = app.client.post(app.url(path)).bearer_auth(token).header("X-Purpose", "anti_fraud");
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect("request")
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("X-Purpose", "anti_fraud")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.expect("json")
}

async fn note(app: &TestApp, token: &str, case: &str, text: &str) -> reqwest::Response {
    post_json(app, token, &format!("/v1/cases/{case}/notes"), Some(json!({ "text": text }))).await
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    app.sql_count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")).await
}

#[tokio::test]
async fn notes_are_added_listed_audited_and_refused_when_they_should_be() {
    let app = spawn_app().await;
    let case = flagged_case(&app, "NOTE-1").await;
    let analyst = app.staff_session("nora", Role::FraudAnalyst).await;

    let added = note(&app, &analyst, &case, "called the branch: the applicant came in person").await;
    assert_eq!(added.status().as_u16(), 201);
    let added: Value = added.json().await.expect("json");
    assert_eq!((added["author"].as_str(), added["at"].is_string()), (Some("nora"), true), "{added}");
    assert_eq!(note(&app, &analyst, &case, "second look: same result").await.status().as_u16(), 201);
    assert_eq!(audited(&app, "add_case_note").await, 2);

    let view = get_json(&app, &analyst, &format!("/v1/cases/{case}")).await;
    let texts: Vec<_> = view["notes"].as_array().expect("notes").iter().map(|n| n["text"].clone()).collect();
    assert_eq!(texts, [json!("called the branch: the applicant came in person"), json!("second look: same result")]);

    assert_error(note(&app, &analyst, &case, "  \n ").await, 400, "invalid_body").await;
    assert_error(note(&app, &analyst, &case, &"x".repeat(2001)).await, 400, "invalid_body").await;
    assert_eq!(note(&app, &analyst, &case, &"ж".repeat(2000)).await.status().as_u16(), 201, "characters, not bytes");
    let unknown = uuid::Uuid::new_v4();
    assert_error(note(&app, &analyst, &unknown.to_string(), "x").await, 404, "not_found").await;
    let client = app
        .client
        .post(app.url(&format!("/v1/cases/{case}/notes")))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "anti_fraud")
        .json(&json!({ "text": "from the onboarding flow" }))
        .send()
        .await
        .expect("request");
    assert_eq!(client.status().as_u16(), 403);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM case_notes").await, 3);
    assert_eq!(audited(&app, "add_case_note").await, 3, "refusals add nothing");
}

/// The `csrf` hidden field of a console page.
fn csrf_of(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().expect("value").to_owned()
}

#[tokio::test]
async fn the_console_case_page_lists_notes_and_takes_new_ones_with_its_csrf_token() {
    let app = spawn_app().await;
    let case = flagged_case(&app, "NOTE-2").await;
    let token = app.staff_session("nick", Role::FraudAnalyst).await;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let cookie = format!("fv_session={token}");
    let page = |lang: &'static str| {
        let (browser, cookie, url) = (browser.clone(), cookie.clone(), app.url(&format!("/console/cases/{case}")));
        async move {
            let response = browser.get(url).header("cookie", cookie).header("accept-language", lang).send().await;
            response.expect("request").text().await.expect("text")
        }
    };
    let before = page("en").await;
    assert!(before.contains(r#"id="no-notes""#) && before.contains(r#"id="request-recapture""#), "{before}");
    let csrf = csrf_of(&before);
    let post = |text: &'static str, csrf: String| {
        let (browser, cookie, url) =
            (browser.clone(), cookie.clone(), app.url(&format!("/console/cases/{case}/notes")));
        async move {
            browser.post(url).header("cookie", cookie).form(&[("csrf", csrf.as_str()), ("text", text)]).send().await
        }
    };
    assert_eq!(post("forged <b>note</b>", "forged".into()).await.expect("request").status().as_u16(), 403);
    let posted = post("checked <b>twice</b>", csrf).await.expect("request");
    assert_eq!(posted.status().as_u16(), 303);
    let after = page("ru").await;
    assert!(after.contains("twice") && !after.contains("<b>twice"), "the note, escaped, on the page");
    assert!(after.contains("Заметки") && !after.contains("forged"), "{after}");
    let kk = page("kk").await;
    assert!(kk.contains("Жазбалар") && kk.contains("Қайта түсіруді сұрау"), "{kk}");
}

#[tokio::test]
async fn the_queue_sorts_oldest_or_newest_first_and_shows_each_cases_age() {
    let app = spawn_app().await;
    let first = flagged_case(&app, "SORT-1").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = flagged_case(&app, "SORT-2").await;
    let analyst = app.staff_session("sol", Role::FraudAnalyst).await;
    let ids = |list: Value| -> Vec<String> {
        list["items"].as_array().expect("items").iter().map(|c| c["case_id"].as_str().expect("id").to_owned()).collect()
    };
    let default = ids(get_json(&app, &analyst, "/v1/cases").await);
    assert_eq!(default, [first.clone(), second.clone()], "oldest first, as before");
    assert_eq!(ids(get_json(&app, &analyst, "/v1/cases?sort=oldest").await), default);
    assert_eq!(ids(get_json(&app, &analyst, "/v1/cases?sort=newest").await), [second.clone(), first.clone()]);
    let bad = app
        .client
        .get(app.url("/v1/cases?sort=sideways"))
        .bearer_auth(&analyst)
        .header("X-Purpose", "anti_fraud")
        .send()
        .await
        .expect("request");
    assert_error(bad, 400, "invalid_body").await;

    let queue = |query: &'static str| {
        let (client, url, cookie) = (app.client.clone(), app.url(&format!("/console{query}")), analyst.clone());
        async move {
            let response = client.get(url).header("cookie", format!("fv_session={cookie}")).send().await;
            response.expect("request").text().await.expect("text")
        }
    };
    let oldest = queue("").await;
    assert!(oldest.find(&first).expect("first") < oldest.find(&second).expect("second"));
    assert!(oldest.contains("data-age-secs=") && oldest.contains(r#"<option value="oldest" selected>"#), "{oldest}");
    let newest = queue("?sort=newest").await;
    assert!(newest.find(&second).expect("second") < newest.find(&first).expect("first"));
    assert!(newest.contains(r#"<option value="newest" selected>"#));
}

#[tokio::test]
async fn a_recapture_request_is_audited_and_queues_one_event_with_ids_only() {
    let (url, seen) = crate::webhook::receiver(false);
    let app = spawn_app_with(|s| {
        s.webhook.url = Some(url);
        s.webhook.secret = Some("webhook-secret-for-tests-0123".into());
        s.webhook.poll_interval_ms = 20;
    })
    .await;
    let case = flagged_case(&app, "RECAP-1").await;
    let analyst = app.staff_session("rita", Role::FraudAnalyst).await;
    let outbox = "SELECT COUNT(*) FROM webhook_outbox WHERE event = 'case.recapture_requested'";
    let requested = post_json(&app, &analyst, &format!("/v1/cases/{case}/recapture"), None).await;
    assert_eq!(requested.status().as_u16(), 202);
    let requested: Value = requested.json().await.expect("json");
    assert_eq!(requested["case_id"], json!(case));
    assert_eq!(app.sql_count(outbox).await, 1);
    assert_eq!(audited(&app, "request_recapture").await, 1);
    let view = get_json(&app, &analyst, &format!("/v1/cases/{case}")).await;
    assert_eq!(view["status"], "open", "the case stays as it is");

    let mut event = None;
    for _ in 0..200 {
        let bodies: Vec<Value> = seen
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|(_, _, body)| serde_json::from_str(body).ok())
            .filter(|b: &Value| b["event"] == "case.recapture_requested")
            .collect();
        if !bodies.is_empty() {
            assert_eq!(bodies.len(), 1);
            event = bodies.into_iter().next();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let event = event.expect("the event was delivered");
    let keys: Vec<_> = event.as_object().expect("object").keys().cloned().collect();
    assert_eq!(keys, ["case_id", "event", "verification_id"], "{event}");
    assert_eq!(
        (event["case_id"].clone(), event["verification_id"].clone()),
        (json!(case), view["verification_id"].clone())
    );

    let client = app
        .client
        .post(app.url(&format!("/v1/cases/{case}/recapture")))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "anti_fraud")
        .send()
        .await
        .expect("request");
    assert_eq!(client.status().as_u16(), 403);
    let unknown = post_json(&app, &analyst, &format!("/v1/cases/{}/recapture", uuid::Uuid::new_v4()), None).await;
    assert_error(unknown, 404, "not_found").await;
    assert_eq!(app.sql_count(outbox).await, 1, "refusals queue nothing");
}

#[tokio::test]
async fn erasure_deletes_the_subjects_case_notes_and_leaves_no_residue() {
    let app = spawn_app().await;
    let consent = app.consent("GONE-7").await;
    let meta = crate::helpers::meta("GONE-7", &consent);
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    let kept = flagged_case(&app, "STAY-8").await;
    let mut conn = app.store.acquire().await.expect("conn");
    let gone: String = sqlx::query_scalar("SELECT id FROM cases WHERE subject_ref = 'GONE-7'")
        .fetch_one(&mut *conn)
        .await
        .expect("the case");
    drop(conn);
    let analyst = app.staff_session("eve", Role::FraudAnalyst).await;
    // Against the rule, but it must not survive erasure either.
    assert_eq!(note(&app, &analyst, &gone, "applicant GONE-7 phoned twice").await.status().as_u16(), 201);
    assert_eq!(note(&app, &analyst, &kept, "another applicant's case").await.status().as_u16(), 201);
    assert_eq!(app.withdraw_consent(&consent).await.status().as_u16(), 200);

    let dpo = app.staff_session("dora", Role::Dpo).await;
    app.staff_json(&dpo, Method::DELETE, "/v1/subjects/GONE-7").await;
    assert_eq!(app.sql_count(&format!("SELECT COUNT(*) FROM case_notes WHERE case_id = '{gone}'")).await, 0);
    assert_eq!(app.sql_count(&format!("SELECT COUNT(*) FROM case_notes WHERE case_id = '{kept}'")).await, 1);
    let residue = app.staff_json(&dpo, Method::GET, "/v1/subjects/GONE-7/residue").await;
    assert_eq!(residue["nothing_remains"], true, "{residue}");
    assert_eq!(residue["residue"]["stored_copies"], json!({}), "{residue}");
}

#[tokio::test]
async fn a_retention_sweep_deletes_the_notes_with_the_expired_case() {
    let app = spawn_app().await;
    let case = flagged_case(&app, "OLD-1").await;
    let analyst = app.staff_session("otto", Role::FraudAnalyst).await;
    assert_eq!(note(&app, &analyst, &case, "nothing more to check").await.status().as_u16(), 201);
    let settings = crate::helpers::settings().retention;
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(settings.verifications_days + 1);
    let report = faceverify::retention::sweep(&app.store, &settings, later).await.expect("sweep");
    assert!(report.verifications >= 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM cases").await, 0);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM case_notes").await, 0, "the notes went with their case");
}
