//! The list order: conversations sorted by order key, in chunks of at most
//! [`CHUNK`] entries, each chunk behind an `Arc`.
//!
//! A snapshot clones the chunk pointers only (one reference count per
//! [`CHUNK`] conversations), so taking one under the store's lock is cheap
//! even at a million conversations, and dropping one later is as cheap. A
//! change copies the one chunk it touches, and only while a snapshot still
//! shares it (copy on write).
//!
//! Order keys only grow, so most inserts append to the last chunk; a full
//! last chunk starts a new one, which keeps chunks full under appends. A
//! chunk that drops below a quarter full after a removal is merged with, or
//! evened out against, a neighbour, so every chunk but the last stays at
//! least a quarter full and memory stays proportional to the count.

use std::sync::Arc;

use crate::model::Conv;

/// Entries per chunk at most.
pub const CHUNK: usize = 128;

type Entry = (u64, Arc<Conv>);

pub struct Chunk {
    /// Ascending by key; capacity [`CHUNK`], so it never reallocates.
    entries: Vec<Entry>,
}

/// The copy made on write keeps the full capacity (a derived clone would
/// size it to the length, and the next push would double it).
impl Clone for Chunk {
    fn clone(&self) -> Chunk {
        let mut entries = Vec::with_capacity(CHUNK);
        entries.extend(self.entries.iter().cloned());
        Chunk { entries }
    }
}

impl Chunk {
    fn with(entries: Vec<Entry>) -> Arc<Chunk> {
        let mut v = Vec::with_capacity(CHUNK);
        v.extend(entries);
        Arc::new(Chunk { entries: v })
    }

    fn first_key(&self) -> u64 {
        self.entries[0].0
    }
}

#[derive(Default)]
pub struct OrderIndex {
    /// Ascending; never empty chunks.
    chunks: Vec<Arc<Chunk>>,
    /// The first key of each chunk (kept beside the chunks so that finding
    /// one reads a compact array, not every chunk).
    firsts: Vec<u64>,
    len: usize,
}

/// Every entry of an [`OrderIndex`] as it was when taken.
pub struct OrderSnapshot {
    chunks: Vec<Arc<Chunk>>,
    len: usize,
}

impl OrderSnapshot {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Descending by key: the list order.
    pub fn iter_desc(&self) -> impl Iterator<Item = &Arc<Conv>> {
        self.chunks
            .iter()
            .rev()
            .flat_map(|c| c.entries.iter().rev().map(|e| &e.1))
    }
}

impl OrderIndex {
    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }

    pub fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }

    /// The chunk that holds `key` if anything does: the last one whose first
    /// key is not above it.
    fn chunk_for(&self, key: u64) -> usize {
        self.firsts.partition_point(|&f| f <= key).saturating_sub(1)
    }

    /// Every key below `after` (every key when it is 0), descending.
    pub fn keys_below(&self, after: u64) -> impl Iterator<Item = u64> + '_ {
        let end = if after == 0 {
            self.chunks.len()
        } else {
            (self.chunk_for(after - 1) + 1).min(self.chunks.len())
        };
        self.chunks[..end]
            .iter()
            .rev()
            .flat_map(|c| c.entries.iter().rev().map(|e| e.0))
            .filter(move |&k| after == 0 || k < after)
    }

    pub fn get(&self, key: u64) -> Option<&Arc<Conv>> {
        let chunk = self.chunks.get(self.chunk_for(key))?;
        let pos = chunk.entries.binary_search_by_key(&key, |e| e.0).ok()?;
        Some(&chunk.entries[pos].1)
    }

    /// Replaces the conversation under `key` (present) by `conv`; false if
    /// `key` is absent.
    pub fn replace(&mut self, key: u64, conv: Arc<Conv>) -> bool {
        let i = self.chunk_for(key);
        let Some(chunk) = self.chunks.get_mut(i) else {
            return false;
        };
        let Ok(pos) = chunk.entries.binary_search_by_key(&key, |e| e.0) else {
            return false;
        };
        Arc::make_mut(chunk).entries[pos].1 = conv;
        true
    }

    /// Inserts `conv` under `key`, which must not be present.
    pub fn insert(&mut self, key: u64, conv: Arc<Conv>) {
        self.len += 1;
        let Some(last) = self.chunks.last_mut() else {
            self.chunks.push(Chunk::with(vec![(key, conv)]));
            self.firsts.push(key);
            return;
        };
        // The common case: a key above every other one.
        if last.entries.last().is_some_and(|e| e.0 < key) {
            if last.entries.len() < CHUNK {
                Arc::make_mut(last).entries.push((key, conv));
            } else {
                self.chunks.push(Chunk::with(vec![(key, conv)]));
                self.firsts.push(key);
            }
            return;
        }
        let mut i = self.chunk_for(key);
        if self.chunks[i].entries.len() == CHUNK {
            self.split(i);
            if key >= self.firsts[i + 1] {
                i += 1;
            }
        }
        let chunk = Arc::make_mut(&mut self.chunks[i]);
        let pos = chunk.entries.partition_point(|e| e.0 < key);
        debug_assert!(
            chunk.entries.get(pos).is_none_or(|e| e.0 != key),
            "duplicate key"
        );
        chunk.entries.insert(pos, (key, conv));
        self.firsts[i] = chunk.first_key();
    }

    /// Splits the full chunk `i` into two halves.
    fn split(&mut self, i: usize) {
        let chunk = Arc::make_mut(&mut self.chunks[i]);
        let upper = chunk.entries.split_off(CHUNK / 2);
        let upper = Chunk::with(upper);
        self.firsts.insert(i + 1, upper.first_key());
        self.chunks.insert(i + 1, upper);
    }

    /// Removes and returns the entry under `key`.
    pub fn remove(&mut self, key: u64) -> Option<Arc<Conv>> {
        let i = self.chunk_for(key);
        let pos = self
            .chunks
            .get(i)?
            .entries
            .binary_search_by_key(&key, |e| e.0)
            .ok()?;
        let chunk = Arc::make_mut(&mut self.chunks[i]);
        let (_, conv) = chunk.entries.remove(pos);
        self.len -= 1;
        if chunk.entries.is_empty() {
            self.chunks.remove(i);
            self.firsts.remove(i);
        } else {
            self.firsts[i] = chunk.first_key();
            if chunk.entries.len() < CHUNK / 4 && self.chunks.len() > 1 {
                self.rebalance(i);
            }
        }
        Some(conv)
    }

    /// Merges the under-full chunk `i` with a neighbour, or evens the two out
    /// when together they would not fit in one chunk.
    fn rebalance(&mut self, i: usize) {
        let a = if i + 1 < self.chunks.len() { i } else { i - 1 };
        let b = a + 1;
        let total = self.chunks[a].entries.len() + self.chunks[b].entries.len();
        if total <= CHUNK {
            let moved = std::mem::take(&mut Arc::make_mut(&mut self.chunks[b]).entries);
            Arc::make_mut(&mut self.chunks[a]).entries.extend(moved);
            self.chunks.remove(b);
            self.firsts.remove(b);
        } else {
            let mut all = std::mem::take(&mut Arc::make_mut(&mut self.chunks[a]).entries);
            all.append(&mut Arc::make_mut(&mut self.chunks[b]).entries);
            let upper = all.split_off(total / 2);
            self.chunks[a] = Chunk::with(all);
            self.chunks[b] = Chunk::with(upper);
            self.firsts[a] = self.chunks[a].first_key();
            self.firsts[b] = self.chunks[b].first_key();
        }
    }

    #[cfg(test)]
    fn check(&self) {
        assert_eq!(self.chunks.len(), self.firsts.len());
        assert_eq!(
            self.len,
            self.chunks.iter().map(|c| c.entries.len()).sum::<usize>()
        );
        let mut prev = None;
        for (n, (c, &f)) in self.chunks.iter().zip(&self.firsts).enumerate() {
            assert!(!c.entries.is_empty() && c.entries.len() <= CHUNK);
            assert!(
                c.entries.capacity() <= CHUNK,
                "chunks never grow past CHUNK"
            );
            if n + 1 < self.chunks.len() {
                assert!(c.entries.len() >= CHUNK / 4 || self.chunks.len() == 1);
            }
            assert_eq!(c.first_key(), f);
            for e in &c.entries {
                assert!(prev.is_none_or(|p| p < e.0));
                prev = Some(e.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConvId, ConvType};
    use std::collections::BTreeMap;

    fn conv(key: u64) -> Arc<Conv> {
        Arc::new(Conv::new(ConvType::C2C, ConvId::new(&key.to_string()), key))
    }

    /// A small deterministic generator (no dependencies).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % bound
        }
    }

    fn same(idx: &OrderIndex, model: &BTreeMap<u64, Arc<Conv>>) {
        idx.check();
        let got: Vec<u64> = idx.snapshot().iter_desc().map(|c| c.order_key()).collect();
        let want: Vec<u64> = model.values().rev().map(|c| c.order_key()).collect();
        assert_eq!(got, want);
        assert_eq!(idx.len(), model.len());
    }

    #[test]
    fn behaves_like_an_ordered_map_under_random_changes() {
        let mut rng = Lcg(7);
        let mut idx = OrderIndex::default();
        let mut model = BTreeMap::new();
        let mut next_key = 1u64;
        let mut held = Vec::new();
        for step in 0..60_000 {
            match rng.next(10) {
                // Appends (creations and activations), the common case.
                0..=4 => {
                    let k = next_key;
                    next_key += 1 + rng.next(3);
                    idx.insert(k, conv(k));
                    model.insert(k, conv(k));
                }
                // A key below the maximum (as a pinned conversation's key
                // would sit above new ones).
                5 => {
                    let k = (rng.next(next_key) << 8) | 0x80 | rng.next(0x7f);
                    let k = k | (1 << 62);
                    if let std::collections::btree_map::Entry::Vacant(e) = model.entry(k) {
                        idx.insert(k, conv(k));
                        e.insert(conv(k));
                    }
                }
                // Removals, of present and absent keys.
                _ => {
                    let probe = rng.next(next_key + 5);
                    let k = match model.range(probe..).next() {
                        Some((&k, _)) if rng.next(8) != 0 => k,
                        _ => probe,
                    };
                    let got = idx.remove(k).map(|c| c.order_key());
                    assert_eq!(got, model.remove(&k).map(|c| c.order_key()));
                }
            }
            if step % 5_000 == 0 {
                // A snapshot held across later changes keeps its contents.
                held.push((idx.snapshot(), model.clone()));
            }
            if step % 997 == 0 {
                same(&idx, &model);
                for k in model.keys().take(50) {
                    assert_eq!(idx.get(*k).map(|c| c.order_key()), Some(*k));
                }
                assert!(idx.get(next_key + 1).is_none());
            }
        }
        same(&idx, &model);
        for (snap, m) in held {
            let got: Vec<u64> = snap.iter_desc().map(|c| c.order_key()).collect();
            let want: Vec<u64> = m.values().rev().map(|c| c.order_key()).collect();
            assert_eq!(got, want);
            assert_eq!(snap.len(), m.len());
        }
    }

    #[test]
    fn appends_fill_chunks() {
        let mut idx = OrderIndex::default();
        for k in 1..=(CHUNK as u64 * 10) {
            idx.insert(k, conv(k));
        }
        assert_eq!(idx.chunks.len(), 10);
        idx.check();
    }

    #[test]
    fn draining_old_chunks_keeps_memory_proportional() {
        // Activating old conversations again and again moves their entries
        // to the end; the old chunks must merge away, not linger sparse.
        let mut idx = OrderIndex::default();
        let n = 5_000u64;
        for k in 1..=n {
            idx.insert(k, conv(k));
        }
        let mut rng = Lcg(3);
        let mut keys: Vec<u64> = (1..=n).collect();
        for next in n + 1..=n + 50_000 {
            let i = rng.next(keys.len() as u64) as usize;
            let c = idx.remove(keys[i]).unwrap();
            idx.insert(next, c);
            keys[i] = next;
        }
        idx.check();
        assert!(
            idx.chunks.len() <= (n as usize / (CHUNK / 4)) + 2,
            "{} chunks",
            idx.chunks.len()
        );
    }
}
