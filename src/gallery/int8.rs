//! The 8-bit first pass of a large gallery (issue 15 item 6): every template also held as signed bytes with a scale
//! of its own, scanned with integer dot products (a quarter of the memory traffic of the f32 rows), and only the
//! rows that might reach the bar are scored again in f32. The pass is exact, not approximate: each row's 8-bit score
//! comes with a bound on its error, computed from the two scales and norms, and a row is re-scored whenever its
//! 8-bit score plus that bound reaches the bar. So the hit is always the one exact search finds (tests and
//! `benches/gallery.rs` check it); what varies is only how many rows are re-scored.
//!
//! The error bound. With `a = sa·qa + ea` and `b = sb·qb + eb`, `|ea_i| <= sa/2`, `|eb_i| <= sb/2`:
//! `a·b - sa·sb·(qa·qb) = sa·(qa·eb) + sb·(qb·ea) + ea·eb`, so its size is at most
//! `sb/2·La + sa/2·Lb + d·sa·sb/4`, where `La = sa·Σ|qa_i|` (the dequantised row's L1 norm) and likewise `Lb`.

use zeroize::{Zeroize, Zeroizing};

use super::index::extend_zeroizing;

/// Room for the rounding of both scores in f32 (a 512-term f32 dot product of unit vectors is within about 1e-5).
const SLACK: f32 = 1e-4;

/// Rows scanned per dispatch of the vectorised kernel (its buffer lives on the stack).
const BLOCK: usize = 1024;

/// One template in 8 bits: its codes, scale and dequantised L1 norm.
struct Quantised {
    codes: Zeroizing<Vec<i8>>,
    scale: f32,
    norm: f32,
}

fn quantise(v: &[f32]) -> Quantised {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 && max.is_finite() { max / 127.0 } else { 1.0 };
    let codes: Vec<i8> = v.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect();
    let norm = scale * codes.iter().map(|&c| f32::from(c).abs()).sum::<f32>();
    Quantised { codes: Zeroizing::new(codes), scale, norm }
}

/// The rows of an index in 8 bits, row `i` for the index's entry `i`.
pub(super) struct Int8Rows {
    dim: usize,
    codes: Vec<i8>,
    scales: Vec<f32>,
    norms: Vec<f32>,
}

impl Int8Rows {
    /// `rows` (row-major, `dim` floats each) in 8 bits.
    pub(super) fn of(rows: &[f32], dim: usize) -> Self {
        let mut int8 = Self { dim, codes: Vec::new(), scales: Vec::new(), norms: Vec::new() };
        for row in rows.chunks_exact(dim) {
            int8.push(row);
        }
        int8
    }

    pub(super) fn push(&mut self, row: &[f32]) {
        let q = quantise(row);
        extend_zeroizing(&mut self.codes, &q.codes, self.dim * 64);
        extend_zeroizing(&mut self.scales, &[q.scale], 64);
        extend_zeroizing(&mut self.norms, &[q.norm], 64);
    }

    /// As `Vec::swap_remove` on the index's rows: the last row moves into `i`, its old place is zeroed.
    pub(super) fn swap_remove(&mut self, i: usize) {
        let last = self.scales.len() - 1;
        let (row, tail) = (i * self.dim, last * self.dim);
        if i != last {
            self.codes.copy_within(tail..tail + self.dim, row);
        }
        self.codes[tail..].zeroize();
        self.codes.truncate(tail);
        self.scales.swap_remove(i);
        self.norms.swap_remove(i);
    }

    /// Calls `each(i)` for every row whose exact score with `probe` may reach `min`: a superset of the rows that do.
    pub(super) fn candidates(&self, probe: &[f32], min: f32, mut each: impl FnMut(usize)) {
        let q = quantise(probe);
        let quarter_dim = self.dim as f32 / 4.0;
        let mut dots = [0i32; BLOCK];
        for (block, codes) in self.codes.chunks(BLOCK * self.dim).enumerate() {
            let rows = codes.len() / self.dim;
            dot_rows(codes, &q.codes, &mut dots[..rows]);
            let first = block * BLOCK;
            for (r, &dot) in dots[..rows].iter().enumerate() {
                let (scale, norm) = (self.scales[first + r], self.norms[first + r]);
                let approx = scale * q.scale * dot as f32;
                let bound = q.scale / 2.0 * norm + scale / 2.0 * q.norm + quarter_dim * scale * q.scale + SLACK;
                if approx + bound >= min {
                    each(first + r);
                }
            }
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.scales.len()
    }
}

impl Drop for Int8Rows {
    fn drop(&mut self) {
        self.codes.zeroize();
        self.scales.zeroize();
        self.norms.zeroize();
    }
}

/// `out[r]` = the integer dot product of row `r` of `rows` with `probe`. Compiled for several instruction sets and
/// chosen at run time (AVX-512 or AVX2 on x86-64, NEON on arm64; the portable build otherwise), since the portable
/// x86-64 build has no vectorised widening byte multiply and ran the scan only 1.2x faster than f32.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn dot_rows(rows: &[i8], probe: &[i8], out: &mut [i32]) {
    for (row, out) in rows.chunks_exact(probe.len()).zip(out.iter_mut()) {
        *out = row.iter().zip(probe).map(|(&a, &b)| i32::from(i16::from(a) * i16::from(b))).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing::synthetic_embedding_of;

    fn exact(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn the_bound_holds_for_every_row_and_probe() {
        for dim in [128usize, 512, 513] {
            let rows: Vec<f32> = (0..300u64).flat_map(|s| synthetic_embedding_of(s, dim).as_slice().to_vec()).collect();
            let int8 = Int8Rows::of(&rows, dim);
            for p in 1000..1010u64 {
                let probe = synthetic_embedding_of(p, dim);
                for (i, row) in rows.chunks_exact(dim).enumerate() {
                    let score = exact(row, probe.as_slice());
                    // Just below the exact score: the row must be a candidate.
                    let mut seen = false;
                    int8.candidates(probe.as_slice(), score - 1e-6, |r| seen |= r == i);
                    assert!(seen, "dim {dim}, row {i}, probe {p}: score {score} not reached");
                }
            }
        }
    }

    #[test]
    fn few_rows_are_rescored_at_a_duplicate_bar() {
        let dim = 128;
        let rows: Vec<f32> = (0..5000u64).flat_map(|s| synthetic_embedding_of(s, dim).as_slice().to_vec()).collect();
        let int8 = Int8Rows::of(&rows, dim);
        let mut count = 0;
        int8.candidates(synthetic_embedding_of(u64::MAX, dim).as_slice(), 0.48, |_| count += 1);
        assert!(count < 50, "{count} of 5000 rescored");
    }

    #[test]
    fn removal_mirrors_the_index() {
        let dim = 16;
        let rows: Vec<f32> = (0..5u64).flat_map(|s| synthetic_embedding_of(s, dim).as_slice().to_vec()).collect();
        let mut int8 = Int8Rows::of(&rows, dim);
        int8.swap_remove(1);
        assert_eq!(int8.len(), 4);
        assert_eq!(int8.codes.len(), 4 * dim);
        // Row 4 moved into place 1.
        let mut seen = Vec::new();
        int8.candidates(synthetic_embedding_of(4, dim).as_slice(), 0.99, |r| seen.push(r));
        assert_eq!(seen, vec![1]);
    }

    #[test]
    fn a_zero_or_odd_row_quantises_without_panicking() {
        let q = quantise(&[0.0; 8]);
        assert_eq!((q.scale, q.norm), (1.0, 0.0));
        let q = quantise(&[f32::NAN, 1.0]);
        assert!(q.scale.is_finite());
    }
}
