//! The capture page end to end in a real headless Chromium with a fake camera
//! (`--use-fake-device-for-media-stream --use-file-for-fake-video-capture=clip.y4m`, permission granted by
//! `--use-fake-ui-for-media-stream`). The clips are SYNTHESISED from one real photo of ../shared
//! (`faceverify::liveness::synth`: head poses by a warp, the screen's light by a tint on the skin; a lender must
//! re-measure on real captures): the clip of the drawn challenge passes and the session verifies against a document;
//! the right poses lit out of sync with the page's colours fail; a still photo (camera noise, no movement, no light
//! response) fails three times and ends the session. Screenshots land in target/tmp/console-screenshots/.
//!
//! Chromium's fake camera starts playing when the page opens the camera and loops; the page starts its schedule
//! (and its clock) about `AUTOSTART_MS` later. So each clip begins with `LEAD_MS` of frontal frames: the server's
//! colour check searches the delay between schedule and frames (`liveness.colour_max_lag_ms`), as it does for a real
//! screen and camera.

use std::time::Duration;

use faceverify::liveness::synth::{self, Options, Subject, SynthFrame};
use faceverify::liveness::Challenge;
use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::browser::{browser_available, shot, start_browser_with};
use crate::helpers::{document_photo, face, meta, pool, require_shared, spawn_app, TestApp};
use crate::liveness_attempts::challenge_of;
use crate::liveness_sessions::open_session;

/// Frontal frames before the clip proper: the page's autostart delay (1.5 s) plus the camera's start, within the
/// delay the colour check searches.
const LEAD_MS: u32 = 2000;
/// The clip's time per movement (move, hold, return). The page gives each 2.1 s (1.4 s shown, 0.7 s "return to
/// centre"); the clip is a little quicker so that the delay between the camera and the page's clock cannot push the
/// last movement past the end of the capture.
const CLIP_ACTION_MS: u32 = 1800;
const FPS: u32 = 10;

/// `clip` after `LEAD_MS` of the subject's frontal face (camera noise, no light), followed by a long frontal tail so
/// that the looping fake camera does not restart within an attempt.
fn with_lead(subject: &Subject, clip: Vec<SynthFrame>, seed: u64) -> Vec<SynthFrame> {
    let idle = Challenge { actions: vec![], flashes: vec![] };
    let frontal = |ms: u32, seed: u64| {
        let opts = Options { fps: FPS, tail_ms: ms, light_k: 0.0, seed, ..Options::default() };
        synth::no_light(subject, &idle, &opts)
    };
    let mut frames = frontal(LEAD_MS, seed);
    let offset = frames.last().map_or(0, |f| f.at_ms + 1000 / FPS);
    let end = clip.last().map_or(offset, |f| f.at_ms + offset + 1000 / FPS);
    frames.extend(clip.into_iter().map(|f| SynthFrame { at_ms: f.at_ms + offset, image: f.image }));
    frames.extend(frontal(6000, seed + 1).into_iter().map(|f| SynthFrame { at_ms: f.at_ms + end, image: f.image }));
    frames
}

fn clip_options(seed: u64) -> Options {
    Options { fps: FPS, action_ms: CLIP_ACTION_MS, tail_ms: 500, seed, ..Options::default() }
}

/// Opens the capture page of `session` in a browser whose camera plays `clip`.
async fn browser_on(
    app: &TestApp,
    session: &Value,
    clip: &[SynthFrame],
    name: &str,
) -> (crate::browser::Driver, Client) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("capture-{name}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("clip.y4m");
    std::fs::write(&file, synth::y4m(clip, FPS, synth::FRAME_WIDTH, synth::FRAME_HEIGHT)).expect("clip");
    let extra = [
        "--use-fake-device-for-media-stream".to_owned(),
        "--use-fake-ui-for-media-stream".to_owned(),
        format!("--use-file-for-fake-video-capture={}", file.display()),
        "--autoplay-policy=no-user-gesture-required".to_owned(),
    ];
    let profile = app.dir.path().join(format!("chromium-{name}"));
    let (driver, client) = start_browser_with(&profile, &extra).await;
    client.goto(&app.url(session["capture_url"].as_str().expect("url"))).await.expect("capture page");
    (driver, client)
}

/// Waits until #status shows one of the end states of an attempt; returns it.
async fn outcome(c: &Client) -> String {
    for _ in 0..900 {
        if let Ok(status) = c.find(Locator::Id("status")).await {
            if let Ok(Some(state)) = status.attr("data-state").await {
                if ["live", "retry", "failed", "error"].contains(&state.as_str()) {
                    return state;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the attempt never ended");
}

/// The failure codes the session recorded (no personal data), to say why an attempt failed.
async fn failures(app: &TestApp, session: &Value) -> String {
    use sqlx::Row;
    let id = session["session_id"].as_str().expect("id");
    let mut conn = app.store.acquire().await.expect("conn");
    let row = sqlx::query("SELECT failures FROM liveness_sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("session");
    row.try_get::<String, _>("failures").expect("failures")
}

async fn attempts_left(c: &Client) -> String {
    c.find(Locator::Id("attempts-left")).await.expect("attempts").text().await.expect("text")
}

#[tokio::test]
async fn the_capture_page_passes_a_live_clip_and_refuses_replays_and_stills_in_a_real_browser() {
    let shared = require_shared!();
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let photo = face(&shared, synth::DEFAULT_PHOTO);
    let subject = pool().run(move |p| Subject::prepare(p, &photo).expect("subject")).await.expect("pool");
    let consent = app.consent("APP-CAP").await;

    // 1. The clip of the drawn challenge: live, and the session stands in for the selfie.
    let session = open_session(&app, "APP-CAP", &consent).await;
    let clip = with_lead(&subject, synth::genuine(&subject, &challenge_of(&session), &clip_options(1)), 11);
    let (_driver, c) = browser_on(&app, &session, &clip, "live").await;
    let state = outcome(&c).await;
    shot(&c, "capture-live.png").await;
    c.close().await.expect("close");
    assert_eq!(state, "live", "attempt failures: {:?}", failures(&app, &session).await);
    let card = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 5).expect("card");
    let form = reqwest::multipart::Form::new()
        .part(
            "liveness_session_id",
            reqwest::multipart::Part::text(session["session_id"].as_str().expect("id").to_owned()),
        )
        .part("document", reqwest::multipart::Part::bytes(card).file_name("document.jpg"))
        .part("meta", reqwest::multipart::Part::text(meta("APP-CAP", &consent)));
    let body: Value = app.post_verification(form).await.json().await.expect("json");
    assert_eq!((body["decision"].as_str(), body["liveness"].as_str()), (Some("match"), Some("live")), "{body}");

    // 2. The right movements, lit by another schedule (a recording made for another session): not live.
    let session = open_session(&app, "APP-CAP", &consent).await;
    let challenge = challenge_of(&session);
    let foreign = synth::complementary(&challenge.flashes);
    let clip = with_lead(&subject, synth::out_of_sync(&subject, &challenge, &foreign, &clip_options(2)), 21);
    let (_driver, c) = browser_on(&app, &session, &clip, "out-of-sync").await;
    let state = outcome(&c).await;
    shot(&c, "capture-out-of-sync.png").await;
    let left = attempts_left(&c).await;
    c.close().await.expect("close");
    assert_eq!((state.as_str(), left.as_str()), ("retry", "2"));

    // 3. A still photo before the camera (camera noise, no movement, no light response), three times: failed.
    let session = open_session(&app, "APP-CAP", &consent).await;
    let idle = Challenge { actions: vec![], flashes: vec![] };
    let still = synth::no_light(
        &subject,
        &idle,
        &Options { fps: FPS, tail_ms: 20_000, light_k: 0.0, seed: 3, ..Options::default() },
    );
    let (_driver, c) = browser_on(&app, &session, &still, "still").await;
    for expected_left in ["2", "1"] {
        assert_eq!(outcome(&c).await, "retry");
        assert_eq!(attempts_left(&c).await, expected_left);
        c.find(Locator::Id("retry")).await.expect("retry").click().await.expect("click");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let state = outcome(&c).await;
    shot(&c, "capture-failed.png").await;
    c.close().await.expect("close");
    assert_eq!(state, "failed");
    let sql = "SELECT COUNT(*) FROM verifications WHERE applicant_ref = 'APP-CAP' AND reasons LIKE '%liveness_session_failed%'";
    assert_eq!(app.sql_count(sql).await, 1);
}
