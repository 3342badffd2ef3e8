//! The timeline: `/timeline/` lists the years, and each year has its
//! pages (`timeline/<year>/`, then `page/2/`...) of incidents by month,
//! newest first. The site's order already puts a month-only date after the
//! days of its month and a year-only date after the months of its year, so
//! the groups are runs of that order, found in one pass.

use serde::Serialize;
use tera::Value;

use crate::content::date::PartialDate;
use crate::render::context::Cards;
use crate::render::stats::category_colour;
use crate::site::{Site, Taxonomy};
use crate::text::cut_at_word;
use crate::urls;

/// How much of the root cause a timeline entry shows.
const CAUSE_CHARS: usize = 160;

/// A year as the timeline's index lists it.
#[derive(Serialize)]
pub struct Year<'a> {
    pub year: &'a str,
    /// The year's timeline.
    pub url: String,
    pub count: usize,
}

/// The incidents of one month, or of a year whose month is unknown.
#[derive(Serialize)]
pub struct Month {
    /// "October 2021", or "2021 (month unknown)".
    pub label: String,
    /// `2021-10`, or `2021` for the month-unknown group.
    pub datetime: String,
    pub known: bool,
    pub entries: Vec<Entry>,
}

#[derive(Serialize)]
pub struct Entry {
    /// The incident's card, as lists show it.
    pub card: Value,
    pub colour: usize,
    pub cause: String,
}

/// Every year with incidents, newest first.
pub fn index(site: &Site) -> Vec<Year<'_>> {
    site.terms(Taxonomy::Year)
        .iter()
        .map(|term| Year {
            year: &term.name,
            url: urls::timeline_year(&term.slug),
            count: term.incidents.len(),
        })
        .collect()
}

/// The incidents `indices` (of one year, in the site's order) grouped by
/// month.
pub fn months(site: &Site, cards: &Cards, indices: &[usize]) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    for &i in indices {
        let month = month_of(site.incidents[i].date);
        if months.last().is_none_or(|m| m.datetime != month.datetime) {
            months.push(month);
        }
        months
            .last_mut()
            .expect("pushed above")
            .entries
            .push(Entry {
                card: cards.get(site, i),
                colour: category_colour(site.links[i].category),
                cause: cut_at_word(&site.incidents[i].root_cause, CAUSE_CHARS),
            });
    }
    months
}

/// The (empty) group a date belongs in.
fn month_of(date: PartialDate) -> Month {
    let month = PartialDate { day: None, ..date };
    let known = month.month.is_some();
    Month {
        label: if known {
            month.human()
        } else {
            format!("{} (month unknown)", date.year)
        },
        datetime: month.iso(),
        known,
        entries: Vec::new(),
    }
}
