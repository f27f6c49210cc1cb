//! Crash safety of the durable store, with real processes killed at random
//! moments.
//!
//! The parent test re-executes this test binary as a child
//! (`child_writer`), which logs in to the same store every time and makes
//! an endless stream of changes of every kind, single and in batches, one
//! at a time or several without waiting (so that the durable store's group
//! commit holds more than one). Before each change the child prints
//! `TRY <n> <change>`, and when the change is acknowledged (a synchronous
//! `TIM_SUCC`, or its callback with code 0, printed from inside the
//! callback) `ACK <n>`. The parent SIGKILLs the child after a random delay,
//! then checks:
//!
//! 1. `PRAGMA integrity_check` of the database file is "ok";
//! 2. through the library (a login in the parent process), the state is
//!    exactly the state before the child plus the child's first `p` changes,
//!    for some `p` at least the highest acknowledged `n` and at most the
//!    number of changes tried: every acknowledged change is there, none is
//!    half there (a batch of 100 marks, a deletion of 100 conversations, an
//!    import of 200 messages are whole or absent), and changes reach the
//!    disk in the order they were made. "The state" is everything a user
//!    sees: every field the changes touch (drafts, pins, marks, custom
//!    data, conversation groups, unread counts, last messages, receive
//!    options), the conversation groups in creation order, the receive
//!    options kept per user id, the total unread count, and
//!    `conv_active_time`, which the README says starts at 1, grows with
//!    each activation and continues after a restart (so the list order
//!    too).
//!
//! The state the parent found is where the next child starts: the store
//! accumulates across every kill. A child that finds the state on its own
//! ends after 20 s, should the parent be gone.
//!
//! `CRASH_KILLS` (default 400) sets the number of children, `CRASH_SEED`
//! the seed of the random choices.

mod common;

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use parking_lot::{Condvar, Mutex};
use rusqlite::config::DbConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ImSDK::ffi::manager::*;
use ImSDK::ffi::message::*;
use ImSDK::ffi::types::TIMCommCallback;

const APP: u64 = 1_400_000_077;
const USER: &str = "crash-user";

/// The child's environment: the store's folder, its number (every id and
/// value it makes carries it), the seed of its random choices.
const ENV_DIR: &str = "CRASH_CHILD_DIR";
const ENV_EPOCH: &str = "CRASH_CHILD_EPOCH";
const ENV_SEED: &str = "CRASH_CHILD_SEED";

/// A child stops by itself after this long (if the parent died).
const CHILD_LIFETIME: Duration = Duration::from_secs(20);

/// User ids whose receive options are set; C2C conversations with these
/// ids come and go, and pick their kept option up when created again.
const POOL: usize = 40;

/// The vendor's limits the child stays within.
const MAX_PINNED: usize = 50;
const MAX_GROUPS: usize = 20;
const PER_REQUEST: usize = 100;
const RECV_OPT_IDS: usize = 30;
/// The mark bits an app may use: the four standard ones and 32 to 63.
const MARK_BITS: [u32; 36] = [
    0, 1, 2, 3, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
    53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
];
/// Above this many conversations the child deletes in big batches.
const MANY: usize = 220;

/// The tests of this file share the process's SDK state: one at a time.
fn serial() -> parking_lot::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock()
}

// ---------------------------------------------------------------------------
// The changes, and the model of what they do.

/// One change, as the child makes it. Conversations are named as the batch
/// APIs name them (`c2c_<id>` / `group_<id>`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Op {
    Create(String),
    Delete(String),
    /// Sets a draft whose `draft_user_define` is the text.
    SetDraft(String, String),
    CancelDraft(String),
    Pin(String, bool),
    Mark(Vec<String>, u64, bool),
    Custom(Vec<String>, String),
    DeleteList(Vec<String>),
    GroupCreate(String, Vec<String>),
    GroupAdd(String, Vec<String>),
    GroupRemove(String, Vec<String>),
    GroupRename(String, String),
    GroupDelete(String),
    /// Imports `count` unread messages with client times `first..`, each
    /// with the text `m<time>`.
    Import(String, u64, u32),
    ReadAll,
    ClearHistory(String),
    /// Sets the receive option of these user ids.
    RecvOpt(Vec<String>, u8),
}

/// What a user sees of one conversation (the fields the changes touch).
#[derive(Clone, Debug, Default, PartialEq)]
struct Conv {
    draft: Option<String>,
    custom: String,
    pinned: bool,
    marks: u64,
    groups: Vec<String>,
    unread: u64,
    last: Option<String>,
    recv_opt: u8,
    /// `conv_active_time` without the pinned bit.
    act: u64,
}

/// What a user sees of the whole store.
#[derive(Clone, Debug, Default)]
struct Model {
    convs: BTreeMap<String, Conv>,
    /// Conversation groups, in creation order.
    groups: Vec<String>,
    /// Receive options kept per user id of the pool (0 is not kept).
    opts: BTreeMap<String, u8>,
    /// The last `conv_active_time` handed out (without the pinned bit). The
    /// README: it starts at 1 and grows with each activation (a creation, a
    /// draft, a new last message: the library counts them one by one), and
    /// continues after a restart. Read from a store, it is only known to be
    /// at least the highest one listed.
    next_act: u64,
}

impl Conv {
    /// Everything but `conv_active_time`.
    fn seen(&self) -> Conv {
        Conv {
            act: 0,
            ..self.clone()
        }
    }
}

fn split_key(key: &str) -> (i32, &str) {
    if let Some(id) = key.strip_prefix("c2c_") {
        (C2C, id)
    } else if let Some(id) = key.strip_prefix("group_") {
        (GROUP, id)
    } else {
        panic!("not a conversation key: {key}")
    }
}

fn is_muted(opt: u8) -> bool {
    matches!(opt, 1..=3)
}

impl Model {
    fn activation(&mut self) -> u64 {
        self.next_act += 1;
        self.next_act
    }

    /// A conversation as it is created: activated, with its kept option.
    fn fresh(&mut self, key: &str) -> Conv {
        let recv_opt = match split_key(key) {
            (C2C, id) => self.opts.get(id).copied().unwrap_or(0),
            _ => 0,
        };
        Conv {
            recv_opt,
            act: self.activation(),
            ..Conv::default()
        }
    }

    fn conv(&mut self, key: &str) -> &mut Conv {
        self.convs
            .get_mut(key)
            .unwrap_or_else(|| panic!("the model has no {key}"))
    }

    /// Applies one change, as the library documents it (every conversation
    /// named exists; the child makes only such changes).
    fn apply(&mut self, op: &Op) {
        match op {
            Op::Create(k) => {
                if !self.convs.contains_key(k) {
                    let c = self.fresh(k);
                    self.convs.insert(k.clone(), c);
                }
            }
            Op::Delete(k) => {
                self.convs.remove(k);
            }
            Op::DeleteList(ks) => {
                for k in ks {
                    self.convs.remove(k);
                }
            }
            Op::SetDraft(k, text) => {
                let act = self.activation();
                let c = self.conv(k);
                c.draft = Some(text.clone());
                c.act = act;
            }
            Op::CancelDraft(k) => self.conv(k).draft = None,
            Op::Pin(k, on) => self.conv(k).pinned = *on,
            Op::Mark(ks, bits, on) => {
                for k in ks {
                    let c = self.conv(k);
                    c.marks = if *on { c.marks | bits } else { c.marks & !bits };
                }
            }
            Op::Custom(ks, data) => {
                for k in ks {
                    self.conv(k).custom = data.clone();
                }
            }
            Op::GroupCreate(name, ks) => {
                self.groups.push(name.clone());
                self.group_add(name, ks);
            }
            Op::GroupAdd(name, ks) => self.group_add(name, ks),
            Op::GroupRemove(name, ks) => {
                for k in ks {
                    self.conv(k).groups.retain(|g| g != name);
                }
            }
            Op::GroupRename(old, new) => {
                for g in self
                    .groups
                    .iter_mut()
                    .chain(self.convs.values_mut().flat_map(|c| c.groups.iter_mut()))
                {
                    if g == old {
                        g.clone_from(new);
                    }
                }
            }
            Op::GroupDelete(name) => {
                self.groups.retain(|g| g != name);
                for c in self.convs.values_mut() {
                    c.groups.retain(|g| g != name);
                }
            }
            Op::Import(k, first, count) => {
                // A new conversation is activated once, as it is created.
                if self.convs.contains_key(k) {
                    let act = self.activation();
                    self.conv(k).act = act;
                } else {
                    let c = self.fresh(k);
                    self.convs.insert(k.clone(), c);
                }
                let c = self.conv(k);
                c.unread += u64::from(*count);
                c.last = Some(format!("m{}", first + u64::from(*count) - 1));
            }
            Op::ReadAll => {
                for c in self.convs.values_mut() {
                    c.unread = 0;
                }
            }
            Op::ClearHistory(k) => {
                let c = self.conv(k);
                c.unread = 0;
                c.last = None;
            }
            Op::RecvOpt(ids, opt) => {
                for id in ids {
                    if *opt == 0 {
                        self.opts.remove(id);
                    } else {
                        self.opts.insert(id.clone(), *opt);
                    }
                    if let Some(c) = self.convs.get_mut(&conv_key_id(C2C, id)) {
                        c.recv_opt = *opt;
                    }
                }
            }
        }
    }

    fn group_add(&mut self, name: &str, ks: &[String]) {
        for k in ks {
            let c = self.conv(k);
            if !c.groups.iter().any(|g| g == name) {
                c.groups.push(name.to_owned());
            }
        }
    }

    /// The conversations in list order: pinned first, then the most
    /// recently activated first.
    fn order(&self) -> Vec<&str> {
        let mut keys: Vec<(&String, &Conv)> = self.convs.iter().collect();
        keys.sort_by_key(|(_, c)| std::cmp::Reverse((c.pinned, c.act)));
        keys.into_iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The `k` most recently activated conversations (deleting them before
    /// a restart is what tests that `conv_active_time` continues).
    fn newest(&self, k: usize) -> Vec<String> {
        let mut keys: Vec<(&String, &Conv)> = self.convs.iter().collect();
        keys.sort_by_key(|(_, c)| std::cmp::Reverse(c.act));
        keys.into_iter().take(k).map(|(k, _)| k.clone()).collect()
    }

    fn total_unread(&self) -> u64 {
        self.convs
            .values()
            .filter(|c| !is_muted(c.recv_opt))
            .map(|c| c.unread)
            .sum()
    }

    fn pinned(&self) -> usize {
        self.convs.values().filter(|c| c.pinned).count()
    }

    /// Everything a user sees is the same, `conv_active_time` included.
    fn same(&self, o: &Model) -> bool {
        self.convs == o.convs && self.groups == o.groups && self.opts == o.opts
    }

    /// How `self` (expected) and `o` (found) differ, briefly.
    fn diff(&self, o: &Model) -> String {
        let mut out = Vec::new();
        for (k, a) in &self.convs {
            match o.convs.get(k) {
                None => out.push(format!("  {k}: expected {a:?}, missing")),
                Some(b) if a != b => {
                    let only = if a.seen() == b.seen() {
                        " (only conv_active_time)"
                    } else {
                        ""
                    };
                    out.push(format!(
                        "  {k}{only}: expected {a:?}\n  {k}:    found {b:?}"
                    ))
                }
                _ => {}
            }
        }
        for (k, b) in &o.convs {
            if !self.convs.contains_key(k) {
                out.push(format!("  {k}: not expected, found {b:?}"));
            }
        }
        if self.groups != o.groups {
            out.push(format!(
                "  groups: expected {:?}, found {:?}",
                self.groups, o.groups
            ));
        }
        if self.opts != o.opts {
            out.push(format!(
                "  recv opts: expected {:?}, found {:?}",
                self.opts, o.opts
            ));
        }
        let (ea, fa) = (self.order(), o.order());
        if ea != fa {
            let at = ea.iter().zip(&fa).position(|(a, b)| a != b).unwrap_or(0);
            out.push(format!(
                "  list order differs from position {at}: expected {:?}, found {:?}",
                &ea[at..(at + 5).min(ea.len())],
                &fa[at..(at + 5).min(fa.len())]
            ));
        }
        out.truncate(12);
        out.join("\n")
    }
}

// ---------------------------------------------------------------------------
// Reading the state through the library.

/// A call answered through a callback: its JSON (`""` when empty).
fn query(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> i32) -> Value {
    let p = Pending::new();
    let rc = f(Some(on_reply), p.ud());
    assert_eq!(rc, SUCC, "{what}: refused");
    let r = p.wait();
    assert_eq!(r.code, 0, "{what}: {}", r.desc);
    if r.json.is_empty() {
        Value::Null
    } else {
        r.value()
    }
}

fn pool_ids() -> Vec<String> {
    (0..POOL).map(|i| format!("p{i}")).collect()
}

/// Everything a user sees, read through the exported functions, with the
/// library's own consistency checked: the list sorted by
/// `conv_active_time`, the pinned bit, the groups named, the total unread
/// count.
fn observe() -> Model {
    let list = query("list", |cb, ud| unsafe { TIMConvGetConvList(cb, ud) });
    let groups = query("groups", |cb, ud| unsafe {
        TIMConvGetConversationGroupList(cb, ud)
    });
    let total = query("total", |cb, ud| unsafe {
        TIMConvGetTotalUnreadMessageCount(cb, ud)
    });
    let ids = c(&json_strings(&pool_ids()));
    let opts = query("opts", |cb, ud| unsafe {
        TIMMsgGetC2CReceiveMessageOpt(ids.as_ptr(), cb, ud)
    });
    let mut m = Model {
        groups: groups
            .as_array()
            .expect("the group list is an array")
            .iter()
            .map(|g| g.as_str().expect("group names are strings").to_owned())
            .collect(),
        ..Model::default()
    };
    for o in opts.as_array().expect("the options are an array") {
        let id = o["msg_recv_msg_opt_result_identifier"].as_str().unwrap();
        let opt = o["msg_recv_msg_opt_result_opt"].as_u64().unwrap() as u8;
        if opt != 0 {
            m.opts.insert(id.to_owned(), opt);
        }
    }
    let mut previous = u64::MAX;
    for v in list.as_array().expect("the list is an array") {
        let (id, ty) = conv_key(v);
        let key = conv_key_id(ty as i32, &id);
        let active = v["conv_active_time"].as_u64().unwrap();
        assert!(active < previous, "the list is not sorted at {key}");
        previous = active;
        let pinned = v["conv_is_pinned"].as_bool().unwrap();
        assert_eq!(active >> 62 & 1 == 1, pinned, "the pinned bit of {key}");
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let c = Conv {
            draft: (v["conv_is_has_draft"] == true)
                .then(|| text(&v["conv_draft"]["draft_user_define"]))
                .flatten(),
            custom: text(&v["conv_custom_data"]).unwrap(),
            pinned,
            marks: mark_values(v).iter().fold(0, |a, b| a | b),
            groups: conv_groups(v),
            unread: v["conv_unread_num"].as_u64().unwrap(),
            last: (v["conv_is_has_lastmsg"] == true)
                .then(|| text(&v["conv_last_msg"]["message_elem_array"][0]["text_elem_content"]))
                .flatten(),
            recv_opt: v["conv_recv_opt"].as_u64().unwrap() as u8,
            act: active & !(1 << 62),
        };
        for g in &c.groups {
            assert!(m.groups.contains(g), "{key} is in the unknown group {g}");
        }
        m.next_act = m.next_act.max(c.act);
        assert!(m.convs.insert(key.clone(), c).is_none(), "{key} twice");
    }
    let total = total["conv_get_total_unread_message_count_result_unread_count"]
        .as_u64()
        .expect("a total");
    assert_eq!(total, m.total_unread(), "the total unread count");
    m
}

fn config(dir: &Path) -> std::ffi::CString {
    c(&serde_json::json!({ "sdk_config_config_file_path": dir }).to_string())
}

/// `TIMInit` and `TIMLogin`; the login's code and desc.
fn init_and_login(dir: &Path) -> (i32, String) {
    assert_eq!(
        unsafe { TIMInit(APP, config(dir).as_ptr()) },
        SUCC,
        "TIMInit"
    );
    let p = Pending::new();
    let u = c(USER);
    let rc = unsafe { TIMLogin(u.as_ptr(), c"sig".as_ptr(), Some(on_reply), p.ud()) };
    assert_eq!(rc, SUCC, "TIMLogin refused");
    let r = p.wait();
    (r.code, r.desc)
}

// ---------------------------------------------------------------------------
// Random choices.

/// xorshift64*: small, seeded, good enough to vary timings and changes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }

    /// `k` distinct items, in random order.
    fn sample<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        let k = k.min(idx.len());
        for i in 0..k {
            let j = i + self.next() as usize % (idx.len() - i);
            idx.swap(i, j);
        }
        idx[..k].iter().map(|&i| items[i].clone()).collect()
    }

    /// A batch size for `n` candidates: often all of them (up to the
    /// request limit), else anything from one up.
    fn batch(&mut self, n: usize) -> usize {
        let max = n.min(PER_REQUEST) as u64;
        if self.percent(25) {
            max as usize
        } else {
            self.range(1, max) as usize
        }
    }
}

// ---------------------------------------------------------------------------
// The child: an endless stream of changes.

/// Writes a line to stdout at once, unbuffered, whole (one writer at a
/// time). If the parent is gone, the child ends.
fn emit(line: &str) {
    static OUT: Mutex<()> = Mutex::new(());
    let _g = OUT.lock();
    let mut b = line.as_bytes();
    while !b.is_empty() {
        // SAFETY: a valid buffer of b.len() bytes.
        let r = unsafe { libc::write(1, b.as_ptr().cast(), b.len()) };
        if r < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // SAFETY: ends the process; nothing to clean up.
            unsafe { libc::_exit(0) };
        }
        b = &b[r as usize..];
    }
}

/// Says why a change failed, and ends the child (the parent reports it).
fn nak(n: u64, why: &str) -> ! {
    emit(&format!("NAK {n} {why}\n"));
    eprintln!("crash child: change {n} failed: {why}");
    std::process::abort()
}

/// Where one change's callback lands.
struct Slot {
    n: u64,
    /// A batch: how many per-conversation results, each must be code 0.
    results: Option<usize>,
    done: Mutex<bool>,
    cv: Condvar,
}

impl Slot {
    fn wait(&self) {
        let mut d = self.done.lock();
        let deadline = Instant::now() + TIMEOUT;
        while !*d {
            if self.cv.wait_until(&mut d, deadline).timed_out() {
                nak(self.n, "no callback");
            }
        }
    }
}

/// The callback of every asynchronous change: acknowledges it (or not)
/// from inside the callback.
unsafe extern "C" fn on_ack(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    // SAFETY: the child passes a live, boxed Slot with on_ack.
    let slot = unsafe { &*(ud as *const Slot) };
    if code != 0 {
        nak(slot.n, &format!("code {code}: {}", cstr_lossy(desc)));
    }
    if let Some(k) = slot.results {
        let json = cstr_lossy(json);
        let r = op_results(&json);
        if r.len() != k || r.iter().any(|(_, code, _)| *code != 0) {
            nak(slot.n, &format!("results {json}"));
        }
    }
    emit(&format!("ACK {}\n", slot.n));
    *slot.done.lock() = true;
    slot.cv.notify_all();
}

fn draft_json(text: &str) -> String {
    format!(
        r#"{{"draft_msg":{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"draft"}}]}},"draft_user_define":"{text}","draft_edit_time":1}}"#
    )
}

fn import_json(first: u64, count: u32) -> String {
    let msgs: Vec<String> = (first..first + u64::from(count))
        .map(|t| {
            format!(
                r#"{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"m{t}"}}],"message_sender":"peer","message_is_from_self":false,"message_client_time":{t}}}"#
            )
        })
        .collect();
    format!("[{}]", msgs.join(","))
}

/// Makes one change: synchronous ones are acknowledged here; asynchronous
/// ones return their slot, acknowledged by their callback.
fn issue(n: u64, op: &Op) -> Option<Box<Slot>> {
    let sync = |rc: i32| {
        if rc != SUCC {
            nak(n, &format!("returned {rc}"));
        }
        emit(&format!("ACK {n}\n"));
        None
    };
    match op {
        Op::SetDraft(k, text) => {
            let (ty, id) = split_key(k);
            return sync(set_draft(id, ty, &draft_json(text)));
        }
        Op::CancelDraft(k) => {
            let (ty, id) = split_key(k);
            return sync(cancel_draft(id, ty));
        }
        _ => {}
    }
    let results = match op {
        Op::Mark(ks, ..)
        | Op::Custom(ks, _)
        | Op::DeleteList(ks)
        | Op::GroupCreate(_, ks)
        | Op::GroupAdd(_, ks)
        | Op::GroupRemove(_, ks) => Some(ks.len()),
        _ => None,
    };
    let slot = Box::new(Slot {
        n,
        results,
        done: Mutex::new(false),
        cv: Condvar::new(),
    });
    let (cb, ud): (TIMCommCallback, *const c_void) = (Some(on_ack), &*slot as *const Slot as _);
    let ids = |ks: &[String]| c(&json_strings(ks));
    // SAFETY (every call): C strings that live until the call returns, and
    // a slot that lives until its callback has run.
    let rc = unsafe {
        match op {
            Op::Create(k) => {
                let (ty, id) = split_key(k);
                TIMConvCreate(c(id).as_ptr(), ty, cb, ud)
            }
            Op::Delete(k) => {
                let (ty, id) = split_key(k);
                TIMConvDelete(c(id).as_ptr(), ty, cb, ud)
            }
            Op::Pin(k, on) => {
                let (ty, id) = split_key(k);
                TIMConvPinConversation(c(id).as_ptr(), ty, *on, cb, ud)
            }
            Op::Mark(ks, bits, on) => TIMConvMarkConversation(ids(ks).as_ptr(), *bits, *on, cb, ud),
            Op::Custom(ks, data) => {
                TIMConvSetConversationCustomData(ids(ks).as_ptr(), c(data).as_ptr(), cb, ud)
            }
            Op::DeleteList(ks) => TIMConvDeleteConversationList(ids(ks).as_ptr(), true, cb, ud),
            Op::GroupCreate(name, ks) => {
                TIMConvCreateConversationGroup(c(name).as_ptr(), ids(ks).as_ptr(), cb, ud)
            }
            Op::GroupAdd(name, ks) => {
                TIMConvAddConversationsToGroup(c(name).as_ptr(), ids(ks).as_ptr(), cb, ud)
            }
            Op::GroupRemove(name, ks) => {
                TIMConvDeleteConversationsFromGroup(c(name).as_ptr(), ids(ks).as_ptr(), cb, ud)
            }
            Op::GroupRename(old, new) => {
                TIMConvRenameConversationGroup(c(old).as_ptr(), c(new).as_ptr(), cb, ud)
            }
            Op::GroupDelete(name) => TIMConvDeleteConversationGroup(c(name).as_ptr(), cb, ud),
            Op::Import(k, first, count) => {
                let (ty, id) = split_key(k);
                let msgs = c(&import_json(*first, *count));
                TIMMsgImportMsgList(c(id).as_ptr(), ty, msgs.as_ptr(), cb, ud)
            }
            Op::ReadAll => TIMMsgMarkAllMessageAsRead(cb, ud),
            Op::ClearHistory(k) => {
                let (ty, id) = split_key(k);
                TIMMsgClearHistoryMessage(c(id).as_ptr(), ty, cb, ud)
            }
            Op::RecvOpt(users, opt) => {
                TIMMsgSetC2CReceiveMessageOpt(ids(users).as_ptr(), i32::from(*opt), cb, ud)
            }
            Op::SetDraft(..) | Op::CancelDraft(_) => unreachable!(),
        }
    };
    if rc != SUCC {
        nak(n, &format!("returned {rc}"));
    }
    Some(slot)
}

/// Chooses the child's changes from what it knows of the state.
struct Gen {
    epoch: u64,
    /// Numbers the ids, names and values this child makes.
    next: u64,
    rng: Rng,
}

impl Gen {
    /// A new name in a namespace of its own per kind and per child.
    fn name(&mut self, kind: &str) -> String {
        self.next += 1;
        format!("{kind}{}_{}", self.epoch, self.next)
    }

    /// A value larger than any an earlier child made.
    fn value(&mut self) -> u64 {
        self.next += 1;
        self.epoch * 100_000_000 + self.next
    }

    fn new_key(&mut self, kind: &str) -> String {
        let ty = if self.rng.percent(50) { C2C } else { GROUP };
        conv_key_id(ty, &self.name(kind))
    }

    /// A C2C key of the pool (its receive option applies), or a new key.
    fn pool_or_new_key(&mut self, m: &Model, kind: &str) -> String {
        if self.rng.percent(30) {
            let k = conv_key_id(C2C, &format!("p{}", self.rng.range(0, POOL as u64 - 1)));
            if !m.convs.contains_key(&k) {
                return k;
            }
        }
        self.new_key(kind)
    }

    fn next_op(&mut self, m: &Model) -> Op {
        let keys: Vec<String> = m.convs.keys().cloned().collect();
        let n = keys.len();
        if n > MANY {
            let k = self.rng.range(50, 100) as usize;
            return Op::DeleteList(self.rng.sample(&keys, k));
        }
        let with = |f: fn(&Conv) -> bool| -> Vec<String> {
            m.convs
                .iter()
                .filter(|(_, c)| f(c))
                .map(|(k, _)| k.clone())
                .collect()
        };
        match self.rng.range(0, 99) {
            0..=9 => Op::Create(self.pool_or_new_key(m, "c")),
            10..=19 => {
                let k = if n > 0 && self.rng.percent(60) {
                    self.rng.pick(&keys).clone()
                } else {
                    self.pool_or_new_key(m, "m")
                };
                let count = if self.rng.percent(50) {
                    self.rng.range(1, 10)
                } else {
                    self.rng.range(11, 200)
                } as u32;
                let first = 1_000_000_000 + self.value() * 1000;
                Op::Import(k, first, count)
            }
            20..=27 if n > 0 => {
                let k = self.rng.pick(&keys).clone();
                Op::SetDraft(k, format!("d{}", self.value()))
            }
            28..=29 if m.convs.values().any(|c| c.draft.is_some()) => {
                Op::CancelDraft(self.rng.pick(&with(|c| c.draft.is_some())).clone())
            }
            30..=35 if n > 0 => {
                let k = self.rng.pick(&keys).clone();
                let pinned = m.convs[&k].pinned;
                if !pinned && m.pinned() >= MAX_PINNED {
                    Op::Pin(self.rng.pick(&with(|c| c.pinned)).clone(), false)
                } else {
                    Op::Pin(k, !pinned)
                }
            }
            36..=45 if n > 0 => {
                let size = self.rng.batch(n);
                let ks = self.rng.sample(&keys, size);
                let mut bits = 0;
                for _ in 0..self.rng.range(1, 3) {
                    bits |= 1u64 << self.rng.pick(&MARK_BITS);
                }
                Op::Mark(ks, bits, self.rng.percent(65))
            }
            46..=53 if n > 0 => {
                let size = self.rng.batch(n);
                let ks = self.rng.sample(&keys, size);
                let data = if self.rng.percent(10) {
                    String::new()
                } else {
                    format!("x{}", self.value())
                };
                Op::Custom(ks, data)
            }
            54..=57 if n > 0 => {
                let size = if n > 150 {
                    self.rng.batch(n)
                } else {
                    self.rng.range(1, n.min(4) as u64) as usize
                };
                if self.rng.percent(30) {
                    Op::DeleteList(m.newest(size))
                } else {
                    Op::DeleteList(self.rng.sample(&keys, size))
                }
            }
            58..=59 if n > 0 => {
                if self.rng.percent(50) {
                    Op::Delete(m.newest(1).remove(0))
                } else {
                    Op::Delete(self.rng.pick(&keys).clone())
                }
            }
            60..=74 if n > 0 => self.group_op(m, &keys),
            75..=78 => Op::ReadAll,
            79..=82 if n > 0 => Op::ClearHistory(self.rng.pick(&keys).clone()),
            83..=92 => {
                let size = self.rng.range(1, RECV_OPT_IDS as u64) as usize;
                let users = self.rng.sample(&pool_ids(), size);
                Op::RecvOpt(users, self.rng.range(0, 4) as u8)
            }
            _ => Op::Create(self.new_key("c")),
        }
    }

    fn group_op(&mut self, m: &Model, keys: &[String]) -> Op {
        let r = &mut self.rng;
        let g = m.groups.len();
        if g == 0 || (g < MAX_GROUPS && r.percent(25)) {
            let size = r.batch(keys.len());
            let ks = r.sample(keys, size);
            return Op::GroupCreate(self.name("g"), ks);
        }
        let name = r.pick(&m.groups).clone();
        match r.range(0, 9) {
            0..=3 => {
                let size = r.batch(keys.len());
                Op::GroupAdd(name, r.sample(keys, size))
            }
            4..=6 => {
                // Mostly members, sometimes conversations that are not.
                let members: Vec<String> = m
                    .convs
                    .iter()
                    .filter(|(_, c)| c.groups.contains(&name) || r.percent(10))
                    .map(|(k, _)| k.clone())
                    .collect();
                let from = if members.is_empty() { keys } else { &members };
                let size = r.batch(from.len());
                Op::GroupRemove(name, r.sample(from, size))
            }
            7..=8 => Op::GroupRename(name, self.name("r")),
            _ => Op::GroupDelete(name),
        }
    }
}

fn child(dir: &Path, epoch: u64, seed: u64) {
    // libtest may have written "test child_writer ... " without a newline.
    emit("\n");
    let until = Instant::now() + CHILD_LIFETIME;
    let (code, desc) = init_and_login(dir);
    if code != 0 {
        nak(0, &format!("login: {code} {desc}"));
    }
    let mut m = observe();
    emit("READY\n");
    let mut g = Gen {
        epoch,
        next: 0,
        rng: Rng::new(seed),
    };
    let mut n = 0;
    while Instant::now() < until {
        // Often one change at a time; sometimes several without waiting,
        // so that more than one sits in the open batch.
        let burst = if g.rng.percent(30) {
            g.rng.range(2, 8)
        } else {
            1
        };
        let mut slots = Vec::new();
        for _ in 0..burst {
            let op = g.next_op(&m);
            n += 1;
            emit(&format!(
                "TRY {n} {}\n",
                serde_json::to_string(&op).unwrap()
            ));
            m.apply(&op);
            slots.extend(issue(n, &op));
        }
        for s in &slots {
            s.wait();
        }
    }
    unsafe { TIMUninit() };
}

/// The child's side: runs only when the parent started this binary as a
/// child, with the folder in its environment.
#[test]
fn child_writer() {
    let Some(dir) = std::env::var_os(ENV_DIR) else {
        return;
    };
    let _s = serial();
    let num = |k: &str| -> u64 { std::env::var(k).unwrap().parse().unwrap() };
    child(Path::new(&dir), num(ENV_EPOCH), num(ENV_SEED));
}

// ---------------------------------------------------------------------------
// The parent: kills, and checks.

/// What one child said: the changes it tried, in order, and which of them
/// were acknowledged.
#[derive(Default)]
struct Said {
    ops: Vec<Op>,
    acked: Vec<bool>,
    ready: bool,
    /// NAK lines, and lines that break the protocol.
    errors: Vec<String>,
}

impl Said {
    /// Reads one complete line (anything not from the protocol is libtest's).
    fn line(&mut self, line: &str) {
        if let Err(e) = self.parse(line) {
            self.errors.push(format!("{e}: {line}"));
        }
    }

    fn parse(&mut self, line: &str) -> Result<(), &'static str> {
        if let Some(rest) = line.strip_prefix("TRY ") {
            let (n, json) = rest.split_once(' ').ok_or("not TRY <n> <change>")?;
            if n.parse() != Ok(self.ops.len() + 1) {
                return Err("changes out of order");
            }
            self.ops
                .push(serde_json::from_str(json).map_err(|_| "not a change")?);
            self.acked.push(false);
        } else if let Some(n) = line.strip_prefix("ACK ") {
            let n: usize = n.parse().map_err(|_| "not ACK <n>")?;
            match self.acked.get_mut(n.wrapping_sub(1)) {
                Some(a) if !*a => *a = true,
                _ => return Err("ACK of a change not tried, or twice"),
            }
        } else if line == "READY" {
            self.ready = true;
        } else if line.starts_with("NAK ") {
            return Err("refused");
        }
        Ok(())
    }

    /// How many of the changes must be on disk: up to the last one
    /// acknowledged (changes reach the disk in order).
    fn must(&self) -> usize {
        self.acked.iter().rposition(|&a| a).map_or(0, |i| i + 1)
    }
}

#[derive(Default)]
struct Stats {
    kills: usize,
    before_ready: usize,
    acked: usize,
    tried: usize,
    unacked_applied: usize,
    unacked_absent: usize,
    integrity_ok: usize,
    wal_recovered: usize,
    largest_wal: u64,
    /// Kills after a checkpoint in the child.
    checkpointed: usize,
    most_convs: usize,
}

fn db_path(dir: &Path) -> PathBuf {
    store_dir(dir, APP, USER).join("conv.db")
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// `PRAGMA integrity_check` of the file as the killed child left it, in
/// exclusive locking mode (as the library opens it: no `-shm` file is
/// made) and without a checkpoint at close: the WAL is left as it was, for
/// the library to recover.
fn integrity_check(db: &Path, stats: &mut Stats) {
    if !db.exists() {
        return;
    }
    let wal = db.with_file_name("conv.db-wal");
    let wal_len = file_len(&wal);
    let shm = db.with_file_name("conv.db-shm");
    let had_shm = shm.exists();
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the database");
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .unwrap();
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .unwrap();
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert_eq!(rows, ["ok"], "integrity_check of {}", db.display());
    stats.integrity_ok += 1;
    assert_eq!(
        file_len(&wal),
        wal_len,
        "the check left the WAL as it was (db {} bytes)",
        file_len(db)
    );
    assert!(had_shm || !shm.exists(), "the check made no -shm file");
    if wal_len > 0 {
        stats.wal_recovered += 1;
    }
    stats.largest_wal = stats.largest_wal.max(wal_len);
}

/// Runs one child and kills it; what it said.
fn run_child(dir: &Path, epoch: u64, rng: &mut Rng, stats: &mut Stats) -> Said {
    // The database file changes under a child only by a checkpoint (the
    // parent's logout folded the WAL into it before).
    let db = db_path(dir);
    let stamp = |db: &Path| {
        std::fs::metadata(db)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before = stamp(&db);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(ENV_DIR, dir)
        .env(ENV_EPOCH, epoch.to_string())
        .env(ENV_SEED, rng.next().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut line = String::new();
        // A last line cut by the kill (no newline) was never complete.
        while r.read_line(&mut line).unwrap_or(0) > 0 && line.ends_with('\n') {
            let _ = tx.send(line.trim_end_matches('\n').to_owned());
            line.clear();
        }
    });
    let mut said = Said::default();
    let mut acked_in_time = true;
    if rng.percent(15) {
        // Any moment from the start (a child is logged in 2 to 5 ms after
        // it was spawned): during exec, TIMInit, TIMLogin (the store's
        // opening and loading), or the first changes.
        std::thread::sleep(Duration::from_micros(rng.range(0, 4_000)));
    } else {
        // After the first acknowledgement: at once, or later.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !said.acked.contains(&true) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => said.line(&line),
                Err(_) => break,
            }
        }
        // If not, something is wrong: the child is killed, then reported.
        acked_in_time = said.acked.contains(&true);
        let delay = match rng.range(0, 99) {
            0..=34 => rng.range(0, 3_000),
            35..=94 => rng.range(3_000, 60_000),
            // Long enough for the WAL to pass SQLite's automatic
            // checkpoint (1000 pages), so that some kills come during
            // one, or after one.
            _ => rng.range(100_000, 400_000),
        };
        if acked_in_time {
            std::thread::sleep(Duration::from_micros(delay));
        }
    }
    // SAFETY: a plain kill(2) of our own child, which has not been waited
    // for (so its pid is not reused).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGKILL) }, 0);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    for line in rx.try_iter() {
        said.line(&line);
    }
    assert!(said.errors.is_empty(), "child {epoch}: {:?}", said.errors);
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "child {epoch} ended by itself: {status}"
    );
    assert!(
        acked_in_time,
        "child {epoch}: no acknowledgement within 20 s"
    );
    stats.kills += 1;
    if before.is_some() && stamp(&db) != before {
        stats.checkpointed += 1;
    }
    if !said.ready {
        stats.before_ready += 1;
    }
    said
}

/// Checks the state after a child's kill; returns it (where the next child
/// starts), as the model that matched.
fn check(dir: &Path, epoch: u64, before: &Model, said: &Said, stats: &mut Stats) -> Model {
    integrity_check(&db_path(dir), stats);
    let (code, desc) = init_and_login(dir);
    assert_eq!(code, 0, "login after child {epoch}: {desc}");
    let found = observe();
    unsafe { TIMUninit() };
    // The state before, plus the first p changes, p from what must be
    // there to everything tried.
    let must = said.must();
    let mut expected = before.clone();
    for op in &said.ops[..must] {
        expected.apply(op);
    }
    let mut p = must;
    while !expected.same(&found) {
        if p == said.ops.len() {
            let mut want = before.clone();
            for op in &said.ops[..must] {
                want.apply(op);
            }
            let mut pending = format!("{:?}", &said.ops[must..]);
            if pending.len() > 3000 {
                pending.truncate(3000);
                pending.push_str(" ...");
            }
            panic!(
                "child {epoch}: after the kill, the store is not the state before it plus \
                 its first p changes, for any p from {must} (the last acknowledged) to {} \
                 (the last tried); {} were acknowledged.\n\
                 Changes {}.. (not all must be there): {pending}\n\
                 How the store ({}) differs from the state with the first {must}:\n{}",
                said.ops.len(),
                said.acked.iter().filter(|&&a| a).count(),
                must + 1,
                dir.display(),
                want.diff(&found)
            );
        }
        expected.apply(&said.ops[p]);
        p += 1;
    }
    let acked = said.acked.iter().filter(|&&a| a).count();
    stats.acked += acked;
    stats.tried += said.ops.len();
    stats.unacked_applied += p - said.acked[..p].iter().filter(|&&a| a).count();
    stats.unacked_absent += said.ops.len() - p - said.acked[p..].iter().filter(|&&a| a).count();
    stats.most_convs = stats.most_convs.max(found.convs.len());
    // Equal to what was found, and it knows the activation counter.
    expected
}

#[test]
fn killed_writers_lose_no_acknowledged_change_and_leave_no_half_batch() {
    if std::env::var_os(ENV_DIR).is_some() {
        return;
    }
    let _s = serial();
    let kills: u64 = std::env::var("CRASH_KILLS").map_or(400, |k| k.parse().unwrap());
    let seed: u64 = std::env::var("CRASH_SEED").map_or(0x5eed_c0de, |s| s.parse().unwrap());
    // A folder of this process's own (a concurrent run of the test suite
    // must not share it), kept if the test fails.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let mut stats = Stats::default();
    let mut state = Model::default();
    for epoch in 1..=kills {
        let said = run_child(&dir, epoch, &mut rng, &mut stats);
        state = check(&dir, epoch, &state, &said, &mut stats);
    }
    let s = &stats;
    // Straight to the terminal (libtest captures print!).
    let _ = writeln!(
        std::io::stderr(),
        "crash: seed {seed}, {}: {} kills ({} before the child's login was done) in {:.1} s; \
         {} acknowledged changes checked of {} tried ({} unacknowledged found applied, \
         {} absent); {} integrity checks ok ({} with a WAL to recover, up to {} KiB; \
         {} after a checkpoint in the child); up to {} conversations",
        dir.display(),
        s.kills,
        s.before_ready,
        start.elapsed().as_secs_f64(),
        s.acked,
        s.tried,
        s.unacked_applied,
        s.unacked_absent,
        s.integrity_ok,
        s.wal_recovered,
        s.largest_wal / 1024,
        s.checkpointed,
        s.most_convs
    );
    assert_eq!(s.kills as u64, kills);
    let _ = std::fs::remove_dir_all(&dir);
}
