//! The screen's light on the skin: the face's chromaticity during the flash phase against the flashed colours'.

use image::RgbImage;

use crate::pipeline::Face;

use super::Challenge;

/// Frames this soon after a colour change (once the lag is applied) are left out: screen and camera blend colours.
pub const SETTLE_MS: u32 = 150;
/// Step of the lag search (one frame at 30 fps).
pub const LAG_STEP_MS: u32 = 33;
/// Fewest frames a lag must leave to be judged.
const MIN_FRAMES: usize = 4;

/// Chromaticity (r, g, b) / (r + g + b) of the mean colour of the face's inner region: between the eyes and the
/// mouth, inside the box. None when the region is empty or black.
pub fn inner_chromaticity(img: &RgbImage, face: &Face) -> Option<[f32; 3]> {
    let [l, r, _, ml, mr] = face.landmarks;
    let clamp_x = |v: f32| v.clamp(face.bbox[0], face.bbox[2]).clamp(0.0, img.width() as f32) as u32;
    let clamp_y = |v: f32| v.clamp(face.bbox[1], face.bbox[3]).clamp(0.0, img.height() as f32) as u32;
    let (x0, x1) = (clamp_x(l[0].min(ml[0])), clamp_x(r[0].max(mr[0])));
    let (y0, y1) = (clamp_y((l[1] + r[1]) / 2.0), clamp_y((ml[1] + mr[1]) / 2.0));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut sum = [0f64; 3];
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            let p = img.get_pixel(x, y).0;
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
    }
    let total = sum[0] + sum[1] + sum[2];
    if total <= 0.0 {
        return None;
    }
    Some(sum.map(|v| (v / total) as f32))
}

/// The chromaticity of a screen colour.
pub fn colour_chromaticity(rgb: [u8; 3]) -> [f32; 3] {
    let total = (u32::from(rgb[0]) + u32::from(rgb[1]) + u32::from(rgb[2])).max(1) as f32;
    rgb.map(|v| f32::from(v) / total)
}

/// How well the face's colour followed the schedule at the best lag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColourFit {
    /// Correlation of observed and expected chromaticity deviations (-1 to 1); 0 when no lag could be judged.
    pub correlation: f32,
    /// RMS of the observed chromaticity deviation at that lag.
    pub response: f32,
    pub lag_ms: u32,
    /// Frames the correlation used.
    pub frames: usize,
}

impl ColourFit {
    pub fn passes(&self, min_correlation: f32, min_response: f32) -> bool {
        self.frames >= MIN_FRAMES && self.correlation >= min_correlation && self.response >= min_response
    }
}

/// The colour expected at `at_ms` once `lag_ms` is taken off, unless it falls before the schedule, after it, or within
/// `SETTLE_MS` after a change.
fn settled_colour(challenge: &Challenge, at_ms: u32, lag_ms: u32) -> Option<[u8; 3]> {
    let t = at_ms.checked_sub(lag_ms)?;
    let mut start = 0u32;
    for flash in &challenge.flashes {
        let end = start.saturating_add(flash.duration_ms);
        if t < end {
            // The first colour is on screen from the first frame: no change to settle from at 0.
            return (start == 0 || t >= start + SETTLE_MS).then(|| flash.rgb());
        }
        start = end;
    }
    None
}

/// Correlates the observed chromaticities (`samples`: capture time and the face's chromaticity) with the schedule's,
/// searching the lag in [0, max_lag_ms]; returns the best fit.
pub fn fit(samples: &[(u32, [f32; 3])], challenge: &Challenge, max_lag_ms: u32) -> ColourFit {
    let mut best = ColourFit { correlation: 0.0, response: 0.0, lag_ms: 0, frames: 0 };
    let mut lag = 0;
    while lag <= max_lag_ms {
        let pairs: Vec<([f32; 3], [f32; 3])> = samples
            .iter()
            .filter_map(|(at, seen)| settled_colour(challenge, *at, lag).map(|c| (*seen, colour_chromaticity(c))))
            .collect();
        if let Some(candidate) = correlate(&pairs) {
            let candidate = ColourFit { lag_ms: lag, ..candidate };
            if best.frames == 0 || candidate.correlation > best.correlation {
                best = candidate;
            }
        }
        lag += LAG_STEP_MS;
    }
    best
}

/// Pearson-style correlation of the deviations from their means over 3 channels x frames (both series are centred,
/// so this is their cosine); None with too few frames or no variation in the expected colours.
fn correlate(pairs: &[([f32; 3], [f32; 3])]) -> Option<ColourFit> {
    if pairs.len() < MIN_FRAMES {
        return None;
    }
    let n = pairs.len() as f32;
    let mut mean_seen = [0f32; 3];
    let mut mean_expected = [0f32; 3];
    for (seen, expected) in pairs {
        for c in 0..3 {
            mean_seen[c] += seen[c] / n;
            mean_expected[c] += expected[c] / n;
        }
    }
    let (mut cross, mut seen_sq, mut expected_sq) = (0f32, 0f32, 0f32);
    for (seen, expected) in pairs {
        for c in 0..3 {
            let (o, e) = (seen[c] - mean_seen[c], expected[c] - mean_expected[c]);
            cross += o * e;
            seen_sq += o * o;
            expected_sq += e * e;
        }
    }
    if expected_sq <= f32::EPSILON {
        return None;
    }
    let correlation = if seen_sq <= 0.0 { 0.0 } else { cross / (seen_sq * expected_sq).sqrt() };
    let response = (seen_sq / (3.0 * n)).sqrt();
    Some(ColourFit { correlation, response, lag_ms: 0, frames: pairs.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::Flash;

    fn schedule(colours: &[&str], each_ms: u32) -> Challenge {
        Challenge {
            actions: vec![],
            flashes: colours.iter().map(|c| Flash { colour: (*c).to_owned(), duration_ms: each_ms }).collect(),
        }
    }

    /// A face of skin chromaticity lit by the schedule `lit_by`, `lag_ms` late, with a response of `k`.
    fn observe(lit_by: &Challenge, lag_ms: u32, k: f32, fps: u32) -> Vec<(u32, [f32; 3])> {
        let skin = [200.0f32, 150.0, 120.0];
        let mut out = Vec::new();
        let mut at = 0;
        while at < lit_by.flash_end_ms() + lag_ms {
            let light = lit_by.colour_at(at.saturating_sub(lag_ms)).unwrap_or([0, 0, 0]);
            let lit: Vec<f32> = (0..3).map(|c| skin[c] * (1.0 + k * f32::from(light[c]) / 255.0)).collect();
            let sum: f32 = lit.iter().sum();
            out.push((at, [lit[0] / sum, lit[1] / sum, lit[2] / sum]));
            at += 1000 / fps;
        }
        out
    }

    #[test]
    fn colours_in_sync_pass_at_their_lag() {
        let c = schedule(&["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff"], 500);
        let f = fit(&observe(&c, 100, 0.25, 10), &c, 1500);
        assert!(f.passes(0.8, 0.004), "{f:?}");
        assert!(f.correlation > 0.95, "{f:?}");
        // 500 ms colours seen at 10 frames a second: any delay up to a frame or two explains them as well.
        assert!(f.lag_ms <= 200, "{f:?}");
    }

    #[test]
    fn shuffled_colours_and_no_response_fail() {
        let c = schedule(&["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff"], 500);
        let complement = schedule(&["#00ffff", "#ff00ff", "#ffff00", "#0000ff", "#00ff00"], 500);
        let f = fit(&observe(&complement, 100, 0.25, 10), &c, 1500);
        assert!(!f.passes(0.8, 0.004), "complementary light: {f:?}");
        let shuffled = schedule(&["#0000ff", "#ff00ff", "#ff0000", "#00ff00", "#ffff00"], 500);
        let f = fit(&observe(&shuffled, 100, 0.25, 10), &c, 1500);
        assert!(!f.passes(0.8, 0.004), "shuffled: {f:?}");
        let f = fit(&observe(&c, 100, 0.0, 10), &c, 1500);
        assert!(!f.passes(0.8, 0.004), "a print does not respond: {f:?}");
        assert!(f.response < 1e-6);
    }

    #[test]
    fn too_few_frames_cannot_pass() {
        let c = schedule(&["#ff0000", "#00ff00", "#0000ff"], 400);
        let samples = observe(&c, 0, 0.25, 10);
        let f = fit(&samples[..3], &c, 0);
        assert!(!f.passes(0.6, 0.004), "{f:?}");
    }

    #[test]
    fn the_inner_region_is_between_eyes_and_mouth() {
        let mut img = RgbImage::from_pixel(100, 100, image::Rgb([0, 0, 255]));
        for y in 40..60 {
            for x in 30..70 {
                img.put_pixel(x, y, image::Rgb([200, 100, 100]));
            }
        }
        let face = Face {
            bbox: [20.0, 20.0, 80.0, 80.0],
            score: 0.9,
            landmarks: [[35.0, 40.0], [65.0, 40.0], [50.0, 50.0], [38.0, 59.0], [62.0, 59.0]],
        };
        let c = inner_chromaticity(&img, &face).expect("region");
        assert!((c[0] - 0.5).abs() < 1e-3 && (c[1] - 0.25).abs() < 1e-3, "{c:?}");
    }
}
