//! Checks on the document part beyond its face. The same-picture check (the document portrait is the selfie's own
//! photo, or a copy of it) is a threshold on the selfie-document similarity (`thresholds.same_picture_min`, in
//! `decision`); `eval` is the measurement that sets it. The document's portrait is also searched 1:N (see
//! `http::verifications`).

pub mod eval;
