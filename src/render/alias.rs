//! The pages at a document's old URLs (`aliases:` in its front matter),
//! each sending the reader on to where the document is now, without
//! script: a link that keeps working after a rename.

use rustc_hash::FxHashMap;

use super::page::Page;
use crate::config::LinkStyle;
use crate::content::Aliases;
use crate::diagnostic::{Diagnostic, display_path};
use crate::output::OutputFile;
use crate::site::Site;
use crate::urls::{absolute, file_path, root_of};

/// A document with aliases: an incident or an advice page, by number.
#[derive(Clone, Copy, Debug)]
pub(super) enum Owner {
    Incident(usize),
    Advice(usize),
}

impl Owner {
    fn aliases(self, site: &Site) -> &Aliases {
        match self {
            Owner::Incident(i) => &site.incidents[i].aliases,
            Owner::Advice(a) => &site.advice[a].aliases,
        }
    }

    /// The document's URL and title.
    fn target(self, site: &Site) -> (&str, &str) {
        match self {
            Owner::Incident(i) => (&site.incident_urls[i], &site.incidents[i].title),
            Owner::Advice(a) => (&site.advice_urls[a], &site.advice[a].title),
        }
    }

    fn path(self, site: &Site) -> &std::path::Path {
        match self {
            Owner::Incident(i) => &site.incidents[i].path,
            Owner::Advice(a) => &site.advice[a].path,
        }
    }
}

/// Every alias page of the site: `(owner, alias number)`.
pub(super) fn pages(site: &Site) -> impl Iterator<Item = Page> + '_ {
    let incidents = (0..site.incidents.len()).map(Owner::Incident);
    let advice = (0..site.advice.len()).map(Owner::Advice);
    incidents.chain(advice).flat_map(move |owner| {
        (0..owner.aliases(site).urls.len()).map(move |n| Page::Alias(owner, n))
    })
}

pub(super) fn url(site: &Site, owner: Owner, n: usize) -> String {
    owner.aliases(site).urls[n].clone()
}

/// The page at an old URL: a refresh to the new one, with the new one as
/// its canonical address, and a link for a reader whose browser does not
/// follow.
pub(super) fn page(site: &Site, owner: Owner, n: usize) -> OutputFile {
    let alias = url(site, owner, n);
    let (target, title) = owner.target(site);
    let mut relative = format!("{}{target}", root_of(&alias));
    // Opened from disk, a directory is no page (`[build] links`).
    if site.config.build.links == LinkStyle::Files && relative.ends_with('/') {
        relative.push_str("index.html");
    }
    let canonical = match site.config.site.base_url.as_str() {
        "" => relative.clone(),
        base => absolute(base, target),
    };
    let (title, relative, canonical) = (escape(title), escape(&relative), escape(&canonical));
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<link rel=\"canonical\" href=\"{canonical}\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={relative}\">\n\
         <meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n\
         <p>This page has moved: <a href=\"{relative}\">{title}</a>.</p>\n</body>\n</html>\n",
        lang = escape(&site.config.site.language),
    );
    OutputFile {
        path: file_path(&alias),
        bytes: html.into_bytes(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An error for each alias that is already the address of a page of the
/// site, or of another alias: one of the two would be lost.
pub fn collisions(site: &Site) -> Vec<Diagnostic> {
    let mut aliases = pages(site).peekable();
    // Most sites have none, and listing every page's address to check
    // them took a fifth of a second at 100,000 incidents.
    if aliases.peek().is_none() {
        return Vec::new();
    }
    let mut taken: FxHashMap<std::path::PathBuf, String> = super::page::pages(site)
        .into_iter()
        .filter(|page| !matches!(page, Page::Alias(..)))
        .map(|page| {
            let url = page.url(site);
            (file_path(&url), format!("the page `{url}`"))
        })
        .collect();
    let mut found = Vec::new();
    for page in aliases {
        let Page::Alias(owner, n) = page else {
            continue;
        };
        let alias = url(site, owner, n);
        let pos = owner.aliases(site).pos[n];
        let here = format!("the alias `{alias}` of {}", display_path(owner.path(site)));
        match taken.get(&file_path(&alias)) {
            Some(other) => found.push(
                Diagnostic::error(
                    owner.path(site),
                    pos,
                    format!("the alias `{alias}` is already {other}"),
                )
                .with_hint("remove the alias, or give it a URL no page has"),
            ),
            None => {
                taken.insert(file_path(&alias), here);
            }
        }
    }
    found
}
