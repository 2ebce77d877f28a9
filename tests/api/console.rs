//! The analyst console end to end in a real headless Chromium (Debian's chromium + chromium-driver, installed by
//! .ci/run): sign in with password + TOTP, open the case a real spoof photo created, see both crops, record a
//! decision, switch the console to Kazakh from the nav, find it all in the audit log. Screenshots land in
//! target/tmp/console-screenshots/.

use std::time::Duration;

use faceverify::policy::Role;
use fantoccini::{Client, Locator};

use crate::browser::{browser_available, shot, sign_in, start_browser};
use crate::helpers::{face, form, require_shared, spawn_app};

/// Polls until element `id` shows `want`: the page navigates after a form post, so the old element can go stale.
async fn wait_for_text(c: &Client, id: &str, want: &str) {
    for _ in 0..100 {
        if let Ok(element) = c.find(Locator::Id(id)).await {
            if element.text().await.is_ok_and(|t| t == want) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("#{id} never showed {want:?}");
}

#[tokio::test]
async fn an_analyst_works_a_spoof_case_in_a_real_browser() {
    let shared = require_shared!();
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-SPOOF").await;
    let spoof =
        form(face(&shared, "images/silent_face/image_F1.jpg"), face(&shared, "images/deepface/img20.jpg"), &meta);
    assert_eq!(app.post_verification(spoof).await.status().as_u16(), 201);

    let (_driver, c) = start_browser(&app.dir.path().join("chromium-profile")).await;
    sign_in(&c, &app, "ana", Role::FraudAnalyst).await;
    let link = c.wait().for_element(Locator::Css("a.case-link")).await.expect("the queue lists the case");
    shot(&c, "01-queue.png").await;
    link.click().await.expect("open case");
    c.wait().for_element(Locator::Id("decision")).await.expect("case page");
    let loaded = c
        .execute("return ['crop-selfie','crop-document'].map(id => document.getElementById(id).naturalWidth);", vec![])
        .await
        .expect("js");
    assert_eq!(loaded, serde_json::json!([112, 112]), "both face crops decrypted and shown");
    let reasons = c.find(Locator::Css("body")).await.expect("body").text().await.expect("text");
    assert!(reasons.contains("spoof_suspected"), "reason codes on the page");
    shot(&c, "02-case.png").await;
    c.find(Locator::Id("comment"))
        .await
        .expect("comment")
        .send_keys("Printed photo held to the camera.")
        .await
        .expect("type");
    c.find(Locator::Css("#outcome-select option[value='confirm_fraud']"))
        .await
        .expect("option")
        .click()
        .await
        .expect("select");
    c.find(Locator::Id("decide")).await.expect("button").click().await.expect("submit");
    wait_for_text(&c, "status", "Awaiting sign-off").await;
    shot(&c, "03-decided.png").await;
    c.find(Locator::Css("#language option[value='kk']")).await.expect("kk").click().await.expect("select");
    c.find(Locator::Id("set-language")).await.expect("button").click().await.expect("apply");
    let link = c.wait().for_element(Locator::Css("a.case-link")).await.expect("back at the queue");
    let lang = c.execute("return document.documentElement.lang;", vec![]).await.expect("js");
    assert_eq!(lang, serde_json::json!("kk"));
    shot(&c, "04-queue-kk.png").await;
    link.click().await.expect("open case");
    wait_for_text(&c, "status", "Бекітуді күтуде").await;
    shot(&c, "05-case-kk.png").await;
    c.find(Locator::Id("logout")).await.expect("logout").click().await.expect("click");
    c.wait().for_element(Locator::Id("sign-in")).await.expect("back at the login page");
    c.close().await.expect("close");

    let decided =
        "SELECT COUNT(*) FROM audit_log WHERE action = 'decide_case' AND actor = 'ana' AND purpose = 'anti_fraud'";
    assert_eq!(app.sql_count(decided).await, 1);
    let crops = "SELECT COUNT(*) FROM audit_log WHERE action = 'view_crop' AND actor = 'ana'";
    assert_eq!(app.sql_count(crops).await, 6, "two crops, shown before and after the decision, and in Kazakh");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'logout' AND actor = 'ana'").await, 1);
    let language = "SELECT COUNT(*) FROM audit_log WHERE action = 'set_language' AND actor = 'ana'";
    assert_eq!(app.sql_count(language).await, 1);
}

#[tokio::test]
async fn console_forms_need_the_sessions_csrf_token_and_pages_need_a_session() {
    let app = spawn_app().await;
    let token = app.staff_session("ana2", Role::FraudAnalyst).await;
    let no_session = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = no_session.get(app.url("/console")).send().await.expect("request");
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers().get("location").and_then(|v| v.to_str().ok()), Some("/console/login"));
    let forged = no_session
        .post(app.url(&format!("/console/cases/{}/decision", uuid::Uuid::new_v4())))
        .header("cookie", format!("fv_session={token}"))
        .form(&[("csrf", "forged"), ("outcome", "clear"), ("comment", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status().as_u16(), 403);
    let login = no_session.get(app.url("/console/login")).send().await.expect("request");
    let csp =
        login.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let (nonce, csrf) = crate::console_csrf::login_form(&app).await;
    let failed = no_session
        .post(app.url("/console/login"))
        .header("cookie", format!("fv_login={nonce}"))
        .form(&[("username", "ana2"), ("password", "wrong"), ("totp", "000000"), ("csrf", &csrf)])
        .send()
        .await
        .expect("request");
    assert_eq!(failed.headers().get("location").and_then(|v| v.to_str().ok()), Some("/console/login?failed=1"));
}
