//! 1:N duplicate search: exact scan of the gallery at 10k, 100k and 1M synthetic templates (128 x f32, 512 bytes
//! of template data per entry). Run: `cargo bench --bench gallery`. Under `cargo test` only the 10k size runs once.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use faceverify::gallery::Gallery;
use faceverify::pipeline::testing::synthetic_embedding as synthetic;
use faceverify::pipeline::EMBEDDING_DIM;
use uuid::Uuid;

fn bench(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full { &[10_000, 100_000, 1_000_000] } else { &[10_000] };
    let probe = synthetic(u64::MAX);
    let mut group = c.benchmark_group("gallery_search");
    group.sample_size(10);
    for &n in sizes {
        let gallery = Gallery::new();
        for i in 0..n {
            gallery.insert(&format!("S{i}"), Uuid::from_u128(i as u128), &synthetic(i as u64));
        }
        eprintln!("gallery of {n}: template data {} MiB", n * EMBEDDING_DIM * 4 / (1 << 20));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| gallery.search(black_box(&probe), "NEW", 0.48))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
