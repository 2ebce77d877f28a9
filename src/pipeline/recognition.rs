//! What the recognition model wants and gives: its input layout and embedding size, read from the manifest's
//! `[model.layout]` (models/manifest.toml), so a lender can put another ONNX face-embedding model (a licensed
//! ArcFace-class one, say) in SFace's place. Templates remember the model they came from (`TemplateSpace`): two
//! templates are only ever compared when one model made both.

use serde::Deserialize;

/// The order of the colour planes the model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColourOrder {
    Rgb,
    Bgr,
}

/// A recognition model's input and output: a square face aligned to the ArcFace five-point template (scaled to
/// `input_size`), planes in `colour` order, each value `(v - mean[c]) / std[c]` for pixel values v in 0..255,
/// one output of `embedding_dim` values per face.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecognitionLayout {
    pub input_size: u32,
    pub colour: ColourOrder,
    /// Per plane, in the model's colour order.
    pub mean: [f32; 3],
    pub std: [f32; 3],
    pub embedding_dim: usize,
}

impl RecognitionLayout {
    /// SFace 2021dec's: 112x112 RGB, raw 0..255, 128 values.
    pub const SFACE: RecognitionLayout = RecognitionLayout {
        input_size: 112,
        colour: ColourOrder::Rgb,
        mean: [0.0; 3],
        std: [1.0; 3],
        embedding_dim: 128,
    };

    /// Why this layout cannot be right, if it cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if !(32..=1024).contains(&self.input_size) {
            return Some("input_size must be 32..=1024 pixels");
        }
        if !(16..=8192).contains(&self.embedding_dim) {
            return Some("embedding_dim must be 16..=8192");
        }
        if self.mean.iter().any(|m| !m.is_finite()) {
            return Some("mean must be finite");
        }
        if self.std.iter().any(|s| !s.is_finite() || *s == 0.0) {
            return Some("std must be finite and non-zero");
        }
        None
    }

    /// Whether the input is the raw pixel values (SFace's), so normalising can be skipped.
    pub(crate) fn is_raw(&self) -> bool {
        self.mean == [0.0; 3] && self.std == [1.0; 3]
    }
}

/// The model a template came from (the sha256 of its ONNX file, as the manifest lists it) and the template's
/// length. Sealed templates are bound to the model (the associated data names it), so a template of one model is
/// never opened as another's; the gallery holds only the running model's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSpace {
    pub model_sha256: String,
    pub dim: usize,
}

impl TemplateSpace {
    /// SFace 2021dec, the model of every template stored before templates named theirs.
    pub fn sface() -> Self {
        Self { model_sha256: SFACE_2021DEC_SHA256.to_owned(), dim: RecognitionLayout::SFACE.embedding_dim }
    }
}

/// models/manifest.toml's sha256 of face_recognition_sface_2021dec.onnx.
pub const SFACE_2021DEC_SHA256: &str = "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sface_layout_is_valid_and_raw() {
        assert_eq!(RecognitionLayout::SFACE.problem(), None);
        assert!(RecognitionLayout::SFACE.is_raw());
    }

    #[test]
    fn impossible_layouts_are_named() {
        let bad = |f: fn(&mut RecognitionLayout)| {
            let mut l = RecognitionLayout::SFACE;
            f(&mut l);
            l.problem()
        };
        assert!(bad(|l| l.input_size = 8).is_some_and(|p| p.contains("input_size")));
        assert!(bad(|l| l.embedding_dim = 0).is_some_and(|p| p.contains("embedding_dim")));
        assert!(bad(|l| l.std[1] = 0.0).is_some_and(|p| p.contains("std")));
        assert!(bad(|l| l.mean[2] = f32::NAN).is_some_and(|p| p.contains("mean")));
    }

    #[test]
    fn a_layout_table_parses_and_refuses_unknown_keys() {
        let toml = "input_size = 128\ncolour = \"bgr\"\nmean = [127.5, 127.5, 127.5]\nstd = [128.0, 128.0, 128.0]\n\
                    embedding_dim = 512\n";
        let layout: RecognitionLayout = toml::from_str(toml).expect("parses");
        assert_eq!(layout.colour, ColourOrder::Bgr);
        assert_eq!(layout.embedding_dim, 512);
        assert!(!layout.is_raw());
        assert!(toml::from_str::<RecognitionLayout>(&format!("{toml}swap_rb = true\n")).is_err());
    }
}
