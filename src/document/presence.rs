//! Is the document photo an identity document at all? A plain portrait is not. An ID card (ICAO 9303 TD1) or a
//! passport data page (TD3) prints, around a small portrait, a visual inspection zone of at least eight labelled
//! fields (document type, issuing state, surname, given names, nationality, date of birth, sex, document number,
//! expiry; Kazakhstan's ID card adds the IIN, in two languages) and, on the back or below, the machine-readable
//! zone. So a document photo shows many short lines of printed text; a selfie or a press photo shows few.
//!
//! The rule counts text lines (PP-OCRv4 text regions at least twice as long as thick) and asks for
//! `min_text_lines`, default 8: the count of mandatory data-page fields, chosen from the specification and not
//! fitted to the shared photos; `faceverify eval-documents` reports what it finds and refuses there
//! (docs/accuracy.md). It locates no card outline: a document photographed on a cluttered, text-covered desk would
//! pass on its surroundings, and a portrait printed next to eight lines of typed text would pass too. Presence is
//! the first gate, not an authenticity check.

use super::DocumentSettings;
use crate::pipeline::TextBox;

/// Text regions that look like a line of print: at least twice as long as thick.
pub fn text_lines(boxes: &[TextBox]) -> usize {
    boxes.iter().filter(|b| b.length() >= 2.0 * b.thickness()).count()
}

impl DocumentSettings {
    pub fn document_found(&self, lines: usize) -> bool {
        lines >= self.min_text_lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(w: f32, h: f32) -> TextBox {
        TextBox { corners: [[10.0, 10.0], [10.0 + w, 10.0], [10.0 + w, 10.0 + h], [10.0, 10.0 + h]], score: 0.9 }
    }

    #[test]
    fn only_wide_regions_count_as_lines() {
        let boxes = [line(100.0, 20.0), line(40.0, 20.0), line(39.0, 20.0), line(20.0, 60.0)];
        assert_eq!(text_lines(&boxes), 2);
    }

    #[test]
    fn a_document_needs_the_configured_number_of_lines() {
        let rule = DocumentSettings::default();
        assert!(!rule.document_found(7));
        assert!(rule.document_found(8));
    }
}
