//! The table of incidents as data, for `table.js` to sort and filter every
//! incident, not only the page's: one compact row per incident (terms as
//! numbers), in script files of at most [`CHUNK_BYTES`], so no file grows
//! with the knowledge base, and a `meta.js` naming the terms. Scripts, not
//! JSON, because `fetch` does not work from `file://`.

use serde::Serialize;

use crate::content::date::format_duration;
use crate::output::OutputFile;
use crate::site::{Site, Taxonomy};
use crate::urls;

/// The largest data file, but for a single row longer than that.
const CHUNK_BYTES: usize = 100_000;

/// The taxonomies a row carries, in its order: the table's columns and its
/// filters.
const TAXONOMIES: [Taxonomy; 6] = [
    Taxonomy::Category,
    Taxonomy::Company,
    Taxonomy::Year,
    Taxonomy::Tag,
    Taxonomy::Technology,
    Taxonomy::ImpactKind,
];

/// One incident: `[url, title, date, minutes, duration, terms]`, its
/// terms of each of [`TAXONOMIES`] by number.
#[derive(Serialize)]
struct Row<'a>(
    &'a str,
    &'a str,
    String,
    Option<u64>,
    Option<String>,
    [Terms<'a>; TAXONOMIES.len()],
);

/// An incident's terms of a taxonomy: a number where it has exactly one.
#[derive(Serialize)]
#[serde(untagged)]
enum Terms<'a> {
    One(usize),
    Many(&'a [usize]),
}

/// What the page needs before the rows: how many files to load, and the
/// terms' names, by number, for the filters and the cells.
#[derive(Serialize)]
struct Meta<'a> {
    rows: usize,
    chunks: usize,
    /// Each of [`TAXONOMIES`]: its key (the field's name) and its terms.
    taxonomies: Vec<(&'static str, Vec<&'a str>)>,
}

/// `incidents/table/data/meta.js` and `<n>.js`, each calling
/// `castorTable(name, data)`.
pub fn files(site: &Site) -> Vec<OutputFile> {
    let rows: Vec<String> = (0..site.incidents.len())
        .map(|i| {
            let incident = &site.incidents[i];
            let row = Row(
                &site.incident_urls[i],
                &incident.title,
                incident.date.iso(),
                incident.duration,
                incident.duration.map(format_duration),
                TAXONOMIES.map(|t| match site.links[i].terms(t) {
                    &[one] if t.is_single() => Terms::One(one),
                    many => Terms::Many(many),
                }),
            );
            // Strings, numbers and lists always serialize.
            serde_json::to_string(&row).unwrap_or_default()
        })
        .collect();
    let chunks = chunk(&rows, CHUNK_BYTES);
    let meta = Meta {
        rows: rows.len(),
        chunks: chunks.len(),
        taxonomies: TAXONOMIES
            .iter()
            .map(|&t| {
                let names = site.terms(t).iter().map(|term| term.name.as_str());
                (t.key(), names.collect())
            })
            .collect(),
    };
    let mut files = vec![script(
        "meta",
        &serde_json::to_string(&meta).unwrap_or_default(),
    )];
    files.extend(
        chunks
            .iter()
            .enumerate()
            .map(|(n, rows)| script(&n.to_string(), &format!("[{}]", rows.join(",")))),
    );
    files
}

/// `rows` cut in order into runs of at most `limit` bytes of JSON each.
fn chunk(rows: &[String], limit: usize) -> Vec<&[String]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        // A row and its comma; the script's call around them is counted
        // in the margin.
        let size = row.len() + 1;
        if i > start && bytes + size > limit - 100 {
            chunks.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < rows.len() {
        chunks.push(&rows[start..]);
    }
    chunks
}

fn script(name: &str, json: &str) -> OutputFile {
    OutputFile {
        path: format!("{}{name}.js", urls::TABLE_DATA).into(),
        bytes: format!("castorTable(\"{name}\",{json});\n").into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_every_row_in_order_within_the_limit() {
        let rows: Vec<String> = (0..50).map(|n| format!("[{n:0>40}]")).collect();
        let chunks = chunk(&rows, 300);
        assert!(chunks.len() > 1);
        assert!(
            chunks
                .iter()
                .all(|c| c.iter().map(|r| r.len() + 1).sum::<usize>() <= 200)
        );
        assert_eq!(chunks.concat(), rows);
        assert!(chunk(&[], 300).is_empty());
    }
}
