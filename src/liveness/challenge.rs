//! The random challenge of one session: head movements in order and a screen-colour schedule, drawn from the
//! operating system's CSPRNG.

use serde::{Deserialize, Serialize};

use super::LivenessSettings;

/// A head movement, from the applicant's point of view (the camera image is not mirrored: turning to one's left
/// moves the nose towards the image's right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    TurnLeft,
    TurnRight,
    LookUp,
    LookDown,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::TurnLeft, Action::TurnRight, Action::LookUp, Action::LookDown];
    /// Drawn unless `liveness.look_up` is set: on the simulated clips YuNet's nose landmark barely follows a face
    /// looking up (docs/accuracy.md), so it is not asked for until measured on real captures.
    pub const WITHOUT_LOOK_UP: [Action; 3] = [Action::TurnLeft, Action::TurnRight, Action::LookDown];
}

/// One screen colour and how long it is shown. The schedule starts with the attempt's first frame; colours follow
/// each other without gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flash {
    /// `#rrggbb`.
    pub colour: String,
    pub duration_ms: u32,
}

impl Flash {
    pub fn rgb(&self) -> [u8; 3] {
        let hex = self.colour.trim_start_matches('#');
        let byte = |i: usize| hex.get(i..i + 2).and_then(|s| u8::from_str_radix(s, 16).ok()).unwrap_or(0);
        [byte(0), byte(2), byte(4)]
    }
}

/// Screen colours a flash is drawn from: saturated, so that the light they cast differs in chromaticity.
pub const PALETTE: [&str; 6] = ["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff", "#00ffff"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub actions: Vec<Action>,
    pub flashes: Vec<Flash>,
}

impl Challenge {
    /// When the flash phase ends (ms from the first frame); the actions are performed after it.
    pub fn flash_end_ms(&self) -> u32 {
        self.flashes.iter().map(|f| f.duration_ms).sum()
    }

    /// The colour on the screen at `at_ms`, if the schedule is still running.
    pub fn colour_at(&self, at_ms: u32) -> Option<[u8; 3]> {
        let mut end = 0;
        for flash in &self.flashes {
            end += flash.duration_ms;
            if at_ms < end {
                return Some(flash.rgb());
            }
        }
        None
    }
}

/// The OS has no randomness to give: no challenge can be drawn.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator is unavailable")]
pub struct NoRandomness;

/// Draws a challenge: `settings.actions` movements, no movement twice in a row; `settings.flashes` colours, no
/// colour twice in a row, each shown for a random duration in [flash_min_ms, flash_max_ms].
pub fn draw(settings: &LivenessSettings) -> Result<Challenge, NoRandomness> {
    let mut bytes = vec![0u8; 4 * (settings.actions + 2 * settings.flashes)];
    getrandom::getrandom(&mut bytes).map_err(|_| NoRandomness)?;
    let mut words = bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    Ok(draw_from(settings, move || words.next().unwrap_or(0)))
}

/// As `draw`, from any source of random words (a seeded one makes evaluations reproducible).
pub fn draw_from(settings: &LivenessSettings, mut next: impl FnMut() -> u32) -> Challenge {
    // Each draw excludes the previous pick: choose among the other n - 1 (modulo bias is below 1e-9 here).
    let pick = |n: usize, previous: Option<usize>, r: u32| match previous {
        None => r as usize % n,
        Some(p) => (p + 1 + r as usize % (n - 1)) % n,
    };
    let drawn: &[Action] = if settings.look_up { &Action::ALL } else { &Action::WITHOUT_LOOK_UP };
    let mut actions = Vec::with_capacity(settings.actions);
    let mut previous = None;
    for _ in 0..settings.actions {
        let i = pick(drawn.len(), previous, next());
        actions.push(drawn[i]);
        previous = Some(i);
    }
    let mut flashes = Vec::with_capacity(settings.flashes);
    let mut previous = None;
    let span = settings.flash_max_ms - settings.flash_min_ms + 1;
    for _ in 0..settings.flashes {
        let i = pick(PALETTE.len(), previous, next());
        let duration_ms = settings.flash_min_ms + next() % span;
        flashes.push(Flash { colour: PALETTE[i].to_string(), duration_ms });
        previous = Some(i);
    }
    Challenge { actions, flashes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LivenessSettings {
        crate::config::Settings::defaults().expect("defaults").liveness
    }

    #[test]
    fn draws_the_configured_counts_without_repeats_in_a_row() {
        let s = settings();
        for _ in 0..200 {
            let c = draw(&s).expect("random");
            assert_eq!(c.actions.len(), s.actions);
            assert_eq!(c.flashes.len(), s.flashes);
            assert!(c.actions.windows(2).all(|w| w[0] != w[1]));
            assert!(c.flashes.windows(2).all(|w| w[0].colour != w[1].colour));
            assert!(c.flashes.iter().all(|f| (s.flash_min_ms..=s.flash_max_ms).contains(&f.duration_ms)));
        }
    }

    #[test]
    fn draws_differ_and_cover_every_action() {
        let s = settings();
        let draws: Vec<Challenge> = (0..100).map(|_| draw(&s).expect("random")).collect();
        let distinct: std::collections::HashSet<String> =
            draws.iter().map(|c| serde_json::to_string(c).expect("json")).collect();
        assert!(distinct.len() > 90, "challenges repeat: {} distinct of 100", distinct.len());
        for a in Action::WITHOUT_LOOK_UP {
            assert!(draws.iter().any(|c| c.actions.contains(&a)), "{a:?} never drawn");
        }
        assert!(draws.iter().all(|c| !c.actions.contains(&Action::LookUp)), "look up is drawn only when enabled");
    }

    #[test]
    fn the_schedule_gives_the_colour_at_a_time() {
        let c = Challenge {
            actions: vec![],
            flashes: vec![
                Flash { colour: "#ff0000".into(), duration_ms: 300 },
                Flash { colour: "#00ff00".into(), duration_ms: 400 },
            ],
        };
        assert_eq!(c.colour_at(0), Some([255, 0, 0]));
        assert_eq!(c.colour_at(299), Some([255, 0, 0]));
        assert_eq!(c.colour_at(300), Some([0, 255, 0]));
        assert_eq!(c.colour_at(700), None);
        assert_eq!(c.flash_end_ms(), 700);
    }
}
