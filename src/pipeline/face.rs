//! A detected face: box, detector score and the five landmarks, in original-image pixels.

/// Landmark order is the ArcFace template's: image-left eye, image-right eye, nose tip,
/// image-left mouth corner, image-right mouth corner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// x1, y1, x2, y2.
    pub bbox: [f32; 4],
    pub score: f32,
    pub landmarks: [[f32; 2]; 5],
}

impl Face {
    pub fn width(&self) -> f32 {
        self.bbox[2] - self.bbox[0]
    }

    pub fn height(&self) -> f32 {
        self.bbox[3] - self.bbox[1]
    }

    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    /// Distance between the two eye centres.
    pub fn inter_ocular(&self) -> f32 {
        let [l, r] = [self.landmarks[0], self.landmarks[1]];
        ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2)).sqrt()
    }

    fn scaled(&self, s: f32) -> Face {
        Face {
            bbox: self.bbox.map(|v| v * s),
            score: self.score,
            landmarks: self.landmarks.map(|[x, y]| [x * s, y * s]),
        }
    }

    /// The same face in the image scaled by `s`.
    pub fn scaled_by(&self, s: f32) -> Face {
        self.scaled(s)
    }

    /// The same face moved by (`dx`, `dy`) pixels.
    pub fn shifted(&self, dx: f32, dy: f32) -> Face {
        Face {
            bbox: [self.bbox[0] + dx, self.bbox[1] + dy, self.bbox[2] + dx, self.bbox[3] + dy],
            score: self.score,
            landmarks: self.landmarks.map(|[x, y]| [x + dx, y + dy]),
        }
    }

    /// The same face in an image `1/s` times the size of the one it was found in.
    pub(crate) fn unscaled(&self, s: f32) -> Face {
        self.scaled(1.0 / s)
    }
}

/// The largest face, as the reference pipeline's `main_face` picks it.
pub fn largest(faces: &[Face]) -> Option<&Face> {
    faces.iter().max_by(|a, b| a.area().total_cmp(&b.area()))
}

pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    inter / (area(a) + area(b) - inter + 1e-9)
}

/// Greedy non-maximum suppression, highest score first.
pub(crate) fn nms(mut faces: Vec<Face>, iou_threshold: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::with_capacity(faces.len());
    for f in faces {
        if kept.iter().all(|k| iou(&k.bbox, &f.bbox) <= iou_threshold) {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(bbox: [f32; 4], score: f32) -> Face {
        Face { bbox, score, landmarks: [[0.0; 2]; 5] }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_and_separate_ones() {
        let kept = nms(
            vec![
                face([0.0, 0.0, 10.0, 10.0], 0.7),
                face([1.0, 1.0, 11.0, 11.0], 0.9),
                face([50.0, 50.0, 60.0, 60.0], 0.8),
            ],
            0.3,
        );
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].score, 0.8);
    }

    #[test]
    fn largest_picks_by_area_not_score() {
        let faces = [face([0.0, 0.0, 5.0, 5.0], 0.99), face([0.0, 0.0, 50.0, 40.0], 0.61)];
        assert_eq!(largest(&faces).map(|f| f.score), Some(0.61));
        assert!(largest(&[]).is_none());
    }
}
