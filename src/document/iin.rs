//! The Kazakh individual identification number (ЖСН / ИИН): twelve digits, the first six the birth date
//! (YYMMDD), the seventh the century and sex, the twelfth a check digit: the sum of the first eleven weighted
//! 1..11, modulo 11; where that gives 10, weighted 3..11, 1, 2 instead; a number for which both give 10 is never
//! issued.

use zeroize::Zeroizing;

/// A well-formed IIN. Personal data: zeroed on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Iin(Zeroizing<String>);

impl std::fmt::Debug for Iin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Iin(<redacted>)")
    }
}

impl Iin {
    /// Twelve digits with a valid check digit and a possible birth date, else `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let d: Vec<u32> = s.chars().map(|c| c.to_digit(10)).collect::<Option<_>>()?;
        if d.len() != 12 || check_digit(&d[..11])? != d[11] || !plausible_date(&d[..6]) || !(1..=6).contains(&d[6]) {
            return None;
        }
        Some(Self(Zeroizing::new(s.to_owned())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// YYMMDD.
    pub fn birth_date(&self) -> &str {
        &self.0[..6]
    }
}

fn check_digit(d: &[u32]) -> Option<u32> {
    let weighted = |w: &dyn Fn(usize) -> u32| d.iter().enumerate().map(|(i, v)| v * w(i)).sum::<u32>() % 11;
    let first = weighted(&|i| i as u32 + 1);
    if first != 10 {
        return Some(first);
    }
    let second = weighted(&|i| (i as u32 + 2) % 11 + 1);
    (second != 10).then_some(second)
}

fn plausible_date(d: &[u32]) -> bool {
    let (month, day) = (d[2] * 10 + d[3], d[4] * 10 + d[5]);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the check digit to eleven digits.
    fn with_check(first11: &str) -> String {
        let d: Vec<u32> = first11.chars().filter_map(|c| c.to_digit(10)).collect();
        format!("{first11}{}", check_digit(&d).expect("issuable"))
    }

    #[test]
    fn the_check_digit_uses_the_second_weights_when_the_first_give_ten() {
        // 1*9+2*0+3*0+4*1+5*0+6*1+7*4+8*0+9*0+10*1+11*2 = 79, 79 mod 11 = 2.
        assert_eq!(check_digit(&[9, 0, 0, 1, 0, 1, 4, 0, 0, 1, 2]), Some(2));
        // Find eleven digits whose first sum is 10 and check the second weighting is used.
        let d = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]; // weights 1..11: 10 * 1 = 10; weights 3..11, 1, 2: 1 * 1
        assert_eq!(check_digit(&d), Some(1));
    }

    #[test]
    fn valid_numbers_parse_and_corrupted_ones_do_not() {
        let iin = with_check("90010140012");
        assert_eq!(Iin::parse(&iin).map(|i| i.birth_date().to_owned()), Some("900101".into()));
        let last = iin.chars().last().and_then(|c| c.to_digit(10)).unwrap_or(0);
        let wrong = format!("{}{}", &iin[..11], (last + 1) % 10);
        assert!(Iin::parse(&wrong).is_none());
        assert!(Iin::parse("90010140012").is_none(), "eleven digits");
        assert!(Iin::parse(&with_check("90130140012")).is_none(), "month 13");
        assert!(Iin::parse(&with_check("90010170012")).is_none(), "century digit 7");
        assert!(Iin::parse("9001014001ab").is_none());
    }

    #[test]
    fn debug_output_redacts_the_number() {
        let iin = Iin::parse(&with_check("90010140012")).expect("valid");
        assert!(!format!("{iin:?}").contains("900101"));
    }
}
