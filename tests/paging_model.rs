//! A property test of the paged, filtered list (contract C6.2): random walks
//! of `TIMConvGetConversationListByFilter`, with random creates, deletes,
//! pins, marks, group changes and drafts between the pages, checked against
//! a reference model kept here.
//!
//! `PAGING_SEED` (decimal or 0x-hex) replaces the fixed seed, `PAGING_WALKS`
//! the number of walks (200). A failure names the seed and the walk.
//!
//! Runs in the embedded default (no `TIMInit`).

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::{c_int, c_void, CString};

use common::*;
use parking_lot::{Mutex, MutexGuard};
use serde_json::Value;
use ImSDK::ffi::types::TIMCommCallback;

const PREFIX: &str = "pgm_";
const PIN_BIT: u64 = 1 << 62;
/// The mark bits the walks use (star, unread, a custom bit above 2^53).
const MARK_BITS: [u64; 3] = [1, 2, 1 << 60];
const GROUPS: [&str; 3] = ["pgm_g0", "pgm_g1", "pgm_g2"];
/// Ids the walks draw from (each with either type: 2 * POOL conversations).
const POOL: usize = 30;

// ---------------------------------------------------------------------------
// A small deterministic PRNG (xorshift64*).

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let s = std::env::var(name).ok()?;
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else {
        s.parse().ok()
    }
}

// ---------------------------------------------------------------------------
// The reference model.

type Key = (String, i64);

#[derive(Clone, Debug)]
struct Conv {
    id: String,
    ty: i32,
    /// Activation sequence: higher = more recently activated.
    act: u64,
    pinned: bool,
    marks: u64,
    groups: BTreeSet<String>,
}

impl Conv {
    fn key(&self) -> Key {
        (self.id.clone(), self.ty as i64)
    }
}

#[derive(Default, Debug)]
struct Model {
    convs: Vec<Conv>,
    seq: u64,
}

impl Model {
    fn get(&self, k: &Key) -> Option<&Conv> {
        self.convs.iter().find(|c| &c.key() == k)
    }
    fn get_mut(&mut self, k: &Key) -> &mut Conv {
        self.convs.iter_mut().find(|c| &c.key() == k).unwrap()
    }
    /// The list order: pinned first, then the most recently activated first.
    fn ordered(&self) -> Vec<&Conv> {
        let mut v: Vec<&Conv> = self.convs.iter().collect();
        v.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.act.cmp(&a.act)));
        v
    }
    fn filtered(&self, f: &Filter) -> Vec<Key> {
        self.ordered()
            .into_iter()
            .filter(|c| f.matches(c))
            .map(Conv::key)
            .collect()
    }
    fn pinned_count(&self) -> usize {
        self.convs.iter().filter(|c| c.pinned).count()
    }
}

#[derive(Clone, Debug)]
enum FilterKind {
    None,
    ConvType(i32),
    Mark(u64),
    NoMark,
    Group(&'static str),
    NoGroup,
}

#[derive(Clone, Debug)]
struct Filter {
    kind: FilterKind,
    /// Adds `"<key>": false`, which selects everything (no message state).
    all_false: Option<&'static str>,
}

impl Filter {
    fn random(rng: &mut Rng) -> Filter {
        let kind = match rng.below(6) {
            0 => FilterKind::None,
            1 => FilterKind::ConvType(if rng.chance(50) { C2C } else { GROUP }),
            2 => FilterKind::Mark(if rng.chance(20) {
                MARK_BITS[0] | MARK_BITS[1]
            } else {
                *rng.pick(&MARK_BITS)
            }),
            3 => FilterKind::NoMark,
            4 => FilterKind::Group(GROUPS[rng.below(GROUPS.len())]),
            _ => FilterKind::NoGroup,
        };
        let all_false = match rng.below(8) {
            0 => Some("conversation_list_filter_has_unread_count"),
            1 => Some("conversation_list_filter_has_group_at_info"),
            _ => None,
        };
        Filter { kind, all_false }
    }

    fn json(&self) -> String {
        let mut m = serde_json::Map::new();
        match &self.kind {
            FilterKind::None => {}
            FilterKind::ConvType(t) => {
                m.insert("conversation_list_filter_conv_type".into(), (*t).into());
            }
            FilterKind::Mark(b) => {
                m.insert("conversation_list_filter_mark_type".into(), (*b).into());
            }
            FilterKind::NoMark => {
                m.insert("conversation_list_filter_mark_type".into(), 0u64.into());
            }
            FilterKind::Group(g) => {
                m.insert(
                    "conversation_list_filter_conversation_group".into(),
                    (*g).into(),
                );
            }
            FilterKind::NoGroup => {
                m.insert(
                    "conversation_list_filter_conversation_group".into(),
                    "".into(),
                );
            }
        }
        if let Some(k) = self.all_false {
            m.insert(k.into(), false.into());
        }
        Value::Object(m).to_string()
    }

    fn matches(&self, c: &Conv) -> bool {
        match &self.kind {
            FilterKind::None => true,
            FilterKind::ConvType(t) => c.ty == *t,
            FilterKind::Mark(b) => c.marks & b == *b,
            FilterKind::NoMark => c.marks == 0,
            FilterKind::Group(g) => c.groups.contains(*g),
            FilterKind::NoGroup => c.groups.is_empty(),
        }
    }
}

// ---------------------------------------------------------------------------
// Calls (each waits for its callback).

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn reply(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) -> Reply {
    let p = Pending::new();
    let rc = f(Some(on_reply), p.ud());
    assert_eq!(rc, SUCC, "{what}: refused synchronously");
    p.wait()
}

/// A batch call on one id: its one result must be code 0.
fn one_ok(what: &str, r: &Reply, cid: &str) {
    assert_eq!(r.code, 0, "{what}: callback code ({})", r.desc);
    let res = op_results(&r.json);
    assert_eq!(res.len(), 1, "{what}: {}", r.json);
    assert_eq!(
        (res[0].0.as_str(), res[0].1),
        (cid, 0),
        "{what}: {}",
        r.json
    );
}

fn pin(id: &str, ty: i32, on: bool) {
    let c = cs(id);
    let r = reply("pin", |cb, ud| unsafe {
        TIMConvPinConversation(c.as_ptr(), ty, on, cb, ud)
    });
    assert_eq!(
        (r.code, r.json.as_str()),
        (0, ""),
        "pin {id} {on}: {}",
        r.desc
    );
}

fn mark(cid: &str, bits: u64, on: bool) {
    let a = cs(&json_strings(&[cid]));
    let r = reply("mark", |cb, ud| unsafe {
        TIMConvMarkConversation(a.as_ptr(), bits, on, cb, ud)
    });
    one_ok(&format!("mark {cid} {bits:#x} {on}"), &r, cid);
}

fn group_add(g: &str, cid: &str) {
    let n = cs(g);
    let a = cs(&json_strings(&[cid]));
    let r = reply("add", |cb, ud| unsafe {
        TIMConvAddConversationsToGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    });
    one_ok(&format!("add {cid} to {g}"), &r, cid);
}

fn group_remove(g: &str, cid: &str) {
    let n = cs(g);
    let a = cs(&json_strings(&[cid]));
    let r = reply("remove", |cb, ud| unsafe {
        TIMConvDeleteConversationsFromGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    });
    one_ok(&format!("remove {cid} from {g}"), &r, cid);
}

fn group_create(g: &str, cid: &str) {
    let n = cs(g);
    let a = cs(&json_strings(&[cid]));
    let r = reply("create group", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    });
    one_ok(&format!("create {g} with {cid}"), &r, cid);
}

fn group_names() -> Vec<String> {
    let r = reply("group list", |cb, ud| unsafe {
        TIMConvGetConversationGroupList(cb, ud)
    });
    assert_eq!(r.code, 0);
    serde_json::from_str(&r.json).unwrap()
}

fn group_delete(g: &str) {
    let n = cs(g);
    let r = reply("delete group", |cb, ud| unsafe {
        TIMConvDeleteConversationGroup(n.as_ptr(), cb, ud)
    });
    assert_eq!(r.code, 0, "delete group {g}: {}", r.desc);
}

fn delete_list(cid: &str) {
    let a = cs(&json_strings(&[cid]));
    let r = reply("delete list", |cb, ud| unsafe {
        TIMConvDeleteConversationList(a.as_ptr(), false, cb, ud)
    });
    one_ok(&format!("delete {cid}"), &r, cid);
}

/// One page: (conversations, next_seq, is_finished).
fn page(filter: &str, seq: u64, count: u32) -> (Vec<Value>, u64, bool) {
    let f = cs(filter);
    let r = reply("by filter", |cb, ud| unsafe {
        TIMConvGetConversationListByFilter(f.as_ptr(), seq, count, cb, ud)
    });
    assert_eq!(r.code, 0, "filter {filter}: {}", r.desc);
    let v = r.value();
    let list = v["conversation_list_result_conv_list"]
        .as_array()
        .unwrap_or_else(|| panic!("no conv list in {v}"))
        .clone();
    let next = v["conversation_list_result_next_seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no u64 next_seq in {v}"));
    let fin = v["conversation_list_result_is_finished"]
        .as_bool()
        .unwrap_or_else(|| panic!("no bool is_finished in {v}"));
    (list, next, fin)
}

// ---------------------------------------------------------------------------
// Random changes, applied to the library and the model alike.

struct World {
    model: Model,
    rng: Rng,
    /// Every (id, type) the walks may use.
    pool: Vec<Key>,
}

impl World {
    fn cid(k: &Key) -> String {
        conv_key_id(k.1 as i32, &k.0)
    }

    fn create(&mut self, k: &Key) {
        let v = create_ok(&k.0, k.1 as i32);
        assert_eq!(conv_key(&v), *k);
        self.model.seq += 1;
        self.model.convs.push(Conv {
            id: k.0.clone(),
            ty: k.1 as i32,
            act: self.model.seq,
            pinned: false,
            marks: 0,
            groups: BTreeSet::new(),
        });
    }

    fn existing(&mut self) -> Option<Key> {
        if self.model.convs.is_empty() {
            return None;
        }
        let i = self.rng.below(self.model.convs.len());
        Some(self.model.convs[i].key())
    }

    /// One random change; returns the conversation it changed, if any.
    fn change(&mut self) -> Option<Key> {
        match self.rng.below(8) {
            0 | 1 => {
                let absent: Vec<Key> = self
                    .pool
                    .iter()
                    .filter(|k| self.model.get(k).is_none())
                    .cloned()
                    .collect();
                if absent.is_empty() {
                    return None;
                }
                let k = self.rng.pick(&absent).clone();
                self.create(&k);
                Some(k)
            }
            2 => {
                let k = self.existing()?;
                if self.rng.chance(50) {
                    let (rc, r) = delete(&k.0, k.1 as i32);
                    assert_eq!((rc, r.unwrap().code), (SUCC, 0), "delete {k:?}");
                } else {
                    delete_list(&Self::cid(&k));
                }
                self.model.convs.retain(|c| c.key() != k);
                Some(k)
            }
            3 => {
                let k = self.existing()?;
                let on = !self.model.get(&k).unwrap().pinned;
                if on && self.model.pinned_count() >= 50 {
                    return None;
                }
                pin(&k.0, k.1 as i32, on);
                self.model.get_mut(&k).pinned = on;
                Some(k)
            }
            4 => {
                let k = self.existing()?;
                let bit = *self.rng.pick(&MARK_BITS);
                let on = self.model.get(&k).unwrap().marks & bit == 0;
                mark(&Self::cid(&k), bit, on);
                let c = self.model.get_mut(&k);
                if on {
                    c.marks |= bit;
                } else {
                    c.marks &= !bit;
                }
                Some(k)
            }
            5 | 6 => {
                let k = self.existing()?;
                let g = *self.rng.pick(&GROUPS);
                let member = self.model.get(&k).unwrap().groups.contains(g);
                if member {
                    group_remove(g, &Self::cid(&k));
                    self.model.get_mut(&k).groups.remove(g);
                } else {
                    group_add(g, &Self::cid(&k));
                    self.model.get_mut(&k).groups.insert(g.to_owned());
                }
                Some(k)
            }
            _ => {
                let k = self.existing()?;
                assert_eq!(set_draft(&k.0, k.1 as i32, &draft("pg")), SUCC);
                self.model.seq += 1;
                self.model.get_mut(&k).act = self.model.seq;
                Some(k)
            }
        }
    }

    /// The library's whole state (this prefix) equals the model's.
    fn check_sync(&self, ctx: &str) {
        let all: Vec<Value> = list()
            .into_iter()
            .filter(|v| v["conv_id"].as_str().unwrap().starts_with(PREFIX))
            .collect();
        let got: Vec<Key> = all.iter().map(conv_key).collect();
        let want: Vec<Key> = self.model.ordered().into_iter().map(Conv::key).collect();
        assert_eq!(got, want, "{ctx}: TIMConvGetConvList order vs the model");
        for v in &all {
            check_conv(ctx, v, self.model.get(&conv_key(v)).unwrap());
        }
    }
}

/// A returned ConvInfo shows the model's state of that conversation.
fn check_conv(ctx: &str, v: &Value, c: &Conv) {
    let k = c.key();
    assert_eq!(v["conv_is_pinned"], c.pinned, "{ctx}: {k:?} pinned");
    let t = v["conv_active_time"].as_u64().unwrap();
    assert_eq!(t & PIN_BIT != 0, c.pinned, "{ctx}: {k:?} bit 62 of {t:#x}");
    assert_eq!(
        mark_values(v),
        mark_bits_to_values(c.marks),
        "{ctx}: {k:?} marks"
    );
    let g: BTreeSet<String> = conv_groups(v).into_iter().collect();
    assert_eq!(g, c.groups, "{ctx}: {k:?} groups");
}

// ---------------------------------------------------------------------------
// Setup and clean-up.

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock()
}

/// Deletes this prefix's groups and conversations. Never panics.
fn cleanup() {
    let p = Pending::new();
    if unsafe { TIMConvGetConversationGroupList(Some(on_reply), p.ud()) } == SUCC {
        let r = p.wait();
        if let Ok(names) = serde_json::from_str::<Vec<String>>(&r.json) {
            for n in names.iter().filter(|n| n.starts_with(PREFIX)) {
                let n = cs(n);
                unsafe { TIMConvDeleteConversationGroup(n.as_ptr(), None, std::ptr::null()) };
            }
        }
    }
    let p = Pending::new();
    if unsafe { TIMConvGetConvList(Some(on_reply), p.ud()) } == SUCC {
        let r = p.wait();
        if let Ok(Value::Array(all)) = serde_json::from_str::<Value>(&r.json) {
            for v in all {
                let (Some(id), Some(ty)) = (v["conv_id"].as_str(), v["conv_type"].as_i64()) else {
                    continue;
                };
                if id.starts_with(PREFIX) {
                    let id = cs(id);
                    unsafe { TIMConvDelete(id.as_ptr(), ty as c_int, None, std::ptr::null()) };
                }
            }
        }
    }
    let p = Pending::new();
    if unsafe { TIMConvGetConvList(Some(on_reply), p.ud()) } == SUCC {
        p.wait();
    }
}

struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            cleanup();
        }
    }
}

// ---------------------------------------------------------------------------
// The walks.

#[derive(Default)]
struct Totals {
    walks: usize,
    quiet_walks: usize,
    pages: usize,
    changes: usize,
    returned: usize,
}

/// One walk; panics with `ctx` on any violation.
fn walk(w: &mut World, ctx: &str, totals: &mut Totals) {
    let filter = Filter::random(&mut w.rng);
    let count = 1 + w.rng.below(20) as u32;
    let quiet = w.rng.chance(30);
    let change_rate = 20 + w.rng.below(60) as u64;
    let fj = filter.json();
    let ctx = format!("{ctx} filter {fj} count {count} quiet {quiet}");

    let start: Vec<Key> = w.model.filtered(&filter);
    let mut changed: HashSet<Key> = HashSet::new();
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut returned: Vec<Value> = Vec::new();
    let mut seq = 0;
    let mut pages = 0;
    loop {
        let (l, next, fin) = page(&fj, seq, count);
        pages += 1;
        assert!(
            l.len() <= count as usize,
            "{ctx}: page {pages} holds {} > count",
            l.len()
        );
        for v in &l {
            let k = conv_key(v);
            if !k.0.starts_with(PREFIX) {
                continue;
            }
            // (c) it exists and matches the filter when its page is fetched,
            // and shows its current state.
            let c = w.model.get(&k).unwrap_or_else(|| {
                panic!("{ctx}: page {pages} returned {k:?}, which does not exist")
            });
            assert!(
                filter.matches(c),
                "{ctx}: page {pages} returned {k:?}, which does not match: {c:?}"
            );
            check_conv(&format!("{ctx}: page {pages}"), v, c);
            *seen.entry(k).or_default() += 1;
            returned.push(v.clone());
        }
        if fin {
            break;
        }
        seq = next;
        assert!(
            pages < 1000,
            "{ctx}: no end after {pages} pages (next_seq {next})"
        );
        if !quiet {
            while w.rng.chance(change_rate) {
                if let Some(k) = w.change() {
                    changed.insert(k);
                    totals.changes += 1;
                }
                if changed.len() > 200 {
                    break;
                }
            }
        }
    }
    totals.walks += 1;
    totals.pages += pages;
    totals.returned += returned.len();

    // (a) unchanged, matching at the start and existing at the end: once.
    for k in &start {
        if changed.contains(k) || w.model.get(k).is_none() {
            continue;
        }
        let n = seen.get(k).copied().unwrap_or(0);
        assert_eq!(
            n, 1,
            "{ctx}: {k:?} matched at the start, did not change, and appeared {n} times"
        );
    }
    // (b) nothing twice unless it changed.
    for (k, n) in &seen {
        if *n > 1 {
            assert!(
                changed.contains(k),
                "{ctx}: {k:?} appeared {n} times without changing"
            );
        }
    }
    if changed.is_empty() {
        totals.quiet_walks += 1;
        // (d) exactly the model's filtered list, in order.
        let got: Vec<Key> = returned.iter().map(conv_key).collect();
        assert_eq!(got, start, "{ctx}: a walk without changes");
        // (e) conv_active_time strictly decreasing across the walk.
        let t: Vec<u64> = returned
            .iter()
            .map(|v| v["conv_active_time"].as_u64().unwrap())
            .collect();
        assert!(
            t.windows(2).all(|p| p[0] > p[1]),
            "{ctx}: conv_active_time not strictly decreasing: {t:?}"
        );
    }
    w.check_sync(&ctx);
}

#[test]
fn random_walks_see_every_unchanged_conversation_exactly_once() {
    let _s = serial();
    cleanup();
    let _c = Cleanup;
    let seed = env_u64("PAGING_SEED").unwrap_or(0x5EED_C0DE_2024_0007);
    let walks = env_u64("PAGING_WALKS").unwrap_or(200) as usize;
    eprintln!("paging_model: PAGING_SEED={seed:#x} PAGING_WALKS={walks}");
    let mut pool: Vec<Key> = Vec::new();
    for i in 0..POOL {
        pool.push((format!("{PREFIX}{i:02}"), C2C as i64));
        pool.push((format!("{PREFIX}{i:02}"), GROUP as i64));
    }
    let mut w = World {
        model: Model::default(),
        rng: Rng::new(seed),
        pool,
    };
    // Start with about half of the pool, some pinned, marked and grouped.
    let order: Vec<Key> = w.pool.clone();
    for k in &order {
        if w.rng.chance(50) {
            w.create(k);
        }
    }
    let first = w.model.convs[0].key();
    for g in GROUPS {
        group_create(g, &World::cid(&first));
        w.model.get_mut(&first).groups.insert(g.to_owned());
    }
    for _ in 0..40 {
        w.change();
    }
    w.check_sync(&format!("seed {seed:#x} setup"));

    let mut totals = Totals::default();
    let start = std::time::Instant::now();
    for i in 0..walks {
        let ctx = format!("PAGING_SEED={seed:#x} walk {i}");
        walk(&mut w, &ctx, &mut totals);
    }
    eprintln!(
        "paging_model: {} walks ({} without changes), {} pages, {} changes, {} conversations returned, {:?}",
        totals.walks,
        totals.quiet_walks,
        totals.pages,
        totals.changes,
        totals.returned,
        start.elapsed()
    );
    assert!(totals.quiet_walks > 0 && totals.changes > 0);
    for g in GROUPS {
        assert!(group_names().iter().any(|n| n == g));
        group_delete(g);
    }
}

/// A fixed scenario that the random walks may rarely hit: the conversation
/// at the page boundary moves (pinned, re-activated, deleted) between pages.
#[test]
fn the_conversation_at_a_page_boundary_may_move_without_hiding_others() {
    let _s = serial();
    cleanup();
    let _c = Cleanup;
    let ids: Vec<String> = (0..9).map(|i| format!("{PREFIX}b{i}")).collect();
    for id in &ids {
        create_ok(id, C2C);
    }
    // List: b8 .. b0. Pages of 3.
    let (p1, seq, fin) = page("{}", 0, 3);
    assert!(!fin);
    let got1: Vec<String> = p1.iter().map(|v| conv_key(v).0).collect();
    assert_eq!(got1, [ids[8].clone(), ids[7].clone(), ids[6].clone()]);
    // The last one seen is re-activated, the next one is pinned, the one
    // after is deleted.
    assert_eq!(set_draft(&ids[6], C2C, &draft("x")), SUCC);
    pin(&ids[5], C2C, true);
    let (rc, r) = delete(&ids[4], C2C);
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    let mut rest: Vec<String> = Vec::new();
    let mut seq = seq;
    loop {
        let (l, next, fin) = page("{}", seq, 3);
        rest.extend(l.iter().map(|v| conv_key(v).0));
        if fin {
            break;
        }
        seq = next;
    }
    for id in [&ids[3], &ids[2], &ids[1], &ids[0]] {
        assert_eq!(
            rest.iter().filter(|x| *x == id).count(),
            1,
            "{id} did not change: once in {rest:?}"
        );
    }
    for id in [&ids[8], &ids[7]] {
        assert!(
            !rest.contains(id),
            "{id} was seen and did not change: {rest:?}"
        );
    }
    assert!(!rest.contains(&ids[4]), "deleted before its page: {rest:?}");
    pin(&ids[5], C2C, false);
}
