//! An entry's title: the first sentence of its summary.

/// Words before a full stop that do not end a sentence, besides initials
/// and words with a full stop inside (`e.g.`, `U.S.`).
const ABBREVIATIONS: &[&str] = &[
    "vs", "inc", "ltd", "corp", "co", "mr", "ms", "dr", "st", "no", "approx",
];

/// The first sentence of plain text, without its full stop.
pub fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    for (i, c) in text.char_indices() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let word = text[..i]
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let next = rest.trim_start().chars().next();
        let abbreviation = (c == '.'
            && (ABBREVIATIONS.contains(&word.as_str())
                || word.contains('.')
                || word.chars().count() == 1))
            || next.is_some_and(char::is_lowercase);
        if !abbreviation {
            return if c == '.' { &text[..i] } else { &text[..=i] };
        }
    }
    text.trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_first_sentence() {
        assert_eq!(
            first_sentence("A bad config took down e.g. Azure. Then more."),
            "A bad config took down e.g. Azure"
        );
        assert_eq!(
            first_sentence("The U.S. Army lost 2.5 hours. Later."),
            "The U.S. Army lost 2.5 hours"
        );
        assert_eq!(
            first_sentence("Why did it fail? Nobody knew."),
            "Why did it fail?"
        );
        assert_eq!(first_sentence("No full stop at all"), "No full stop at all");
    }
}
