//! PP-OCRv4 text recognition (SVTR-LCNet with a CTC head, from the rapidocr-onnxruntime wheel): reads one line.
//! faceverify reads only the document's machine-readable zone with it (`document::mrz`).
//!
//! As rapidocr does it: the line's oriented box cut out and levelled (an affine warp from three of its corners) at
//! height 48, its width following the box's aspect ratio; BGR, `(v / 255 - 0.5) / 0.5`; greedy CTC decoding
//! (the best class per step, repeats merged, class 0 the blank). The alphabet is the model's own, stored in its
//! ONNX metadata under `character`, with the blank before it and a space after it.

use image::RgbImage;
use ndarray::Array4;
use ort::session::Session;
use ort::value::TensorRef;
use zeroize::Zeroizing;

use super::image_ops::{warp_affine, Affine};
use super::models::{InferenceError, ModelError};
use super::text_detect::TextBox;

const HEIGHT: u32 = 48;
const MAX_WIDTH: u32 = 2400;

pub(crate) struct TextRecognizer {
    session: Session,
    /// Class index -> text; 0 is the CTC blank (an empty string).
    alphabet: Vec<String>,
}

impl TextRecognizer {
    pub(crate) fn new(session: Session, path: &std::path::Path) -> Result<Self, ModelError> {
        let err = |reason: &str| ModelError::Session { path: path.into(), reason: reason.into() };
        let characters = session
            .metadata()
            .map_err(|e| err(&e.to_string()))?
            .custom("character")
            .ok_or_else(|| err("no `character` alphabet in the model's metadata"))?;
        let mut alphabet = vec![String::new()];
        alphabet.extend(characters.split('\n').map(str::to_owned));
        alphabet.push(" ".into());
        Ok(Self { session, alphabet })
    }

    /// The text of one line. Personal data (an MRZ holds names, dates, numbers): the crop and the input tensor
    /// are zeroed afterwards, the text on drop.
    pub(crate) fn read(&mut self, img: &RgbImage, line: &TextBox) -> Result<Zeroizing<String>, InferenceError> {
        let crop = Zeroizing::new(level(img, line).into_raw());
        let w = crop.len() / 3 / HEIGHT as usize;
        let mut input = Array4::<f32>::zeros((1, 3, HEIGHT as usize, w));
        for (i, p) in crop.chunks_exact(3).enumerate() {
            let (y, x) = (i / w, i % w);
            for (c, v) in [p[2], p[1], p[0]].into_iter().enumerate() {
                input[[0, c, y, x]] = f32::from(v) / 127.5 - 1.0;
            }
        }
        let result = self.infer(&input);
        input.fill(0.0);
        result
    }

    fn infer(&mut self, input: &Array4<f32>) -> Result<Zeroizing<String>, InferenceError> {
        let tensor = TensorRef::from_array_view(input).map_err(|e| InferenceError::new("ppocr_rec", e))?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("ppocr_rec", e))?;
        let probs = outputs[0].try_extract_array::<f32>().map_err(|e| InferenceError::new("ppocr_rec", e))?;
        let shape = probs.shape().to_vec();
        let [1, steps, classes] = shape[..] else {
            return Err(InferenceError::new("ppocr_rec", format!("unexpected output shape {shape:?}")));
        };
        if classes != self.alphabet.len() {
            let reason = format!("{classes} classes, alphabet of {}", self.alphabet.len());
            return Err(InferenceError::new("ppocr_rec", reason));
        }
        let flat: Vec<f32> = probs.iter().copied().collect();
        let best = (0..steps).map(|t| argmax(&flat[t * classes..(t + 1) * classes]));
        Ok(Zeroizing::new(ctc_greedy(best, &self.alphabet)))
    }
}

/// The line cut out of `img` along its oriented box, levelled, `HEIGHT` pixels high.
fn level(img: &RgbImage, line: &TextBox) -> RgbImage {
    let [tl, tr, _, bl] = line.corners;
    let aspect = line.length() / line.thickness().max(1.0);
    let w = ((HEIGHT as f32 * aspect).ceil() as u32).clamp(HEIGHT / 3, MAX_WIDTH);
    let (wf, hf) = (f64::from(w), f64::from(HEIGHT));
    let to_source = Affine {
        m: [
            [f64::from(tr[0] - tl[0]) / wf, f64::from(bl[0] - tl[0]) / hf, f64::from(tl[0])],
            [f64::from(tr[1] - tl[1]) / wf, f64::from(bl[1] - tl[1]) / hf, f64::from(tl[1])],
        ],
    };
    match to_source.inverse() {
        Some(to_line) => warp_affine(img, &to_line, w, HEIGHT),
        None => RgbImage::new(w, HEIGHT),
    }
}

fn argmax(v: &[f32]) -> usize {
    v.iter().enumerate().fold((0, f32::MIN), |best, (i, &p)| if p > best.1 { (i, p) } else { best }).0
}

/// Greedy CTC: repeats merged, blanks (class 0) dropped.
fn ctc_greedy(best: impl Iterator<Item = usize>, alphabet: &[String]) -> String {
    let mut out = String::new();
    let mut previous = None;
    for class in best {
        if Some(class) != previous && class != 0 {
            out.push_str(alphabet.get(class).map(String::as_str).unwrap_or(""));
        }
        previous = Some(class);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks_but_keeps_letters_a_blank_separates() {
        let alphabet: Vec<String> = ["", "<", "A", "1"].iter().map(|s| s.to_string()).collect();
        let steps = [2, 2, 0, 2, 1, 1, 0, 1, 3, 0, 0];
        assert_eq!(ctc_greedy(steps.into_iter(), &alphabet), "AA<<1");
    }

    #[test]
    fn a_level_line_is_cut_out_at_the_models_height() {
        let img = RgbImage::from_fn(200, 100, |x, _| image::Rgb([if x < 100 { 0 } else { 255 }, 0, 0]));
        let line = TextBox { corners: [[20.0, 40.0], [180.0, 40.0], [180.0, 60.0], [20.0, 60.0]], score: 1.0 };
        let crop = level(&img, &line);
        assert_eq!(crop.dimensions(), (384, HEIGHT));
        assert_eq!(crop.get_pixel(10, 24).0[0], 0);
        assert_eq!(crop.get_pixel(370, 24).0[0], 255);
    }
}
