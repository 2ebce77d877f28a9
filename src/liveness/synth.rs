//! Synthesised capture clips for tests, `faceverify eval-liveness`, the benches and the browser test's fake camera.
//!
//! WHAT IS SIMULATED. Every clip is made from ONE real photo of one person (../shared/data/faces): the photo is
//! cropped around its face to a 640x480 webcam frame, then, frame by frame:
//! - head poses are a smooth local warp (a Gaussian displacement field) that moves the nose region, and a little the
//!   face, sideways (yaw) or up and down (pitch) relative to the eyes. It is not a 3-D rotation: the face's outline,
//!   occlusions and shading do not change as a turning head's do;
//! - the screen's light is each pixel in and around the face multiplied by (1 + k * colour / 255), k = 0.25 by default,
//!   falling off smoothly outside the face, `light_lag_ms` after the schedule (screen and camera latency). Real skin,
//!   ambient light, auto exposure and white balance respond differently;
//! - a little uniform sensor noise per frame, so that no two frames are byte-identical, as with a real camera.
//!
//! So the pose and colour checks are exercised on the signals they look for, not on real captures: a lender must
//! re-measure acceptance (BPCER) and attack acceptance (APCER) on real captures from its own devices before relying
//! on the thresholds in `[liveness]`.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{Rgb, RgbImage};

use crate::pipeline::{decode, Face, Pipeline, UploadBytes};

use super::{pose, Action, Challenge, Flash, Frame};

/// A frontal photo (relative to `../shared/data/faces`) with one face that the passive model judges live and that
/// makes clips passing the analysis.
pub const DEFAULT_PHOTO: &str = "images/deepface/img20.jpg";
/// Another person's photo (relative to `../shared/data/faces`), for spliced clips.
pub const OTHER_PHOTO: &str = "images/deepface/img16.jpg";
/// The synthesised camera's frame size.
pub const FRAME_WIDTH: u32 = 640;
pub const FRAME_HEIGHT: u32 = 480;
/// Share of the frame's width the face's box takes (a selfie held at arm's length).
const FACE_SHARE: f32 = 0.33;

/// One synthesised camera frame and its time from the first frame.
pub struct SynthFrame {
    pub at_ms: u32,
    pub image: RgbImage,
}

impl std::fmt::Debug for SynthFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SynthFrame(at {} ms, {}x{})", self.at_ms, self.image.width(), self.image.height())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("the photo cannot be decoded: {0}")]
    Decode(#[from] crate::pipeline::DecodeError),
    #[error("the photo must show exactly one face, found {0}")]
    Faces(usize),
    #[error(transparent)]
    Inference(#[from] crate::pipeline::InferenceError),
    #[error("the frame cannot be encoded: {0}")]
    Encode(#[from] image::ImageError),
}

/// The person a clip shows: the photo cropped to a 640x480 frame and the face found in it.
pub struct Subject {
    image: RgbImage,
    face: Face,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(<redacted>)")
    }
}

impl Subject {
    /// Decodes `photo`, finds its one face, crops a 4:3 frame around it (the face a third of its width) and finds the
    /// face again in that frame.
    pub fn prepare(pipeline: &mut Pipeline, photo: &[u8]) -> Result<Self, SynthError> {
        let limits = pipeline.settings().limits.clone();
        let min_score = pipeline.settings().detection.selfie_min_score;
        let img = decode(photo, &limits)?;
        let faces = pipeline.detect(&img, min_score)?;
        let face = match faces.as_slice() {
            [one] => *one,
            other => return Err(SynthError::Faces(other.len())),
        };
        let (iw, ih) = (img.width() as f32, img.height() as f32);
        let mut w = (face.width() / FACE_SHARE).min(iw).min(ih * 4.0 / 3.0);
        w = w.max(1.0);
        let h = w * 3.0 / 4.0;
        let cx = (face.bbox[0] + face.bbox[2]) / 2.0;
        let cy = (face.bbox[1] + face.bbox[3]) / 2.0;
        let x0 = (cx - w / 2.0).clamp(0.0, iw - w);
        let y0 = (cy - h / 2.0).clamp(0.0, ih - h);
        let crop = image::imageops::crop_imm(&*img, x0 as u32, y0 as u32, w as u32, h as u32).to_image();
        let image = image::imageops::resize(&crop, FRAME_WIDTH, FRAME_HEIGHT, FilterType::CatmullRom);
        let faces = pipeline.detect(&image, min_score)?;
        match faces.as_slice() {
            [one] => Ok(Self { image, face: *one }),
            other => Err(SynthError::Faces(other.len())),
        }
    }

    /// The frontal frame (no warp, light or noise).
    pub fn image(&self) -> &RgbImage {
        &self.image
    }

    /// The face in the frontal frame.
    pub fn face(&self) -> &Face {
        &self.face
    }
}

/// How clips are made.
#[derive(Debug, Clone)]
pub struct Options {
    pub fps: u32,
    /// Strength of the screen's light on the skin (0: a print, which does not respond).
    pub light_k: f32,
    /// Delay of the light after the schedule (screen and camera latency).
    pub light_lag_ms: u32,
    /// Displacement of the nose region for a turn and for a tilt, in eye distances.
    pub turn_shift: f32,
    pub tilt_shift: f32,
    /// Time per action: move, hold, return to frontal.
    pub action_ms: u32,
    /// Frontal time after the last action.
    pub tail_ms: u32,
    /// Amplitude of the uniform per-pixel sensor noise (grey levels, +/-).
    pub noise: f32,
    /// Seed of the noise (a clip is deterministic).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fps: 10,
            light_k: 0.25,
            light_lag_ms: 100,
            turn_shift: 0.9,
            tilt_shift: 1.1,
            action_ms: 1500,
            tail_ms: 300,
            noise: 2.0,
            seed: 1,
        }
    }
}

/// What a clip performs: the poses in order and the light on the face.
struct Script<'a> {
    actions: &'a [Action],
    light: &'a [Flash],
    light_k: f32,
    frozen: bool,
}

/// The clip a live applicant would give for `challenge`.
pub fn genuine(subject: &Subject, challenge: &Challenge, opts: &Options) -> Vec<SynthFrame> {
    let script =
        Script { actions: &challenge.actions, light: &challenge.flashes, light_k: opts.light_k, frozen: false };
    render(subject, challenge, &script, opts)
}

/// A still photo held up to the camera (or a static image injected): the same frame, byte for byte, throughout.
pub fn still(subject: &Subject, challenge: &Challenge, opts: &Options) -> Vec<SynthFrame> {
    let script = Script { actions: &[], light: &[], light_k: 0.0, frozen: true };
    render(subject, challenge, &script, opts)
}

/// A replay of another session's movements: the poses of `actions` instead of the challenge's, the light in sync.
pub fn wrong_order(subject: &Subject, challenge: &Challenge, actions: &[Action], opts: &Options) -> Vec<SynthFrame> {
    let script = Script { actions, light: &challenge.flashes, light_k: opts.light_k, frozen: false };
    render(subject, challenge, &script, opts)
}

/// A replay lit by another schedule: the right poses, the colours of `flashes` on the face.
pub fn out_of_sync(subject: &Subject, challenge: &Challenge, flashes: &[Flash], opts: &Options) -> Vec<SynthFrame> {
    let script = Script { actions: &challenge.actions, light: flashes, light_k: opts.light_k, frozen: false };
    render(subject, challenge, &script, opts)
}

/// A print or mask moved through the right poses: no response to the screen's light.
pub fn no_light(subject: &Subject, challenge: &Challenge, opts: &Options) -> Vec<SynthFrame> {
    let script = Script { actions: &challenge.actions, light: &challenge.flashes, light_k: 0.0, frozen: false };
    render(subject, challenge, &script, opts)
}

/// Another order of the challenge's actions (reversed, or rotated when reversing gives the same), for `wrong_order`.
pub fn other_order(actions: &[Action]) -> Vec<Action> {
    let mut other: Vec<Action> = actions.iter().rev().copied().collect();
    if other == actions {
        other.rotate_left(1);
    }
    if other == actions {
        // One action, or all alike: replace the first by another movement.
        if let Some(first) = other.first_mut() {
            *first = match *first {
                Action::TurnLeft => Action::TurnRight,
                Action::TurnRight => Action::TurnLeft,
                Action::LookUp => Action::LookDown,
                Action::LookDown => Action::LookUp,
            };
        }
    }
    other
}

/// The schedule with every colour replaced by its complement (same durations): light that never matches.
pub fn complementary(flashes: &[Flash]) -> Vec<Flash> {
    flashes
        .iter()
        .map(|f| {
            let [r, g, b] = f.rgb();
            Flash { colour: format!("#{:02x}{:02x}{:02x}", 255 - r, 255 - g, 255 - b), duration_ms: f.duration_ms }
        })
        .collect()
}

/// `frames` with those in `range` (indices) replaced by `other`'s frames at the same indices.
pub fn spliced(mut frames: Vec<SynthFrame>, other: Vec<SynthFrame>, range: std::ops::Range<usize>) -> Vec<SynthFrame> {
    for (i, frame) in other.into_iter().enumerate() {
        if range.contains(&i) {
            if let Some(slot) = frames.get_mut(i) {
                slot.image = frame.image;
            }
        }
    }
    frames
}

/// The clip's duration: the flash phase, the actions, a frontal tail.
pub fn duration_ms(challenge: &Challenge, opts: &Options) -> u32 {
    challenge.flash_end_ms() + opts.action_ms * challenge.actions.len() as u32 + opts.tail_ms
}

/// The pose offset (sideways, vertical; eye distances) at `at_ms`.
fn pose_offset(actions: &[Action], flash_end_ms: u32, at_ms: u32, opts: &Options) -> (f32, f32) {
    let Some(t) = at_ms.checked_sub(flash_end_ms) else {
        return (0.0, 0.0);
    };
    let slot = (t / opts.action_ms.max(1)) as usize;
    let Some(action) = actions.get(slot) else {
        return (0.0, 0.0);
    };
    // Within the slot: 25% moving, 45% holding, 25% returning, 5% frontal.
    let phase = (t % opts.action_ms.max(1)) as f32 / opts.action_ms.max(1) as f32;
    let smooth = |x: f32| {
        let x = x.clamp(0.0, 1.0);
        x * x * (3.0 - 2.0 * x)
    };
    let amount = if phase < 0.25 {
        smooth(phase / 0.25)
    } else if phase < 0.7 {
        1.0
    } else {
        1.0 - smooth((phase - 0.7) / 0.25)
    };
    match action {
        Action::TurnLeft => (opts.turn_shift * amount, 0.0),
        Action::TurnRight => (-opts.turn_shift * amount, 0.0),
        Action::LookUp => (0.0, -opts.tilt_shift * amount),
        Action::LookDown => (0.0, opts.tilt_shift * amount),
    }
}

fn render(subject: &Subject, challenge: &Challenge, script: &Script<'_>, opts: &Options) -> Vec<SynthFrame> {
    let fps = opts.fps.max(1);
    let total = duration_ms(challenge, opts);
    let light_schedule = Challenge { actions: vec![], flashes: script.light.to_vec() };
    let flash_end = challenge.flash_end_ms();
    let mut frames = Vec::new();
    let mut index = 0u32;
    loop {
        let at_ms = (u64::from(index) * 1000 / u64::from(fps)) as u32;
        if at_ms > total {
            break;
        }
        let image = if script.frozen {
            subject.image.clone()
        } else {
            let (dx, dy) = pose_offset(script.actions, flash_end, at_ms, opts);
            let mut img = warp(&subject.image, &subject.face, dx, dy);
            if script.light_k > 0.0 {
                if let Some(colour) = at_ms.checked_sub(opts.light_lag_ms).and_then(|t| light_schedule.colour_at(t)) {
                    light(&mut img, &subject.face, colour, script.light_k);
                }
            }
            add_noise(&mut img, opts.noise, opts.seed.wrapping_mul(1_000_003).wrapping_add(u64::from(index)));
            img
        };
        frames.push(SynthFrame { at_ms, image });
        index += 1;
    }
    frames
}

/// Moves the nose region (and a little the whole face) by (`dx`, `dy`) eye distances: a smooth displacement field,
/// sampled backwards with bilinear interpolation. Eyes stay nearly in place.
fn warp(img: &RgbImage, face: &Face, dx: f32, dy: f32) -> RgbImage {
    if dx == 0.0 && dy == 0.0 {
        return img.clone();
    }
    let ed = face.inter_ocular().max(1.0);
    let [_, _, nose, ml, mr] = face.landmarks;
    // Turning moves the nose and mouth together. Tilting changes where the nose sits between the eye line and the
    // mouth line: looking down lowers the nose towards the mouth; looking up is simulated by lowering the mouth away
    // from the nose (YuNet's nose landmark barely follows a nose lifted towards the eyes), which lowers the same ratio.
    let mouth = [(ml[0] + mr[0]) / 2.0, (ml[1] + mr[1]) / 2.0];
    let (centre, dy, sigma) = if dx != 0.0 {
        ([(nose[0] + mouth[0]) / 2.0, (nose[1] + mouth[1]) / 2.0], dy, 0.5 * ed)
    } else if dy < 0.0 {
        (mouth, -dy, 0.7 * ed)
    } else {
        (nose, dy, 0.7 * ed)
    };
    let face_sigma = 1.2 * ed;
    let face_centre = [(face.bbox[0] + face.bbox[2]) / 2.0, (face.bbox[1] + face.bbox[3]) / 2.0];
    let (sx, sy) = (dx * ed, dy * ed);
    let mut out = img.clone();
    let reach = 3.0 * face_sigma;
    let (x0, x1) = ((face_centre[0] - reach).max(0.0) as u32, ((face_centre[0] + reach) as u32).min(img.width()));
    let (y0, y1) = ((face_centre[1] - reach).max(0.0) as u32, ((face_centre[1] + reach) as u32).min(img.height()));
    for y in y0..y1 {
        for x in x0..x1 {
            let (px, py) = (x as f32, y as f32);
            let g = |c: [f32; 2], s: f32| (-((px - c[0]).powi(2) + (py - c[1]).powi(2)) / (2.0 * s * s)).exp();
            let w = g(centre, sigma) + 0.2 * g(face_centre, face_sigma);
            out.put_pixel(x, y, sample(img, px - sx * w, py - sy * w));
        }
    }
    out
}

fn sample(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let max_x = img.width().saturating_sub(1) as f32;
    let max_y = img.height().saturating_sub(1) as f32;
    let (x, y) = (x.clamp(0.0, max_x), y.clamp(0.0, max_y));
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(max_x as u32), (y0 + 1).min(max_y as u32));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let [a, b, c, d] = [img.get_pixel(x0, y0), img.get_pixel(x1, y0), img.get_pixel(x0, y1), img.get_pixel(x1, y1)];
    let mut out = [0u8; 3];
    for ch in 0..3 {
        let top = f32::from(a[ch]) * (1.0 - fx) + f32::from(b[ch]) * fx;
        let bottom = f32::from(c[ch]) * (1.0 - fx) + f32::from(d[ch]) * fx;
        out[ch] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

/// Screen light: pixels multiplied by (1 + k * w * colour / 255), w = 1 inside an ellipse around the face, falling
/// off smoothly to 0 at twice its size.
fn light(img: &mut RgbImage, face: &Face, colour: [u8; 3], k: f32) {
    let cx = (face.bbox[0] + face.bbox[2]) / 2.0;
    let cy = (face.bbox[1] + face.bbox[3]) / 2.0;
    let (ax, ay) = (0.6 * face.width().max(1.0), 0.6 * face.height().max(1.0));
    let gain = colour.map(|c| k * f32::from(c) / 255.0);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let r = (((x as f32 - cx) / ax).powi(2) + ((y as f32 - cy) / ay).powi(2)).sqrt();
        let w = if r <= 1.0 {
            1.0
        } else if r >= 2.0 {
            continue;
        } else {
            let t = 2.0 - r;
            t * t * (3.0 - 2.0 * t)
        };
        for (v, g) in p.0.iter_mut().zip(gain) {
            *v = (f32::from(*v) * (1.0 + g * w)).round().min(255.0) as u8;
        }
    }
}

/// Uniform noise of +/- `amplitude` levels on every sample (xorshift, seeded).
fn add_noise(img: &mut RgbImage, amplitude: f32, seed: u64) {
    if amplitude <= 0.0 {
        return;
    }
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for v in img.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let unit = (x >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
        *v = (f32::from(*v) + (unit * 2.0 - 1.0) * amplitude).round().clamp(0.0, 255.0) as u8;
    }
}

/// One frame as a JPEG of `quality`.
pub fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, SynthError> {
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(image)?;
    Ok(out.into_inner())
}

/// The clip as the frames a client uploads (JPEG quality 85).
pub fn encode(frames: &[SynthFrame]) -> Result<Vec<Frame>, SynthError> {
    frames.iter().map(|f| Ok(Frame { at_ms: f.at_ms, jpeg: UploadBytes::from(jpeg(&f.image, 85)?) })).collect()
}

/// The clip as a YUV4MPEG2 4:2:0 stream (`C420jpeg`: full-range BT.601) of `width` x `height` (even sizes; frames of
/// another size are resized) at `fps`, for Chromium's fake camera (`--use-file-for-fake-video-capture=FILE.y4m`).
pub fn y4m(frames: &[SynthFrame], fps: u32, width: u32, height: u32) -> Vec<u8> {
    let (w, h) = ((width.max(2) / 2) * 2, (height.max(2) / 2) * 2);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F{}:1 Ip A1:1 C420jpeg\n", fps.max(1)).into_bytes();
    let (cw, ch) = (w / 2, h / 2);
    for frame in frames {
        let resized;
        let img = if frame.image.dimensions() == (w, h) {
            &frame.image
        } else {
            resized = image::imageops::resize(&frame.image, w, h, FilterType::Triangle);
            &resized
        };
        out.extend_from_slice(b"FRAME\n");
        let luma = |p: &Rgb<u8>| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
        out.extend(img.pixels().map(|p| luma(p).round().clamp(0.0, 255.0) as u8));
        let mut u = Vec::with_capacity((cw * ch) as usize);
        let mut v = Vec::with_capacity((cw * ch) as usize);
        for cy in 0..ch {
            for cx in 0..cw {
                let mut sum = [0f32; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = img.get_pixel(2 * cx + dx, 2 * cy + dy);
                    for c in 0..3 {
                        sum[c] += f32::from(p[c]) / 4.0;
                    }
                }
                let [r, g, b] = sum;
                u.push((128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b).round().clamp(0.0, 255.0) as u8);
                v.push((128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b).round().clamp(0.0, 255.0) as u8);
            }
        }
        out.extend_from_slice(&u);
        out.extend_from_slice(&v);
    }
    out
}

/// Yaw and pitch of the subject's frontal face (for reports).
pub fn frontal_pose(subject: &Subject) -> (f32, f32) {
    (pose::yaw(&subject.face), pose::pitch(&subject.face))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y4m_has_the_header_and_planes_chromium_reads() {
        let frames: Vec<SynthFrame> = (0..3)
            .map(|i| SynthFrame { at_ms: i * 100, image: RgbImage::from_pixel(8, 6, Rgb([255, 0, 0])) })
            .collect();
        let data = y4m(&frames, 10, 8, 6);
        let header = b"YUV4MPEG2 W8 H6 F10:1 Ip A1:1 C420jpeg\n";
        assert!(data.starts_with(header));
        let frame_len = 6 + 8 * 6 + 2 * 4 * 3;
        assert_eq!(data.len(), header.len() + 3 * frame_len);
        let first = &data[header.len()..header.len() + frame_len];
        assert!(first.starts_with(b"FRAME\n"));
        assert_eq!(first[6], 76, "BT.601 luma of pure red");
        assert_eq!(first[6 + 48 + 12], 255, "V of pure red saturates");
    }

    #[test]
    fn other_orders_and_complements_differ() {
        let a = vec![Action::TurnLeft, Action::LookUp, Action::TurnRight];
        assert_eq!(other_order(&a), vec![Action::TurnRight, Action::LookUp, Action::TurnLeft]);
        let palindrome = vec![Action::TurnLeft, Action::LookUp, Action::TurnLeft];
        assert_ne!(other_order(&palindrome), palindrome);
        let flashes = vec![Flash { colour: "#ff0000".into(), duration_ms: 500 }];
        assert_eq!(complementary(&flashes)[0].colour, "#00ffff");
    }

    #[test]
    fn the_pose_offset_moves_then_holds_then_returns() {
        let o = Options::default();
        let actions = [Action::TurnLeft, Action::LookDown];
        assert_eq!(pose_offset(&actions, 2000, 1000, &o), (0.0, 0.0), "flash phase: frontal");
        let hold = o.action_ms / 2;
        assert_eq!(pose_offset(&actions, 2000, 2000 + hold, &o), (o.turn_shift, 0.0));
        assert_eq!(pose_offset(&actions, 2000, 2000 + o.action_ms + hold, &o), (0.0, o.tilt_shift));
        assert_eq!(pose_offset(&actions, 2000, 2000 + 2 * o.action_ms + 10, &o), (0.0, 0.0), "after the actions");
    }

    #[test]
    fn noise_makes_frames_differ_and_light_tints_the_face() {
        let face = Face {
            bbox: [20.0, 20.0, 60.0, 60.0],
            score: 0.9,
            landmarks: [[30.0, 35.0], [50.0, 35.0], [40.0, 45.0], [32.0, 52.0], [48.0, 52.0]],
        };
        let subject = Subject { image: RgbImage::from_pixel(80, 80, Rgb([120, 100, 90])), face };
        let challenge = Challenge {
            actions: vec![Action::TurnLeft],
            flashes: vec![Flash { colour: "#ff0000".into(), duration_ms: 400 }],
        };
        let opts = Options { light_lag_ms: 0, ..Options::default() };
        let clip = genuine(&subject, &challenge, &opts);
        assert_eq!(clip.len() as u32, duration_ms(&challenge, &opts) / 100 + 1);
        assert_ne!(clip[0].image, clip[1].image);
        assert!(clip[0].image.get_pixel(40, 40)[0] > 140, "red light on the face");
        assert!(clip[0].image.get_pixel(0, 0)[0] < 125, "none far from it");
        let still = still(&subject, &challenge, &opts);
        assert!(still.windows(2).all(|w| w[0].image == w[1].image));
    }
}
