//! 1:N duplicate search: the exact f32 scan of the gallery at 10k, 100k and 1M synthetic templates (128 x f32, 512
//! bytes of template data per entry), against the 8-bit first pass with f32 re-scoring (`gallery.int8_from`) at the
//! same sizes and at 10M; the same with 512-value templates (an ArcFace-class model swapped in); and the vault
//! operations around it (seal, open, unwrap). Before timing, each size checks that the 8-bit pass returns exactly
//! the exact scan's hit for planted near-duplicates and for a probe of no one (recall against exact search).
//! Run: `cargo bench --bench gallery` (10M needs about 8 GiB; `FACEVERIFY_BENCH_10M=0` skips it). Under
//! `cargo test` only the 10k size runs, once.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use faceverify::gallery::Gallery;
use faceverify::pipeline::testing::{synthetic_embedding as synthetic, synthetic_embedding_of};
use faceverify::pipeline::{Embedding, TemplateSpace, EMBEDDING_DIM};
use uuid::Uuid;

/// Planted probes per size: a stored template with noise on top (a second photo of an enrolled face).
const PLANTED: u64 = 100;

fn gallery_of(n: usize, dim: usize, int8: bool) -> Gallery {
    let space = TemplateSpace { model_sha256: "bench".into(), dim };
    let gallery = if int8 { Gallery::with_int8_from(space, 0) } else { Gallery::new(space) };
    for i in 0..n {
        gallery.insert(&format!("S{i}"), Uuid::from_u128(i as u128), &synthetic_embedding_of(i as u64, dim));
    }
    gallery
}

fn planted(i: u64, n: usize, dim: usize) -> Embedding {
    let mut v = synthetic_embedding_of(i * (n as u64 / PLANTED), dim).as_slice().to_vec();
    let noise = synthetic_embedding_of(u64::MAX - i, dim);
    v.iter_mut().zip(noise.as_slice()).for_each(|(x, e)| *x += 0.7 * e);
    Embedding::normalised(&mut v).expect("non-zero")
}

fn bench(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let ten_million = full && std::env::var("FACEVERIFY_BENCH_10M").map_or(true, |v| v != "0");
    let sizes: &[usize] = if full { &[10_000, 100_000, 1_000_000, 10_000_000] } else { &[10_000] };
    for (name, dim) in [("gallery_search", EMBEDDING_DIM), ("gallery_search_512", 512)] {
        let probe = synthetic_embedding_of(u64::MAX, dim);
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        // 512-value templates stop at 100k here: 1M of them is 2 GiB; the exact scan stops at 1M (10M: 5 GiB more).
        for &n in sizes.iter().filter(|&&n| (dim == EMBEDDING_DIM || n <= 100_000) && (n < 10_000_000 || ten_million)) {
            let int8 = gallery_of(n, dim, true);
            let exact = (n < 10_000_000).then(|| gallery_of(n, dim, false));
            let mut agree = 0;
            for i in 0..PLANTED {
                let p = planted(i, n, dim);
                let hit = int8.search(&p, "NEW", 0.48);
                if let Some(exact) = &exact {
                    assert_eq!(hit, exact.search(&p, "NEW", 0.48), "the 8-bit pass misses what exact search finds");
                }
                agree += usize::from(hit.is_some_and(|h| h.subject == format!("S{}", i * (n as u64 / PLANTED))));
            }
            if let Some(exact) = &exact {
                assert_eq!(int8.search(&probe, "NEW", 0.48), exact.search(&probe, "NEW", 0.48), "a probe of no one");
            }
            eprintln!(
                "gallery of {n} x {dim}: template data {} MiB (+{} MiB in 8 bits); planted duplicates found {agree}/{PLANTED}{}",
                n * dim * 4 / (1 << 20),
                n * (dim + 8) / (1 << 20),
                if exact.is_some() { ", the same hits as the exact scan" } else { "" },
            );
            if let Some(exact) = exact {
                group.bench_with_input(BenchmarkId::new("exact", n), &n, |b, _| {
                    b.iter(|| exact.search(black_box(&probe), "NEW", 0.48))
                });
            }
            group.bench_with_input(BenchmarkId::new("int8", n), &n, |b, _| {
                b.iter(|| int8.search(black_box(&probe), "NEW", 0.48))
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
