//! 1:N duplicate search: exact scan of the gallery at 10k, 100k and 1M synthetic templates (128 x f32, 512 bytes
//! of template data per entry), the same with 512-value templates (an ArcFace-class model swapped in), and the
//! vault operations around it (seal, open, unwrap).
//! Run: `cargo bench --bench gallery`. Under `cargo test` only the 10k size runs, once.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use faceverify::gallery::Gallery;
use faceverify::pipeline::testing::{synthetic_embedding as synthetic, synthetic_embedding_of};
use faceverify::pipeline::{TemplateSpace, EMBEDDING_DIM};
use uuid::Uuid;

fn bench(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full { &[10_000, 100_000, 1_000_000] } else { &[10_000] };
    for (name, dim) in [("gallery_search", EMBEDDING_DIM), ("gallery_search_512", 512)] {
        let probe = synthetic_embedding_of(u64::MAX, dim);
        let space = TemplateSpace { model_sha256: "bench".into(), dim };
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        // 512-value templates stop at 100k here: 1M of them is 2 GiB.
        for &n in sizes.iter().filter(|&&n| dim == EMBEDDING_DIM || n <= 100_000) {
            let gallery = Gallery::new(space.clone());
            for i in 0..n {
                gallery.insert(&format!("S{i}"), Uuid::from_u128(i as u128), &synthetic_embedding_of(i as u64, dim));
            }
            eprintln!("gallery of {n} x {dim}: template data {} MiB", n * dim * 4 / (1 << 20));
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| gallery.search(black_box(&probe), "NEW", 0.48))
            });
        }
        group.finish();
    }
}

/// Sealing and opening one template (AES-256-GCM under the subject's data key), and unwrapping a data key.
fn vault(c: &mut Criterion) {
    use faceverify::domain::Purpose;
    use faceverify::vault::{open_template, seal_template, DataKey, Kek, TemplateBinding};
    let key = DataKey::generate().expect("key");
    let kek = Kek::from_bytes("bench", [7u8; 32]);
    let wrapped = key.wrap(&kek, "S1").expect("wrap");
    let template = synthetic(1);
    let binding = TemplateBinding {
        record_id: Uuid::nil(),
        verification_id: Uuid::nil(),
        subject: "S1",
        purpose: Purpose::Identification,
        model: faceverify::pipeline::recognition::SFACE_2021DEC_SHA256,
    };
    let sealed = seal_template(&key, &template, &binding).expect("seal");
    let mut group = c.benchmark_group("vault");
    group.bench_function("seal_template", |b| {
        b.iter(|| seal_template(&key, black_box(&template), &binding).expect("seal"))
    });
    group.bench_function("open_template", |b| {
        b.iter(|| open_template(&key, black_box(&sealed), &binding).expect("open"))
    });
    group.bench_function("unwrap_data_key", |b| {
        b.iter(|| DataKey::unwrap(black_box(&wrapped), &kek, "S1").expect("unwrap"))
    });
    group.finish();
}

criterion_group!(benches, bench, vault);
criterion_main!(benches);
