//! What the benches that read ../shared have in common (a module, not a bench target: cargo only takes
//! benches/*.rs and benches/*/main.rs as benches).

use std::path::{Path, PathBuf};

/// ../shared (or FACEVERIFY_SHARED_DIR) when it holds the evaluation photos.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FACEVERIFY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    dir.join("data/faces/pairs.csv").is_file().then_some(dir)
}
