//! The conversation store: conversations, their order, and the rules that
//! change them. Pure Rust: no locks, threads or callbacks (the caller holds
//! the store's lock and queues what the change produced).
//!
//! Two indexes: a hash map per conversation type from id to order key, for
//! O(1) lookups by `&str`, and an ordered index from order key to the
//! conversation ([`order`]), whose reverse order is the list order, so a
//! list never sorts, and whose snapshots cost one reference count per chunk.

mod order;

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::{Conv, ConvId, ConvType};
use order::{OrderIndex, OrderSnapshot};

#[derive(Default)]
pub struct Store {
    /// Per [`ConvType::index`]: id → order key.
    by_id: [HashMap<ConvId, u64>; 2],
    /// Order key → conversation. Iterated in reverse, this is the list.
    order: OrderIndex,
    /// The last activation sequence handed out.
    seq: u64,
    /// The sum of every conversation's [`Conv::json_len`], so that a list
    /// can allocate its output once, at its exact size.
    json_total: usize,
}

/// Every conversation in list order, as it was when taken.
pub struct Snapshot {
    order: OrderSnapshot,
    /// The sum of the conversations' [`Conv::json_len`].
    pub json_total: usize,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The conversations in list order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Conv>> {
        self.order.iter_desc()
    }
}

/// What [`Store::create`] found or made.
pub enum Created {
    New(Arc<Conv>),
    Existing(Arc<Conv>),
}

impl Store {
    fn key_of(&self, ty: ConvType, id: &str) -> Option<u64> {
        self.by_id[ty.index()].get(id.as_bytes()).copied()
    }

    /// The conversation as it is now.
    pub fn get(&self, ty: ConvType, id: &str) -> Result<&Arc<Conv>> {
        let key = self.key_of(ty, id).ok_or(Error::ConvNotFound)?;
        self.order.get(key).ok_or(Error::Internal)
    }

    /// Creates the conversation, activated, or returns the existing one
    /// unchanged.
    pub fn create(&mut self, ty: ConvType, id: &str) -> Result<Created> {
        // One hash: the entry either finds the conversation or is where the
        // new one goes.
        match self.by_id[ty.index()].entry(ConvId::new(id)) {
            Entry::Occupied(e) => match self.order.get(*e.get()) {
                Some(c) => Ok(Created::Existing(c.clone())),
                None => Err(Error::Internal),
            },
            Entry::Vacant(e) => {
                // (Not a method: the entry holds `by_id` borrowed.)
                self.seq += 1;
                let conv = Arc::new(Conv::new(ty, e.key().clone(), self.seq));
                let key = conv.order_key();
                e.insert(key);
                self.json_total += conv.json_len();
                self.order.insert(key, conv.clone());
                Ok(Created::New(conv))
            }
        }
    }

    /// Removes the conversation with everything attached to it; returns its
    /// last state.
    pub fn delete(&mut self, ty: ConvType, id: &str) -> Result<Arc<Conv>> {
        let key = self.by_id[ty.index()]
            .remove(id.as_bytes())
            .ok_or(Error::ConvNotFound)?;
        let conv = self.order.remove(key).ok_or(Error::Internal)?;
        self.json_total -= conv.json_len();
        Ok(conv)
    }

    /// Applies `change` to the conversation and reindexes it, with a fresh
    /// activation sequence when `activate` is set; returns the new version.
    fn update(
        &mut self,
        ty: ConvType,
        id: &str,
        activate: bool,
        change: impl FnOnce(&mut Conv),
    ) -> Result<Arc<Conv>> {
        let old_key = self.key_of(ty, id).ok_or(Error::ConvNotFound)?;
        let mut arc = self.order.remove(old_key).ok_or(Error::Internal)?;
        // A copy only if a queued callback or a list still holds this version.
        let conv = Arc::make_mut(&mut arc);
        self.json_total -= conv.json_len();
        change(conv);
        if activate {
            self.seq += 1;
            conv.activate(self.seq);
        }
        let new_key = conv.order_key();
        self.json_total += conv.json_len();
        if new_key != old_key {
            if let Some(k) = self.by_id[ty.index()].get_mut(id.as_bytes()) {
                *k = new_key;
            }
        }
        self.order.insert(new_key, arc.clone());
        Ok(arc)
    }

    /// Stores a draft (already checked, see [`crate::model::draft`]) and
    /// activates the conversation.
    pub fn set_draft(&mut self, ty: ConvType, id: &str, draft: Box<str>) -> Result<Arc<Conv>> {
        self.update(ty, id, true, |c| c.set_draft(Some(draft)))
    }

    /// Removes the draft without reordering. `Ok(None)`: there was none, and
    /// nothing changed.
    pub fn cancel_draft(&mut self, ty: ConvType, id: &str) -> Result<Option<Arc<Conv>>> {
        if self.get(ty, id)?.draft().is_none() {
            return Ok(None);
        }
        self.update(ty, id, false, |c| c.set_draft(None)).map(Some)
    }

    /// Every conversation, in list order (pinned first, then most recently
    /// activated first). Cheap: one reference count per chunk of the order.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            order: self.order.snapshot(),
            json_total: self.json_total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &Store) -> Vec<String> {
        s.snapshot()
            .iter()
            .map(|c| c.id().to_str_lossy().into_owned())
            .collect()
    }

    /// The tracked total equals the sum over the conversations.
    fn check_total(s: &Store) {
        let snap = s.snapshot();
        assert_eq!(
            snap.json_total,
            snap.iter().map(|c| c.json_len()).sum::<usize>()
        );
    }

    #[test]
    fn newest_first_and_draft_activates_cancel_does_not() {
        let mut s = Store::default();
        for id in ["a", "b", "c"] {
            s.create(ConvType::C2C, id).unwrap();
        }
        assert_eq!(ids(&s), ["c", "b", "a"]);
        s.set_draft(ConvType::C2C, "a", "{}".into()).unwrap();
        assert_eq!(ids(&s), ["a", "c", "b"]);
        check_total(&s);
        assert!(s.cancel_draft(ConvType::C2C, "a").unwrap().is_some());
        check_total(&s);
        assert!(s.cancel_draft(ConvType::C2C, "a").unwrap().is_none());
        assert_eq!(ids(&s), ["a", "c", "b"]);
    }

    #[test]
    fn types_are_separate_and_create_is_idempotent() {
        let mut s = Store::default();
        assert!(matches!(
            s.create(ConvType::C2C, "x").unwrap(),
            Created::New(_)
        ));
        assert!(matches!(
            s.create(ConvType::Group, "x").unwrap(),
            Created::New(_)
        ));
        assert!(matches!(
            s.create(ConvType::C2C, "x").unwrap(),
            Created::Existing(_)
        ));
        assert_eq!(s.snapshot().len(), 2);
        s.delete(ConvType::C2C, "x").unwrap();
        check_total(&s);
        assert_eq!(
            s.delete(ConvType::C2C, "x").err(),
            Some(Error::ConvNotFound)
        );
        assert_eq!(ids(&s), ["x"]);
        assert_eq!(
            s.get(ConvType::Group, "x").unwrap().conv_type(),
            ConvType::Group
        );
        assert_eq!(s.get(ConvType::C2C, "x").err(), Some(Error::ConvNotFound));
    }

    #[test]
    fn snapshot_is_not_changed_by_later_writes() {
        let mut s = Store::default();
        s.create(ConvType::C2C, "a").unwrap();
        let snap = s.snapshot();
        s.set_draft(ConvType::C2C, "a", "{}".into()).unwrap();
        assert!(snap.iter().next().unwrap().draft().is_none());
        assert!(s.get(ConvType::C2C, "a").unwrap().draft().is_some());
    }
}
