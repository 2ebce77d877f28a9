//! Builders of synthetic and hostile inputs, shared by unit tests, API tests, benches and fuzz seeds.

use image::{Rgb, RgbImage};

use super::{Embedding, EMBEDDING_DIM};

/// A deterministic pseudo-random unit vector (xorshift): distinct seeds are nearly orthogonal, so synthetic
/// galleries behave like galleries of different people.
pub fn synthetic_embedding(seed: u64) -> Embedding {
    synthetic_embedding_of(seed, EMBEDDING_DIM)
}

/// As `synthetic_embedding`, `dim` values long (another recognition model's templates).
pub fn synthetic_embedding_of(seed: u64, dim: usize) -> Embedding {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut raw = vec![0.0f32; dim.max(1)];
    for v in raw.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *v = (x % 2001) as f32 / 1000.0 - 1.0;
    }
    // x starts odd and xorshift never reaches zero, so the vector has non-zero components.
    Embedding::normalised(&mut raw).unwrap_or_else(|| unreachable!("xorshift never yields an all-zero vector"))
}

/// Rewrites the IHDR width/height of a PNG (and its CRC) so the header claims `w` x `h` pixels.
pub fn png_with_dimensions(png: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    // 8-byte signature, 4-byte length, "IHDR", then width and height.
    if out.len() < 33 {
        return out;
    }
    out[16..20].copy_from_slice(&w.to_be_bytes());
    out[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The service's resize (OpenCV's INTER_LINEAR), for benches.
pub fn resize(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    super::image_ops::resize_linear(src, dst_w, dst_h)
}

/// The float planes the service wrote for a model before the graphs read bytes (`onnx_graph::with_image_input`):
/// what the benches compare the byte input with.
pub fn write_planar(img: &RgbImage, bgr: bool, dst: &mut ndarray::ArrayViewMut3<'_, f32>) {
    super::image_ops::write_planar(img, bgr, dst)
}

/// The pixel-by-pixel bilinear resize the service used before it worked on rows, kept as the reference the row
/// version must equal byte for byte (image_ops tests) and as the bench's "before". Not for an exact halving, which
/// OpenCV (and `resize`) average in 2x2 blocks instead.
pub fn resize_pixel_by_pixel(src: &RgbImage, dst_w: u32, dst_h: u32) -> RgbImage {
    let taps = super::image_ops::axis_taps;
    let (xs, ys) = (taps(src.width(), dst_w), taps(src.height(), dst_h));
    RgbImage::from_fn(dst_w, dst_h, |dx, dy| {
        let ((x0, x1, fx), (y0, y1, fy)) = (xs[dx as usize], ys[dy as usize]);
        let (p00, p01) = (src.get_pixel(x0, y0).0, src.get_pixel(x1, y0).0);
        let (p10, p11) = (src.get_pixel(x0, y1).0, src.get_pixel(x1, y1).0);
        Rgb(std::array::from_fn(|c| {
            let top = f32::from(p00[c]) * (1.0 - fx) + f32::from(p01[c]) * fx;
            let bottom = f32::from(p10[c]) * (1.0 - fx) + f32::from(p11[c]) * fx;
            (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
        }))
    })
}

/// Writes to `out` a models directory whose recognition model is the one in `models` in another layout
/// (`onnx_graph::relayout`: a BGR face of `scale` (1 or 2) times the size, normalised as (v - 127.5) / 128, 512
/// values), its manifest naming the new file, sha256 and layout; the other models are linked from `models`.
/// Returns the new model's template space. A lender can rehearse the swap with it (`faceverify relayout-model`);
/// the tests use it as the second layout whose right answers are known (SFace's scores).
pub fn write_relayout_models(
    models: &std::path::Path,
    out: &std::path::Path,
    scale: u32,
) -> anyhow::Result<super::TemplateSpace> {
    use anyhow::Context;
    use sha2::Digest;
    let files = super::ModelFiles::verified(models)?;
    let layout = &files.recognition_layout;
    let model = std::fs::read(&files.recognition)?;
    let clean = super::onnx_graph::without_initializer_inputs(&model)?;
    let wrapped =
        super::onnx_graph::relayout(&clean, u64::from(layout.input_size), layout.embedding_dim, u64::from(scale))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&wrapped));
    std::fs::create_dir_all(out.join("recognition"))?;
    std::fs::write(out.join("recognition/relayout.onnx"), &wrapped)?;
    let manifest_path = models.join("manifest.toml");
    let mut manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&manifest_path)?)?;
    let entries = manifest.get_mut("model").and_then(|m| m.as_array_mut()).context("manifest lists no models")?;
    for entry in entries.iter_mut().filter_map(|e| e.as_table_mut()) {
        let file = entry.get("file").and_then(|f| f.as_str()).context("a model without a file")?.to_owned();
        if entry.get("role").and_then(|r| r.as_str()) != Some("recognition") {
            let (from, to) = (std::fs::canonicalize(models.join(&file))?, out.join(&file));
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            if !to.exists() {
                std::os::unix::fs::symlink(from, to)?;
            }
            continue;
        }
        let mean = f64::from(super::onnx_graph::RELAYOUT_MEAN);
        let std = f64::from(super::onnx_graph::RELAYOUT_STD);
        let relayout = format!(
            "input_size = {}\ncolour = \"bgr\"\nmean = [{mean:?}, {mean:?}, {mean:?}]\nstd = [{std:?}, {std:?}, {std:?}]\n\
             embedding_dim = {}\n",
            scale * layout.input_size,
            super::onnx_graph::RELAYOUT_DIM
        );
        entry.insert("file".into(), "recognition/relayout.onnx".into());
        entry.insert("sha256".into(), sha256.clone().into());
        entry.insert("source".into(), format!("{file} wrapped by faceverify's onnx_graph::relayout").into());
        entry.insert("obtained".into(), "faceverify relayout-model".into());
        let input = format!(
            "face: float32 [1,3,{0},{0}], BGR, (v - 127.5) / 128; output embedding [1,512]",
            scale * layout.input_size
        );
        entry.insert("input".into(), input.into());
        entry.insert("layout".into(), toml::Value::Table(toml::from_str(&relayout)?));
    }
    std::fs::write(out.join("manifest.toml"), toml::to_string(&manifest)?)?;
    Ok(super::TemplateSpace { model_sha256: sha256, dim: super::onnx_graph::RELAYOUT_DIM })
}
