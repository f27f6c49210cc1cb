//! The conversation store: conversations, their order, their marks and
//! groups, and the rules that change them. Pure Rust: no locks, threads or
//! callbacks (the caller holds the store's lock and queues what a change
//! produced).
//!
//! # Indexes
//! A hash map per conversation type from id to order key, for O(1) lookups
//! by `&str`; an ordered index from order key to the conversation
//! ([`order`]), whose reverse order is the list order (a list never sorts,
//! and its snapshot costs one reference count per chunk); and, for filtered
//! pages, ordered sets of order keys per conversation type, per mark bit,
//! for "no mark", per conversation group and for "no group". Every index
//! and total is kept by one pair of functions, [`Store::index`] and
//! [`Store::unindex`]: a change is always "unindex the old version, index
//! the new one" ([`Store::swap`]; when only a conversation's state changed,
//! not its place, only the state's half of each).
//!
//! # One change path
//! Every operation changes the store through a [`Txn`], which logs each
//! change as it applies it and hands the log back on commit: the caller
//! turns it into the events of every listener kind and the reply. A
//! transaction dropped without commit (a panic in the middle of a batch)
//! undoes what it applied, so an operation applies whole or not at all.
//!
//! # Durable storage
//! A store may have a [`Journal`] beneath it. A transaction's commit then
//! hands it the records the transaction touched, as they are now; if the
//! journal cannot write them, the transaction undoes itself and the
//! operation fails with [`Error::Storage`]: memory and disk never disagree.
//! The counters (`seq`, `group_seq`) are part of the transaction too. A store
//! loaded from disk is rebuilt by [`Store::restore`] through the same
//! [`Store::index`] as every change.

mod journal;
mod messages;
mod ops;
mod order;
mod page;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fault::{self, Point};
use crate::model::request::Limits;
use crate::model::{Conv, ConvId, ConvType};
use order::{OrderIndex, OrderSnapshot};

pub use journal::{ConvRow, Journal, Put};
pub use messages::CountEvent;
pub use ops::{GroupEvent, ItemResult, Outcome};
pub use page::Page;

/// A conversation group: its name, when it was made (the group list's
/// order), and its members' order keys.
#[derive(Clone, Debug)]
struct Group {
    name: Arc<str>,
    created: u64,
    members: BTreeSet<u64>,
}

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
    /// Order keys per conversation type.
    by_type: [BTreeSet<u64>; 2],
    /// Order keys per mark bit (0 to 63).
    by_mark: HashMap<u32, BTreeSet<u64>>,
    /// The conversation groups, in no particular order (see `created`).
    groups: Vec<Group>,
    /// The last group creation number handed out.
    group_seq: u64,
    /// Pinned conversations.
    pinned: usize,
    /// Conversations with at least one mark.
    marked: usize,
    /// Order keys of the conversations with unread messages.
    with_unread: BTreeSet<u64>,
    /// Order keys of the conversations with @ entries.
    with_at: BTreeSet<u64>,
    /// The unread count of every conversation not muted, in all and per
    /// [`ConvType::index`].
    unread_total: u64,
    unread_by_type: [u64; 2],
    /// The subscribed unread-count filters, each with its count.
    subs: Vec<messages::Sub>,
    /// The app has asked for the total once: its changes are told.
    total_asked: bool,
    /// Per [`ConvType::index`]: each conversation's unread messages, as
    /// their points (C2C: time; group: sequence) with how many share one.
    points: [HashMap<ConvId, BTreeMap<u64, u32>>; 2],
    /// Per [`ConvType::index`]: receive options set for a user or a group,
    /// whether or not a conversation exists (the vendor keeps them on its
    /// server).
    recv_opts: [HashMap<ConvId, u8>; 2],
    /// Durable storage beneath, if any: every commit is written to it.
    journal: Option<Box<dyn Journal>>,
    /// Group commit: see [`Store::batching`].
    batch: Batch,
}

/// Transactions written into the journal's open batch and not yet
/// committed, with what it takes to undo them, and their tickets.
#[derive(Default)]
struct Batch {
    /// Set by the caller for the next operations: their commits may wait.
    enabled: bool,
    /// The undo halves of the transactions in the open batch, oldest first,
    /// each with the counters it began with.
    open: Vec<(Vec<Undo>, u64, u64)>,
    /// The last ticket handed out, and the last one settled (committed or
    /// failed).
    issued: u64,
    settled: u64,
    /// The ticket of the last transaction, if it went into the batch.
    last: Option<u64>,
    /// Ranges of tickets whose batch failed, not yet asked about.
    failed: Vec<(u64, u64)>,
}

impl Batch {
    /// The journal committed everything the batch held: nothing is left to
    /// undo, and every ticket handed out is settled.
    fn committed(&mut self) {
        self.open.clear();
        self.settled = self.issued;
    }
}

/// Most transactions an open batch holds before a commit is forced.
const MAX_BATCH: usize = 1024;

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

/// One conversation's change: its version before and after (`None`: it did
/// not exist / no longer exists).
#[derive(Clone, Debug)]
pub struct Change {
    pub old: Option<Arc<Conv>>,
    pub new: Option<Arc<Conv>>,
}

/// What a transaction applied, for undo.
enum Undo {
    Conv(Change),
    /// One unread point was added.
    PointAdded(ConvType, ConvId, u64),
    /// These unread points were removed.
    PointsRemoved(ConvType, ConvId, BTreeMap<u64, u32>),
    /// A receive option was set; this was the one before.
    RecvOpt(ConvType, ConvId, Option<u8>),
    /// A group of this name was added at the end of `groups`.
    GroupAdded(Arc<str>),
    /// The group at this position was removed.
    GroupRemoved(usize, Group),
}

/// A set of changes being applied to the store. Commit hands back what
/// changed; dropping it uncommitted (a panic) undoes everything it applied.
pub struct Txn<'a> {
    store: &'a mut Store,
    log: Vec<Undo>,
    /// Conversation changes applied so far.
    applied: usize,
    committed: bool,
    /// The unread total and each subscription's count when it began.
    total_before: u64,
    subs_before: Vec<u64>,
    /// The counters when it began.
    seq_before: u64,
    group_seq_before: u64,
}

/// What a committed transaction changed: the conversations, in the order
/// applied, and the unread counts that moved.
#[derive(Default)]
pub struct Committed {
    pub changes: Vec<Change>,
    pub counts: Vec<CountEvent>,
}

impl From<Vec<Change>> for Committed {
    fn from(changes: Vec<Change>) -> Committed {
        Committed {
            changes,
            counts: Vec::new(),
        }
    }
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

    fn get_bytes(&self, ty: ConvType, id: &[u8]) -> Option<&Arc<Conv>> {
        self.order.get(*self.by_id[ty.index()].get(id)?)
    }

    fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| &*g.name == name)
    }

    fn group_mut(&mut self, name: &str) -> Option<&mut Group> {
        self.groups.iter_mut().find(|g| &*g.name == name)
    }

    /// The next activation sequence.
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Adds `c` to every index and total.
    fn index(&mut self, c: &Arc<Conv>) {
        self.index_place(c);
        self.index_state(c);
    }

    /// Removes `c` from every index and total: the exact inverse of
    /// [`Store::index`].
    fn unindex(&mut self, c: &Conv) {
        self.unindex_place(c);
        self.unindex_state(c);
    }

    /// Replaces one version of a conversation by another in every index
    /// (`None`: absent). When only its state changed (not its order key,
    /// marks or groups: a read, a receive option, custom data, a message
    /// that does not move it), only the state's part is redone.
    fn swap(&mut self, old: Option<&Arc<Conv>>, new: Option<&Arc<Conv>>) {
        if let (Some(o), Some(n)) = (old, new) {
            if same_place(o, n) && self.order.replace(n.order_key(), n.clone()) {
                self.unindex_state(o);
                self.index_state(n);
                return;
            }
        }
        if let Some(o) = old {
            self.unindex(o);
        }
        if let Some(n) = new {
            self.index(n);
        }
    }

    /// The indexes of where `c` sits: its id, its order key, and the sets
    /// its type, marks and groups put it in.
    fn index_place(&mut self, c: &Arc<Conv>) {
        let k = c.order_key();
        let t = c.conv_type().index();
        self.by_id[t].insert(c.id().clone(), k);
        self.order.insert(k, c.clone());
        self.by_type[t].insert(k);
        if c.marks() != 0 {
            self.marked += 1;
            for bit in bits(c.marks()) {
                self.by_mark.entry(bit).or_default().insert(k);
            }
        }
        for g in c.groups() {
            if let Some(g) = self.group_mut(g) {
                g.members.insert(k);
            }
        }
        self.pinned += usize::from(c.is_pinned());
    }

    fn unindex_place(&mut self, c: &Conv) {
        let k = c.order_key();
        let t = c.conv_type().index();
        self.by_id[t].remove(c.id().as_bytes());
        self.order.remove(k);
        self.by_type[t].remove(&k);
        if c.marks() != 0 {
            self.marked -= 1;
            for bit in bits(c.marks()) {
                if let Some(set) = self.by_mark.get_mut(&bit) {
                    set.remove(&k);
                    if set.is_empty() {
                        self.by_mark.remove(&bit);
                    }
                }
            }
        }
        for g in c.groups() {
            if let Some(g) = self.group_mut(g) {
                g.members.remove(&k);
            }
        }
        self.pinned -= usize::from(c.is_pinned());
    }

    /// The indexes and totals of what `c` holds: its JSON length, unread
    /// messages and @ entries, and the counts of the subscribed filters.
    fn index_state(&mut self, c: &Conv) {
        let k = c.order_key();
        self.json_total += c.json_len();
        if c.unread() > 0 {
            self.with_unread.insert(k);
        }
        if !c.at_info().is_empty() {
            self.with_at.insert(k);
        }
        let n = c.counted_unread();
        self.unread_total += n;
        self.unread_by_type[c.conv_type().index()] += n;
        if n > 0 {
            for s in &mut self.subs {
                if s.filter.matches(c) {
                    s.count += n;
                }
            }
        }
    }

    fn unindex_state(&mut self, c: &Conv) {
        let k = c.order_key();
        self.json_total -= c.json_len();
        if c.unread() > 0 {
            self.with_unread.remove(&k);
        }
        if !c.at_info().is_empty() {
            self.with_at.remove(&k);
        }
        let n = c.counted_unread();
        self.unread_total -= n;
        self.unread_by_type[c.conv_type().index()] -= n;
        if n > 0 {
            for s in &mut self.subs {
                if s.filter.matches(c) {
                    s.count -= n;
                }
            }
        }
    }

    /// Starts a transaction.
    pub fn txn(&mut self) -> Txn<'_> {
        Txn {
            total_before: self.unread_total,
            subs_before: self.subs.iter().map(|s| s.count).collect(),
            seq_before: self.seq,
            group_seq_before: self.group_seq,
            store: self,
            log: Vec::new(),
            applied: 0,
            committed: false,
        }
    }

    /// Every conversation, in list order (pinned first, then most recently
    /// activated first). Cheap: one reference count per chunk of the order.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            order: self.order.snapshot(),
            json_total: self.json_total,
        }
    }

    /// The conversation groups' names, in creation order.
    pub fn group_names(&self) -> Vec<Arc<str>> {
        let mut g: Vec<&Group> = self.groups.iter().collect();
        g.sort_by_key(|g| g.created);
        g.into_iter().map(|g| g.name.clone()).collect()
    }
}

/// Everything a durable store holds, as loaded at login.
#[derive(Default)]
pub struct Restored {
    /// Each conversation (its receive option is taken from `recv_opts`)
    /// with its unread points.
    pub convs: Vec<(Conv, BTreeMap<u64, u32>)>,
    /// Each conversation group's name and creation number.
    pub groups: Vec<(Arc<str>, u64)>,
    /// The receive options kept per id.
    pub recv_opts: Vec<(ConvType, ConvId, u8)>,
    /// The counters as last written with a deletion (the newest
    /// conversation and group may carry higher ones).
    pub seq: u64,
    pub group_seq: u64,
}

impl Store {
    /// Rebuilds a store from what a journal holds, through the same
    /// [`Store::index`] as every change.
    /// Records that could not have been written by a store (two
    /// conversations in one place, a group that does not exist, points that
    /// do not add up to the unread count) are refused with what is wrong.
    pub fn restore(r: Restored) -> std::result::Result<Store, String> {
        // Far beyond any real store (2^61 activations), and far enough from
        // the pinned bit that no later activation can reach it.
        const SEQ_LIMIT: u64 = 1 << 61;
        if r.seq >= SEQ_LIMIT || r.group_seq >= SEQ_LIMIT {
            return Err(format!(
                "a counter out of range: {} / {}",
                r.seq, r.group_seq
            ));
        }
        if r.groups.len() > Limits::GROUPS {
            return Err(format!(
                "{} conversation groups (at most {})",
                r.groups.len(),
                Limits::GROUPS
            ));
        }
        let mut s = Store {
            seq: r.seq,
            group_seq: r.group_seq,
            ..Store::default()
        };
        for (name, created) in r.groups {
            if s.group(&name).is_some() {
                return Err(format!("the conversation group {name:?} is there twice"));
            }
            if name.is_empty() || name.len() > Limits::GROUP_NAME || created >= SEQ_LIMIT {
                return Err(format!(
                    "the conversation group {name:?} (created {created}) is out of range"
                ));
            }
            s.group_seq = s.group_seq.max(created);
            s.groups.push(Group {
                name,
                created,
                members: BTreeSet::new(),
            });
        }
        for (ty, id, opt) in r.recv_opts {
            if !(1..=4).contains(&opt) {
                return Err(format!("a receive option out of range: {opt}"));
            }
            s.recv_opts[ty.index()].insert(id, opt);
        }
        for (mut c, points) in r.convs {
            let t = c.conv_type().index();
            let mut groups = Vec::with_capacity(c.groups().len());
            for g in c.groups() {
                let shared = s.group(g).map(|g| g.name.clone()).ok_or_else(|| {
                    format!("a conversation is in the group {g:?}, which does not exist")
                })?;
                if groups.contains(&shared) {
                    return Err(format!("a conversation is in the group {g:?} twice"));
                }
                groups.push(shared);
            }
            c.set_groups(groups);
            c.set_recv_opt(s.recv_opts[t].get(c.id().as_bytes()).copied().unwrap_or(0));
            let counted: u64 = points.values().map(|&n| u64::from(n)).sum();
            if counted != c.unread() {
                return Err(format!(
                    "the conversation {:?} counts {} unread messages but keeps {counted}",
                    c.id().to_str_lossy(),
                    c.unread()
                ));
            }
            if c.seq() == 0 || c.seq() >= SEQ_LIMIT {
                return Err(format!("an order key out of range: {}", c.seq()));
            }
            if c.marks() & !Limits::MARK_BITS != 0 || c.custom_data().len() > Limits::CUSTOM_DATA {
                return Err(format!(
                    "the conversation {:?} has marks or custom data out of range",
                    c.id().to_str_lossy()
                ));
            }
            if s.by_id[t].contains_key(c.id()) || s.order.get(c.order_key()).is_some() {
                return Err(format!(
                    "two conversations share the id {:?} or the order key {}",
                    c.id().to_str_lossy(),
                    c.order_key()
                ));
            }
            s.seq = s.seq.max(c.seq());
            if !points.is_empty() {
                s.points[t].insert(c.id().clone(), points);
            }
            s.index(&Arc::new(c));
        }
        Ok(s)
    }

    /// Puts `journal` beneath the store: every commit from now on is
    /// written to it.
    pub fn attach(&mut self, journal: Box<dyn Journal>) {
        self.journal = Some(journal);
    }
}

/// Two versions of one conversation that sit in the same place of every
/// index but the state's.
fn same_place(a: &Conv, b: &Conv) -> bool {
    a.order_key() == b.order_key()
        && a.conv_type() == b.conv_type()
        && a.id() == b.id()
        && a.marks() == b.marks()
        && a.groups() == b.groups()
}

/// The set bits of `marks`, ascending.
fn bits(marks: u64) -> impl Iterator<Item = u32> {
    (0..64).filter(move |b| marks & (1 << b) != 0)
}

impl Txn<'_> {
    /// The store as it is now, inside the transaction.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Replaces `old` by `new` (either may be `None`: a creation or a
    /// removal) in every index, and logs it.
    pub fn apply(&mut self, old: Option<Arc<Conv>>, new: Option<Arc<Conv>>) {
        self.store.swap(old.as_ref(), new.as_ref());
        // A removed conversation takes its unread points with it.
        let dropped = match (&old, &new) {
            (Some(o), None) => self.store.points[o.conv_type().index()]
                .remove_entry(o.id().as_bytes())
                .map(|(id, p)| Undo::PointsRemoved(o.conv_type(), id, p)),
            _ => None,
        };
        self.log.push(Undo::Conv(Change { old, new }));
        self.log.extend(dropped);
        self.applied += 1;
        if self.applied == 1 {
            // Tests make the rest of a batch fail here, to prove undo.
            fault::hit(Point::Batch);
        }
    }

    /// Applies `edit` to a copy of the conversation (`activate`: with a new
    /// activation sequence); returns the new version. Missing:
    /// `ConvNotFound`, nothing applied.
    pub fn update(
        &mut self,
        ty: ConvType,
        id: &str,
        activate: bool,
        edit: impl FnOnce(&mut Conv),
    ) -> Result<Arc<Conv>> {
        let old = self.store.get(ty, id)?.clone();
        let mut conv = (*old).clone();
        edit(&mut conv);
        if activate {
            let seq = self.store.next_seq();
            conv.activate(seq);
        }
        let new = Arc::new(conv);
        self.apply(Some(old), Some(new.clone()));
        Ok(new)
    }

    /// Adds an empty group named `name`.
    pub fn add_group(&mut self, name: Arc<str>, created: Option<u64>) {
        let created = created.unwrap_or_else(|| {
            self.store.group_seq += 1;
            self.store.group_seq
        });
        self.store.groups.push(Group {
            name: name.clone(),
            created,
            members: BTreeSet::new(),
        });
        self.log.push(Undo::GroupAdded(name));
    }

    /// Removes the group named `name` (empty by now); returns its creation
    /// number.
    pub fn remove_group(&mut self, name: &str) -> Option<u64> {
        let pos = self.store.groups.iter().position(|g| &*g.name == name)?;
        let g = self.store.groups.remove(pos);
        let created = g.created;
        self.log.push(Undo::GroupRemoved(pos, g));
        Some(created)
    }

    /// A new conversation, activated, with the receive option kept for it.
    pub fn fresh(&mut self, ty: ConvType, id: &str) -> Conv {
        let seq = self.store.next_seq();
        let mut c = Conv::new(ty, ConvId::new(id), seq);
        if let Some(&opt) = self.store.recv_opts[ty.index()].get(id.as_bytes()) {
            c.set_recv_opt(opt);
        }
        c
    }

    /// The next activation sequence, given back if the transaction fails.
    pub fn next_seq(&mut self) -> u64 {
        self.store.next_seq()
    }

    /// Ends the transaction: what changed, in the order applied, and the
    /// unread counts that moved (the total only once the app has asked for
    /// it). With a journal, the records touched are written first; if that
    /// fails, everything applied is undone and the error returned.
    pub fn commit(mut self) -> Result<Committed> {
        let mut batched = false;
        if !self.log.is_empty() {
            if let Some(mut journal) = self.store.journal.take() {
                let b = &self.store.batch;
                batched = b.enabled && b.open.len() < MAX_BATCH;
                let written = journal.write(&journal::record(&self.log, self.store), !batched);
                self.store.journal = Some(journal);
                if let Err(e) = written {
                    // The journal lost its open batch with this: undo this
                    // transaction (the newest), then the batch.
                    self.committed = true;
                    let log = std::mem::take(&mut self.log);
                    self.store.undo(log, self.seq_before, self.group_seq_before);
                    self.store.fail_batch();
                    return Err(e);
                }
                if !batched {
                    // Committed with everything the batch held.
                    self.store.batch.committed();
                }
            }
        }
        self.committed = true;
        let s = &*self.store;
        let mut counts = Vec::new();
        if s.total_asked && s.unread_total != self.total_before {
            counts.push(CountEvent::Total(s.unread_total));
        }
        for (sub, before) in s.subs.iter().zip(&self.subs_before) {
            if sub.count != *before {
                counts.push(CountEvent::Filter(sub.text.clone(), sub.count));
            }
        }
        let log = std::mem::take(&mut self.log);
        let changes = if batched {
            // The log stays, to undo the transaction if its batch fails.
            let changes = log
                .iter()
                .filter_map(|u| match u {
                    Undo::Conv(c) => Some(c.clone()),
                    _ => None,
                })
                .collect();
            let b = &mut self.store.batch;
            b.open.push((log, self.seq_before, self.group_seq_before));
            b.issued += 1;
            b.last = Some(b.issued);
            changes
        } else {
            log.into_iter()
                .filter_map(|u| match u {
                    Undo::Conv(c) => Some(c),
                    _ => None,
                })
                .collect()
        };
        Ok(Committed { changes, counts })
    }
}

impl Drop for Txn<'_> {
    /// Undoes, newest first, whatever an uncommitted transaction applied.
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let log = std::mem::take(&mut self.log);
        self.store.undo(log, self.seq_before, self.group_seq_before);
    }
}

impl Store {
    /// Undoes one transaction's log, newest first, and gives its counters
    /// back.
    fn undo(&mut self, mut log: Vec<Undo>, seq: u64, group_seq: u64) {
        while let Some(u) = log.pop() {
            match u {
                Undo::Conv(Change { old, new }) => self.swap(new.as_ref(), old.as_ref()),
                Undo::PointAdded(ty, id, p) => self.unpoint(ty, &id, p),
                Undo::PointsRemoved(ty, id, removed) => {
                    let map = self.points[ty.index()].entry(id).or_default();
                    for (p, n) in removed {
                        *map.entry(p).or_default() += n;
                    }
                }
                Undo::RecvOpt(ty, id, old) => {
                    let map = &mut self.recv_opts[ty.index()];
                    match old {
                        Some(o) => map.insert(id, o),
                        None => map.remove(&id),
                    };
                }
                Undo::GroupAdded(_) => {
                    self.groups.pop();
                }
                Undo::GroupRemoved(pos, g) => self.groups.insert(pos, g),
            }
        }
        self.seq = seq;
        self.group_seq = group_seq;
    }

    /// Group commit. While enabled, a durable transaction is written into
    /// the journal's open batch and kept undoable; it is committed, with
    /// every other in the batch, by the next [`Store::flush`] (or the next
    /// transaction that is not batched). The caller asks [`Store::ticket`]
    /// which ticket the transaction got, and whether it was committed with
    /// [`Store::settle`]. Without a journal this changes nothing.
    pub fn batching(&mut self, enabled: bool) {
        self.batch.enabled = enabled;
        self.batch.last = None;
    }

    /// The ticket of the last transaction, if it went into the open batch.
    pub fn ticket(&self) -> Option<u64> {
        self.batch.last
    }

    /// Commits the open batch. If that fails, every transaction in it is
    /// undone, newest first, and their tickets fail.
    pub fn flush(&mut self) -> Result<()> {
        if self.batch.open.is_empty() {
            return Ok(());
        }
        let flushed = match self.journal.as_mut() {
            Some(j) => j.flush(),
            None => Err(Error::Storage),
        };
        match flushed {
            Ok(()) => {
                self.batch.committed();
                Ok(())
            }
            Err(e) => {
                self.fail_batch();
                Err(e)
            }
        }
    }

    /// Undoes every transaction of a batch the journal lost, newest first.
    fn fail_batch(&mut self) {
        while let Some((log, seq, group_seq)) = self.batch.open.pop() {
            self.undo(log, seq, group_seq);
        }
        let b = &mut self.batch;
        if b.issued > b.settled {
            b.failed.push((b.settled + 1, b.issued));
        }
        b.settled = b.issued;
    }

    /// Whether the transaction with this ticket was committed (flushing
    /// first if it is still in the open batch); asked in ticket order, so
    /// older failures are forgotten. `clean`: no failure is remembered, so
    /// every ticket up to the one returned is known committed.
    pub fn settle(&mut self, ticket: u64) -> (bool, Option<u64>) {
        if ticket > self.batch.settled {
            let _ = self.flush();
        }
        let b = &mut self.batch;
        b.failed.retain(|&(_, last)| last >= ticket);
        let ok = !b.failed.iter().any(|&(a, z)| a <= ticket && ticket <= z);
        (ok, b.failed.is_empty().then_some(b.settled))
    }

    /// Commits what is open and closes the journal: from now on the store
    /// is memory only.
    pub fn close(&mut self) {
        let _ = self.flush();
        self.journal = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::message::{Context, Message};
    use crate::model::request::{ConvRef, Filter, ReadPoint, Scope};
    use crate::model::AtInfo;

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
        assert_eq!(s.cancel_draft(ConvType::C2C, "a").unwrap().changes.len(), 1);
        check_total(&s);
        assert!(s
            .cancel_draft(ConvType::C2C, "a")
            .unwrap()
            .changes
            .is_empty());
        assert_eq!(ids(&s), ["a", "c", "b"]);
    }

    #[test]
    fn types_are_separate_and_create_is_idempotent() {
        let mut s = Store::default();
        assert!(matches!(
            s.create(ConvType::C2C, "x").unwrap().result,
            Created::New(_)
        ));
        assert!(matches!(
            s.create(ConvType::Group, "x").unwrap().result,
            Created::New(_)
        ));
        assert!(matches!(
            s.create(ConvType::C2C, "x").unwrap().result,
            Created::Existing(_)
        ));
        assert_eq!(s.snapshot().len(), 2);
        s.delete(ConvType::C2C, "x").unwrap();
        check_total(&s);
        assert!(matches!(
            s.delete(ConvType::C2C, "x"),
            Err(Error::ConvNotFound)
        ));
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

    /// Every index and total equals a recomputation from the order.
    fn check_indexes(s: &Store) {
        let mut fresh = Store {
            groups: s
                .groups
                .iter()
                .map(|g| Group {
                    members: BTreeSet::new(),
                    ..g.clone()
                })
                .collect(),
            ..Store::default()
        };
        fresh.subs = s
            .subs
            .iter()
            .map(|x| messages::Sub {
                filter: x.filter.clone(),
                text: x.text.clone(),
                count: 0,
            })
            .collect();
        for c in s.snapshot().iter() {
            fresh.index(c);
            let points: u64 = s.points[c.conv_type().index()]
                .get(c.id().as_bytes())
                .map_or(0, |p| p.values().map(|&n| u64::from(n)).sum());
            assert_eq!(points, c.unread(), "{c:?}");
        }
        for t in 0..2 {
            for id in s.points[t].keys() {
                assert!(
                    s.by_id[t].contains_key(id),
                    "points of a deleted conversation"
                );
            }
        }
        assert_eq!(s.with_unread, fresh.with_unread);
        assert_eq!(s.with_at, fresh.with_at);
        assert_eq!(s.unread_total, fresh.unread_total);
        assert_eq!(s.unread_by_type, fresh.unread_by_type);
        let counts = |st: &Store| st.subs.iter().map(|x| x.count).collect::<Vec<_>>();
        assert_eq!(counts(s), counts(&fresh));
        assert_eq!(s.by_id, fresh.by_id);
        assert_eq!(s.json_total, fresh.json_total);
        assert_eq!(s.by_type, fresh.by_type);
        assert_eq!(s.by_mark, fresh.by_mark);
        assert_eq!((s.pinned, s.marked), (fresh.pinned, fresh.marked));
        for (a, b) in s.groups.iter().zip(&fresh.groups) {
            assert_eq!(a.members, b.members, "group {}", a.name);
        }
    }

    fn refs(ids: &[&str]) -> Vec<ConvRef> {
        ids.iter().map(|i| ConvRef::parse(i.to_string())).collect()
    }

    #[test]
    fn indexes_follow_every_operation_and_pages_see_them() {
        let mut s = Store::default();
        for i in 0..30 {
            let ty = if i % 3 == 0 {
                ConvType::Group
            } else {
                ConvType::C2C
            };
            s.create(ty, &format!("c{i}")).unwrap();
        }
        s.pin(ConvType::C2C, "c1", true).unwrap();
        s.mark(
            &refs(&["c2c_c2", "c2c_c4", "group_c3", "bad"]),
            1 | 1 << 40,
            true,
        )
        .unwrap();
        s.set_custom_data(&refs(&["c2c_c5"]), "x").unwrap();
        s.group_create("g", &refs(&["c2c_c7", "c2c_c8"])).unwrap();
        s.group_add("g", &refs(&["group_c9"])).unwrap();
        s.group_rename("g", "h").unwrap();
        s.set_draft(ConvType::C2C, "c8", "{}".into()).unwrap();
        check_indexes(&s);
        let ids = |p: &Page| {
            p.convs
                .iter()
                .map(|c| c.id().to_str_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        let group = Filter {
            group: Some("h".into()),
            ..Filter::default()
        };
        assert_eq!(ids(&s.page(&group, 0, 10)), ["c8", "c9", "c7"]);
        let marked = Filter {
            marks: Some(1 << 40),
            ..Filter::default()
        };
        let p = s.page(&marked, 0, 2);
        assert_eq!(
            (ids(&p), p.finished),
            (vec!["c4".to_owned(), "c3".to_owned()], false)
        );
        let p = s.page(&marked, p.next, 2);
        assert_eq!((ids(&p), p.finished), (vec!["c2".to_owned()], true));
        s.group_delete("h").unwrap();
        s.delete_many(&refs(&["c2c_c2", "c2c_c2", "group_c9"]))
            .unwrap();
        s.pin(ConvType::C2C, "c1", false).unwrap();
        check_indexes(&s);
        assert!(s.groups.is_empty());
    }

    fn msgs<'a>(texts: &'a [String], ctx: &Context) -> Vec<Message<'a>> {
        texts
            .iter()
            .map(|t| crate::model::message::parse_message(t, ctx).unwrap())
            .collect()
    }

    fn ctx(ty: ConvType, id: &str) -> Context<'_> {
        Context {
            conv_type: ty,
            conv_id: id,
            user: Some("me"),
            now: 50,
        }
    }

    fn msg(extra: &str) -> String {
        format!("{{\"message_elem_array\":[]{extra}}}")
    }

    #[test]
    fn messages_keep_unread_points_totals_and_subscriptions() {
        let mut s = Store::default();
        s.create(ConvType::C2C, "a").unwrap();
        s.subscribe(
            Filter {
                conv_type: Some(ConvType::Group),
                ..Filter::default()
            },
            "{g}",
        )
        .unwrap();
        let c = ctx(ConvType::C2C, "a");
        let texts = [
            msg(",\"message_client_time\":10"),
            msg(",\"message_client_time\":20"),
            msg(",\"message_client_time\":20,\"message_is_read\":true"),
            msg(",\"message_client_time\":30,\"message_sender\":\"me\""),
        ];
        let out = s.import(&c, &msgs(&texts, &c)).unwrap();
        assert_eq!(out.counts, [], "the total was never asked for");
        assert_eq!(s.get(ConvType::C2C, "a").unwrap().unread(), 2);
        assert_eq!(s.total_unread(), 2);
        check_indexes(&s);
        let g = ctx(ConvType::Group, "g");
        let texts = [
            msg(",\"message_seq\":7,\"message_group_at_user_array\":[\"me\"]"),
            msg(",\"message_group_at_user_array\":[\"__kImSDK_MessageAtALL__\",\"me\"]"),
        ];
        let out = s.import(&g, &msgs(&texts, &g)).unwrap();
        assert_eq!(
            out.counts,
            [
                CountEvent::Total(4),
                CountEvent::Filter(Arc::from("{g}"), 2)
            ]
        );
        let conv = s.get(ConvType::Group, "g").unwrap().clone();
        assert_eq!(
            conv.max_seq(),
            8,
            "a message without a sequence gets the next"
        );
        assert_eq!(
            conv.at_info(),
            [AtInfo { seq: 7, at_type: 1 }, AtInfo { seq: 8, at_type: 3 }]
        );
        check_indexes(&s);
        // Up to 7 reads one of the two group messages and its @ entry.
        let one = ReadPoint {
            c2c_time: Some(15),
            group_seq: Some(7),
        };
        let out = s.read(&Scope::All, one).unwrap();
        assert_eq!(out.changes.len(), 2);
        assert_eq!(s.get(ConvType::Group, "g").unwrap().at_info().len(), 1);
        assert_eq!(s.total_unread(), 2);
        check_indexes(&s);
        // Muting the group leaves it out of the totals, not its count.
        let out = s.set_recv_opt(ConvType::Group, &["g"], 2).unwrap();
        assert_eq!(
            out.counts,
            [
                CountEvent::Total(1),
                CountEvent::Filter(Arc::from("{g}"), 0)
            ]
        );
        assert_eq!(s.get(ConvType::Group, "g").unwrap().unread(), 1);
        check_indexes(&s);
        // Delete and re-create: the option stays, the points went.
        s.delete(ConvType::Group, "g").unwrap();
        check_indexes(&s);
        s.create(ConvType::Group, "g").unwrap();
        assert_eq!(s.get(ConvType::Group, "g").unwrap().recv_opt(), 2);
        assert_eq!(s.get(ConvType::Group, "g").unwrap().unread(), 0);
        s.clear_history(ConvType::C2C, "a").unwrap();
        assert!(s.get(ConvType::C2C, "a").unwrap().last_msg().is_none());
        assert_eq!(s.total_unread(), 0);
        check_indexes(&s);
        assert_eq!(s.c2c_recv_opts(&["x".into()]), [("x".into(), 0)]);
    }

    #[cfg(feature = "fault-injection")]
    #[test]
    fn message_operations_that_panic_leave_the_store_as_it_was() {
        let mut s = Store::default();
        let c = ctx(ConvType::C2C, "a");
        let texts = [msg(",\"message_client_time\":10"), msg("")];
        s.import(&c, &msgs(&texts, &c)).unwrap();
        s.create(ConvType::C2C, "b").unwrap();
        let before: Vec<String> = s.snapshot().iter().map(|c| format!("{c:?}")).collect();
        let points = s.points.clone();
        for op in 0..5 {
            crate::fault::arm_here(Point::Batch);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match op {
                0 => drop(s.import(&c, &msgs(&texts, &c))),
                1 => drop(s.read(&Scope::All, ReadPoint::ALL)),
                2 => drop(s.set_recv_opt(ConvType::C2C, &["a", "b"], 1)),
                3 => drop(s.clear_history(ConvType::C2C, "a")),
                _ => drop(s.delete_many(&refs(&["c2c_a", "c2c_b"]))),
            }));
            assert!(r.is_err(), "op {op} did not reach the fault");
            let after: Vec<String> = s.snapshot().iter().map(|c| format!("{c:?}")).collect();
            assert_eq!(before, after, "op {op}");
            assert_eq!(points, s.points, "op {op}");
            assert!(s.recv_opts.iter().all(HashMap::is_empty), "op {op}");
            check_indexes(&s);
        }
    }

    #[cfg(feature = "fault-injection")]
    #[test]
    fn a_batch_that_panics_after_its_first_change_leaves_the_store_as_it_was() {
        let mut s = Store::default();
        for i in 0..5 {
            s.create(ConvType::C2C, &format!("c{i}")).unwrap();
        }
        s.group_create("g", &refs(&["c2c_c1", "c2c_c2"])).unwrap();
        let before: Vec<String> = s.snapshot().iter().map(|c| format!("{c:?}")).collect();
        for op in 0..4 {
            crate::fault::arm_here(Point::Batch);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match op {
                0 => drop(s.delete_many(&refs(&["c2c_c0", "c2c_c3", "c2c_c4"]))),
                1 => drop(s.mark(&refs(&["c2c_c0", "c2c_c3"]), 2, true)),
                2 => drop(s.group_rename("g", "k")),
                _ => drop(s.group_delete("g")),
            }));
            assert!(r.is_err(), "op {op} did not reach the fault");
            let after: Vec<String> = s.snapshot().iter().map(|c| format!("{c:?}")).collect();
            assert_eq!(before, after, "op {op}");
            assert_eq!(s.group_names(), [Arc::<str>::from("g")]);
            check_indexes(&s);
        }
    }
}
