//! Model files: the manifest with their hashes, the ONNX Runtime environment and session creation.
//! Load-time failures are `ModelError`s (the service refuses to start); inference-time ones are `InferenceError`s.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::recognition::{RecognitionLayout, TemplateSpace};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("model role `{0}` is missing from the manifest")]
    MissingRole(&'static str),
    #[error("model file {path} is missing or unreadable (run scripts/setup.sh): {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("model file {path} has sha256 {actual}, the manifest says {expected}: refusing to load it")]
    HashMismatch { path: PathBuf, expected: String, actual: String },
    #[error("cannot load ONNX Runtime from {path} (run scripts/setup.sh): {reason}")]
    Runtime { path: PathBuf, reason: String },
    #[error("ONNX Runtime rejected model {path}: {reason}")]
    Session { path: PathBuf, reason: String },
    #[error("execution provider `{0}` was requested but this build lacks it (rebuild with --features cuda)")]
    ProviderNotBuilt(&'static str),
    #[error("recognition model {path}: {reason} (models/manifest.toml, [model.layout])")]
    Layout { path: PathBuf, reason: String },
}

#[derive(Debug, thiserror::Error)]
#[error("inference failed in {model}: {reason}")]
pub struct InferenceError {
    pub model: &'static str,
    pub reason: String,
}

impl InferenceError {
    pub(crate) fn new(model: &'static str, reason: impl std::fmt::Display) -> Self {
        Self { model, reason: reason.to_string() }
    }
}

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Cpu,
    Cuda,
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    model: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, Deserialize)]
struct ManifestEntry {
    role: String,
    file: PathBuf,
    sha256: String,
    /// The recognition model's input and output (required for it, refused for any other role).
    layout: Option<RecognitionLayout>,
}

/// The verified paths of the model files.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub detection: PathBuf,
    pub recognition: PathBuf,
    /// What the recognition model reads and returns.
    pub recognition_layout: RecognitionLayout,
    /// The templates the recognition model makes: its sha256 and their length.
    pub template_space: TemplateSpace,
    pub liveness_v2: PathBuf,
    pub liveness_v1se: PathBuf,
    /// PP-OCRv4 text detection: is the document photo a document.
    pub text_detection: PathBuf,
    /// PP-OCRv4 text recognition: the document's machine-readable zone.
    pub text_recognition: PathBuf,
}

impl ModelFiles {
    /// Reads `dir/manifest.toml` and checks the sha256 of every file it lists.
    pub fn verified(dir: &Path) -> Result<Self, ModelError> {
        let (path, manifest) = read_manifest(dir)?;
        let entry = |role: &'static str| -> Result<&ManifestEntry, ModelError> {
            manifest.model.iter().find(|m| m.role == role).ok_or(ModelError::MissingRole(role))
        };
        let verify = |entry: &ManifestEntry| -> Result<PathBuf, ModelError> {
            let file = dir.join(&entry.file);
            verify_sha256(&file, &entry.sha256)?;
            Ok(file)
        };
        let find = |role: &'static str| verify(entry(role)?);
        if let Some(entry) = manifest.model.iter().find(|m| m.role != "recognition" && m.layout.is_some()) {
            let reason = format!("role `{}` has a layout; only the recognition model takes one", entry.role);
            return Err(ModelError::Manifest { path, reason });
        }
        let recognition_entry = entry("recognition")?;
        let recognition = verify(recognition_entry)?;
        let layout_err = |reason: String| ModelError::Layout { path: recognition.clone(), reason };
        let layout =
            recognition_entry.layout.clone().ok_or_else(|| layout_err("the manifest gives no layout".into()))?;
        if let Some(problem) = layout.problem() {
            return Err(layout_err(problem.into()));
        }
        let model_sha256 = recognition_entry.sha256.to_ascii_lowercase();
        let template_space = TemplateSpace { model_sha256, dim: layout.embedding_dim };
        Ok(Self {
            detection: find("detection")?,
            recognition,
            recognition_layout: layout,
            template_space,
            liveness_v2: find("liveness_v2")?,
            liveness_v1se: find("liveness_v1se")?,
            text_detection: find("text_detection")?,
            text_recognition: find("text_recognition")?,
        })
    }
}

/// One model file as the manifest lists it (and as `ModelFiles::verified` checked it at start).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelHash {
    pub role: String,
    pub file: PathBuf,
    pub sha256: String,
}

impl ModelFiles {
    /// The manifest's roles, files and sha256, without hashing the files again: the service refused to start
    /// unless every file matched them (evidence packages record them).
    pub fn manifest_hashes(dir: &Path) -> Result<Vec<ModelHash>, ModelError> {
        let (_, manifest) = read_manifest(dir)?;
        Ok(manifest
            .model
            .into_iter()
            .map(|m| ModelHash { role: m.role, file: m.file, sha256: m.sha256.to_ascii_lowercase() })
            .collect())
    }
}

/// `dir/manifest.toml`, parsed, and its path.
fn read_manifest(dir: &Path) -> Result<(PathBuf, ManifestFile), ModelError> {
    let path = dir.join("manifest.toml");
    let parsed = std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str(&text).map_err(|e| e.to_string()));
    match parsed {
        Ok(manifest) => Ok((path, manifest)),
        Err(reason) => Err(ModelError::Manifest { path, reason }),
    }
}

fn verify_sha256(path: &Path, expected: &str) -> Result<(), ModelError> {
    let mut file = std::fs::File::open(path).map_err(|e| ModelError::Unreadable { path: path.into(), source: e })?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| ModelError::Unreadable { path: path.into(), source: e })?;
    let actual = hex::encode(hasher.finalize());
    if actual != expected.to_ascii_lowercase() {
        return Err(ModelError::HashMismatch { path: path.into(), expected: expected.into(), actual });
    }
    Ok(())
}

/// ONNX Runtime allows one environment per process; every pipeline shares it.
static ENVIRONMENT: Mutex<Option<(PathBuf, Environment)>> = Mutex::new(None);

/// The process-wide ONNX Runtime environment, loading the shared library from `dylib` on first use.
pub fn environment(dylib: &Path) -> Result<Environment, ModelError> {
    let runtime_err = |reason: String| ModelError::Runtime { path: dylib.into(), reason };
    // Checked before the cached environment: a missing library is an error whatever was loaded before.
    if !dylib.is_file() {
        return Err(runtime_err("file not found".into()));
    }
    let mut slot = ENVIRONMENT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, env)) = slot.as_ref() {
        return Ok(env.clone());
    }
    let env = ort::init_from(dylib)
        .map_err(|e| runtime_err(e.to_string()))?
        .with_name("faceverify")
        .with_telemetry(false)
        .build()
        .map_err(|e| runtime_err(e.to_string()))?;
    *slot = Some((dylib.into(), env.clone()));
    Ok(env)
}

/// Options shared by every session of one pipeline.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub intra_threads: usize,
    pub device: Device,
}

/// The edits a session's graph gets beyond those every session gets (initializer inputs dropped, PRelu as Max).
#[derive(Debug, Clone, Copy, Default)]
pub struct GraphShape {
    /// Any number of samples (`onnx_graph::with_dynamic_batch`): a batcher's session.
    pub batched: bool,
    /// The picture as bytes `[N, H, W, 3]` RGB (`onnx_graph::with_image_input`), for a model whose input planes
    /// are in this order, raw 0..255.
    pub image_input: Option<super::recognition::ColourOrder>,
}

impl GraphShape {
    /// The detector's and the liveness models': bytes in, planes in BGR order.
    pub fn bgr_bytes(batched: bool) -> Self {
        Self { batched, image_input: Some(super::recognition::ColourOrder::Bgr) }
    }
}

pub(crate) fn open_session(env: &Environment, path: &Path, opts: &SessionOptions) -> Result<Session, ModelError> {
    open_shaped_session(env, path, opts, GraphShape::default())
}

/// A session whose graph has the edits of `shape`, on `opts.device`.
pub fn open_shaped_session(
    env: &Environment,
    path: &Path,
    opts: &SessionOptions,
    shape: GraphShape,
) -> Result<Session, ModelError> {
    let session_err = |reason: String| ModelError::Session { path: path.into(), reason };
    let builder = Session::builder(env).map_err(|e| session_err(e.to_string()))?;
    let builder = builder.with_intra_threads(opts.intra_threads.max(1)).map_err(|e| session_err(e.to_string()))?;
    let builder = builder.with_inter_threads(1).map_err(|e| session_err(e.to_string()))?;
    let mut builder = with_device(builder, opts.device, path)?;
    let bytes = std::fs::read(path).map_err(|e| ModelError::Unreadable { path: path.into(), source: e })?;
    // One edit after the other, each copy dropped as soon as the next exists: two copies of SFace's 38 MB at most.
    let graph = edited(bytes, super::onnx_graph::without_initializer_inputs).map_err(|e| session_err(e.to_string()))?;
    let mut graph = edited(graph, super::onnx_graph::prelu_as_max).map_err(|e| session_err(e.to_string()))?;
    if shape.batched {
        graph = super::onnx_graph::with_dynamic_batch(&graph).map_err(|e| session_err(e.to_string()))?;
    }
    if let Some(order) = shape.image_input {
        let bgr = order == super::recognition::ColourOrder::Bgr;
        graph = super::onnx_graph::with_image_input(&graph, bgr).map_err(|e| session_err(e.to_string()))?;
    }
    builder.commit_from_memory(&graph).map_err(|e| session_err(e.to_string()))
}

/// `model` after `edit`, the original dropped when the edit made a copy.
fn edited(
    model: Vec<u8>,
    edit: impl for<'a> FnOnce(&'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>, super::onnx_graph::FormatError>,
) -> Result<Vec<u8>, super::onnx_graph::FormatError> {
    let copy = match edit(&model)? {
        std::borrow::Cow::Owned(copy) => Some(copy),
        std::borrow::Cow::Borrowed(_) => None,
    };
    Ok(copy.unwrap_or(model))
}

/// One run of a session whose graph reads bytes (`GraphShape::image_input`) over `pictures`, each `height` x `width`
/// RGB: a lone picture is read where it lies; several are put side by side first, in a buffer zeroed afterwards
/// whatever the run's outcome (they are photos of faces).
pub(crate) fn run_on_pictures<'s>(
    session: &'s mut Session,
    model: &'static str,
    pictures: &[&[u8]],
    (height, width): (usize, usize),
) -> Result<ort::session::SessionOutputs<'s>, InferenceError> {
    let err = |e: &dyn std::fmt::Display| InferenceError::new(model, e);
    let joined: zeroize::Zeroizing<Vec<u8>>;
    let bytes: &[u8] = match pictures {
        [one] => one,
        _ => {
            joined = zeroize::Zeroizing::new(pictures.concat());
            &joined
        }
    };
    let view = ndarray::ArrayView4::from_shape((pictures.len(), height, width, 3), bytes).map_err(|e| err(&e))?;
    let tensor = ort::value::TensorRef::from_array_view(view).map_err(|e| err(&e))?;
    session.run(ort::inputs![tensor]).map_err(|e| err(&e))
}

/// Registers the execution provider for `device`. CUDA fails hard (`error_on_failure`): an operator who asked
/// for the GPU must not silently get the CPU.
fn with_device(
    builder: ort::session::builder::SessionBuilder,
    device: Device,
    path: &Path,
) -> Result<ort::session::builder::SessionBuilder, ModelError> {
    match device {
        Device::Cpu => Ok(builder),
        #[cfg(feature = "cuda")]
        Device::Cuda => {
            builder.with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()]).map_err(|e| {
                ModelError::Session { path: path.into(), reason: format!("CUDA execution provider did not load: {e}") }
            })
        }
        #[cfg(not(feature = "cuda"))]
        Device::Cuda => {
            let _ = (builder, path);
            Err(ModelError::ProviderNotBuilt("cuda"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const LAYOUT: &str = "[model.layout]\ninput_size = 112\ncolour = \"rgb\"\nmean = [0.0, 0.0, 0.0]\n\
                          std = [1.0, 1.0, 1.0]\nembedding_dim = 128\n";

    fn manifest_dir(detection_sha: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut manifest = String::new();
        for role in ["detection", "recognition", "liveness_v2", "liveness_v1se", "text_detection", "text_recognition"] {
            std::fs::write(dir.path().join(format!("{role}.onnx")), b"").expect("write");
            let sha = if role == "detection" { detection_sha } else { EMPTY_SHA256 };
            manifest.push_str(&format!("[[model]]\nrole = \"{role}\"\nfile = \"{role}.onnx\"\nsha256 = \"{sha}\"\n"));
            if role == "recognition" {
                manifest.push_str(LAYOUT);
            }
        }
        std::fs::write(dir.path().join("manifest.toml"), manifest).expect("write");
        dir
    }

    #[test]
    fn files_matching_the_manifest_are_accepted() {
        let dir = manifest_dir(EMPTY_SHA256);
        let files = ModelFiles::verified(dir.path()).expect("verified");
        assert!(files.recognition.ends_with("recognition.onnx"));
        assert_eq!(files.recognition_layout, RecognitionLayout::SFACE);
        assert_eq!(files.template_space, TemplateSpace { model_sha256: EMPTY_SHA256.into(), dim: 128 });
    }

    #[test]
    fn a_recognition_model_without_a_layout_or_with_an_impossible_one_is_refused() {
        let dir = manifest_dir(EMPTY_SHA256);
        let manifest = dir.path().join("manifest.toml");
        let text = std::fs::read_to_string(&manifest).expect("read");
        std::fs::write(&manifest, text.replace(LAYOUT, "")).expect("write");
        let err = ModelFiles::verified(dir.path()).expect_err("no layout");
        assert!(matches!(err, ModelError::Layout { .. }) && err.to_string().contains("no layout"), "{err}");
        std::fs::write(&manifest, text.replace("embedding_dim = 128", "embedding_dim = 0")).expect("write");
        let err = ModelFiles::verified(dir.path()).expect_err("bad layout");
        assert!(err.to_string().contains("embedding_dim"), "{err}");
        // The last entry (text_recognition) gets a layout as well.
        std::fs::write(&manifest, format!("{text}{LAYOUT}")).expect("write");
        let err = ModelFiles::verified(dir.path()).expect_err("layout on text recognition");
        assert!(err.to_string().contains("only the recognition model"), "{err}");
    }

    #[test]
    fn a_changed_model_file_is_refused_with_its_path() {
        let dir = manifest_dir(&"0".repeat(64));
        let err = ModelFiles::verified(dir.path()).expect_err("mismatch");
        assert!(matches!(err, ModelError::HashMismatch { .. }));
        assert!(err.to_string().contains("detection.onnx"), "{err}");
    }

    #[test]
    fn a_missing_runtime_library_is_an_error_not_a_panic() {
        let err = environment(Path::new("/nonexistent/libonnxruntime.so")).map(|_| ()).expect_err("missing");
        assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
    }
}
