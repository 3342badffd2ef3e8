//! Related incidents: the explicit `related` list first, then the incidents
//! sharing the most advice, tags, company and category.
//!
//! Scores are counted through the taxonomies' incident lists (inverted maps).
//! A tag shared by thousands of incidents would still make the whole count
//! quadratic, so each list contributes only the [`WINDOW`] incidents nearest
//! in time on either side: the cost per incident is bounded by its number of
//! terms, whatever the size of the site.

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::{Links, MAX_RELATED, Term};
use crate::content::Incident;

const ADVICE_WEIGHT: u32 = 3;
const TAG_WEIGHT: u32 = 2;
const COMPANY_WEIGHT: u32 = 2;
const CATEGORY_WEIGHT: u32 = 1;
/// Incidents taken from each shared list on either side of the one at hand.
const WINDOW: usize = 24;

/// Completes every incident's `related` list up to [`MAX_RELATED`].
pub fn fill(
    incidents: &[Arc<Incident>],
    links: &mut [Links],
    categories: &[Term],
    companies: &[Term],
    tags: &[Term],
) {
    let mut cited_by_advice: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for (i, l) in links.iter().enumerate() {
        for &a in &l.advice {
            cited_by_advice.entry(a).or_default().push(i);
        }
    }
    let computed: Vec<Vec<usize>> = (0..incidents.len())
        .into_par_iter()
        .map_init(
            || (vec![0u32; incidents.len()], Vec::new()),
            |(scores, touched), i| {
                let l = &links[i];
                let mut add = |list: &[usize], weight: u32| {
                    for &j in nearest(list, i) {
                        if scores[j] == 0 {
                            touched.push(j);
                        }
                        scores[j] += weight;
                    }
                };
                for a in &l.advice {
                    add(&cited_by_advice[a], ADVICE_WEIGHT);
                }
                for &t in &l.tags {
                    add(&tags[t].incidents, TAG_WEIGHT);
                }
                add(&companies[l.company].incidents, COMPANY_WEIGHT);
                let same_category = &categories[l.category].incidents;
                for &j in touched.iter() {
                    if links[j].category == l.category {
                        scores[j] += CATEGORY_WEIGHT;
                    }
                }
                let mut ranked: Vec<u64> = touched
                    .iter()
                    .filter(|&&j| j != i && !l.related.contains(&j))
                    .map(|&j| rank(scores[j], i, j))
                    .collect();
                // Only the best few are needed, so they are selected first
                // and only they are sorted.
                if ranked.len() > MAX_RELATED {
                    ranked.select_nth_unstable(MAX_RELATED);
                    ranked.truncate(MAX_RELATED);
                }
                ranked.sort_unstable();
                let mut related = l.related.clone();
                related.extend(ranked.into_iter().map(|key| unrank(key, i)));
                related.truncate(MAX_RELATED);
                if related.len() < MAX_RELATED {
                    fill_from_category(i, same_category, &mut related);
                }
                for j in touched.drain(..) {
                    scores[j] = 0;
                }
                related
            },
        )
        .collect();
    for (l, related) in links.iter_mut().zip(computed) {
        l.related = related;
    }
}

/// A key that sorts candidate `j` for incident `i`: highest score first,
/// then the nearest in time, then, at equal distance, the newer one (the
/// lower index). One number, so picking the best few of a few hundred
/// candidates compares integers, not tuples. Distances take 31 bits.
fn rank(score: u32, i: usize, j: usize) -> u64 {
    let distance = j.abs_diff(i) as u64;
    let older = u64::from(j > i);
    (u64::from(u32::MAX - score) << 32) | (distance << 1) | older
}

/// The candidate a [`rank`] key stands for.
fn unrank(key: u64, i: usize) -> usize {
    let distance = ((key & 0xffff_ffff) >> 1) as usize;
    if key & 1 == 1 {
        i + distance
    } else {
        i - distance
    }
}

/// The part of `list` (in incident order, so in time order) within
/// [`WINDOW`] places of where `i` falls.
fn nearest(list: &[usize], i: usize) -> &[usize] {
    let at = list.partition_point(|&j| j < i);
    &list[at.saturating_sub(WINDOW)..(at + WINDOW + 1).min(list.len())]
}

/// Tops up a short list with the incidents nearest in time in the same
/// category.
fn fill_from_category(i: usize, same_category: &[usize], related: &mut Vec<usize>) {
    // Category lists are in incident order, so the nearest in time sit on
    // either side of where `i` falls.
    let mut lo = same_category.partition_point(|&j| j < i);
    let mut hi = lo;
    while related.len() < MAX_RELATED && (lo > 0 || hi < same_category.len()) {
        let take_hi = match (lo > 0, hi < same_category.len()) {
            (true, true) => same_category[hi].abs_diff(i) <= same_category[lo - 1].abs_diff(i),
            (lower, _) => !lower,
        };
        let j = if take_hi {
            hi += 1;
            same_category[hi - 1]
        } else {
            lo -= 1;
            same_category[lo]
        };
        if j != i && !related.contains(&j) {
            related.push(j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_orders_like_score_then_distance_then_index() {
        let i = 500;
        let mut candidates: Vec<(u32, usize)> = (0..1_000)
            .filter(|&j| j != i)
            .map(|j| (((j * 7_919) % 13) as u32, j))
            .collect();
        let mut ranked: Vec<u64> = candidates.iter().map(|&(s, j)| rank(s, i, j)).collect();
        ranked.sort_unstable();
        candidates.sort_by_key(|&(score, j)| (std::cmp::Reverse(score), j.abs_diff(i), j));
        let unranked: Vec<usize> = ranked.iter().map(|&key| unrank(key, i)).collect();
        let expected: Vec<usize> = candidates.iter().map(|&(_, j)| j).collect();
        assert_eq!(unranked, expected);
    }

    #[test]
    fn a_long_list_gives_only_the_nearest_on_either_side() {
        let list: Vec<usize> = (0..10_000).step_by(2).collect();
        let near = nearest(&list, 5_000);
        assert_eq!(near.len(), 2 * WINDOW + 1);
        assert_eq!(near[WINDOW], 5_000);
        assert_eq!(near[0], 5_000 - 2 * WINDOW);
        assert_eq!(nearest(&list, 0), &list[..=WINDOW]);
        assert_eq!(nearest(&list[..3], 2), &list[..3]);
    }
}
