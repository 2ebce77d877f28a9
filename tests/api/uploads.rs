//! Slow uploads hold an upload slot, never verification capacity: a body that trickles or stalls gets 408
//! upload_too_slow and frees its slot, and normal verifications go on meanwhile. The slow clients are raw TCP
//! connections that send the headers and the start of the body, then a byte now and then (or nothing).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::helpers::{assert_error, form, spawn_app_with, tiny_jpeg, TestApp};

/// Starts a verification upload that declares 10 MB and then sends one byte per `every` (or nothing); the task
/// yields the raw HTTP answer.
async fn slow_upload(app: &TestApp, every: Option<Duration>) -> JoinHandle<String> {
    let host = app.address.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&host).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /v1/verifications HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 10000000\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"selfie\"; filename=\"s.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\nJFIF",
        app.api_key
    );
    write.write_all(head.as_bytes()).await.expect("write");
    let writer = tokio::spawn(async move {
        let Some(every) = every else { return std::future::pending::<()>().await };
        loop {
            tokio::time::sleep(every).await;
            if write.write_all(b"\x42").await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let answer = tokio::time::timeout(Duration::from_secs(60), read_answer(&mut read)).await;
        writer.abort();
        answer.unwrap_or_else(|_| "no answer within 60 s".to_owned())
    })
}

/// Reads one HTTP/1.1 answer (head and a Content-Length body).
async fn read_answer(read: &mut tokio::net::tcp::OwnedReadHalf) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        match read.read(&mut chunk).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&buf).into_owned(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The number after `name ` in /metrics.
async fn gauge(app: &TestApp, name: &str) -> Option<u64> {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Waits until `n` slow uploads are inside the service (holding upload slots, or, before the fix, verification
/// capacity).
async fn wait_until_inside(app: &TestApp, n: u64) {
    for _ in 0..200 {
        let uploads = gauge(app, "faceverify_uploads_in_flight").await;
        let verifications = gauge(app, "faceverify_verifications_in_flight").await;
        if uploads == Some(n) || verifications == Some(n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the slow uploads never reached the handler");
}

fn assert_too_slow(answer: &str) {
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"upload_too_slow""#), "{answer}");
}

#[tokio::test]
async fn slow_uploads_do_not_starve_verifications_and_get_408() {
    let app = spawn_app_with(|s| {
        s.models.max_in_flight = 2;
        s.server.max_uploads_in_flight = 3;
        s.server.upload_timeout_secs = 30;
        s.server.upload_grace_secs = 3;
        s.server.upload_min_bytes_per_sec = 1000;
    })
    .await;
    let meta = app.consented_meta("APP-0001").await;
    let trickling = slow_upload(&app, Some(Duration::from_millis(200))).await;
    let stalled = slow_upload(&app, None).await;
    wait_until_inside(&app, 2).await;
    let response = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(response.status().as_u16(), 201, "a normal verification goes through while two uploads crawl");
    assert_too_slow(&trickling.await.expect("trickler"));
    assert_too_slow(&stalled.await.expect("staller"));
    assert_eq!(gauge(&app, "faceverify_uploads_in_flight").await, Some(0), "their slots are free again");
}

#[tokio::test]
async fn a_full_upload_bound_answers_503_and_a_timed_out_upload_frees_its_slot() {
    let app = spawn_app_with(|s| {
        s.server.max_uploads_in_flight = 1;
        s.server.upload_timeout_secs = 2;
        s.server.upload_grace_secs = 2;
        s.server.upload_min_bytes_per_sec = 0;
    })
    .await;
    let meta = app.consented_meta("APP-0001").await;
    let stalled = slow_upload(&app, None).await;
    wait_until_inside(&app, 1).await;
    let refused = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert!(refused.headers().get("retry-after").is_some(), "503 carries Retry-After");
    assert_error(refused, 503, "overloaded").await;
    assert_too_slow(&stalled.await.expect("staller"));
    let response = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(response.status().as_u16(), 201, "the slot was freed");
}
