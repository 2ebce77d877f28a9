//! An analyst's case work in a real headless Chromium, in Russian and then Kazakh: the queue sorted by priority
//! (fraud signals first) and filtered by reason, a note and a request for a new capture on a case, the dashboard.
//! Screenshots land in target/tmp/console-screenshots/.

use faceverify::policy::Role;
use fantoccini::{Client, Locator};

use crate::browser::{browser_available, shot, sign_in, start_browser};
use crate::helpers::{face, require_shared, spawn_app};

/// The `data-priority` of every row of the queue shown, top to bottom.
async fn priorities(c: &Client) -> Vec<String> {
    let rows = c.find_all(Locator::Css("tr.case-row")).await.expect("rows");
    let mut out = Vec::new();
    for row in rows {
        out.push(row.attr("data-priority").await.expect("attr").unwrap_or_default());
    }
    out
}

async fn choose(c: &Client, select: &str, value: &str) {
    let option = format!("#{select} option[value='{value}']");
    c.find(Locator::Css(&option)).await.expect("option").click().await.expect("select");
}

#[tokio::test]
async fn an_analyst_sorts_filters_notes_and_reads_the_dashboard_in_russian_and_kazakh() {
    let shared = require_shared!();
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    // A normal-priority case first (a press photo the passive model finds inconclusive), then a duplicate face.
    let inconclusive = app.verified("APP-I", p("img18.jpg"), p("img19.jpg")).await;
    assert_eq!(inconclusive["decision"], "review", "{inconclusive}");
    assert_eq!(app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await["decision"], "match");
    assert_eq!(app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await["decision"], "review");

    let (_driver, c) = start_browser(&app.dir.path().join("chromium-profile")).await;
    sign_in(&c, &app, "ana", Role::FraudAnalyst).await;
    c.wait().for_element(Locator::Css("a.case-link")).await.expect("the queue");
    choose(&c, "language", "ru").await;
    c.find(Locator::Id("set-language")).await.expect("button").click().await.expect("apply");
    c.wait().for_element(Locator::Css("html[lang='ru']")).await.expect("Russian");

    // Oldest first: the inconclusive case, then the duplicate; fraud signals first: the other way round.
    assert_eq!(priorities(&c).await, ["normal", "high"]);
    choose(&c, "sort-select", "priority").await;
    c.find(Locator::Id("apply-view")).await.expect("button").click().await.expect("apply");
    c.wait().for_element(Locator::Css("#sort-select option[value='priority'][selected]")).await.expect("applied");
    assert_eq!(priorities(&c).await, ["high", "normal"]);
    let label = c.find(Locator::Css("tr.case-row td.priority")).await.expect("cell").text().await.expect("text");
    assert_eq!(label, "Высокий: признак мошенничества");
    shot(&c, "20-queue-priority-ru.png").await;
    choose(&c, "reason-filter", "duplicate_identity").await;
    c.find(Locator::Id("apply-view")).await.expect("button").click().await.expect("apply");
    c.wait().for_element(Locator::Css("#shown[data-shown='1'][data-waiting='2']")).await.expect("one shown of two");
    assert_eq!(priorities(&c).await, ["high"]);
    shot(&c, "21-queue-filtered-ru.png").await;

    // The case: a note and a request for a new capture, both in Russian.
    c.find(Locator::Css("a.case-link")).await.expect("link").click().await.expect("open");
    let note = "Лицо совпадает с заявкой APP-A: проверить документ.";
    c.wait().for_element(Locator::Id("note-text")).await.expect("note form").send_keys(note).await.expect("type");
    c.find(Locator::Id("add-note")).await.expect("button").click().await.expect("add");
    let added = c.wait().for_element(Locator::Css("#note-list pre.note-text")).await.expect("the note listed");
    assert_eq!(added.text().await.expect("text"), note);
    c.find(Locator::Id("request-recapture")).await.expect("button").click().await.expect("ask");
    let done = c.wait().for_element(Locator::Id("recapture-requested")).await.expect("confirmation");
    assert_eq!(done.text().await.expect("text"), "Повторная съёмка запрошена.");
    shot(&c, "22-case-work-ru.png").await;

    // The dashboard counts the three verifications and the two open cases, in Russian, then in Kazakh.
    c.find(Locator::Id("nav-dashboard")).await.expect("link").click().await.expect("open");
    let total = c.wait().for_element(Locator::Id("total")).await.expect("the dashboard");
    assert_eq!(total.attr("data-count").await.expect("attr").as_deref(), Some("3"));
    assert_eq!(c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text"), "Сводка");
    shot(&c, "23-dashboard-ru.png").await;
    choose(&c, "language", "kk").await;
    c.find(Locator::Id("set-language")).await.expect("button").click().await.expect("apply");
    c.wait().for_element(Locator::Css("html[lang='kk']")).await.expect("Kazakh");
    c.find(Locator::Id("nav-dashboard")).await.expect("link").click().await.expect("open");
    let total = c.wait().for_element(Locator::Id("total")).await.expect("the dashboard");
    assert_eq!(total.attr("data-count").await.expect("attr").as_deref(), Some("3"));
    let open = c.find(Locator::Id("open")).await.expect("open cases").attr("data-count").await.expect("attr");
    assert_eq!(open.as_deref(), Some("2"));
    let heading = c.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(heading, "Шолу");
    shot(&c, "24-dashboard-kk.png").await;
    c.find(Locator::Id("nav-queue")).await.expect("link").click().await.expect("queue");
    c.wait().for_element(Locator::Css("tr.case-row")).await.expect("queue in Kazakh");
    shot(&c, "25-queue-kk.png").await;
    c.close().await.expect("close");

    let notes = "SELECT COUNT(*) FROM audit_log WHERE action = 'add_case_note' AND actor = 'ana'";
    assert_eq!(app.sql_count(notes).await, 1);
}
