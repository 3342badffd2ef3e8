//! How to cite an incident: a permanent link from `base_url`, and a
//! reference in the usual author, title, date order (as MLA has it),
//! pointing at the original post-mortem and at the summary here.

use serde::Serialize;

use crate::site::Site;
use crate::urls;

#[derive(Serialize)]
pub struct Citation {
    /// The incident page's absolute URL.
    pub permalink: String,
    /// Plain text: templates escape it.
    pub text: String,
}

impl Citation {
    /// The citation of the site's incident `i`.
    pub fn of(site: &Site, i: usize) -> Citation {
        let incident = &site.incidents[i];
        let permalink = urls::absolute(&site.config.site.base_url, &site.incident_urls[i]);
        // Validation guarantees a source: the original post-mortem first.
        let original = incident
            .sources
            .first()
            .map_or_else(String::new, |s| format!(", {}", s.url));
        let text = format!(
            "{company} \"{title}\" Incident post-mortem, {date}{original}. Summarised in {site}, {permalink}.",
            company = sentence(&incident.company),
            title = sentence(&incident.title),
            date = incident.date.human(),
            site = site.config.site.title,
        );
        Citation { permalink, text }
    }
}

/// The text ending in a full stop, unless it already ends a sentence.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn ends_each_part_with_one_full_stop() {
        assert_eq!(sentence("Acme"), "Acme.");
        assert_eq!(sentence("Acme Inc."), "Acme Inc.");
        assert_eq!(
            sentence("Who deleted the database?"),
            "Who deleted the database?"
        );
    }
}
