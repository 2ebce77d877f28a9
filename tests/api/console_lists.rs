//! The blocklist and allowlist in the console: only supervisors see and change them, every form needs the session's
//! CSRF token, every change is audited; and in a real headless Chromium, a supervisor puts a confirmed-fraud face
//! on the blocklist and removes it again, in Russian and in Kazakh (screenshots in target/tmp/console-screenshots/).

use faceverify::policy::Role;
use fantoccini::Locator;

use crate::blocklist::confirmed_fraud;
use crate::browser::{browser_available, shot, sign_in, start_browser};
use crate::helpers::{require_shared, spawn_app, TestApp};

/// A browser-like client of the console: the session cookie, no redirects followed.
struct Console<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
}

impl<'a> Console<'a> {
    fn new(app: &'a TestApp, token: &str) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { app, client, cookie: format!("fv_session={token}") }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.app.url(path)).header("cookie", &self.cookie).send().await.expect("get");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    async fn post(&self, path: &str, csrf: &str) -> (u16, Option<String>) {
        let r = self
            .client
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .form(&[("csrf", csrf)])
            .send()
            .await
            .expect("post");
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (r.status().as_u16(), location)
    }
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form with a CSRF field") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().expect("token").to_owned()
}

/// The entry ids listed in one table of the lists page.
fn entries(html: &str, table: &str) -> Vec<String> {
    let Some(start) = html.find(&format!(r#"id="{table}-entries""#)) else { return Vec::new() };
    let section = &html[start..html[start..].find("</table>").map_or(html.len(), |end| start + end)];
    section.split(r#"data-entry=""#).skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn only_supervisors_keep_the_lists_and_every_form_needs_the_csrf_token() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let fraud = confirmed_fraud(&app, &shared).await;
    let case = fraud.case;
    let analyst = Console::new(&app, &fraud.analyst);
    let sue = Console::new(&app, &fraud.supervisor);

    // An analyst: no link, no button, and the page and the forms refuse.
    let (status, page) = analyst.get(&format!("/console/cases/{case}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains("add-to-blocklist") && !page.contains("nav-lists"), "{page}");
    assert_eq!(analyst.get("/console/lists").await.0, 403);
    let token = csrf_of(&page);
    assert_eq!(analyst.post(&format!("/console/cases/{case}/blocklist"), &token).await.0, 403);

    // A supervisor: the button on the confirmed-fraud case, none for the allowlist (not a cleared duplicate).
    let (_, page) = sue.get(&format!("/console/cases/{case}")).await;
    assert!(page.contains(r#"id="add-to-blocklist""#) && page.contains(r#"id="nav-lists""#), "{page}");
    assert!(!page.contains("add-to-allowlist"));
    let token = csrf_of(&page);
    let blocklist = format!("/console/cases/{case}/blocklist");
    assert_eq!(sue.post(&blocklist, "forged").await.0, 403, "a forged token");
    assert_eq!(sue.post(&blocklist, &token).await, (303, Some("/console/lists#blocklist".to_owned())));
    assert_eq!(sue.post(&blocklist, &token).await.0, 409, "already listed");
    let (status, lists) = sue.get("/console/lists").await;
    assert_eq!(status, 200);
    let listed = entries(&lists, "blocklist");
    assert_eq!(listed.len(), 1, "{lists}");
    assert!(lists.contains(r#"id="allowlist-empty""#));
    assert!(!lists.contains("APP-A") && !lists.contains("APP-B"), "no applicant reference on the page");
    let remove = format!("/console/lists/blocklist/{}/remove", listed[0]);
    assert_eq!(analyst.post(&remove, &csrf_of(&page)).await.0, 403, "an analyst cannot remove it");
    assert_eq!(sue.post(&remove, "").await.0, 403, "no token");
    assert_eq!(sue.post(&remove, &token).await, (303, Some("/console/lists#blocklist".to_owned())));
    assert!(entries(&sue.get("/console/lists").await.1, "blocklist").is_empty());
    assert_eq!(sue.post("/console/lists/blocklist/not-an-id/remove", &token).await.0, 404);

    let audited = |action: &str| {
        format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND actor = 'sue' AND result = 'success'")
    };
    assert_eq!(app.sql_count(&audited("blocklist_add")).await, 1);
    assert_eq!(app.sql_count(&audited("blocklist_remove")).await, 1);
}

#[tokio::test]
async fn a_supervisor_blocklists_a_face_and_removes_it_in_russian_and_kazakh_in_a_real_browser() {
    let shared = require_shared!();
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let case = confirmed_fraud(&app, &shared).await.case;
    let (_driver, c) = start_browser(&app.dir.path().join("chromium-profile")).await;
    sign_in(&c, &app, "sam", Role::Supervisor).await;
    c.wait().for_element(Locator::Id("nav-lists")).await.expect("signed in, the lists linked");
    let choose = |lang: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(&format!("#language option[value='{lang}']")))
                .await
                .expect("language")
                .click()
                .await
                .expect("select");
            c.find(Locator::Id("set-language")).await.expect("button").click().await.expect("apply");
            c.wait().for_element(Locator::Css(&format!("html[lang='{lang}']"))).await.expect("the page's language");
        }
    };
    choose("ru").await;
    c.goto(&app.url(&format!("/console/cases/{case}"))).await.expect("case page");
    let button = c.wait().for_element(Locator::Id("add-to-blocklist")).await.expect("the blocklist button");
    assert_eq!(button.text().await.expect("text"), "Внести в стоп-лист");
    shot(&c, "10-case-blocklist-ru.png").await;
    button.click().await.expect("click");
    c.wait().for_element(Locator::Css("#blocklist-entries tr.entry")).await.expect("the entry listed");
    let heading = c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(heading, "Стоп-лист и белый список");
    let empty = c.find(Locator::Id("allowlist-empty")).await.expect("empty allowlist").text().await.expect("text");
    assert_eq!(empty, "Записей нет.");
    shot(&c, "11-lists-ru.png").await;

    c.find(Locator::Id("nav-lists")).await.expect("link").click().await.expect("click");
    choose("kk").await;
    c.goto(&app.url("/console/lists")).await.expect("lists");
    let remove = c.wait().for_element(Locator::Css("#blocklist-entries button.remove")).await.expect("remove");
    assert_eq!(remove.text().await.expect("text"), "Жою");
    shot(&c, "12-lists-kk.png").await;
    remove.click().await.expect("click");
    let empty = c.wait().for_element(Locator::Id("blocklist-empty")).await.expect("the entry gone");
    assert_eq!(empty.text().await.expect("text"), "Жазба жоқ.");
    shot(&c, "13-lists-emptied-kk.png").await;
    c.close().await.expect("close");

    for action in ["blocklist_add", "blocklist_remove", "blocklist_list"] {
        let sql = format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND actor = 'sam'");
        assert!(app.sql_count(&sql).await >= 1, "{action} audited");
    }
}
