//! The console in English, Russian and Kazakh without a browser: the login and error pages follow Accept-Language
//! (q-values honoured), the queue and a case page too until the staff member chooses a language in the nav, which
//! then wins (audited as `set_language`); `<html lang>` follows.

use faceverify::policy::Role;

use crate::console_csrf::{client, form_token};
use crate::helpers::{face, form, require_shared, spawn_app, TestApp};

async fn page(app: &TestApp, path: &str, cookie: Option<&str>, accept: &str) -> (u16, String) {
    let mut request = client().get(app.url(path)).header("accept-language", accept);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("request");
    (response.status().as_u16(), response.text().await.expect("page"))
}

fn assert_speaks(page: &str, lang: &str, known: &[&str], what: &str) {
    assert!(page.contains(&format!(r#"<html lang="{lang}">"#)), "{what}: not lang={lang}: {page}");
    for text in known {
        assert!(page.contains(text), "{what} ({lang}): no {text:?}: {page}");
    }
}

#[tokio::test]
async fn the_login_and_error_pages_follow_accept_language() {
    let app = spawn_app().await;
    for (accept, lang, known) in [
        (
            "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7",
            "ru",
            ["Вход", "Имя пользователя", "Код из приложения-аутентификатора"],
        ),
        ("de-DE, kk;q=0.8, ru;q=0.3", "kk", ["Кіру", "Пайдаланушы аты", "Құпиясөз"]),
        ("fr-FR,fr;q=0.9", "en", ["Sign in", "Username", "Authenticator code"]),
        ("ru;q=0.2, en;q=0.9", "en", ["Sign in", "Username", "Password"]),
    ] {
        let (status, login) = page(&app, "/console/login", None, accept).await;
        assert_eq!(status, 200);
        assert_speaks(&login, lang, &known, accept);
    }
    let (status, missing) = page(&app, "/console/nothing-here", None, "kk").await;
    assert_eq!(status, 404);
    assert_speaks(&missing, "kk", &["Қате 404", "Табылмады.", r#"id="error-code">not_found<"#], "404");
    let forged = client()
        .post(app.url("/console/logout"))
        .header("accept-language", "ru")
        .form(&[("csrf", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status().as_u16(), 303, "no session: back to the login page");
}

#[tokio::test]
async fn the_queue_and_a_case_follow_the_browser_until_the_account_chooses() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let token = app.staff_session("ana", Role::FraudAnalyst).await;
    let cookie = format!("fv_session={token}");
    let meta = app.consented_meta("APP-LANG").await;
    let spoof =
        form(face(&shared, "images/silent_face/image_F1.jpg"), face(&shared, "images/deepface/img20.jpg"), &meta);
    assert_eq!(app.post_verification(spoof).await.status().as_u16(), 201);

    let (status, english) = page(&app, "/console", Some(&cookie), "en").await;
    assert_eq!(status, 200);
    let start = english.find(r#"href="/console/cases/"#).expect("a case in the queue") + r#"href=""#.len();
    let case = english[start..].split('"').next().expect("link").to_owned();
    for (accept, lang, queue, case_texts) in [
        (
            "en-GB,en;q=0.9",
            "en",
            ["Review queue", "Spoof suspected (presentation attack)", "Fraud analyst"],
            ["Record decision", r#"data-status="open">Open<"#, "Selfie vs document (cosine)"],
        ),
        (
            "ru-RU,ru;q=0.9",
            "ru",
            ["Очередь проверки", "Подозрение на подмену лица", "Антифрод-аналитик"],
            ["Записать решение", r#"data-status="open">Открыто<"#, "Сходство селфи и документа (косинус)"],
        ),
        (
            "kk-KZ,kk;q=0.9,ru;q=0.8",
            "kk",
            ["Тексеру кезегі", "Бетті алмастыру күдігі", "Антифрод талдаушысы"],
            ["Шешімді жазу", r#"data-status="open">Ашық<"#, "Селфи мен құжаттың ұқсастығы (косинус)"],
        ),
    ] {
        let (_, queue_page) = page(&app, "/console", Some(&cookie), accept).await;
        assert_speaks(&queue_page, lang, &queue, "queue");
        let (status, case_page) = page(&app, &case, Some(&cookie), accept).await;
        assert_eq!(status, 200);
        assert_speaks(&case_page, lang, &case_texts, "case");
        assert!(case_page.contains(r#"class="code reason">spoof_suspected<"#), "the code stays beside its label");
    }

    // The account's choice wins over the browser's, and can be cleared again.
    let choose = |language: &'static str, csrf: String| {
        client()
            .post(app.url("/console/language"))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf), ("language", language.to_owned())])
            .send()
    };
    let csrf = form_token(&english);
    let chosen = choose("kk", csrf.clone()).await.expect("request");
    assert_eq!(chosen.status().as_u16(), 303);
    let (_, queue_page) = page(&app, "/console", Some(&cookie), "ru").await;
    assert_speaks(&queue_page, "kk", &["Тексеру кезегі", r#"<option value="kk" lang="kk" selected>"#], "chosen");
    let (_, case_page) = page(&app, &case, Some(&cookie), "en").await;
    assert_speaks(&case_page, "kk", &["Шешімді жазу"], "chosen case");
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'set_language' AND actor = 'ana' \
                   AND subject_ref = 'staff:ana'";
    assert_eq!(app.sql_count(audited).await, 1);

    let unknown = choose("de", csrf.clone()).await.expect("request");
    assert_eq!(unknown.status().as_u16(), 400);
    let forged = choose("ru", "forged".into()).await.expect("request");
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(choose("", csrf).await.expect("request").status().as_u16(), 303);
    let (_, queue_page) = page(&app, "/console", Some(&cookie), "ru").await;
    assert_speaks(&queue_page, "ru", &["Очередь проверки"], "cleared");
    assert_eq!(app.sql_count(audited).await, 2);
}
