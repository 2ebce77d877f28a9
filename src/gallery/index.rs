//! The flat index behind the gallery lock: f32 rows searched exactly, and from `int8_from` templates on an 8-bit
//! first pass over the same rows (`int8.rs`) that re-scores in f32 only the rows that might reach the bar.

use std::collections::HashSet;

use uuid::Uuid;
use zeroize::Zeroize;

use super::int8::Int8Rows;
use crate::pipeline::Embedding;

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub subject: String,
    pub verification_id: Uuid,
    pub score: f32,
}

struct Entry {
    subject: String,
    verification_id: Uuid,
}

pub(super) struct Index {
    /// Floats per template (the recognition model's embedding length).
    dim: usize,
    entries: Vec<Entry>,
    /// Row-major, `dim` floats per entry.
    data: Vec<f32>,
    /// The verifications of `entries`, for constant-time membership (loads and synchronisation passes insert many).
    ids: HashSet<Uuid>,
    /// From this many templates on, searches take the 8-bit first pass.
    int8_from: usize,
    /// `data` in 8 bits, once the index has held `int8_from` templates.
    int8: Option<Int8Rows>,
}

impl Index {
    /// An index of `dim`-value templates, searched exactly in f32 below `int8_from` templates.
    pub(super) fn new(dim: usize, int8_from: usize) -> Self {
        let dim = dim.max(1);
        Self { dim, entries: Vec::new(), data: Vec::new(), ids: HashSet::new(), int8_from, int8: None }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a template of this index's length; one of another length (another model's) is refused: `false`.
    pub(super) fn insert(&mut self, subject: &str, verification_id: Uuid, template: &Embedding) -> bool {
        if template.dim() != self.dim {
            return false;
        }
        extend_zeroizing(&mut self.data, template.as_slice(), self.dim * 64);
        self.entries.push(Entry { subject: subject.to_owned(), verification_id });
        self.ids.insert(verification_id);
        match &mut self.int8 {
            Some(int8) => int8.push(template.as_slice()),
            None if self.entries.len() >= self.int8_from => self.int8 = Some(Int8Rows::of(&self.data, self.dim)),
            None => {}
        }
        true
    }

    /// Whether searches take the 8-bit first pass.
    pub(super) fn uses_int8(&self) -> bool {
        self.int8.is_some()
    }

    pub(super) fn contains(&self, verification_id: Uuid) -> bool {
        self.ids.contains(&verification_id)
    }

    pub(super) fn verification_ids(&self) -> HashSet<Uuid> {
        self.ids.clone()
    }

    pub(super) fn count_subject(&self, subject: &str) -> usize {
        self.entries.iter().filter(|e| e.subject == subject).count()
    }

    /// Removes (and zeroes) every entry matching `pred(subject, verification_id)`.
    pub(super) fn remove_where(&mut self, pred: impl Fn(&str, Uuid) -> bool) -> usize {
        let mut removed = 0;
        let mut i = 0;
        while i < self.entries.len() {
            if pred(&self.entries[i].subject, self.entries[i].verification_id) {
                let last = self.entries.len() - 1;
                let gone = self.entries.swap_remove(i);
                self.ids.remove(&gone.verification_id);
                if let Some(int8) = &mut self.int8 {
                    int8.swap_remove(i);
                }
                let (row, tail) = (i * self.dim, last * self.dim);
                if i != last {
                    self.data.copy_within(tail..tail + self.dim, row);
                }
                self.data[tail..].zeroize();
                self.data.truncate(tail);
                removed += 1;
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Exact search: one dot product per row over contiguous memory (auto-vectorised).
    pub(super) fn search(&self, probe: &Embedding, exclude_subject: &str, min: f32) -> Option<Hit> {
        self.search_where(probe, min, |s| s != exclude_subject)
    }

    /// As `search`, among the subjects `keep` accepts.
    pub(super) fn search_where(&self, probe: &Embedding, min: f32, keep: impl Fn(&str) -> bool) -> Option<Hit> {
        let probe = probe.as_slice();
        if probe.len() != self.dim {
            return None;
        }
        let mut best: Option<(usize, f32)> = None;
        let mut consider = |i: usize, score: f32| {
            if score >= min && best.is_none_or(|(_, s)| score > s) && keep(&self.entries[i].subject) {
                best = Some((i, score));
            }
        };
        match &self.int8 {
            Some(int8) => {
                let row = |i: usize| &self.data[i * self.dim..(i + 1) * self.dim];
                int8.candidates(probe, min, |i| consider(i, dot(row(i), probe)));
            }
            None => {
                for (i, row) in self.data.chunks_exact(self.dim).enumerate() {
                    consider(i, dot(row, probe));
                }
            }
        }
        best.map(|(i, score)| Hit {
            subject: self.entries[i].subject.clone(),
            verification_id: self.entries[i].verification_id,
            score,
        })
    }
}

/// Appends `values`, growing the buffer by hand so that the old one is zeroed instead of being freed with templates
/// in it; at least `min_capacity` once it grows.
pub(super) fn extend_zeroizing<T: Copy + Zeroize>(buf: &mut Vec<T>, values: &[T], min_capacity: usize) {
    if buf.len() + values.len() > buf.capacity() {
        let mut grown = Vec::with_capacity((buf.capacity() * 2).max(buf.len() + values.len()).max(min_capacity));
        grown.extend_from_slice(buf);
        buf.zeroize();
        *buf = grown;
    }
    buf.extend_from_slice(values);
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorise without reassociating a single sum.
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (ca, cb) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

impl Drop for Index {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::testing::synthetic_embedding_of;
    use crate::pipeline::EMBEDDING_DIM;

    fn emb(seed: u32) -> Embedding {
        crate::pipeline::testing::synthetic_embedding(u64::from(seed))
    }

    #[test]
    fn finds_the_same_template_under_another_subject_only() {
        let mut index = Index::new(EMBEDDING_DIM, usize::MAX);
        for s in 0..200 {
            index.insert(&format!("S{s}"), Uuid::from_u128(s as u128), &emb(s));
        }
        let hit = index.search(&emb(42), "NEW", 0.9).expect("hit");
        assert_eq!((hit.subject.as_str(), hit.verification_id), ("S42", Uuid::from_u128(42)));
        assert!((hit.score - 1.0).abs() < 1e-5);
        assert!(index.search(&emb(42), "S42", 0.9).is_none(), "the applicant's own templates never count");
    }

    #[test]
    fn removing_a_subject_keeps_the_others_searchable() {
        let mut index = Index::new(EMBEDDING_DIM, usize::MAX);
        for s in 0..10 {
            index.insert(&format!("S{}", s % 3), Uuid::from_u128(s as u128), &emb(s));
        }
        assert_eq!(index.remove_where(|s, _| s == "S1"), 3);
        assert_eq!(index.len(), 7);
        assert_eq!(index.data.len(), 7 * EMBEDDING_DIM);
        assert!(index.search(&emb(4), "X", 0.99).is_none(), "S1's template is gone");
        let hit = index.search(&emb(9), "X", 0.99).expect("S0 still there");
        assert_eq!(hit.subject, "S0");
    }

    #[test]
    fn another_models_length_works_and_a_foreign_template_is_refused() {
        // 513: not a multiple of the eight accumulators, so the remainder counts too.
        let mut index = Index::new(513, usize::MAX);
        for s in 0..20u64 {
            assert!(index.insert(&format!("S{s}"), Uuid::from_u128(u128::from(s)), &synthetic_embedding_of(s, 513)));
        }
        let hit = index.search(&synthetic_embedding_of(7, 513), "NEW", 0.99).expect("hit");
        assert_eq!(hit.subject, "S7");
        assert!((hit.score - 1.0).abs() < 1e-5, "the remainder is summed: {}", hit.score);
        assert!(!index.insert("SF", Uuid::from_u128(99), &emb(1)), "a 128-value template is another model's");
        assert_eq!(index.len(), 20);
        assert!(index.search(&emb(7), "NEW", -1.0).is_none(), "a probe of another length matches nothing");
        assert_eq!(index.remove_where(|s, _| s == "S3"), 1);
        assert!(index.search(&synthetic_embedding_of(19, 513), "NEW", 0.99).is_some(), "the moved row is intact");
    }

    #[test]
    fn the_int8_pass_finds_what_exact_search_finds() {
        for dim in [EMBEDDING_DIM, 512] {
            let (mut exact, mut int8) = (Index::new(dim, usize::MAX), Index::new(dim, 100));
            // Near-duplicates of a few faces under other subjects, so that hits exist at every bar.
            for s in 0..400u64 {
                let mut v = synthetic_embedding_of(s % 40, dim).as_slice().to_vec();
                let noise = synthetic_embedding_of(10_000 + s, dim);
                v.iter_mut().zip(noise.as_slice()).for_each(|(x, n)| *x += 0.6 * n);
                let template = Embedding::normalised(&mut v).expect("non-zero");
                let id = Uuid::from_u128(u128::from(s));
                assert!(exact.insert(&format!("S{s}"), id, &template) && int8.insert(&format!("S{s}"), id, &template));
            }
            assert!(int8.uses_int8() && !exact.uses_int8());
            for round in 0..2 {
                for p in 0..40u64 {
                    let probe = synthetic_embedding_of(p, dim);
                    for bar in [0.3, 0.48, 0.7] {
                        let (e, i) = (exact.search(&probe, "S0", bar), int8.search(&probe, "S0", bar));
                        assert_eq!(e, i, "dim {dim}, probe {p}, bar {bar}, round {round}");
                    }
                }
                // Removal keeps the 8-bit rows in step.
                let gone = |s: &str, _| s.ends_with('7');
                assert_eq!(exact.remove_where(gone), int8.remove_where(gone));
            }
        }
    }

    #[test]
    fn dot_matches_a_plain_sum() {
        let (a, b) = (emb(1), emb(2));
        let plain: f32 = a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| x * y).sum();
        assert!((dot(a.as_slice(), b.as_slice()) - plain).abs() < 1e-5);
    }
}
