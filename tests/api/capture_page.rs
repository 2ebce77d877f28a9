//! The applicant's capture page without a browser: served for any well-formed session id with a strict CSP and the
//! security headers, in the language Accept-Language asks for (Russian, Kazakh, English), with no external
//! reference in the page, its script or its style; a malformed id is 404; the script and style come with their
//! content types. (The page driven in headless Chromium with a fake camera is in the liveness browser test.)

use reqwest::header::HeaderMap;

use crate::helpers::{client, spawn_app, TestApp};

async fn get(app: &TestApp, path: &str, accept_language: Option<&str>) -> reqwest::Response {
    let mut request = client().get(app.url(path));
    if let Some(accept) = accept_language {
        request = request.header("accept-language", accept);
    }
    request.send().await.expect("request")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
}

/// The CSP's directives, name -> sources.
fn directives(csp: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(str::to_owned).collect()))
        })
        .collect()
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_csp_and_the_security_headers() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    let response = get(&app, &format!("/capture/{id}"), None).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
    let csp = directives(header(&headers, "content-security-policy"));
    for (name, want) in [
        ("default-src", vec!["'none'"]),
        ("script-src", vec!["'self'"]),
        ("style-src", vec!["'self'"]),
        ("img-src", vec!["'self'", "data:", "blob:"]),
        ("media-src", vec!["'self'", "blob:", "mediastream:"]),
        ("connect-src", vec!["'self'"]),
        ("base-uri", vec!["'none'"]),
        ("form-action", vec!["'none'"]),
        ("frame-ancestors", vec!["'none'"]),
    ] {
        assert_eq!(csp.get(name).cloned(), Some(want.iter().map(|s| s.to_string()).collect::<Vec<_>>()), "{name}");
    }
    assert_eq!(csp.len(), 9, "no other directive: {csp:?}");
    let raw_csp = header(&headers, "content-security-policy");
    for loose in ["unsafe-inline", "unsafe-eval", "*", "http:", "https:"] {
        assert!(!raw_csp.contains(loose), "the CSP allows {loose}: {raw_csp}");
    }
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    let permissions = header(&headers, "permissions-policy");
    assert!(permissions.split(',').any(|p| p.trim() == "camera=(self)"), "{permissions}");
    assert_eq!(header(&headers, "cache-control"), "no-store");

    let page = response.text().await.expect("page");
    assert!(page.contains(&format!(r#"data-session-id="{id}""#)), "{page}");
    assert!(page.contains(r#"id="status" data-state="loading""#), "{page}");
    assert!(page.contains(r#"id="attempts-left""#), "{page}");
    assert!(page.contains(r#"<script src="/capture/app.js" defer></script>"#), "{page}");
    // Nothing inline the CSP would block: every script has a src, no <style>, no style attributes, no handlers.
    assert_eq!(page.matches("<script").count(), page.matches("<script src=").count(), "an inline script: {page}");
    for inline in ["<style", " style=", " onclick=", " onload=", "javascript:"] {
        assert!(!page.contains(inline), "{inline} in the page: {page}");
    }
    // The same headers on the assets.
    for asset in ["/capture/app.js", "/capture/app.css"] {
        let response = get(&app, asset, None).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(header(response.headers(), "content-security-policy"), raw_csp, "{asset}");
        assert_eq!(header(response.headers(), "x-content-type-options"), "nosniff", "{asset}");
    }
}

#[tokio::test]
async fn the_page_speaks_the_language_accept_language_asks_for() {
    let app = spawn_app().await;
    let path = format!("/capture/{}", uuid::Uuid::new_v4());
    let english = ["Liveness check", "Turn your head to the left", "Return to centre", "Try again", "Attempts left:"];
    let russian = [
        "Проверка живого присутствия",
        "Поверните голову влево",
        "Поднимите голову вверх",
        "Вернитесь в исходное положение",
        "Доступ к камере запрещён.",
        "Осталось попыток:",
    ];
    let kazakh = [
        "Тірі қатысуды тексеру",
        "Басыңызды солға бұрыңыз",
        "Басыңызды төмен иіңіз",
        "Бастапқы қалыпқа оралыңыз",
        "Камераға кіруге тыйым салынды.",
        "Қалған әрекеттер:",
    ];
    for (accept, lang, known, foreign) in [
        (Some("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), "ru", &russian[..], [&english[..], &kazakh[..]]),
        (Some("de-DE, kk;q=0.8, ru;q=0.3"), "kk", &kazakh[..], [&english[..], &russian[..]]),
        (Some("kk-KZ"), "kk", &kazakh[..], [&english[..], &russian[..]]),
        (Some("en-GB,en;q=0.9,ru;q=0.5"), "en", &english[..], [&russian[..], &kazakh[..]]),
        (Some("fr-FR,fr;q=0.9"), "en", &english[..], [&russian[..], &kazakh[..]]),
        (None, "en", &english[..], [&russian[..], &kazakh[..]]),
    ] {
        let response = get(&app, &path, accept).await;
        assert_eq!(response.status(), 200);
        let page = response.text().await.expect("page");
        assert!(page.contains(&format!(r#"<html lang="{lang}">"#)), "{accept:?}: not lang={lang}");
        for text in known {
            assert!(page.contains(text), "{accept:?}: no {text:?}: {page}");
        }
        for text in foreign.iter().flat_map(|f| f.iter()) {
            assert!(!page.contains(text), "{accept:?}: {text:?} from another language: {page}");
        }
    }
}

/// Every place in `text` where an external reference could start.
fn external_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for pattern in ["http://", "https://", "\"//", "'//", "`//", "=//", "(//", "url(", "@import", "wss://", "ws://"] {
        for (at, _) in text.to_ascii_lowercase().match_indices(pattern) {
            let context: String = text[at..].chars().take(40).collect();
            found.push(context);
        }
    }
    found
}

#[tokio::test]
async fn the_page_and_its_assets_reference_nothing_outside_the_service() {
    let app = spawn_app().await;
    let page = get(&app, &format!("/capture/{}", uuid::Uuid::new_v4()), Some("kk")).await.text().await.expect("page");
    let script = get(&app, "/capture/app.js", None).await.text().await.expect("script");
    let style = get(&app, "/capture/app.css", None).await.text().await.expect("style");
    for (name, text) in [("page", &page), ("app.js", &script), ("app.css", &style)] {
        assert!(text.len() > 500, "{name} is too short to be the real thing: {text}");
        let external = external_references(text);
        assert!(external.is_empty(), "{name} references something outside the service: {external:?}");
    }
    // Every src and href of the page is a path on this origin.
    for attribute in ["src=\"", "href=\""] {
        for value in page.split(attribute).skip(1) {
            let value = value.split('"').next().unwrap_or_default();
            assert!(value.starts_with('/') && !value.starts_with("//"), "{attribute}{value}\" is not a local path");
        }
    }
    // The script calls the API on this origin only, as the contract names it.
    assert!(script.contains("\"/v1/liveness/sessions/\""), "the API path");
    assert!(script.contains("\"Capture \""), "the capture token scheme");
    assert!(script.contains("form.append(\"frame\""), "the frames' part name");
    // The check itself sees an external reference where there is one.
    assert_eq!(external_references("<img src=\"//cdn.example/x.png\">").len(), 1);
    assert_eq!(external_references("fetch('https://example.com')").len(), 1);
}

#[tokio::test]
async fn a_malformed_session_id_is_not_found_and_other_methods_are_refused() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    for path in [
        "/capture/not-a-session".to_owned(),
        format!("/capture/{}", id.simple()),
        format!("/capture/{}", id.braced()),
        format!("/capture/{id}x"),
        format!("/capture/{id}/extra"),
        "/capture/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz".to_owned(),
        "/capture/".to_owned(),
        "/capture".to_owned(),
    ] {
        let response = get(&app, &path, None).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = response.json().await.expect("JSON error");
        assert_eq!(body["code"], "not_found", "{path}");
    }
    assert_eq!(
        get(&app, &format!("/capture/{}", id.hyphenated().to_string().to_uppercase()), None).await.status(),
        200
    );
    let post = client().post(app.url(&format!("/capture/{id}"))).send().await.expect("request");
    assert_eq!(post.status(), 405);
    assert_eq!(header(post.headers(), "allow"), "GET");
}

#[tokio::test]
async fn the_script_and_style_are_served_with_their_content_types() {
    let app = spawn_app().await;
    let script = get(&app, "/capture/app.js", None).await;
    assert_eq!(script.status(), 200);
    assert_eq!(header(script.headers(), "content-type"), "text/javascript; charset=utf-8");
    let body = script.text().await.expect("script");
    assert!(body.contains("requestVideoFrameCallback") && body.contains("getUserMedia"), "not the capture script");
    let style = get(&app, "/capture/app.css", None).await;
    assert_eq!(style.status(), 200);
    assert_eq!(header(style.headers(), "content-type"), "text/css; charset=utf-8");
    assert!(style.text().await.expect("style").contains("#status"), "not the capture style");
}
