//! The machine-readable zone (ICAO Doc 9303 parts 4 to 6): TD1 (ID cards, 3 lines of 30, the back of the Kazakh
//! ID card, whose optional data holds the IIN), TD2 (2 of 36) and TD3 (passports, 2 of 44, the personal number
//! field holds the IIN on Kazakh passports).
//!
//! Lines come as OCR reads them: spaces dropped, lower case raised, look-alikes of the filler `<` taken as `<`,
//! letters that OCR confuses with digits mapped back inside fields that only hold digits; a line one or two
//! characters short or long (a filler run read shorter or longer) is padded or trimmed at its trailing filler.
//! A zone is read only when every check digit holds (document number, birth date, expiry, and the composite):
//! a check digit is 1 chance in 10 of passing by accident, four of them 1 in 10,000, so a misread zone is
//! `Unreadable`, never a wrong reading.

use zeroize::Zeroizing;

/// What the document's MRZ says, as far as faceverify compares it. Personal data: zeroed on drop, never printed.
pub struct MrzData {
    /// YYMMDD, as the zone writes it.
    pub birth_date: Zeroizing<String>,
    /// A 12-digit number in the optional data (the IIN on Kazakh documents), when there is one.
    pub iin: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for MrzData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MrzData(<redacted>)")
    }
}

#[derive(Debug)]
pub enum MrzReading {
    /// No line of the photo looks like an MRZ (the front of the Kazakh ID card has none).
    Absent,
    /// MRZ-like lines whose check digits do not all hold: misread, damaged or forged.
    Unreadable,
    Read(MrzData),
}

/// Whether a recognised line may belong to an MRZ: at least 25 characters, all of the MRZ's alphabet.
fn candidate(clean: &str) -> bool {
    clean.len() >= 25 && clean.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<')
}

/// Reads the MRZ from recognised lines, top to bottom (other lines among them are skipped). Every check digit of a
/// two-line zone (TD2, TD3, visas) is on its second line, so that line alone may be read when the first was
/// missed; a TD1 zone needs its first two lines.
pub fn read(lines: &[&str]) -> MrzReading {
    let lines: Vec<String> = lines.iter().map(|l| clean(l)).filter(|l| candidate(l)).collect();
    for group in lines.windows(2) {
        if let Some(data) = fit(&group[0], 30).zip(fit(&group[1], 30)).and_then(|(l1, l2)| td1(&l1, &l2)) {
            return MrzReading::Read(data);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        // Visas (first line `V...`) have no composite check digit.
        let visa = i > 0 && lines[i - 1].starts_with('V');
        for len in [44, 36] {
            if let Some(data) = fit(line, len).and_then(|l2| two_line(&l2, visa)) {
                return MrzReading::Read(data);
            }
        }
    }
    if lines.iter().any(|l| l.contains("<<")) {
        MrzReading::Unreadable
    } else {
        MrzReading::Absent
    }
}

fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '«' | '‹' | '〈' | '＜' | '(' | '[' | '{' => '<',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

/// The line at `len` characters: its longest filler run lengthened or shortened by up to three (OCR reads long
/// runs of one repeated character a little short or long), else `None`.
fn fit(line: &str, len: usize) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    if n == len {
        return Some(line.to_owned());
    }
    if n.abs_diff(len) > 3 {
        return None;
    }
    let (mut best, mut run_start) = ((0, 0), None);
    for (i, &c) in chars.iter().chain(std::iter::once(&' ')).enumerate() {
        match (c == '<', run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if i - s > best.1 - best.0 {
                    best = (s, i);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    let run = best.1 - best.0;
    if run == 0 || run + len < n + 1 {
        return None;
    }
    let new_run = run + len - n;
    let mut out: String = chars[..best.0].iter().collect();
    out.extend(std::iter::repeat_n('<', new_run));
    out.extend(&chars[best.1..]);
    Some(out)
}

/// ICAO 9303 check digit: weights 7, 3, 1; digits as themselves, A-Z as 10-35, filler as 0.
pub fn check_digit(field: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in field.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    Some(sum % 10)
}

/// A field that holds only digits, with OCR's usual letter-for-digit confusions undone.
fn digits(field: &str) -> String {
    field
        .chars()
        .map(|c| match c {
            'O' | 'Q' | 'D' | 'U' => '0',
            'I' | 'L' | 'T' => '1',
            'Z' => '2',
            'S' => '5',
            'G' => '6',
            'B' => '8',
            c => c,
        })
        .collect()
}

fn holds(field: &str, check: &str) -> bool {
    let check = digits(check);
    check_digit(field).zip(check.chars().next().and_then(|c| c.to_digit(10))).is_some_and(|(a, b)| a == b)
}

fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// The first run of exactly twelve digits in `optional`.
fn twelve_digits(optional: &str) -> Option<Zeroizing<String>> {
    optional.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 12).map(|run| Zeroizing::new(run.to_owned()))
}

/// The second line of a two-line zone (TD3: 44 characters, TD2: 36): document number, birth date and expiry with
/// their check digits, the optional data's own check digit (TD3), and the composite (not on visas).
fn two_line(l2: &str, visa: bool) -> Option<MrzData> {
    let n = l2.len();
    let (dob, expiry) = (digits(sub(l2, 13, 19)), digits(sub(l2, 21, 27)));
    let fields =
        holds(sub(l2, 0, 9), sub(l2, 9, 10)) && holds(&dob, sub(l2, 19, 20)) && holds(&expiry, sub(l2, 27, 28));
    let checked = fields
        && (visa || {
            // Document number and its check, birth date and its check, expiry, its check, the optional data.
            let composite = format!("{}{dob}{}{expiry}{}", sub(l2, 0, 10), sub(l2, 19, 20), sub(l2, 27, n - 1));
            let personal = n != 44 || {
                let (field, check) = (sub(l2, 28, 42), sub(l2, 42, 43));
                holds(field, check) || (field.chars().all(|c| c == '<') && check == "<")
            };
            personal && holds(&composite, sub(l2, n - 1, n))
        });
    let optional = if n == 44 { sub(l2, 28, 42) } else { sub(l2, 28, n - 1) };
    checked.then(|| MrzData { birth_date: Zeroizing::new(dob), iin: twelve_digits(&digits_if_numeric(optional)) })
}

/// Optional data may hold letters; only a span that is digits after OCR repair counts as a number.
fn digits_if_numeric(span: &str) -> String {
    let repaired = digits(span);
    if repaired.chars().all(|c| c.is_ascii_digit() || c == '<') {
        repaired
    } else {
        span.to_owned()
    }
}

/// The first two lines of a TD1 zone (30 characters each).
fn td1(l1: &str, l2: &str) -> Option<MrzData> {
    let (dob, expiry) = (digits(sub(l2, 0, 6)), digits(sub(l2, 8, 14)));
    let composite = format!("{}{dob}{}{expiry}{}{}", sub(l1, 5, 30), sub(l2, 6, 7), sub(l2, 14, 15), sub(l2, 18, 29));
    let ok = holds(sub(l1, 5, 14), sub(l1, 14, 15))
        && holds(&dob, sub(l2, 6, 7))
        && holds(&expiry, sub(l2, 14, 15))
        && holds(&composite, sub(l2, 29, 30));
    ok.then(|| MrzData { birth_date: Zeroizing::new(dob), iin: twelve_digits(&digits_if_numeric(sub(l1, 15, 30))) })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ICAO 9303 specimens (part 4 appendix A, part 5 appendix A): fictitious persons.
    const TD3: [&str; 2] =
        ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"];
    const TD1: [&str; 3] =
        ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];

    fn read_birth_date(lines: &[&str]) -> Option<String> {
        match read(lines) {
            MrzReading::Read(d) => Some(d.birth_date.to_string()),
            _ => None,
        }
    }

    #[test]
    fn check_digits_of_the_specimens() {
        assert_eq!(check_digit("L898902C3"), Some(6));
        assert_eq!(check_digit("740812"), Some(2));
        assert_eq!(check_digit("120415"), Some(9));
        assert_eq!(check_digit("D23145890"), Some(7));
    }

    #[test]
    fn the_specimen_passport_and_id_card_are_read() {
        assert_eq!(read_birth_date(&TD3).as_deref(), Some("740812"));
        assert_eq!(read_birth_date(&TD1).as_deref(), Some("740812"));
    }

    #[test]
    fn ocr_slips_that_check_digits_allow_are_repaired() {
        // Lower case, spaces, a guillemet for a filler, an O for a zero in the birth date, two fillers lost.
        let l2 = "L898902C36UTO74O8122F1204159ZE184226B<<<10";
        let l1 = "p<uto eriksson«<anna<maria<<<<<<<<<<<<<<<<<<<";
        assert_eq!(read_birth_date(&[l1, l2]).as_deref(), Some("740812"));
    }

    #[test]
    fn a_changed_digit_makes_the_zone_unreadable_not_misread() {
        let forged = TD3[1].replace("740812", "750812");
        assert!(matches!(read(&[TD3[0], &forged]), MrzReading::Unreadable));
        assert!(matches!(read(&["SURNAME", "ERIKSSON"]), MrzReading::Absent));
    }

    #[test]
    fn the_second_line_of_a_passport_zone_is_enough() {
        assert_eq!(read_birth_date(&["Passport No. L898902C3", TD3[1]]).as_deref(), Some("740812"));
    }

    /// A TD1 zone with `iin` as its optional data, every check digit computed.
    fn td1_with(iin: &str) -> [String; 3] {
        let cd = |f: &str| check_digit(f).unwrap_or(0);
        let doc = "N12345678";
        let l1 = format!("IDKAZ{doc}{}{iin}<<<", cd(doc));
        let l2 = format!("900101{}F300101{}KAZ<<<<<<<<<<<", cd("900101"), cd("300101"));
        let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        [l1, format!("{l2}{}", cd(&composite)), "SPECIMEN<<AIGERIM<<<<<<<<<<<<<".into()]
    }

    #[test]
    fn an_iin_in_the_optional_data_is_found() {
        let zone = td1_with("900101400123");
        let lines: Vec<&str> = zone.iter().map(String::as_str).collect();
        match read(&lines) {
            MrzReading::Read(d) => {
                assert_eq!(d.iin.as_deref().map(String::as_str), Some("900101400123"));
                assert_eq!(d.birth_date.as_str(), "900101");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_output_redacts_the_data() {
        let MrzReading::Read(d) = read(&TD3) else { panic!("read") };
        assert!(!format!("{d:?}").contains("740812"));
    }
}
