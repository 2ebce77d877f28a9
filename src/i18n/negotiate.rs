//! Choosing a language from an Accept-Language header (RFC 9110 section 12.5.4): the highest q-value among the
//! languages the catalogues cover wins, the earlier one on a tie; `q=0` means "not this one".

use super::Lang;

/// The best covered language the header asks for; English when it names none (or is absent).
pub fn from_accept_language(header: Option<&str>) -> Lang {
    let mut best: Option<(Lang, u16)> = None;
    for item in header.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        let Some(lang) = Lang::parse(primary) else { continue };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .map_or(Some(1000), quality);
        let Some(q) = q.filter(|&q| q > 0) else { continue };
        if best.is_none_or(|(_, b)| q > b) {
            best = Some((lang, q));
        }
    }
    best.map_or(Lang::En, |(lang, _)| lang)
}

/// A q-value in thousandths (`0`, `0.5`, `1.000`); `None` when malformed, which drops the item.
fn quality(raw: &str) -> Option<u16> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_covered_q_value_wins_and_english_is_the_fallback() {
        for (header, want) in [
            (None, Lang::En),
            (Some(""), Lang::En),
            (Some("ru"), Lang::Ru),
            (Some("kk-KZ"), Lang::Kk),
            (Some("de-DE,de;q=0.9"), Lang::En),
            (Some("de-DE,ru;q=0.5,kk;q=0.8"), Lang::Kk),
            (Some("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ru),
            (Some("en;q=0.4, ru;q=0.6"), Lang::Ru),
            (Some("kk;q=0, ru;q=0.1"), Lang::Ru),
            (Some("kk;q=0"), Lang::En),
            (Some("ru;q=0.5, kk;q=0.5"), Lang::Ru),
            (Some("RU"), Lang::Ru),
            (Some("ru;q=2, kk;q=0.2"), Lang::Kk),
            (Some("ru;q=abc"), Lang::En),
            (Some("*"), Lang::En),
        ] {
            assert_eq!(from_accept_language(header), want, "{header:?}");
        }
    }
}
