//! The upper tail of impostor scores, modelled so that the 1:N duplicate bar can follow the gallery's size.
//!
//! A duplicate search compares one face with every template held, so the chance that an honest applicant is
//! flagged (the false-positive identification rate) is FPIR = 1 - (1 - FMR(t))^N, about N x FMR(t). Keeping FPIR at
//! a target for N = 100,000 needs FMR near 1e-8: far beyond what any labelled set here can count. Above a high
//! quantile `from` the impostor scores are modelled by a generalised Pareto distribution (peaks over threshold,
//! Pickands-Balkema-de Haan), fitted by probability-weighted moments (Hosking & Wallis 1987), so FMR(t) is read
//! from the model, not from counts. `faceverify calibrate-1n` fits it and says how uncertain the fit is.

use serde::{Deserialize, Serialize};

/// P(impostor score >= t) = `fraction` x (1 + shape (t - from) / scale)^(-1/shape) for t >= `from`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImpostorTail {
    /// Where the modelled tail starts (a high quantile of the impostor scores).
    pub from: f32,
    /// The share of impostor scores above `from`.
    pub fraction: f64,
    /// Scale of the exceedances (cosine units).
    pub scale: f64,
    /// Shape: below 0 the tail ends at `from - scale / shape` (cosine scores are bounded), 0 is exponential.
    pub shape: f64,
}

/// Below this |shape| the exponential limit is used (the general formula loses precision).
const EXPONENTIAL: f64 = 1e-9;

impl ImpostorTail {
    pub fn validate(&self) -> Result<(), String> {
        let ok = (-1.0..=1.0).contains(&self.from)
            && self.fraction > 0.0
            && self.fraction <= 1.0
            && self.scale > 0.0
            && self.scale.is_finite()
            && self.shape.is_finite();
        if ok {
            Ok(())
        } else {
            Err("thresholds.impostor_tail: need -1 <= from <= 1, 0 < fraction <= 1, scale > 0, finite shape".into())
        }
    }

    /// The modelled share of impostor comparisons scoring at least `t` (`t` at or above `from`; below it the
    /// model says only "at least `fraction`", and answers that).
    pub fn fmr(&self, t: f32) -> f64 {
        let y = f64::from(t - self.from).max(0.0);
        let survival = if self.shape.abs() < EXPONENTIAL {
            (-y / self.scale).exp()
        } else {
            let base = 1.0 + self.shape * y / self.scale;
            if base <= 0.0 {
                0.0
            } else {
                base.powf(-1.0 / self.shape)
            }
        };
        self.fraction * survival
    }

    /// The lowest score whose modelled FMR is at most `rate` (`from` when the tail's own share already is; above 1
    /// when no cosine score is that rare).
    pub fn threshold_for(&self, rate: f64) -> f64 {
        if rate >= self.fraction {
            return f64::from(self.from);
        }
        if rate <= 0.0 {
            return f64::INFINITY;
        }
        let q = rate / self.fraction;
        let y = if self.shape.abs() < EXPONENTIAL {
            -self.scale * q.ln()
        } else {
            self.scale / self.shape * (q.powf(-self.shape) - 1.0)
        };
        f64::from(self.from) + y
    }

    /// False-positive identification rate of one search against `gallery` templates at bar `t`.
    pub fn fpir(&self, t: f32, gallery: usize) -> f64 {
        let fmr = self.fmr(t).min(1.0);
        -((gallery as f64) * (-fmr).ln_1p()).exp_m1()
    }

    /// The lowest bar at which one search against `gallery` templates flags an honest applicant with probability at
    /// most `target_fpir`.
    pub fn bar_for(&self, target_fpir: f64, gallery: usize) -> f64 {
        if gallery == 0 {
            return f64::NEG_INFINITY;
        }
        // 1 - (1 - fmr)^N = target  <=>  fmr = 1 - (1 - target)^(1/N).
        let fmr = -((-target_fpir).ln_1p() / gallery as f64).exp_m1();
        self.threshold_for(fmr)
    }

    /// Fits the tail to impostor scores: `from` is the (1 - `fraction`) quantile, the exceedances above it are
    /// fitted by probability-weighted moments. `None` with fewer than 10 exceedances or a degenerate sample.
    pub fn fit(scores: &[f32], fraction: f64) -> Option<Self> {
        let mut sorted: Vec<f32> = scores.iter().copied().filter(|s| s.is_finite()).collect();
        sorted.sort_by(f32::total_cmp);
        let n = sorted.len();
        let cut = ((n as f64) * (1.0 - fraction)).floor() as usize;
        let from = *sorted.get(cut.min(n.checked_sub(1)?))?;
        let y: Vec<f64> = sorted.iter().filter(|&&s| s > from).map(|&s| f64::from(s - from)).collect();
        let m = y.len();
        if m < 10 {
            return None;
        }
        // a0 = E[Y], a1 = E[Y (1 - F(Y))], plotting positions (i - 0.35) / m (Hosking & Wallis 1987).
        let a0 = y.iter().sum::<f64>() / m as f64;
        let a1 = y.iter().enumerate().map(|(i, v)| (1.0 - (i as f64 + 0.65) / m as f64) * v).sum::<f64>() / m as f64;
        let d = a0 - 2.0 * a1;
        if d <= 0.0 || a0 <= 0.0 {
            return None;
        }
        // Hosking's k is -shape.
        let k = a0 / d - 2.0;
        let scale = 2.0 * a0 * a1 / d;
        let tail = Self { from, fraction: m as f64 / n as f64, scale, shape: -k };
        tail.validate().ok().map(|()| tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores whose exceedances above 0.3 follow a GPD exactly (inverse CDF at evenly spaced probabilities).
    fn gpd_sample(scale: f64, shape: f64) -> Vec<f32> {
        let body: Vec<f32> = (0..9_000).map(|i| -0.2 + 0.5 * i as f32 / 9_000.0).collect();
        let tail = (0..1_000).map(|i| {
            let p = (i as f64 + 0.5) / 1_000.0;
            let y = scale / shape * ((1.0 - p).powf(-shape) - 1.0);
            (0.3 + y) as f32
        });
        body.into_iter().chain(tail).collect()
    }

    #[test]
    fn the_fit_recovers_a_known_tail() {
        for (scale, shape) in [(0.05, -0.2), (0.04, 0.1), (0.06, -0.4)] {
            let fit = ImpostorTail::fit(&gpd_sample(scale, shape), 0.1).expect("fit");
            assert!((fit.from - 0.3).abs() < 1e-3, "{fit:?}");
            assert!((fit.scale - scale).abs() < 0.1 * scale, "scale {scale} shape {shape}: {fit:?}");
            assert!((fit.shape - shape).abs() < 0.05, "scale {scale} shape {shape}: {fit:?}");
        }
    }

    #[test]
    fn threshold_and_fmr_are_inverse() {
        for shape in [-0.3, 0.0, 0.2] {
            let tail = ImpostorTail { from: 0.25, fraction: 0.05, scale: 0.05, shape };
            for rate in [1e-3, 1e-5, 1e-8] {
                let t = tail.threshold_for(rate);
                let back = tail.fmr(t as f32);
                assert!((back / rate - 1.0).abs() < 1e-3, "shape {shape} rate {rate}: t {t}, back {back}");
            }
            assert_eq!(tail.threshold_for(0.5), 0.25);
        }
    }

    #[test]
    fn the_bar_rises_with_the_gallery_and_holds_the_target() {
        let tail = ImpostorTail { from: 0.25, fraction: 0.05, scale: 0.05, shape: -0.1 };
        let bars: Vec<f64> = [1, 1_000, 10_000, 100_000, 1_000_000].map(|n| tail.bar_for(1e-3, n)).to_vec();
        assert!(bars.windows(2).all(|w| w[0] < w[1]), "{bars:?}");
        for n in [10_000, 1_000_000] {
            let bar = tail.bar_for(1e-3, n) as f32;
            let fpir = tail.fpir(bar, n);
            assert!(fpir <= 1.0001e-3 && fpir > 0.9e-3, "n {n}: fpir {fpir}");
        }
        // A bounded tail (shape < 0) has an end: no cosine that rare lies beyond it.
        let bounded = ImpostorTail { shape: -0.5, ..tail };
        assert_eq!(bounded.fmr(0.25 + 0.1 + 1e-4), 0.0);
        assert!(tail.bar_for(1e-3, 0).is_infinite());
    }

    #[test]
    fn degenerate_samples_do_not_fit() {
        assert!(ImpostorTail::fit(&[0.1; 500], 0.05).is_none());
        assert!(ImpostorTail::fit(&[], 0.05).is_none());
        assert!(ImpostorTail::fit(&(0..50).map(|i| i as f32 / 100.0).collect::<Vec<_>>(), 0.05).is_none());
    }
}
