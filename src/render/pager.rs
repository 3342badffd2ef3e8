//! Lists cut into pages of `[build] page_size` items: the first page keeps
//! the list's address, the others follow at `page/2/`, `page/3/`... (see
//! [`crate::urls::page_of`]), each linking to its neighbours. A page's size
//! then depends on the page size, never on the size of the knowledge base.

use std::ops::Range;

use serde::Serialize;

use crate::urls;

/// How many pages a list of `len` items takes: one at least, so an empty
/// list still has its page.
pub fn count(len: usize, size: usize) -> usize {
    len.div_ceil(size.max(1)).max(1)
}

/// Where one page stands in its list, as templates show it: "page 2 of
/// 5", the links to its neighbours (also in the head, as `rel="prev"` and
/// `rel="next"`), and how many items the whole list has.
#[derive(Debug, Serialize)]
pub struct Pager {
    /// From 1.
    pub number: usize,
    pub count: usize,
    /// The neighbours' URLs, from the site root.
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The items of the whole list.
    pub total: usize,
    /// The first item's position in the list, from 1 (an `<ol start>`).
    pub start: usize,
    #[serde(skip)]
    items: Range<usize>,
}

impl Pager {
    /// Page `number` of the list of `len` items at `url`.
    pub fn new(url: &str, len: usize, size: usize, number: usize) -> Pager {
        let count = count(len, size);
        let number = number.clamp(1, count);
        let first = ((number - 1) * size).min(len);
        Pager {
            number,
            count,
            prev: (number > 1).then(|| urls::page_of(url, number - 1)),
            next: (number < count).then(|| urls::page_of(url, number + 1)),
            total: len,
            start: first + 1,
            items: first..(first + size).min(len),
        }
    }

    /// This page's part of `list`, the whole list the pager was made for.
    pub fn slice<'a, T>(&self, list: &'a [T]) -> &'a [T] {
        &list[self.items.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_once_in_order() {
        let list: Vec<usize> = (0..7).collect();
        let pages: Vec<Pager> = (1..=count(7, 3))
            .map(|n| Pager::new("tags/bgp/", 7, 3, n))
            .collect();
        let seen: Vec<usize> = pages.iter().flat_map(|p| p.slice(&list)).copied().collect();
        assert_eq!(seen, list);
        assert_eq!(pages.len(), 3);
        assert_eq!(
            (pages[0].prev.as_deref(), pages[0].next.as_deref()),
            (None, Some("tags/bgp/page/2/"))
        );
        assert_eq!(pages[1].prev.as_deref(), Some("tags/bgp/"));
        assert_eq!((pages[2].next.as_deref(), pages[2].start), (None, 7));
    }

    #[test]
    fn an_empty_list_has_one_empty_page() {
        assert_eq!(count(0, 50), 1);
        let pager = Pager::new("incidents/", 0, 50, 1);
        assert!(pager.slice::<usize>(&[]).is_empty());
        assert_eq!((pager.prev, pager.next), (None, None));
    }
}
