#![allow(clippy::expect_used, clippy::unwrap_used)]

//! Analysis time of one liveness-session attempt on this machine's CPU: the frames of a synthesised bona fide clip
//! (`liveness::synth`, one photo of ../shared, 10 frames per second, JPEG quality 85) through `liveness::analyse`
//! on one pipeline, one intra-op thread per session. Criterion reports the time per attempt and, through its
//! throughput setting, frames analysed per second.
//! Run: `cargo bench --bench liveness` (after scripts/setup.sh).

mod common;

use common::shared_dir;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use faceverify::config::Settings;
use faceverify::liveness::synth::{self, Options, Subject};
use faceverify::liveness::{analyse, challenge};
use faceverify::pipeline::{ModelFiles, Pipeline};

fn bench(c: &mut Criterion) {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: ../shared/data/faces not found; set FACEVERIFY_SHARED_DIR to run the benches");
        return;
    };
    let settings = Settings::load(None).expect("settings");
    let files = ModelFiles::verified(&settings.models.dir).expect("models (run scripts/setup.sh)");
    eprintln!("device: {:?}", settings.models.device);
    let mut pipeline =
        Pipeline::load(&files, &settings.models.dylib(), &settings.models.session_options(), settings.pipeline.clone())
            .expect("pipeline");
    let photo = std::fs::read(shared.join("data/faces").join(synth::DEFAULT_PHOTO)).expect("photo");
    let subject = Subject::prepare(&mut pipeline, &photo).expect("subject");
    let mut words =
        [0x1234_5678u32, 0x9abc_def0, 0x0fed_cba9, 0x8765_4321, 0x1357_9bdf, 0x2468_ace0].into_iter().cycle();
    let challenge = challenge::draw_from(&settings.liveness, move || words.next().unwrap_or(0));
    let frames = synth::encode(&synth::genuine(&subject, &challenge, &Options::default())).expect("frames");
    let analysis = analyse(&mut pipeline, &frames, &challenge, &settings.liveness).expect("analysis");
    assert!(analysis.passed(), "the benchmarked clip passes: {:?}", analysis.failures);
    let mut group = c.benchmark_group("liveness");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function(format!("analyse_attempt_{}_frames", frames.len()), |b| {
        b.iter(|| black_box(analyse(&mut pipeline, &frames, &challenge, &settings.liveness).expect("analysis")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
