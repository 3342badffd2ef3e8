//! Slugs and names: what a valid slug is, how to make one, and "did you mean".

use rapidfuzz::distance::osa;

/// True for a slug castor accepts: lowercase ASCII letters, digits and single
/// inner hyphens.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

/// A valid slug made from any text: "Père Castor's DNS!" → "pere-castor-s-dns".
/// Returns an empty string when the text has no letter or digit at all.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                osa::normalized_similarity(input.chars(), c.to_lowercase().chars()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        // Among equally close candidates, the first in byte order: the
        // answer must not depend on the order they come in.
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" when a close candidate exists, otherwise the full list.
pub fn suggest(input: &str, candidates: &[&str]) -> String {
    match closest(input, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_lowercase_kebab_slugs() {
        assert!(is_valid("2021-10-04-facebook-bgp"));
        assert!(!is_valid("Facebook"));
        assert!(!is_valid("a_b"));
        assert!(!is_valid("-a"));
        assert!(!is_valid("a--b"));
        assert!(!is_valid(""));
    }

    #[test]
    fn slugifies_accents_and_punctuation() {
        assert_eq!(slugify("Père Castor's DNS!"), "pere-castor-s-dns");
        assert_eq!(slugify("  OVHcloud  "), "ovhcloud");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(closest("titel", ["title", "company"]), Some("title"));
        assert_eq!(closest("zzzz", ["title", "company"]), None);
        // Two candidates one edit away: the same answer in either order.
        for candidates in [["database", "datbases"], ["datbases", "database"]] {
            assert_eq!(closest("datbase", candidates), Some("database"));
        }
        assert_eq!(
            suggest("root_caus", &["root_cause", "date"]),
            "did you mean `root_cause`?"
        );
    }
}
