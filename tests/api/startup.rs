//! Start-up refusals: the service never runs on a device or model it was not asked for.

use crate::helpers::settings;

#[cfg(not(feature = "cuda"))]
#[test]
fn asking_for_cuda_on_a_cpu_build_refuses_to_start() {
    let mut s = settings();
    s.models.device = faceverify::pipeline::Device::Cuda;
    s.models.workers = 1;
    let err = faceverify::engine::start(&s).err().expect("must refuse");
    assert!(err.to_string().contains("--features cuda"), "{err}");
}

#[test]
fn a_models_folder_without_the_setup_downloads_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("models/manifest.toml"), dir.path().join("manifest.toml")).expect("copy");
    let mut s = settings();
    s.models.dir = dir.path().to_path_buf();
    let err = faceverify::engine::start(&s).err().expect("must refuse");
    assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
}
