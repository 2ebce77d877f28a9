//! The flat index behind the gallery lock.

use std::collections::HashSet;

use uuid::Uuid;
use zeroize::Zeroize;

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
}

impl Index {
    pub(super) fn new(dim: usize) -> Self {
        Self { dim: dim.max(1), entries: Vec::new(), data: Vec::new(), ids: HashSet::new() }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a template of this index's length; one of another length (another model's) is refused: `false`.
    pub(super) fn insert(&mut self, subject: &str, verification_id: Uuid, template: &Embedding) -> bool {
        if template.dim() != self.dim {
            return false;
        }
        if self.data.len() + self.dim > self.data.capacity() {
            // Grow by hand so the old buffer is zeroed instead of being freed with templates in it.
            let mut grown = Vec::with_capacity((self.data.capacity() * 2).max(self.dim * 64));
            grown.extend_from_slice(&self.data);
            self.data.zeroize();
            self.data = grown;
        }
        self.data.extend_from_slice(template.as_slice());
        self.entries.push(Entry { subject: subject.to_owned(), verification_id });
        self.ids.insert(verification_id);
        true
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
        for (i, row) in self.data.chunks_exact(self.dim).enumerate() {
            let score = dot(row, probe);
            if score >= min && best.is_none_or(|(_, s)| score > s) && keep(&self.entries[i].subject) {
                best = Some((i, score));
            }
        }
        best.map(|(i, score)| Hit {
            subject: self.entries[i].subject.clone(),
            verification_id: self.entries[i].verification_id,
            score,
        })
    }
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
        let mut index = Index::new(EMBEDDING_DIM);
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
        let mut index = Index::new(EMBEDDING_DIM);
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
        let mut index = Index::new(513);
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
    fn dot_matches_a_plain_sum() {
        let (a, b) = (emb(1), emb(2));
        let plain: f32 = a.as_slice().iter().zip(b.as_slice()).map(|(x, y)| x * y).sum();
        assert!((dot(a.as_slice(), b.as_slice()) - plain).abs() < 1e-5);
    }
}
