//! Paged, filtered lists (`TIMConvGetConversationListByFilter`, contract C6).
//!
//! The cursor is the order key of the last conversation given: the next page
//! starts below it. A conversation that does not change keeps its order key,
//! so however the others change between pages, it is given exactly once.
//!
//! A page walks the most selective index the filter has (a conversation
//! type, a mark bit, a group, "with unread", "with @"; the whole order when
//! none), from the cursor down, and keeps what matches the rest of the
//! filter: it never sorts. "No mark" and "no group" have no index of their
//! own (each would hold nearly every conversation, about 17 bytes each): they
//! walk the order and skip the marked or grouped ones, which the vendor's
//! limits keep few (at most 1,000 marked, 20 groups of 1,000).

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use super::{bits, Store};
use crate::model::request::Filter;
use crate::model::Conv;

/// One page: the conversations, in list order; the cursor for the next
/// page; and whether nothing matches after it.
pub struct Page {
    pub convs: Vec<Arc<Conv>>,
    pub next: u64,
    pub finished: bool,
}

impl Store {
    /// Up to `count` conversations matching `filter`, below the cursor
    /// `after` (0: from the top), in list order.
    pub fn page(&self, filter: &Filter, after: u64, count: usize) -> Page {
        let upper = if after == 0 {
            Bound::Unbounded
        } else {
            Bound::Excluded(after)
        };
        let empty = BTreeSet::new();
        // The most selective index the filter names.
        let mut candidates: Vec<&BTreeSet<u64>> = Vec::new();
        if filter.has_unread == Some(true) {
            candidates.push(&self.with_unread);
        }
        if filter.has_group_at == Some(true) {
            candidates.push(&self.with_at);
        }
        if let Some(t) = filter.conv_type {
            candidates.push(&self.by_type[t.index()]);
        }
        match filter.marks {
            // Walks the order, skipping the marked ones.
            Some(0) => {}
            Some(m) => {
                for b in bits(m) {
                    candidates.push(self.by_mark.get(&b).unwrap_or(&empty));
                }
            }
            None => {}
        }
        match filter.group.as_deref() {
            // Walks the order, skipping the grouped ones.
            Some("") => {}
            Some(g) => candidates.push(self.group(g).map_or(&empty, |g| &g.members)),
            None => {}
        }
        let keys: Box<dyn Iterator<Item = u64> + '_> =
            match candidates.into_iter().min_by_key(|s| s.len()) {
                Some(set) => Box::new(set.range((Bound::Unbounded, upper)).rev().copied()),
                None => Box::new(self.order.keys_below(after)),
            };
        let mut convs = Vec::with_capacity(count.min(128));
        let mut finished = true;
        for k in keys {
            let Some(c) = self.order.get(k) else { continue };
            if !filter.matches(c) {
                continue;
            }
            if convs.len() == count {
                finished = false;
                break;
            }
            convs.push(c.clone());
        }
        let next = convs.last().map_or(0, |c| c.order_key());
        Page {
            convs,
            next,
            finished,
        }
    }
}
