//! Checks on the document part beyond its face. `presence`: the photo shows a document at all (printed text around the
//! portrait), else `document_not_found`. `mrz` reads the machine-readable zone where there is one, `iin` checks the
//! Kazakh IIN; `decision::flag_document_data` compares them with what the client sent. The same-picture check (the
//! document portrait is the selfie's own photo, or a copy of it) is a threshold on the selfie-document similarity
//! (`thresholds.same_picture_min`, in `decision`); `cli::eval::same_picture` is the measurement that sets it. The
//! document's portrait is also searched 1:N (see `http::verifications`).

pub mod iin;
pub mod mrz;
pub mod presence;
pub mod synth;

use serde::Deserialize;

/// `[pipeline.document]`: what is checked on the document photo besides its face.
#[derive(Debug, Clone, Deserialize)]
pub struct DocumentSettings {
    /// Refuse document photos without enough printed text (`document_not_found`). Off only for tools that compare
    /// faces alone (`time-pairs`), never for the service.
    pub required: bool,
    /// Text lines a document photo must show.
    pub min_text_lines: usize,
    /// Read the machine-readable zone where the photo shows one, when the request carries `iin` or `birth_date` to
    /// compare it with (reading costs up to six text recognitions).
    pub read_mrz: bool,
}

/// The values of config/default.toml (the one source of defaults), for tools and tests that need no settings file;
/// `config::tests` keeps them equal.
impl Default for DocumentSettings {
    fn default() -> Self {
        Self { required: true, min_text_lines: 8, read_mrz: true }
    }
}
