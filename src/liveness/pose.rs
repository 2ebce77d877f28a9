//! Head pose from YuNet's five landmarks, and the held-pose sequence a clip performs.
//!
//! Sign convention (the camera image is not mirrored): yaw = (nose_x - eye_mid_x) / eye distance, so turning to the
//! applicant's left moves the nose to the image's right (yaw > 0); pitch = (nose_y - eye_mid_y) / (mouth_mid_y -
//! eye_mid_y), judged relative to the frontal frames of the flash phase (looking up brings the nose towards the eyes:
//! relative pitch < 0).

use crate::pipeline::Face;

use super::Action;

/// The nose's sideways offset from the eye midpoint, in eye distances (> 0: the nose is to the image's right).
pub fn yaw(face: &Face) -> f32 {
    let [l, r, nose, _, _] = face.landmarks;
    let eye_mid = (l[0] + r[0]) / 2.0;
    (nose[0] - eye_mid) / face.inter_ocular().max(1.0)
}

/// Where the nose sits between the eye line (0) and the mouth line (1).
pub fn pitch(face: &Face) -> f32 {
    let [l, r, nose, ml, mr] = face.landmarks;
    let eye_y = (l[1] + r[1]) / 2.0;
    let mouth_y = (ml[1] + mr[1]) / 2.0;
    (nose[1] - eye_y) / (mouth_y - eye_y).max(1.0)
}

/// One frame's pose class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pose {
    Frontal,
    Held(Action),
}

/// Classifies a frame from its yaw and its pitch relative to the frontal baseline. A turn wins over a tilt when both
/// exceed their thresholds by the same factor.
pub fn classify(yaw: f32, relative_pitch: f32, turn_min: f32, tilt_min: f32) -> Pose {
    let turn = yaw.abs() / turn_min.max(f32::EPSILON);
    let tilt = relative_pitch.abs() / tilt_min.max(f32::EPSILON);
    if turn < 1.0 && tilt < 1.0 {
        Pose::Frontal
    } else if turn >= tilt {
        Pose::Held(if yaw > 0.0 { Action::TurnLeft } else { Action::TurnRight })
    } else {
        Pose::Held(if relative_pitch < 0.0 { Action::LookUp } else { Action::LookDown })
    }
}

/// The applicant's frontal pose among `candidates` (yaw, pitch): the median yaw, then the median pitch of the frames
/// within `turn_min` of that yaw (of all of them when none is). None when there are no candidates.
pub fn baseline(candidates: &[(f32, f32)], turn_min: f32) -> Option<(f32, f32)> {
    let yaw = median(&mut candidates.iter().map(|(y, _)| *y).collect::<Vec<_>>())?;
    let mut frontal: Vec<f32> =
        candidates.iter().filter(|(y, _)| (y - yaw).abs() < turn_min).map(|(_, p)| *p).collect();
    if frontal.is_empty() {
        frontal = candidates.iter().map(|(_, p)| *p).collect();
    }
    Some((yaw, median(&mut frontal)?))
}

pub(crate) fn median(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f32::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 })
}

/// Collapses runs of equal poses and keeps the non-frontal runs at least `hold_frames` long (the same pose held
/// twice with a frontal gap is two movements). A frame without a face (None) is skipped: it neither breaks nor
/// extends a run.
pub fn held_sequence(poses: &[Option<Pose>], hold_frames: usize) -> Vec<Action> {
    let mut held = Vec::new();
    let mut run: Option<(Action, usize)> = None;
    let close = |run: &mut Option<(Action, usize)>, held: &mut Vec<Action>| {
        if let Some((action, len)) = run.take() {
            if len >= hold_frames {
                held.push(action);
            }
        }
    };
    for pose in poses {
        match (pose, &mut run) {
            (Some(Pose::Held(a)), Some((current, len))) if a == current => *len += 1,
            (Some(Pose::Held(a)), _) => {
                close(&mut run, &mut held);
                run = Some((*a, 1));
            }
            (None, _) => {}
            (Some(Pose::Frontal), _) => close(&mut run, &mut held),
        }
    }
    close(&mut run, &mut held);
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    const TURN: f32 = 0.18;
    const TILT: f32 = 0.12;

    /// A face with its nose offset by (`dx`, `dy`) eye distances from the frontal place (eye distance 60 px, nose at
    /// pitch 0.5 between the eye line at y=100 and the mouth line at y=160).
    fn face(dx: f32, dy: f32) -> Face {
        Face {
            bbox: [100.0, 50.0, 260.0, 230.0],
            score: 0.9,
            landmarks: [
                [150.0, 100.0],
                [210.0, 100.0],
                [180.0 + 60.0 * dx, 130.0 + 60.0 * dy],
                [155.0, 160.0],
                [205.0, 160.0],
            ],
        }
    }

    fn poses_of(faces: &[Face], baseline: f32) -> Vec<Option<Pose>> {
        faces.iter().map(|f| Some(classify(yaw(f), pitch(f) - baseline, TURN, TILT))).collect()
    }

    fn clip(moves: &[(f32, f32)], frames_each: usize) -> Vec<Face> {
        let mut faces = vec![face(0.0, 0.0); 3];
        for &(dx, dy) in moves {
            faces.extend(std::iter::repeat_n(face(dx, dy), frames_each));
            faces.extend(std::iter::repeat_n(face(0.0, 0.0), 2));
        }
        faces
    }

    const LEFT: (f32, f32) = (0.3, 0.0);
    const RIGHT: (f32, f32) = (-0.3, 0.0);
    const UP: (f32, f32) = (0.0, -0.2);
    const DOWN: (f32, f32) = (0.0, 0.2);

    #[test]
    fn yaw_and_pitch_follow_the_sign_convention() {
        assert!(yaw(&face(0.3, 0.0)) > TURN, "nose to the image right: the applicant's left");
        assert!((pitch(&face(0.0, 0.0)) - 0.5).abs() < 1e-6);
        assert!(pitch(&face(0.0, -0.2)) < 0.5 - TILT, "nose towards the eyes: looking up");
        assert_eq!(classify(0.3, 0.0, TURN, TILT), Pose::Held(Action::TurnLeft));
        assert_eq!(classify(-0.3, 0.0, TURN, TILT), Pose::Held(Action::TurnRight));
        assert_eq!(classify(0.0, -0.2, TURN, TILT), Pose::Held(Action::LookUp));
        assert_eq!(classify(0.0, 0.2, TURN, TILT), Pose::Held(Action::LookDown));
        assert_eq!(classify(0.1, 0.05, TURN, TILT), Pose::Frontal);
    }

    #[test]
    fn the_exact_order_passes_and_others_do_not() {
        let faces = clip(&[LEFT, DOWN, RIGHT], 5);
        let (_, base) = baseline(&[(0.0, 0.5), (0.01, 0.51), (0.0, 0.49)], TURN).expect("baseline");
        let held = held_sequence(&poses_of(&faces, base), 2);
        assert_eq!(held, vec![Action::TurnLeft, Action::LookDown, Action::TurnRight]);

        let extra = held_sequence(&poses_of(&clip(&[LEFT, DOWN, UP, RIGHT], 5), base), 2);
        assert_ne!(extra, vec![Action::TurnLeft, Action::LookDown, Action::TurnRight], "an extra move fails");
        let all = held_sequence(&poses_of(&clip(&[LEFT, RIGHT, UP, DOWN], 5), base), 2);
        assert_eq!(all.len(), 4, "cycling every move is four moves, never a three-move challenge");
        let swapped = held_sequence(&poses_of(&clip(&[DOWN, LEFT, RIGHT], 5), base), 2);
        assert_ne!(swapped, vec![Action::TurnLeft, Action::LookDown, Action::TurnRight]);
        let missing = held_sequence(&poses_of(&clip(&[LEFT, RIGHT], 5), base), 2);
        assert_eq!(missing, vec![Action::TurnLeft, Action::TurnRight]);
    }

    #[test]
    fn a_single_frame_flick_is_not_a_held_pose_and_a_gap_splits_a_pose() {
        let base = 0.5;
        let flick = held_sequence(&poses_of(&clip(&[LEFT, UP], 1), base), 2);
        assert!(flick.is_empty(), "{flick:?}");
        let twice = held_sequence(&poses_of(&clip(&[LEFT, LEFT], 3), base), 2);
        assert_eq!(twice, vec![Action::TurnLeft, Action::TurnLeft]);
        let left = Some(Pose::Held(Action::TurnLeft));
        assert_eq!(held_sequence(&[left, None, left, None], 2), vec![Action::TurnLeft]);
    }

    #[test]
    fn the_baseline_is_the_median_yaw_and_the_median_pitch_near_it() {
        assert_eq!(baseline(&[(0.0, 0.4), (0.5, 0.9), (0.05, 0.6), (0.0, 0.5)], TURN), Some((0.025, 0.5)));
        // A face a little turned throughout: that is its frontal.
        assert_eq!(baseline(&[(0.1, 0.4), (0.12, 0.5), (0.1, 0.6)], TURN), Some((0.1, 0.5)));
        assert_eq!(baseline(&[(0.5, 0.9)], TURN), Some((0.5, 0.9)));
        assert_eq!(baseline(&[], TURN), None);
    }
}
