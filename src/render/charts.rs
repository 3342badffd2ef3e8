//! Charts drawn at build time as inline SVG: no script, nothing to
//! download. Three shapes draw every chart of the site: horizontal bars,
//! columns stacked by series, and the spread of durations on a log time
//! axis. Each returns a [`Figure`]: the SVG, with every text from content
//! escaped and a title and description for screen readers, and the same
//! data as a table, which templates render (and escape) themselves.
//!
//! Links inside an SVG are out of the tab order: the SVG is one image to
//! assistive technology, and the table carries the same links.

use std::fmt::Write;

use serde::Serialize;

use crate::content::date::format_duration;
use crate::content::markdown::escape;
use crate::text::cut_at_word;

/// Category colours cycle through this many CSS custom properties,
/// `--cat-0` to `--cat-11` in style.css.
pub const PALETTE: usize = 12;

/// The SVG's coordinate width; CSS scales it to the page.
const WIDTH: f64 = 720.0;
/// Longer labels are cut at a word; the tooltip and the table keep them whole.
const LABEL_CHARS: usize = 90;
/// Above this many durations in a row, the dots would outweigh the page:
/// the range and the median remain.
const MAX_DOTS: usize = 60;
/// Where the duration axis may put a tick, in minutes: 1m to a year.
const DURATION_TICKS: [u64; 9] = [1, 5, 15, 60, 360, 1440, 10_080, 43_200, 525_600];

/// What names a chart on its page and heads its table.
pub struct Meta {
    /// Unique on the page; the SVG's title and description ids derive from it.
    pub id: &'static str,
    pub title: &'static str,
    /// The heading of the table's first column, such as "Category".
    pub subject: &'static str,
    /// The heading of the value column, such as "Incidents".
    pub value: &'static str,
}

/// One bar: a label, its count and the page listing what it counts.
pub struct Bar {
    pub label: String,
    pub value: usize,
    /// From the site root.
    pub url: String,
    /// A category's palette index; the neutral bar colour when `None`.
    pub colour: Option<usize>,
}

/// One series of a stacked chart, such as a category.
pub struct Series {
    pub name: String,
    pub url: String,
    pub colour: usize,
}

/// One column of a stacked chart: a value per series, in series order.
pub struct Column {
    pub label: String,
    /// `None` for a column with nothing to list.
    pub url: Option<String>,
    pub values: Vec<usize>,
}

/// One row of durations, such as a category's.
pub struct Spread {
    pub label: String,
    pub url: String,
    pub colour: usize,
    /// Shortest first.
    pub points: Vec<Point>,
}

/// One duration and the incident it belongs to.
pub struct Point {
    pub minutes: u64,
    pub label: String,
    pub url: String,
}

/// A drawn chart, as templates see it.
#[derive(Serialize)]
pub struct Figure {
    pub id: &'static str,
    pub title: &'static str,
    /// Generated here from escaped text: safe to insert as is.
    pub svg: String,
    pub table: Table,
}

#[derive(Serialize)]
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Serialize)]
pub struct Row {
    pub label: String,
    /// From the site root.
    pub url: Option<String>,
    pub cells: Vec<String>,
}

/// Horizontal bars, each label above its bar, longest scale to the width.
pub fn bars(meta: &Meta, bars: &[Bar], root: &str) -> Figure {
    let root = escape(root);
    const ROW: f64 = 34.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let scale = (WIDTH - 48.0) / max;
    let desc = describe(
        meta,
        bars.iter().map(|b| format!("{} {}", b.label, b.value)),
    );
    let mut svg = open(meta, ROW * bars.len() as f64 + 4.0, &desc);
    for (k, bar) in bars.iter().enumerate() {
        let y = k as f64 * ROW;
        let width = bar.value as f64 * scale;
        let _ = write!(
            svg,
            r#"<a href="{root}{url}"{class}><title>{label}: {value}</title><text x="0" y="{ty:.1}">{short}</text><rect class="bar" x="0" y="{by:.1}" width="{width:.1}" height="14"/><text class="value" x="{vx:.1}" y="{vy:.1}">{value}</text></a>"#,
            url = escape(&bar.url),
            class = colour_class(bar.colour),
            label = escape(&bar.label),
            value = bar.value,
            ty = y + 13.0,
            short = escape(&cut_at_word(&bar.label, LABEL_CHARS)),
            by = y + 18.0,
            vx = width + 6.0,
            vy = y + 29.5,
        );
    }
    let rows = bars
        .iter()
        .map(|b| Row {
            label: b.label.clone(),
            url: Some(b.url.clone()),
            cells: vec![b.value.to_string()],
        })
        .collect();
    close(
        meta,
        svg,
        vec![meta.subject.into(), meta.value.into()],
        rows,
    )
}

/// Columns left to right, each split into its series bottom up, with a
/// value axis and a legend of the series that have any value.
pub fn stacked(meta: &Meta, series: &[Series], columns: &[Column], root: &str) -> Figure {
    let root = escape(root);
    const LEFT: f64 = 34.0;
    const TOP: f64 = 10.0;
    const PLOT: f64 = 180.0;
    let totals: Vec<usize> = columns.iter().map(|c| c.values.iter().sum()).collect();
    let highest = totals.iter().copied().max().unwrap_or(0);
    let step = nice_step(highest);
    let top = highest.div_ceil(step).max(1) * step;
    let scale = PLOT / top as f64;
    let slot = (WIDTH - LEFT) / columns.len().max(1) as f64;
    let bar = (slot * 0.7).min(56.0);
    let every = [1, 2, 5, 10, 20, 25, 50, 100]
        .into_iter()
        .find(|&n| slot * n as f64 >= 36.0)
        .unwrap_or(200);
    let shown: Vec<usize> = (0..series.len())
        .filter(|&s| columns.iter().any(|c| c.values[s] > 0))
        .collect();

    // The legend wraps by an estimate of each name's width.
    let legend_top = TOP + PLOT + 34.0;
    let mut legend = String::new();
    let (mut x, mut y) = (LEFT, legend_top);
    for &s in &shown {
        let item = &series[s];
        let width = item.name.chars().count() as f64 * 7.5 + 30.0;
        if x + width > WIDTH && x > LEFT {
            (x, y) = (LEFT, y + 20.0);
        }
        let _ = write!(
            legend,
            r#"<a href="{root}{url}" class="cat-{c}"><rect class="seg" x="{x:.1}" y="{sy:.1}" width="12" height="12"/><text x="{tx:.1}" y="{ty:.1}">{name}</text></a>"#,
            url = escape(&item.url),
            c = item.colour,
            sy = y - 10.0,
            tx = x + 17.0,
            ty = y,
            name = escape(&item.name),
        );
        x += width;
    }
    let height = if shown.is_empty() {
        legend_top
    } else {
        y + 8.0
    };

    let desc = describe(
        meta,
        columns.iter().zip(&totals).map(|(c, total)| {
            let parts: Vec<String> = shown
                .iter()
                .filter(|&&s| c.values[s] > 0)
                .map(|&s| format!("{} {}", series[s].name, c.values[s]))
                .collect();
            if parts.is_empty() {
                format!("{} {total}", c.label)
            } else {
                format!("{} {total} ({})", c.label, parts.join(", "))
            }
        }),
    );
    let mut svg = open(meta, height, &desc);
    for tick in (0..=top).step_by(step) {
        let ty = TOP + PLOT - tick as f64 * scale;
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{WIDTH}" y1="{ty:.1}" y2="{ty:.1}"/><text class="tick" x="{tx}" y="{ly:.1}" text-anchor="end">{tick}</text>"#,
            tx = LEFT - 6.0,
            ly = ty + 4.0,
        );
    }
    for (k, (column, total)) in columns.iter().zip(&totals).enumerate() {
        let cx = LEFT + slot * (k as f64 + 0.5);
        let label = escape(&column.label);
        if let Some(url) = &column.url {
            let _ = write!(
                svg,
                r#"<a href="{root}{}"><title>{label}: {total}</title>"#,
                escape(url)
            );
        }
        let mut base = TOP + PLOT;
        for &s in &shown {
            let value = column.values[s];
            if value == 0 {
                continue;
            }
            let h = value as f64 * scale;
            base -= h;
            let _ = write!(
                svg,
                r#"<rect class="seg cat-{c}" x="{x:.1}" y="{base:.1}" width="{bar:.1}" height="{h:.1}"><title>{label} · {name}: {value}</title></rect>"#,
                c = series[s].colour,
                x = cx - bar / 2.0,
                name = escape(&series[s].name),
            );
        }
        if column.url.is_some() {
            svg.push_str("</a>");
        }
        if k % every == 0 {
            let _ = write!(
                svg,
                r#"<text class="tick" x="{cx:.1}" y="{y:.1}" text-anchor="middle">{label}</text>"#,
                y = TOP + PLOT + 16.0,
            );
        }
    }
    svg.push_str(&legend);

    let mut head = vec![meta.subject.to_string()];
    head.extend(shown.iter().map(|&s| series[s].name.clone()));
    head.push(meta.value.into());
    let rows = columns
        .iter()
        .zip(&totals)
        .map(|(c, total)| Row {
            label: c.label.clone(),
            url: c.url.clone(),
            cells: shown
                .iter()
                .map(|&s| c.values[s].to_string())
                .chain([total.to_string()])
                .collect(),
        })
        .collect();
    close(meta, svg, head, rows)
}

/// Rows of durations on a logarithmic time axis: each row's range from
/// shortest to longest, its median, and a dot per incident.
pub fn spread(meta: &Meta, rows: &[Spread], root: &str) -> Figure {
    let root = escape(root);
    const ROW: f64 = 40.0;
    const TOP: f64 = 6.0;
    const PLOT_LEFT: f64 = 170.0;
    const PLOT_RIGHT: f64 = WIDTH - 16.0;
    let all = rows
        .iter()
        .flat_map(|r| &r.points)
        .map(|p| p.minutes.max(1));
    let (lo, hi) = duration_domain(all.clone().min().unwrap_or(1), all.max().unwrap_or(1));
    let x = |minutes: u64| {
        let (lo, hi, v) = (lo as f64, hi as f64, minutes.max(1) as f64);
        PLOT_LEFT + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * (PLOT_RIGHT - PLOT_LEFT)
    };
    let axis = TOP + ROW * rows.len() as f64;

    // Shortest, median and longest of each row, in minutes.
    let summaries: Vec<[u64; 3]> = rows
        .iter()
        .map(|r| {
            let minutes: Vec<u64> = r.points.iter().map(|p| p.minutes).collect();
            [
                minutes.first().copied().unwrap_or(0),
                median(&minutes),
                minutes.last().copied().unwrap_or(0),
            ]
        })
        .collect();
    let desc = describe(
        meta,
        rows.iter().zip(&summaries).map(|(r, summary)| {
            let n = r.points.len();
            let noun = if n == 1 { "incident" } else { "incidents" };
            let [min, med, max] = summary.map(format_duration);
            format!(
                "{} {n} {noun}, shortest {min}, median {med}, longest {max}",
                r.label
            )
        }),
    );
    let mut svg = open(meta, axis + 24.0, &desc);
    for &tick in DURATION_TICKS.iter().filter(|&&t| (lo..=hi).contains(&t)) {
        let tx = x(tick);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{tx:.1}" x2="{tx:.1}" y1="{TOP}" y2="{axis:.1}"/><text class="tick" x="{tx:.1}" y="{ly:.1}" text-anchor="middle">{label}</text>"#,
            ly = axis + 16.0,
            label = format_duration(tick),
        );
    }
    for (k, (row, &[min, med, max])) in rows.iter().zip(&summaries).enumerate() {
        let cy = TOP + ROW * (k as f64 + 0.5);
        let _ = write!(
            svg,
            r#"<g class="cat-{c}"><a href="{root}{url}"><text x="0" y="{ly:.1}">{label} · {n}</text></a><text class="tick" x="0" y="{my:.1}">median {med}</text><line class="range" x1="{x1:.1}" x2="{x2:.1}" y1="{cy:.1}" y2="{cy:.1}"/>"#,
            c = row.colour,
            url = escape(&row.url),
            ly = cy - 2.0,
            label = escape(&cut_at_word(&row.label, 20)),
            n = row.points.len(),
            med = format_duration(med),
            my = cy + 13.0,
            x1 = x(min),
            x2 = x(max),
        );
        let _ = write!(
            svg,
            r#"<rect class="median" x="{mx:.1}" y="{my:.1}" width="3" height="30"><title>{label}: median {med}</title></rect>"#,
            mx = x(med) - 1.5,
            med = format_duration(med),
            my = cy - 15.0,
            label = escape(&row.label),
        );
        if row.points.len() <= MAX_DOTS {
            for (d, point) in row.points.iter().enumerate() {
                // Three lanes, so equal durations stay visible side by side.
                // A dot is a shortcut for the pointer only: one tab stop per
                // incident would bury the page, and the category's link
                // and the table lead to the same incidents.
                let lane = [0.0, -1.0, 1.0][d % 3];
                let _ = write!(
                    svg,
                    r#"<a href="{root}{url}" tabindex="-1"><circle class="dot" cx="{cx:.1}" cy="{dy:.1}" r="4.5"><title>{label}: {duration}</title></circle></a>"#,
                    url = escape(&point.url),
                    cx = x(point.minutes),
                    dy = cy + lane * 5.0,
                    label = escape(&point.label),
                    duration = format_duration(point.minutes),
                );
            }
        }
        svg.push_str("</g>");
    }
    let head = [meta.subject, meta.value, "Shortest", "Median", "Longest"]
        .map(String::from)
        .to_vec();
    let table = rows
        .iter()
        .zip(summaries)
        .map(|(r, summary)| Row {
            label: r.label.clone(),
            url: Some(r.url.clone()),
            cells: [r.points.len().to_string()]
                .into_iter()
                .chain(summary.map(format_duration))
                .collect(),
        })
        .collect();
    close(meta, svg, head, table)
}

/// The SVG's opening, with its title and description for screen readers.
/// A group rather than an image: its links are reachable by keyboard and
/// announced, which an image's children are not.
fn open(meta: &Meta, height: f64, desc: &str) -> String {
    format!(
        r#"<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" role="group" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        id = meta.id,
        title = escape(meta.title),
        desc = escape(desc),
    )
}

/// Ends the SVG and pairs it with its table.
fn close(meta: &Meta, mut svg: String, head: Vec<String>, rows: Vec<Row>) -> Figure {
    svg.push_str("</svg>");
    Figure {
        id: meta.id,
        title: meta.title,
        svg,
        table: Table { head, rows },
    }
}

/// "Title: a, b, c." — what a screen reader says of the chart.
fn describe(meta: &Meta, items: impl Iterator<Item = String>) -> String {
    format!("{}: {}.", meta.title, items.collect::<Vec<_>>().join("; "))
}

fn colour_class(colour: Option<usize>) -> String {
    colour.map_or_else(String::new, |c| format!(r#" class="cat-{c}""#))
}

/// A step of 1, 2 or 5 times a power of ten giving at most five ticks.
fn nice_step(max: usize) -> usize {
    let mut magnitude = 1;
    loop {
        for step in [1, 2, 5].map(|m| m * magnitude) {
            if max <= step * 5 {
                return step;
            }
        }
        magnitude *= 10;
    }
}

/// The axis ends around `min..=max`: ticks when the data lies within
/// them, never an empty range.
fn duration_domain(min: u64, max: u64) -> (u64, u64) {
    let lo = DURATION_TICKS
        .iter()
        .rev()
        .find(|&&t| t <= min)
        .copied()
        .unwrap_or(1);
    let hi = DURATION_TICKS
        .iter()
        .find(|&&t| t >= max && t > lo)
        .copied()
        .unwrap_or(if max > lo { max } else { lo * 10 });
    (lo, hi)
}

/// The middle value of sorted minutes; between the two middle ones for an
/// even count.
fn median(sorted: &[u64]) -> u64 {
    match sorted.len() {
        0 => 0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]).div_ceil(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_give_few_ticks() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(4), 1);
        assert_eq!(nice_step(6), 2);
        assert_eq!(nice_step(23), 5);
        assert_eq!(nice_step(4_000), 1_000);
    }

    #[test]
    fn the_duration_axis_spans_the_data() {
        assert_eq!(duration_domain(45, 1440), (15, 1440));
        assert_eq!(duration_domain(60, 60), (60, 360));
        assert_eq!(duration_domain(1_000_000, 2_000_000), (525_600, 2_000_000));
    }

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[45, 120, 1440]), 120);
        assert_eq!(median(&[30, 90]), 60);
        assert_eq!(median(&[]), 0);
    }

    #[test]
    fn labels_from_content_are_escaped() {
        let meta = Meta {
            id: "t",
            title: "Top companies",
            subject: "Company",
            value: "Incidents",
        };
        let figure = bars(
            &meta,
            &[Bar {
                label: "<script>&co".into(),
                value: 2,
                url: "companies/co/".into(),
                colour: None,
            }],
            "../",
        );
        assert!(figure.svg.contains("&lt;script&gt;&amp;co"));
        assert!(!figure.svg.contains("<script"));
    }
}
