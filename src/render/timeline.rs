//! `/timeline/`: every incident on one page, by year and month, newest
//! first. The site's order already puts a month-only date after the days
//! of its month and a year-only date after the months of its year, so the
//! groups are runs of that order, found in one pass.

use serde::Serialize;
use tera::Value;

use crate::content::date::PartialDate;
use crate::render::context::Cards;
use crate::render::stats::category_colour;
use crate::site::{Site, Taxonomy};
use crate::text::cut_at_word;

/// How much of the root cause a timeline entry shows.
const CAUSE_CHARS: usize = 160;

#[derive(Serialize)]
pub struct Year {
    pub year: i32,
    /// The year's page.
    pub url: String,
    pub months: Vec<Month>,
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

/// The incidents grouped by year, then month, in the site's order.
pub fn years(site: &Site, cards: &Cards) -> Vec<Year> {
    let mut years: Vec<Year> = Vec::new();
    for (i, incident) in site.incidents.iter().enumerate() {
        let date = incident.date;
        if years.last().is_none_or(|y| y.year != date.year) {
            years.push(Year {
                year: date.year,
                url: site.terms(Taxonomy::Year)[site.links[i].year].url.clone(),
                months: Vec::new(),
            });
        }
        let months = &mut years.last_mut().expect("pushed above").months;
        let month = month_of(date);
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
                cause: cut_at_word(&incident.root_cause, CAUSE_CHARS),
            });
    }
    years
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
