//! The analysis with the real models on clips synthesised from real photos (../shared/data/faces): a genuine clip
//! passes and each attack fails its own checks. Skips loudly without ../shared, fails under CI=true.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::synth::{self, Options, Subject, SynthFrame};
use super::{analyse, Action, Analysis, Challenge, Failure, Flash};
use crate::config::Settings;
use crate::pipeline::{ModelFiles, Pipeline};

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FACEVERIFY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("data/faces").join(synth::DEFAULT_PHOTO).is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the shared evaluation data is missing at {}", dir.display());
    }
    eprintln!("SKIPPED: shared evaluation data not found at {} (set FACEVERIFY_SHARED_DIR)", dir.display());
    None
}

fn settings() -> Settings {
    let mut s = Settings::defaults().expect("default settings");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    s.models.dir = root.join("models");
    s.models.ort_dylib = root.join(".runtime/onnxruntime/libonnxruntime.so.1.31.1");
    s
}

struct Kit {
    pipeline: Pipeline,
    subject: Subject,
    other: Subject,
}

/// One pipeline and the two subjects for the whole test binary, behind a lock (tests run one analysis at a time).
fn kit() -> Option<std::sync::MutexGuard<'static, Kit>> {
    static KIT: OnceLock<Mutex<Kit>> = OnceLock::new();
    let shared = shared_dir()?;
    let kit = KIT.get_or_init(|| {
        let s = settings();
        let files = ModelFiles::verified(&s.models.dir).expect("models (run scripts/setup.sh)");
        let mut pipeline =
            Pipeline::load(&files, &s.models.dylib(), &s.models.session_options(), s.pipeline).expect("pipeline");
        let read = |rel: &str| std::fs::read(shared.join("data/faces").join(rel)).expect("photo");
        let subject = Subject::prepare(&mut pipeline, &read(synth::DEFAULT_PHOTO)).expect("subject");
        let other = Subject::prepare(&mut pipeline, &read(synth::OTHER_PHOTO)).expect("other subject");
        Mutex::new(Kit { pipeline, subject, other })
    });
    Some(kit.lock().unwrap_or_else(|e| e.into_inner()))
}

fn challenge() -> Challenge {
    let colours = [("#ff0000", 520), ("#00ff00", 610), ("#0000ff", 450), ("#ffff00", 680), ("#ff00ff", 540)];
    Challenge {
        actions: vec![Action::TurnLeft, Action::LookDown, Action::TurnRight],
        flashes: colours.iter().map(|(c, d)| Flash { colour: (*c).to_owned(), duration_ms: *d }).collect(),
    }
}

fn judge(kit: &mut Kit, clip: &[SynthFrame], challenge: &Challenge) -> Analysis {
    let frames = synth::encode(clip).expect("jpeg");
    let s = settings().liveness;
    let started = Instant::now();
    let analysis = analyse(&mut kit.pipeline, &frames, challenge, &s).expect("analysis");
    eprintln!("analysed {} frames in {:?}: {:?}", frames.len(), started.elapsed(), analysis.failures);
    analysis
}

fn failures(a: &Analysis) -> Vec<&'static str> {
    let mut f: Vec<&'static str> = a.failures.iter().map(|f| f.as_str()).collect();
    f.sort_unstable();
    f
}

fn expect(a: &Analysis, wanted: &[Failure]) {
    let mut w: Vec<&'static str> = wanted.iter().map(|f| f.as_str()).collect();
    w.sort_unstable();
    assert_eq!(failures(a), w);
}

#[test]
fn a_genuine_clip_passes_and_its_best_frame_is_frontal_and_untinted() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::genuine(&kit.subject, &c, &Options::default());
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[]);
    assert!(a.passed());
    let best = a.best.as_ref().expect("best frame");
    assert!(clip[best.index].at_ms >= c.flash_end_ms(), "the selfie is not lit by the flashes");
    assert!(best.live_score >= 0.5, "passive score {}", best.live_score);
}

#[test]
fn every_drawn_challenge_passes_on_a_genuine_clip() {
    let Some(mut kit) = kit() else { return };
    let s = settings().liveness;
    for round in 0..3u64 {
        let c = super::challenge::draw(&s).expect("random");
        let opts = Options { seed: round + 10, ..Options::default() };
        let clip = synth::genuine(&kit.subject, &c, &opts);
        let a = judge(&mut kit, &clip, &c);
        assert!(a.passed(), "{:?} {:?}: {:?}", c.actions, c.flashes, a.failures);
    }
}

#[test]
fn a_still_photo_is_static_and_performs_nothing() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::still(&kit.subject, &c, &Options::default());
    let a = judge(&mut kit, &clip, &c);
    // A still neither moves nor reflects the screen: the colour check fails with it.
    expect(&a, &[Failure::StaticMedia, Failure::PoseSequence, Failure::ColourResponse]);
}

#[test]
fn the_wrong_order_fails_the_pose_sequence_only() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::wrong_order(&kit.subject, &c, &synth::other_order(&c.actions), &Options::default());
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[Failure::PoseSequence]);
}

#[test]
fn colours_out_of_sync_fail_the_colour_response_only() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::out_of_sync(&kit.subject, &c, &synth::complementary(&c.flashes), &Options::default());
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[Failure::ColourResponse]);
}

#[test]
fn a_face_that_ignores_the_light_fails_the_colour_response_only() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::no_light(&kit.subject, &c, &Options::default());
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[Failure::ColourResponse]);
}

#[test]
fn another_person_spliced_in_changes_the_identity() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let opts = Options::default();
    let clip = synth::genuine(&kit.subject, &c, &opts);
    let other = synth::genuine(&kit.other, &c, &Options { seed: 99, ..opts });
    let n = clip.len();
    let clip = synth::spliced(clip, other, n / 3..n / 2);
    let a = judge(&mut kit, &clip, &c);
    assert!(a.failures.contains(&Failure::IdentityChanged), "{:?}", a.failures);
}

#[test]
fn timestamps_going_backwards_fail_on_their_own() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let mut clip = synth::genuine(&kit.subject, &c, &Options::default());
    let k = clip.len() - 3;
    clip[k].at_ms = clip[k - 1].at_ms - 40;
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[Failure::BadTimestamps]);
}

#[test]
fn a_second_face_in_some_frames_fails_on_its_own() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let mut clip = synth::genuine(&kit.subject, &c, &Options::default());
    let small = image::imageops::resize(kit.other.image(), 240, 180, image::imageops::FilterType::Triangle);
    for frame in clip.iter_mut().skip(20).take(4) {
        image::imageops::replace(&mut frame.image, &small, 0, 300);
    }
    let a = judge(&mut kit, &clip, &c);
    expect(&a, &[Failure::SeveralFaces]);
}

#[test]
fn too_few_frames_are_refused_before_any_inference() {
    let Some(mut kit) = kit() else { return };
    let c = challenge();
    let clip = synth::genuine(&kit.subject, &c, &Options::default());
    let a = judge(&mut kit, &clip[..5], &c);
    expect(&a, &[Failure::TooFewFrames]);
    assert!(a.best.is_none());
}

/// Numbers for the report: the poses the warp reaches and the colour fit of genuine and out-of-sync clips.
#[test]
fn report_the_measured_poses_and_colour_fits() {
    let Some(mut kit) = kit() else { return };
    let mut c = challenge();
    c.actions.push(Action::LookUp);
    let opts = Options::default();
    let (yaw0, pitch0) = synth::frontal_pose(&kit.subject);
    eprintln!("frontal: yaw {yaw0:.3} pitch {pitch0:.3}");
    let min_score = kit.pipeline.settings().detection.selfie_min_score;
    let clip = synth::genuine(&kit.subject, &c, &opts);
    let (mut yaws, mut pitches) = (Vec::new(), Vec::new());
    let mut chroma = Vec::new();
    for f in &clip {
        let faces = kit.pipeline.detect(&f.image, min_score).expect("detect");
        let face = crate::pipeline::largest(&faces).copied().expect("a face in every frame");
        yaws.push(super::pose::yaw(&face) - yaw0);
        pitches.push(super::pose::pitch(&face) - pitch0);
        if let Some(ch) = super::colour::inner_chromaticity(&f.image, &face) {
            chroma.push((f.at_ms, ch));
        }
    }
    let max = |v: &[f32]| v.iter().copied().fold(f32::MIN, f32::max);
    let min = |v: &[f32]| v.iter().copied().fold(f32::MAX, f32::min);
    eprintln!(
        "warp reaches yaw {:.3}..{:.3}, relative pitch {:.3}..{:.3}",
        min(&yaws),
        max(&yaws),
        min(&pitches),
        max(&pitches)
    );
    let s = settings().liveness;
    let fit = super::colour::fit(&chroma, &c, s.colour_max_lag_ms);
    eprintln!("genuine colour fit (raw frames): {fit:?}");
    let complement = Challenge { actions: c.actions.clone(), flashes: synth::complementary(&c.flashes) };
    let fit = super::colour::fit(&chroma, &complement, s.colour_max_lag_ms);
    eprintln!("against the complementary schedule: {fit:?}");
    let mut passed = 0;
    let rounds = 40;
    for _ in 0..rounds {
        let other = super::challenge::draw(&s).expect("random");
        let other = Challenge { actions: c.actions.clone(), flashes: other.flashes };
        // Light from `c`, judged against a random other schedule of the same length.
        let fit = super::colour::fit(&chroma, &other, s.colour_max_lag_ms);
        passed += usize::from(fit.passes(s.colour_min_correlation, s.colour_min_response));
    }
    eprintln!("random other schedules passing the colour check: {passed} of {rounds}");
    assert!(max(&yaws) > s.turn_min && min(&yaws) < -s.turn_min);
    assert!(max(&pitches) > s.tilt_min && min(&pitches) < -s.tilt_min);
}
