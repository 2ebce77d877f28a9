//! The synthesised document photos (`faceverify::document::synth`), and a place to keep some for a look.

pub use faceverify::document::synth::*;

/// Keeps a generated photo under target/tmp/document-photos for a look, as the console's screenshots are kept.
pub fn keep(name: &str, jpeg: &[u8]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/document-photos");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(name), jpeg).expect("write");
}
