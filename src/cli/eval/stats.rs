//! Small-sample statistics for the accuracy reports: every rate is published with its sample size and a 95%
//! interval.

use serde::Serialize;

/// `k` of `n`, with the Wilson score interval at 95% (sound at k = 0 or k = n, where the normal approximation
/// gives an empty interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Proportion {
    pub k: usize,
    pub n: usize,
    pub rate: f64,
    pub ci95: [f64; 2],
}

impl Proportion {
    pub fn new(k: usize, n: usize) -> Self {
        if n == 0 {
            return Self { k, n, rate: 0.0, ci95: [0.0, 1.0] };
        }
        const Z: f64 = 1.959_963_984_540_054;
        let (kf, nf) = (k as f64, n as f64);
        let p = kf / nf;
        let z2 = Z * Z;
        let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
        let half = Z * ((p * (1.0 - p) + z2 / (4.0 * nf)) / nf).sqrt() / (1.0 + z2 / nf);
        let round = |v: f64| (v.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
        Self { k, n, rate: round(p), ci95: [round(centre - half), round(centre + half)] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_published_values() {
        // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634] (Newcombe 1998, method 3).
        assert_eq!(Proportion::new(0, 10).ci95, [0.0, 0.2775]);
        assert_eq!(Proportion::new(5, 10).ci95, [0.2366, 0.7634]);
        assert_eq!(Proportion::new(10, 10).ci95, [0.7225, 1.0]);
        assert_eq!(Proportion::new(0, 0).ci95, [0.0, 1.0]);
    }
}
