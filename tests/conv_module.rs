//! The rest of the conversation module through its exported symbols: pins,
//! marks, custom data, batch deletion, conversation groups, `TIMConvGetConvInfo`
//! and the filtered, paged list (contract C5, C6; vendor-api §3, §4, §6, §9.5).
//!
//! Pins, marks and groups have global limits and every listener slot is
//! global, so every test here takes [`serial`]: it installs this file's
//! listeners, starts from an empty store and leaves one behind (even when the
//! test fails). Each test still uses its own id prefix, to make failures
//! readable. Events and per-call callbacks land in one ordered log, so the
//! tests see that a change's events come before the call's own callback.
//!
//! Runs in the embedded default (no `TIMInit`).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use parking_lot::{Condvar, Mutex, MutexGuard};
use serde_json::{json, Value};
use ImSDK::ffi::types::TIMCommCallback;

const ADD: c_int = 0;
const DEL: c_int = 1;
const UPDATE: c_int = 2;

const E_INVALID_CONV: i32 = 6004;
const E_INVALID_PARAMS: i32 = 6017;
const E_NOT_SUPPORTED: i32 = 7013;
const E_INVALID_OPERATION: i32 = 7014;
const E_BATCH_OVER_100: i32 = 51006;
const E_MARK_TOTAL: i32 = 51008;
const E_NO_GROUP: i32 = 51009;
const E_GROUP_TOTAL: i32 = 51010;
const E_GROUP_NAME_LEN: i32 = 51011;

const PIN_BIT: u64 = 1 << 62;

// ---------------------------------------------------------------------------
// One ordered log for every event and every per-call callback.

#[derive(Debug, Clone)]
enum Entry {
    Event {
        ud: usize,
        kind: c_int,
        json: String,
    },
    GroupCreated {
        ud: usize,
        name: String,
        json: String,
    },
    GroupDeleted {
        ud: usize,
        name: String,
    },
    GroupRenamed {
        ud: usize,
        old: String,
        new: String,
    },
    AddedToGroup {
        ud: usize,
        name: String,
        json: String,
    },
    DeletedFromGroup {
        ud: usize,
        name: String,
        json: String,
        reason: u32,
    },
    Reply {
        tag: usize,
        code: i32,
        desc: String,
        json: String,
    },
}

impl Entry {
    fn shape(&self) -> &'static str {
        match self {
            Entry::Event { kind: ADD, .. } => "add",
            Entry::Event { kind: DEL, .. } => "del",
            Entry::Event { kind: UPDATE, .. } => "update",
            Entry::Event { .. } => "other-event",
            Entry::GroupCreated { .. } => "created",
            Entry::GroupDeleted { .. } => "deleted",
            Entry::GroupRenamed { .. } => "renamed",
            Entry::AddedToGroup { .. } => "added",
            Entry::DeletedFromGroup { .. } => "removed",
            Entry::Reply { .. } => "reply",
        }
    }

    fn listener(&self) -> Option<usize> {
        match self {
            Entry::Event { ud, .. }
            | Entry::GroupCreated { ud, .. }
            | Entry::GroupDeleted { ud, .. }
            | Entry::GroupRenamed { ud, .. }
            | Entry::AddedToGroup { ud, .. }
            | Entry::DeletedFromGroup { ud, .. } => Some(*ud),
            Entry::Reply { .. } => None,
        }
    }

    /// The ConvInfo array an event or group callback carries.
    fn convs(&self) -> Vec<Value> {
        let json = match self {
            Entry::Event { json, .. }
            | Entry::GroupCreated { json, .. }
            | Entry::AddedToGroup { json, .. }
            | Entry::DeletedFromGroup { json, .. } => json,
            other => panic!("{other:?} carries no conversations"),
        };
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Array(a)) => a,
            _ => panic!("not a JSON array of ConvInfo: {json:?} in {self:?}"),
        }
    }
}

static LOG: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static LOG_CV: Condvar = Condvar::new();
static NEXT_TAG: AtomicUsize = AtomicUsize::new(1_000_000);

/// The `user_data` of this file's standard listeners.
const SINK: usize = 7;

/// Every delivery made on another thread than the library's callback thread.
static OFF_THREAD: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn push(e: Entry) {
    let name = os_thread_name();
    if name.as_deref() != Some("ImSDK-callback") {
        OFF_THREAD.lock().push(format!("{} on {name:?}", e.shape()));
    }
    LOG.lock().push(e);
    LOG_CV.notify_all();
}

unsafe extern "C" fn log_event(kind: c_int, json: *const c_char, ud: *const c_void) {
    push(Entry::Event {
        ud: ud as usize,
        kind,
        json: cstr_lossy(json),
    });
}

unsafe extern "C" fn log_group_created(name: *const c_char, arr: *const c_char, ud: *const c_void) {
    push(Entry::GroupCreated {
        ud: ud as usize,
        name: cstr_lossy(name),
        json: cstr_lossy(arr),
    });
}

unsafe extern "C" fn log_group_deleted(name: *const c_char, ud: *const c_void) {
    push(Entry::GroupDeleted {
        ud: ud as usize,
        name: cstr_lossy(name),
    });
}

unsafe extern "C" fn log_group_renamed(old: *const c_char, new: *const c_char, ud: *const c_void) {
    push(Entry::GroupRenamed {
        ud: ud as usize,
        old: cstr_lossy(old),
        new: cstr_lossy(new),
    });
}

unsafe extern "C" fn log_added(name: *const c_char, arr: *const c_char, ud: *const c_void) {
    push(Entry::AddedToGroup {
        ud: ud as usize,
        name: cstr_lossy(name),
        json: cstr_lossy(arr),
    });
}

unsafe extern "C" fn log_removed(
    name: *const c_char,
    arr: *const c_char,
    reason: u32,
    ud: *const c_void,
) {
    push(Entry::DeletedFromGroup {
        ud: ud as usize,
        name: cstr_lossy(name),
        json: cstr_lossy(arr),
        reason,
    });
}

unsafe extern "C" fn log_reply(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    push(Entry::Reply {
        tag: ud as usize,
        code,
        desc: cstr_lossy(desc),
        json: cstr_lossy(json),
    });
}

/// Sets the five group listeners (not the event listener).
fn listen_groups(ud: usize) {
    let ud = ud as *const c_void;
    unsafe {
        TIMSetConvConversationGroupCreatedCallback(Some(log_group_created), ud);
        TIMSetConvConversationGroupDeletedCallback(Some(log_group_deleted), ud);
        TIMSetConvConversationGroupNameChangedCallback(Some(log_group_renamed), ud);
        TIMSetConvConversationsAddedToGroupCallback(Some(log_added), ud);
        TIMSetConvConversationsDeletedFromGroupCallback(Some(log_removed), ud);
    }
}

fn unlisten_groups() {
    unsafe {
        TIMSetConvConversationGroupCreatedCallback(None, std::ptr::null());
        TIMSetConvConversationGroupDeletedCallback(None, std::ptr::null());
        TIMSetConvConversationGroupNameChangedCallback(None, std::ptr::null());
        TIMSetConvConversationsAddedToGroupCallback(None, std::ptr::null());
        TIMSetConvConversationsDeletedFromGroupCallback(None, std::ptr::null());
    }
}

fn listen_all() {
    unsafe { TIMSetConvEventCallback(Some(log_event), SINK as *const c_void) };
    listen_groups(SINK);
}

// ---------------------------------------------------------------------------
// Calls.

/// Waits for every callback queued so far (callbacks are FIFO), without
/// parsing the list. `None` if it could not.
fn try_barrier() -> Option<()> {
    let p = Pending::new();
    let rc = unsafe { TIMConvGetConvList(Some(on_reply), p.ud()) };
    if rc != SUCC {
        return None;
    }
    let deadline = Instant::now() + TIMEOUT;
    while p.count() == 0 {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Some(())
}

fn barrier() {
    try_barrier().expect("barrier (TIMConvGetConvList) failed");
}

fn wait_tag(tag: usize, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut log = LOG.lock();
    loop {
        if log
            .iter()
            .any(|e| matches!(e, Entry::Reply { tag: t, .. } if *t == tag))
        {
            return true;
        }
        if LOG_CV.wait_until(&mut log, deadline).timed_out() {
            return log
                .iter()
                .any(|e| matches!(e, Entry::Reply { tag: t, .. } if *t == tag));
        }
    }
}

#[derive(Debug, Clone)]
struct Rep {
    code: i32,
    desc: String,
    json: String,
}

impl Rep {
    fn value(&self) -> Value {
        serde_json::from_str(&self.json)
            .unwrap_or_else(|e| panic!("bad callback JSON {e}: {:?}", self.json))
    }
}

/// One call: its return code and everything delivered from its start until
/// a barrier after its callback.
#[derive(Debug)]
struct Out {
    what: String,
    rc: c_int,
    tag: usize,
    log: Vec<Entry>,
}

impl Out {
    /// The call's one callback, which must come last, after its events.
    fn reply(&self) -> Rep {
        assert_eq!(
            self.rc, SUCC,
            "{}: refused synchronously; delivered {:?}",
            self.what, self.log
        );
        let mine: Vec<usize> = self
            .log
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Entry::Reply { tag, .. } if *tag == self.tag))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "{}: one callback per call: {:?}",
            self.what,
            self.log
        );
        assert_eq!(
            mine[0],
            self.log.len() - 1,
            "{}: the callback comes after every event of the change, and nothing after it: {:?}",
            self.what,
            self.log
        );
        match &self.log[mine[0]] {
            Entry::Reply {
                code, desc, json, ..
            } => Rep {
                code: *code,
                desc: desc.clone(),
                json: json.clone(),
            },
            _ => unreachable!(),
        }
    }

    /// Accepted and called back with `code`.
    fn code(&self, code: i32) -> Rep {
        let r = self.reply();
        assert_eq!(
            r.code, code,
            "{}: callback code (desc {:?}, json {:?})",
            self.what, r.desc, r.json
        );
        if code != 0 {
            assert!(
                !r.desc.is_empty(),
                "{}: an error comes with a desc",
                self.what
            );
        }
        r
    }

    /// Accepted, called back with `code`, and nothing else delivered.
    fn only(&self, code: i32) -> Rep {
        let r = self.code(code);
        assert!(
            self.events().is_empty(),
            "{}: expected no event or listener call, got {:?}",
            self.what,
            self.events()
        );
        r
    }

    /// Everything delivered before the callback.
    fn events(&self) -> &[Entry] {
        self.reply();
        &self.log[..self.log.len() - 1]
    }

    /// The shape of what was delivered, e.g. `["update", "reply"]`.
    fn shape(&self) -> Vec<&'static str> {
        self.log.iter().map(Entry::shape).collect()
    }

    /// Refused with `rc`: no callback, no event.
    fn refused(&self, rc: c_int) {
        assert_eq!(
            self.rc, rc,
            "{}: return code; delivered {:?}",
            self.what, self.log
        );
        assert!(
            self.log.is_empty(),
            "{}: a refused call calls nothing back: {:?}",
            self.what,
            self.log
        );
    }
}

/// Runs one call with [`log_reply`] and a fresh tag as user_data.
fn call(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) -> Out {
    barrier();
    LOG.lock().clear();
    let tag = NEXT_TAG.fetch_add(1, Ordering::SeqCst);
    let rc = f(Some(log_reply), tag as *const c_void);
    if rc == SUCC {
        assert!(
            wait_tag(tag, TIMEOUT),
            "{what}: no callback within {TIMEOUT:?}"
        );
    }
    barrier();
    let log = std::mem::take(&mut *LOG.lock());
    Out {
        what: what.to_owned(),
        rc,
        tag,
        log,
    }
}

/// As [`call`], but never panics: for clean-up (which also runs while a
/// failed test unwinds). `None` unless called back with code 0.
fn try_call(f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) -> Option<Rep> {
    let tag = NEXT_TAG.fetch_add(1, Ordering::SeqCst);
    let rc = f(Some(log_reply), tag as *const c_void);
    if rc != SUCC || !wait_tag(tag, TIMEOUT) {
        return None;
    }
    let log = LOG.lock();
    log.iter().find_map(|e| match e {
        Entry::Reply {
            tag: t,
            code: 0,
            desc,
            json,
        } if *t == tag => Some(Rep {
            code: 0,
            desc: desc.clone(),
            json: json.clone(),
        }),
        _ => None,
    })
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn pin(id: &str, ty: i32, on: bool) -> Out {
    let cid = cs(id);
    call(&format!("pin({id}, {ty}, {on})"), |cb, ud| unsafe {
        TIMConvPinConversation(cid.as_ptr(), ty, on, cb, ud)
    })
}

fn mark(arr: &str, bits: u64, on: bool) -> Out {
    let a = cs(arr);
    call(&format!("mark({arr}, {bits:#x}, {on})"), |cb, ud| unsafe {
        TIMConvMarkConversation(a.as_ptr(), bits, on, cb, ud)
    })
}

fn custom(arr: &str, data: &str) -> Out {
    let a = cs(arr);
    let d = cs(data);
    call(&format!("custom({arr}, {data:?})"), |cb, ud| unsafe {
        TIMConvSetConversationCustomData(a.as_ptr(), d.as_ptr(), cb, ud)
    })
}

fn del_list(arr: &str, clear: bool) -> Out {
    let a = cs(arr);
    call(&format!("delete_list({arr}, {clear})"), |cb, ud| unsafe {
        TIMConvDeleteConversationList(a.as_ptr(), clear, cb, ud)
    })
}

fn group_create(name: &str, arr: &str) -> Out {
    let n = cs(name);
    let a = cs(arr);
    call(&format!("group_create({name:?}, {arr})"), |cb, ud| unsafe {
        TIMConvCreateConversationGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    })
}

fn group_delete(name: &str) -> Out {
    let n = cs(name);
    call(&format!("group_delete({name:?})"), |cb, ud| unsafe {
        TIMConvDeleteConversationGroup(n.as_ptr(), cb, ud)
    })
}

fn group_rename(old: &str, new: &str) -> Out {
    let o = cs(old);
    let n = cs(new);
    call(
        &format!("group_rename({old:?}, {new:?})"),
        |cb, ud| unsafe { TIMConvRenameConversationGroup(o.as_ptr(), n.as_ptr(), cb, ud) },
    )
}

fn group_add(name: &str, arr: &str) -> Out {
    let n = cs(name);
    let a = cs(arr);
    call(&format!("group_add({name:?}, {arr})"), |cb, ud| unsafe {
        TIMConvAddConversationsToGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    })
}

fn group_remove(name: &str, arr: &str) -> Out {
    let n = cs(name);
    let a = cs(arr);
    call(&format!("group_remove({name:?}, {arr})"), |cb, ud| unsafe {
        TIMConvDeleteConversationsFromGroup(n.as_ptr(), a.as_ptr(), cb, ud)
    })
}

fn conv_info(param: &str) -> Out {
    let p = cs(param);
    call(&format!("get_conv_info({param})"), |cb, ud| unsafe {
        TIMConvGetConvInfo(p.as_ptr(), cb, ud)
    })
}

fn by_filter(filter: &str, seq: u64, count: u32) -> Out {
    let f = cs(filter);
    call(
        &format!("by_filter({filter}, {seq}, {count})"),
        |cb, ud| unsafe { TIMConvGetConversationListByFilter(f.as_ptr(), seq, count, cb, ud) },
    )
}

/// The group names, in creation order.
fn groups() -> Vec<String> {
    let out = call("group_list", |cb, ud| unsafe {
        TIMConvGetConversationGroupList(cb, ud)
    });
    let r = out.only(0);
    serde_json::from_str::<Vec<String>>(&r.json)
        .unwrap_or_else(|e| panic!("group list is not an array of strings ({e}): {:?}", r.json))
}

/// One page: (conversations, next_seq, is_finished).
fn page(filter: &str, seq: u64, count: u32) -> (Vec<Value>, u64, bool) {
    let out = by_filter(filter, seq, count);
    let v = out.only(0).value();
    let list = v["conversation_list_result_conv_list"]
        .as_array()
        .unwrap_or_else(|| panic!("no conversation_list_result_conv_list array in {v}"))
        .clone();
    let next = v["conversation_list_result_next_seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no u64 conversation_list_result_next_seq in {v}"));
    let fin = v["conversation_list_result_is_finished"]
        .as_bool()
        .unwrap_or_else(|| panic!("no bool conversation_list_result_is_finished in {v}"));
    assert!(
        list.len() <= count as usize,
        "a page holds at most count ({count}) conversations, got {}",
        list.len()
    );
    (list, next, fin)
}

/// Walks a filter from next_seq 0 to is_finished.
fn walk(filter: &str, count: u32) -> Vec<Value> {
    let mut all = Vec::new();
    let mut seq = 0;
    for _ in 0..10_000 {
        let (list, next, fin) = page(filter, seq, count);
        all.extend(list);
        if fin {
            return all;
        }
        seq = next;
    }
    panic!("walk of {filter} with count {count} never finished");
}

fn ids_of(convs: &[Value]) -> Vec<String> {
    convs
        .iter()
        .map(|v| v["conv_id"].as_str().unwrap().to_owned())
        .collect()
}

fn key_set(convs: &[Value]) -> BTreeSet<(String, i64)> {
    convs.iter().map(conv_key).collect()
}

fn keys(items: &[(&str, i32)]) -> BTreeSet<(String, i64)> {
    items
        .iter()
        .map(|(id, ty)| (id.to_string(), *ty as i64))
        .collect()
}

/// Asserts the results: ids as given and codes, in request order; info ""
/// exactly on success.
fn assert_results(what: &str, r: &Rep, expect: &[(&str, i32)]) {
    assert_eq!(r.code, 0, "{what}: callback code ({:?})", r.desc);
    let got = op_results(&r.json);
    let got_codes: Vec<(&str, i64)> = got.iter().map(|(id, c, _)| (id.as_str(), *c)).collect();
    let want: Vec<(&str, i64)> = expect.iter().map(|(id, c)| (*id, *c as i64)).collect();
    assert_eq!(got_codes, want, "{what}: per-id results, in request order");
    for (id, code, info) in &got {
        if *code == 0 {
            assert_eq!(info, "", "{what}: result_info of {id} on success");
        } else {
            assert!(
                !info.is_empty(),
                "{what}: result_info of {id} (code {code})"
            );
        }
    }
}

/// Every ConvInfo in `convs` equals the listed one now.
fn assert_current(what: &str, convs: &[Value]) {
    let all = list();
    for v in convs {
        let k = conv_key(v);
        let now = all
            .iter()
            .find(|x| conv_key(x) == k)
            .unwrap_or_else(|| panic!("{what}: {k:?} is not listed"));
        assert_eq!(
            v, now,
            "{what}: the payload shows the state after the change"
        );
    }
}

/// The one event of `kind` in `out`, which must be the only event of any
/// conversation-event kind; returns its ConvInfo array.
fn one_event(out: &Out, kind: c_int) -> Vec<Value> {
    let evs: Vec<&Entry> = out
        .events()
        .iter()
        .filter(|e| matches!(e, Entry::Event { .. }))
        .collect();
    assert_eq!(
        evs.len(),
        1,
        "{}: exactly one conversation event: {:?}",
        out.what,
        out.log
    );
    match evs[0] {
        Entry::Event { kind: k, ud, .. } => {
            assert_eq!((*k, *ud), (kind, SINK), "{}: event kind", out.what)
        }
        _ => unreachable!(),
    }
    evs[0].convs()
}

fn state() -> (Vec<Value>, Vec<String>) {
    (list(), groups())
}

fn create_many(prefix: &str, n: usize, ty: i32) -> Vec<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    for id in &ids {
        let cid = cs(id);
        assert_eq!(
            unsafe { TIMConvCreate(cid.as_ptr(), ty, None, std::ptr::null()) },
            SUCC
        );
    }
    barrier();
    ids
}

fn cc(id: &str) -> String {
    conv_key_id(C2C, id)
}

fn gg(id: &str) -> String {
    conv_key_id(GROUP, id)
}

fn arr(ids: &[&str]) -> String {
    json_strings(ids)
}

// ---------------------------------------------------------------------------
// Serialization and clean-up.

/// Deletes every group and every conversation. Never panics.
fn wipe() {
    if let Some(r) = try_call(|cb, ud| unsafe { TIMConvGetConversationGroupList(cb, ud) }) {
        if let Ok(names) = serde_json::from_str::<Vec<String>>(&r.json) {
            for n in names {
                if let Ok(n) = CString::new(n) {
                    try_call(|cb, ud| unsafe {
                        TIMConvDeleteConversationGroup(n.as_ptr(), cb, ud)
                    });
                }
            }
        }
    }
    if let Some(r) = try_call(|cb, ud| unsafe { TIMConvGetConvList(cb, ud) }) {
        if let Ok(Value::Array(all)) = serde_json::from_str::<Value>(&r.json) {
            for v in all {
                let (Some(id), Some(ty)) = (v["conv_id"].as_str(), v["conv_type"].as_i64()) else {
                    continue;
                };
                if let Ok(id) = CString::new(id) {
                    unsafe { TIMConvDelete(id.as_ptr(), ty as c_int, None, std::ptr::null()) };
                }
            }
        }
    }
    try_barrier();
    LOG.lock().clear();
}

struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Serial {
    fn drop(&mut self) {
        listen_all();
        wipe();
    }
}

fn serial() -> Serial {
    static SERIAL: Mutex<()> = Mutex::new(());
    let g = SERIAL.lock();
    listen_all();
    wipe();
    Serial(g)
}

// ---------------------------------------------------------------------------
// The batch-API conventions, for every batch API.

/// The six batch APIs, each given a `conversation_id_array` text. The group
/// ones work on `group` (which must exist, except for creation).
type BatchOp<'a> = Box<dyn Fn(&str) -> Out + 'a>;

fn batch_ops(group: &str) -> Vec<(&'static str, BatchOp<'_>)> {
    vec![
        ("mark", Box::new(|a: &str| mark(a, 1, true))),
        ("custom_data", Box::new(|a: &str| custom(a, "x"))),
        ("delete_list", Box::new(|a: &str| del_list(a, false))),
        (
            "create_group",
            Box::new(|a: &str| group_create("mod_batch_new_group", a)),
        ),
        ("add_to_group", Box::new(move |a: &str| group_add(group, a))),
        (
            "delete_from_group",
            Box::new(move |a: &str| group_remove(group, a)),
        ),
    ]
}

#[test]
fn batch_apis_refuse_null_and_malformed_arrays_synchronously() {
    let _s = serial();
    create_ok("mod_bad_a", C2C);
    let g = group_create("mod_bad_g", &arr(&[&cc("mod_bad_a")]));
    assert_results("create", &g.code(0), &[("c2c_mod_bad_a", 0)]);
    let before = state();
    let mut wrong = Vec::new();
    for (name, op) in batch_ops("mod_bad_g") {
        for bad in [
            "",
            "{",
            "[",
            "{}",
            "\"c2c_mod_bad_a\"",
            "1",
            "null",
            "[1]",
            "[\"c2c_mod_bad_a\", 2]",
            "[\"c2c_mod_bad_a\", null]",
            "[[\"c2c_mod_bad_a\"]]",
            "[{\"id\": \"c2c_mod_bad_a\"}]",
            "[\"c2c_mod_bad_a\"] x",
        ] {
            let out = op(bad);
            if out.rc != ERR_JSON || !out.log.is_empty() {
                wrong.push(format!(
                    "{name}({bad:?}): rc {} then {:?}",
                    out.rc,
                    out.shape()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "expected TIM_ERR_JSON and no callback:\n{}",
        wrong.join("\n")
    );
    // NULL arrays.
    let n = cs("mod_bad_g");
    let x = cs("x");
    let nul = std::ptr::null();
    let nulls: Vec<(&str, Out)> = vec![
        (
            "mark",
            call("mark(NULL)", |cb, ud| unsafe {
                TIMConvMarkConversation(nul, 1, true, cb, ud)
            }),
        ),
        (
            "custom",
            call("custom(NULL)", |cb, ud| unsafe {
                TIMConvSetConversationCustomData(nul, x.as_ptr(), cb, ud)
            }),
        ),
        (
            "delete_list",
            call("delete_list(NULL)", |cb, ud| unsafe {
                TIMConvDeleteConversationList(nul, false, cb, ud)
            }),
        ),
        (
            "create_group",
            call("create_group(NULL array)", |cb, ud| unsafe {
                TIMConvCreateConversationGroup(x.as_ptr(), nul, cb, ud)
            }),
        ),
        (
            "add_to_group",
            call("add(NULL array)", |cb, ud| unsafe {
                TIMConvAddConversationsToGroup(n.as_ptr(), nul, cb, ud)
            }),
        ),
        (
            "delete_from_group",
            call("remove(NULL array)", |cb, ud| unsafe {
                TIMConvDeleteConversationsFromGroup(n.as_ptr(), nul, cb, ud)
            }),
        ),
    ];
    for (_, out) in &nulls {
        out.refused(ERR_PARAM);
    }
    assert_eq!(state(), before, "refused calls change nothing");
}

/// Malformed conversation ids, each answered 6017 in its place.
fn malformed_ids() -> Vec<String> {
    vec![
        "mod_res_a".into(),
        "".into(),
        "c2c_".into(),
        "group_".into(),
        "C2C_mod_res_a".into(),
        "c2c".into(),
        "grp_mod_res_b".into(),
        " c2c_mod_res_a".into(),
        format!("c2c_{}", "x".repeat(129)),
        format!("group_{}", "y".repeat(129)),
    ]
}

#[test]
fn batch_apis_answer_one_result_per_id_in_request_order_and_apply_the_valid_ones() {
    let _s = serial();
    create_ok("mod_res_a", C2C);
    create_ok("mod_res_b", GROUP);
    let long_missing = format!("c2c_{}", "m".repeat(128));
    let mut req: Vec<String> = vec![cc("mod_res_a")];
    req.extend(malformed_ids());
    req.extend([
        gg("mod_res_b"),
        cc("mod_res_missing"),
        gg("mod_res_a"), // exists as C2C only
        cc("mod_res_b"), // exists as Group only
        long_missing.clone(),
    ]);
    let req_refs: Vec<&str> = req.iter().map(String::as_str).collect();
    let expect = |ok: i32| -> Vec<(&str, i32)> {
        let mut v = vec![(req_refs[0], ok)];
        for m in &req_refs[1..=malformed_ids().len()] {
            v.push((*m, E_INVALID_PARAMS));
        }
        let rest = &req_refs[malformed_ids().len() + 1..];
        v.push((rest[0], ok));
        for m in &rest[1..] {
            v.push((*m, E_INVALID_CONV));
        }
        v
    };
    let a = json_strings(&req_refs);

    let out = mark(&a, 2, true);
    assert_results("mark", &out.code(0), &expect(0));
    assert_eq!(
        key_set(&one_event(&out, UPDATE)),
        keys(&[("mod_res_a", C2C), ("mod_res_b", GROUP)])
    );
    assert_eq!(mark_values(&find("mod_res_a", C2C).unwrap()), [2]);
    assert_eq!(mark_values(&find("mod_res_b", GROUP).unwrap()), [2]);

    let out = custom(&a, "data");
    assert_results("custom", &out.code(0), &expect(0));
    assert_eq!(one_event(&out, UPDATE).len(), 2);
    assert_eq!(find("mod_res_a", C2C).unwrap()["conv_custom_data"], "data");
    assert_eq!(
        find("mod_res_b", GROUP).unwrap()["conv_custom_data"],
        "data"
    );

    let out = group_create("mod_res_g", &a);
    assert_results("create_group", &out.code(0), &expect(0));
    assert_eq!(groups(), ["mod_res_g"]);
    assert_eq!(conv_groups(&find("mod_res_a", C2C).unwrap()), ["mod_res_g"]);
    assert_eq!(
        conv_groups(&find("mod_res_b", GROUP).unwrap()),
        ["mod_res_g"]
    );

    let out = group_remove("mod_res_g", &a);
    assert_results("delete_from_group", &out.code(0), &expect(0));
    assert!(conv_groups(&find("mod_res_a", C2C).unwrap()).is_empty());
    assert!(conv_groups(&find("mod_res_b", GROUP).unwrap()).is_empty());

    let out = group_add("mod_res_g", &a);
    assert_results("add_to_group", &out.code(0), &expect(0));
    assert_eq!(conv_groups(&find("mod_res_a", C2C).unwrap()), ["mod_res_g"]);
    assert_eq!(
        conv_groups(&find("mod_res_b", GROUP).unwrap()),
        ["mod_res_g"]
    );

    let out = del_list(&a, false);
    assert_results("delete_list", &out.code(0), &expect(0));
    assert_eq!(one_event(&out, DEL).len(), 2);
    assert!(listed("mod_res_").is_empty());
}

#[test]
fn batch_apis_over_100_ids_answer_51006_and_apply_nothing() {
    let _s = serial();
    let ids = create_many("mod_100_", 101, C2C);
    let cids: Vec<String> = ids.iter().map(|i| cc(i)).collect();
    let refs: Vec<&str> = cids.iter().map(String::as_str).collect();
    let g = group_create("mod_100_g", &arr(&[refs[0]]));
    assert_results("create", &g.code(0), &[(refs[0], 0)]);
    let over = json_strings(&refs);
    let before = state();
    for (name, op) in batch_ops("mod_100_g") {
        let out = op(&over);
        let r = out.only(E_BATCH_OVER_100);
        assert_eq!(r.json, "", "{name}: json of a refused batch");
        assert_eq!(state(), before, "{name} with 101 ids applied something");
    }
    // Exactly 100 is accepted.
    let hundred = json_strings(&refs[1..]);
    let out = mark(&hundred, 1, true);
    let r = out.code(0);
    assert_eq!(op_results(&r.json).len(), 100);
    assert_eq!(
        one_event(&out, UPDATE).len(),
        100,
        "one event lists all 100"
    );
    let out = custom(&hundred, "c");
    assert_eq!(op_results(&out.code(0).json).len(), 100);
    let out = group_add("mod_100_g", &hundred);
    assert_eq!(op_results(&out.code(0).json).len(), 100);
    let out = group_remove("mod_100_g", &hundred);
    assert_eq!(op_results(&out.code(0).json).len(), 100);
    let out = group_create("mod_100_h", &hundred);
    assert_eq!(op_results(&out.code(0).json).len(), 100);
    let out = del_list(&hundred, false);
    assert_eq!(op_results(&out.code(0).json).len(), 100);
    assert_eq!(
        one_event(&out, DEL).len(),
        100,
        "one Del event lists all 100"
    );
    assert_eq!(listed("mod_100_").len(), 1);
}

#[test]
fn batch_apis_with_an_empty_array_answer_an_empty_result() {
    let _s = serial();
    create_ok("mod_empty_a", C2C);
    let g = group_create("mod_empty_g", &arr(&[&cc("mod_empty_a")]));
    g.code(0);
    let before = state();
    for (name, op) in batch_ops("mod_empty_g") {
        let out = op("[]");
        if name == "create_group" {
            out.only(E_INVALID_PARAMS);
        } else {
            let r = out.only(0);
            assert_eq!(r.json, "[]", "{name} with []");
        }
        assert_eq!(state(), before, "{name} with [] changed something");
    }
}

// ---------------------------------------------------------------------------
// TIMConvGetConvInfo.

fn info_param(items: &[(&str, i32)]) -> String {
    serde_json::to_string(
        &items
            .iter()
            .map(|(id, ty)| {
                json!({"get_conversation_list_param_conv_id": id,
                       "get_conversation_list_param_conv_type": ty})
            })
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

#[test]
fn get_conv_info_answers_in_request_order_and_leaves_missing_ones_out() {
    let _s = serial();
    create_ok("mod_info_a", C2C);
    create_ok("mod_info_b", C2C);
    create_ok("mod_info_g", GROUP);
    assert_eq!(set_draft("mod_info_b", C2C, &draft("d")), SUCC);
    let before = state();
    let out = conv_info(&info_param(&[
        ("mod_info_g", GROUP),
        ("mod_info_missing", C2C),
        ("mod_info_a", C2C),
        ("mod_info_b", GROUP), // exists as C2C only
        ("mod_info_b", C2C),
    ]));
    let got = match out.only(0).value() {
        Value::Array(a) => a,
        v => panic!("not an array: {v}"),
    };
    assert_eq!(ids_of(&got), ["mod_info_g", "mod_info_a", "mod_info_b"]);
    assert_eq!(got[0]["conv_type"], GROUP);
    assert_eq!(got[2]["conv_type"], C2C);
    assert_current("get_conv_info", &got);
    assert_eq!(got[2]["conv_is_has_draft"], true);
    assert_eq!(state(), before, "missing conversations are not created");
    // Only missing ones: an empty array.
    let out = conv_info(&info_param(&[("mod_info_none", C2C)]));
    assert_eq!(out.only(0).value(), json!([]));
    assert!(find("mod_info_none", C2C).is_none());
}

#[test]
fn get_conv_info_refuses_malformed_params() {
    let _s = serial();
    create_ok("mod_infobad", C2C);
    let nul = std::ptr::null();
    call("get_conv_info(NULL)", |cb, ud| unsafe {
        TIMConvGetConvInfo(nul, cb, ud)
    })
    .refused(ERR_PARAM);
    let mut wrong = Vec::new();
    for bad in [
        "",
        "[",
        "{}",
        "null",
        "1",
        "\"mod_infobad\"",
        "[1]",
        "[\"mod_infobad\"]",
        "[{}]",
        r#"{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":1}"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad"}]"#,
        r#"[{"get_conversation_list_param_conv_type":1}]"#,
        r#"[{"get_conversation_list_param_conv_id":1,"get_conversation_list_param_conv_type":1}]"#,
        r#"[{"get_conversation_list_param_conv_id":null,"get_conversation_list_param_conv_type":1}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":"1"}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":0}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":3}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":-1}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":1.5}]"#,
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":1},2]"#,
    ] {
        let out = conv_info(bad);
        if out.rc != ERR_JSON || !out.log.is_empty() {
            wrong.push(format!("{bad}: rc {} then {:?}", out.rc, out.shape()));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected TIM_ERR_JSON and no callback:\n{}",
        wrong.join("\n")
    );
    // Unknown keys are tolerated.
    let out = conv_info(
        r#"[{"get_conversation_list_param_conv_id":"mod_infobad","get_conversation_list_param_conv_type":1,"extra":true}]"#,
    );
    assert_eq!(
        ids_of(out.only(0).value().as_array().unwrap()),
        ["mod_infobad"]
    );
}

// ---------------------------------------------------------------------------
// TIMConvPinConversation.

fn ids(prefix: &str) -> Vec<String> {
    listed(prefix).into_iter().map(|x| x.0).collect()
}

fn active(id: &str, ty: i32) -> u64 {
    find(id, ty).unwrap()["conv_active_time"].as_u64().unwrap()
}

#[test]
fn pinned_conversations_list_first_in_their_relative_order() {
    let _s = serial();
    let p = "mod_pinord_";
    for i in 1..=5 {
        create_ok(&format!("{p}{i}"), C2C);
    }
    let n = |v: &[u32]| v.iter().map(|i| format!("{p}{i}")).collect::<Vec<_>>();
    assert_eq!(ids(p), n(&[5, 4, 3, 2, 1]));
    let before: HashMap<String, u64> = n(&[1, 2, 3, 4, 5])
        .into_iter()
        .map(|id| {
            let t = active(&id, C2C);
            (id, t)
        })
        .collect();
    for (id, t) in &before {
        assert_eq!(t & PIN_BIT, 0, "{id} is not pinned yet");
    }

    pin(&format!("{p}2"), C2C, true).code(0);
    assert_eq!(ids(p), n(&[2, 5, 4, 3, 1]));
    pin(&format!("{p}3"), C2C, true).code(0);
    assert_eq!(ids(p), n(&[3, 2, 5, 4, 1]), "pinning does not activate");
    for i in [2, 3] {
        let id = format!("{p}{i}");
        let v = find(&id, C2C).unwrap();
        assert_eq!(v["conv_is_pinned"], true);
        assert_eq!(
            v["conv_active_time"].as_u64().unwrap(),
            before[&id] | PIN_BIT,
            "{id}: pinned = bit 62 added to its order key"
        );
    }
    for i in [1, 4, 5] {
        let id = format!("{p}{i}");
        let v = find(&id, C2C).unwrap();
        assert_eq!(v["conv_is_pinned"], false);
        assert_eq!(v["conv_active_time"].as_u64().unwrap(), before[&id]);
    }
    // conv_active_time descending is the list order.
    let all = list();
    let times: Vec<u64> = all
        .iter()
        .map(|v| v["conv_active_time"].as_u64().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);

    // An activation moves a pinned one to the top of the pinned ones, an
    // unpinned one to the top of the unpinned ones.
    assert_eq!(set_draft(&format!("{p}2"), C2C, &draft("x")), SUCC);
    assert_eq!(ids(p), n(&[2, 3, 5, 4, 1]));
    assert_eq!(find(&format!("{p}2"), C2C).unwrap()["conv_is_pinned"], true);
    assert_ne!(active(&format!("{p}2"), C2C) & PIN_BIT, 0);
    assert_eq!(set_draft(&format!("{p}1"), C2C, &draft("y")), SUCC);
    assert_eq!(ids(p), n(&[2, 3, 1, 5, 4]));

    // Unpinning clears both and puts it back by activation order.
    pin(&format!("{p}3"), C2C, false).code(0);
    assert_eq!(ids(p), n(&[2, 1, 5, 4, 3]));
    let v = find(&format!("{p}3"), C2C).unwrap();
    assert_eq!(v["conv_is_pinned"], false);
    assert_eq!(
        v["conv_active_time"].as_u64().unwrap(),
        before[&format!("{p}3")]
    );
    pin(&format!("{p}2"), C2C, false).code(0);
    assert_eq!(ids(p), n(&[1, 2, 5, 4, 3]), "1 was activated after 2");
    assert_eq!(active(&format!("{p}2"), C2C) & PIN_BIT, 0);
}

#[test]
fn pin_fires_one_update_before_its_callback_and_a_no_op_fires_nothing() {
    let _s = serial();
    create_ok("mod_pinev", GROUP);
    let out = pin("mod_pinev", GROUP, true);
    assert_eq!(out.shape(), ["update", "reply"]);
    assert_eq!(out.code(0).json, "");
    let ev = one_event(&out, UPDATE);
    assert_eq!(ids_of(&ev), ["mod_pinev"]);
    assert_eq!(ev[0]["conv_is_pinned"], true);
    assert_current("pin event", &ev);

    let again = pin("mod_pinev", GROUP, true);
    assert_eq!(
        again.only(0).json,
        "",
        "pinning a pinned one: code 0, no event"
    );

    let out = pin("mod_pinev", GROUP, false);
    assert_eq!(out.shape(), ["update", "reply"]);
    assert_eq!(out.code(0).json, "");
    let ev = one_event(&out, UPDATE);
    assert_eq!(ev[0]["conv_is_pinned"], false);
    assert_eq!(ev[0]["conv_active_time"].as_u64().unwrap() & PIN_BIT, 0);
    assert_current("unpin event", &ev);

    assert_eq!(pin("mod_pinev", GROUP, false).only(0).json, "");
}

#[test]
fn pin_refuses_bad_arguments_and_answers_6004_for_a_missing_conversation() {
    let _s = serial();
    create_ok("mod_pinbad", C2C);
    let long = "p".repeat(128);
    create_ok(&long, C2C);
    let before = state();
    let nul = std::ptr::null();
    call("pin(NULL)", |cb, ud| unsafe {
        TIMConvPinConversation(nul, C2C, true, cb, ud)
    })
    .refused(ERR_PARAM);
    pin("", C2C, true).refused(ERR_PARAM);
    pin(&"p".repeat(129), C2C, true).refused(ERR_PARAM);
    for ty in [0, 3, -1, 100] {
        pin("mod_pinbad", ty, true).refused(ERR_PARAM);
    }
    pin("mod_pinbad_missing", C2C, true).only(E_INVALID_CONV);
    pin("mod_pinbad", GROUP, true).only(E_INVALID_CONV);
    pin("mod_pinbad_missing", C2C, false).only(E_INVALID_CONV);
    assert_eq!(state(), before, "refused and failed pins change nothing");
    assert!(find("mod_pinbad_missing", C2C).is_none());
    // 128 bytes is a valid id.
    pin(&long, C2C, true).code(0);
    assert_eq!(find(&long, C2C).unwrap()["conv_is_pinned"], true);
}

#[test]
fn a_null_callback_is_allowed_and_the_operation_still_runs() {
    let _s = serial();
    create_ok("mod_nocb_a", C2C);
    let id = cs("mod_nocb_a");
    let a = cs(&arr(&[&cc("mod_nocb_a")]));
    let g = cs("mod_nocb_g");
    let d = cs("nocb");
    barrier();
    LOG.lock().clear();
    unsafe {
        assert_eq!(
            TIMConvPinConversation(id.as_ptr(), C2C, true, None, std::ptr::null()),
            SUCC
        );
        assert_eq!(
            TIMConvMarkConversation(a.as_ptr(), 1, true, None, std::ptr::null()),
            SUCC
        );
        assert_eq!(
            TIMConvSetConversationCustomData(a.as_ptr(), d.as_ptr(), None, std::ptr::null()),
            SUCC
        );
        assert_eq!(
            TIMConvCreateConversationGroup(g.as_ptr(), a.as_ptr(), None, std::ptr::null()),
            SUCC
        );
    }
    barrier();
    let v = find("mod_nocb_a", C2C).unwrap();
    assert_eq!(v["conv_is_pinned"], true);
    assert_eq!(mark_values(&v), [1]);
    assert_eq!(v["conv_custom_data"], "nocb");
    assert_eq!(conv_groups(&v), ["mod_nocb_g"]);
    let log = std::mem::take(&mut *LOG.lock());
    let shapes: Vec<_> = log.iter().map(Entry::shape).collect();
    assert_eq!(
        shapes,
        ["update", "update", "update", "update", "created"],
        "the events still fire: {log:?}"
    );
    unsafe {
        assert_eq!(
            TIMConvDeleteConversationList(a.as_ptr(), false, None, std::ptr::null()),
            SUCC
        );
    }
    assert!(find("mod_nocb_a", C2C).is_none());
}

// ---------------------------------------------------------------------------
// TIMConvMarkConversation.

#[test]
fn marks_are_set_and_cleared_bit_by_bit_and_listed_ascending_and_exact() {
    let _s = serial();
    create_ok("mod_mark_a", C2C);
    let a = arr(&[&cc("mod_mark_a")]);
    let marks = || mark_values(&find("mod_mark_a", C2C).unwrap());
    assert!(marks().is_empty(), "a new conversation has no marks");

    let out = mark(&a, 1 | 8 | (1 << 40), true);
    assert_results("mark", &out.code(0), &[("c2c_mod_mark_a", 0)]);
    assert_eq!(out.shape(), ["update", "reply"]);
    let ev = one_event(&out, UPDATE);
    assert_eq!(mark_values(&ev[0]), [1, 8, 1_099_511_627_776]);
    assert_current("mark event", &ev);
    assert_eq!(marks(), [1, 8, 1 << 40]);

    mark(&a, 2, true).code(0);
    assert_eq!(marks(), [1, 2, 8, 1 << 40]);
    mark(&a, 8 | (1 << 40), false).code(0);
    assert_eq!(marks(), [1, 2]);
    // Custom bits, up to bit 63, exactly (above 2^53).
    let out = mark(&a, (1 << 63) | (1 << 32) | (1 << 53) | (1 << 54), true);
    out.code(0);
    assert_eq!(
        marks(),
        [1, 2, 1 << 32, 1 << 53, 1 << 54, 9_223_372_036_854_775_808]
    );
    let raw = find("mod_mark_a", C2C).unwrap()["conv_mark_array"].to_string();
    assert!(
        raw.contains("9223372036854775808") && raw.contains("18014398509481984"),
        "exact integers in the JSON text: {raw}"
    );
    // Setting bits already set, clearing bits not set: code 0, no event.
    let r = mark(&a, 1 | 2, true).only(0);
    assert_results("no-op set", &r, &[("c2c_mod_mark_a", 0)]);
    let r = mark(&a, 4 | 8, false).only(0);
    assert_results("no-op clear", &r, &[("c2c_mod_mark_a", 0)]);
    // Every valid bit at once clears everything.
    mark(&a, 0xFFFF_FFFF_0000_000F, false).code(0);
    assert!(marks().is_empty());
    mark(&a, 0xFFFF_FFFF_0000_000F, true).code(0);
    assert_eq!(marks(), mark_bits_to_values(0xFFFF_FFFF_0000_000F));
    assert_eq!(marks().len(), 36);
}

#[test]
fn mark_refuses_mark_types_outside_bits_0_to_3_and_32_to_63() {
    let _s = serial();
    create_ok("mod_markbad", C2C);
    let a = arr(&[&cc("mod_markbad")]);
    mark(&a, 1, true).code(0);
    let before = state();
    let mut wrong = Vec::new();
    for bits in [
        0u64,
        16,
        1 << 4,
        1 << 20,
        1 << 31,
        1 | 16,
        (1 << 63) | (1 << 31),
        u64::MAX,
        0xFFFF_FFF0,
    ] {
        for on in [true, false] {
            let out = mark(&a, bits, on);
            if out.rc != ERR_PARAM || !out.log.is_empty() {
                wrong.push(format!(
                    "{bits:#x} {on}: rc {} then {:?}",
                    out.rc,
                    out.shape()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "expected TIM_ERR_PARAM and no callback:\n{}",
        wrong.join("\n")
    );
    // Arguments are checked in order, the JSON after them: a bad mark type
    // with a malformed array is TIM_ERR_PARAM.
    mark("{", 0, true).refused(ERR_PARAM);
    mark("[1]", 16, true).refused(ERR_PARAM);
    // A valid mark type with a malformed array is TIM_ERR_JSON.
    mark("[1]", 1, true).refused(ERR_JSON);
    assert_eq!(state(), before, "refused marks change nothing");
}

#[test]
fn one_mark_call_fires_one_update_listing_only_the_changed_conversations() {
    let _s = serial();
    for id in ["mod_markmany_a", "mod_markmany_b", "mod_markmany_c"] {
        create_ok(id, C2C);
    }
    create_ok("mod_markmany_g", GROUP);
    mark(&arr(&[&cc("mod_markmany_c")]), 4, true).code(0);
    let all = arr(&[
        &cc("mod_markmany_a"),
        &gg("mod_markmany_g"),
        &cc("mod_markmany_b"),
        &cc("mod_markmany_c"),
    ]);
    let out = mark(&all, 4, true);
    assert_results(
        "mark",
        &out.code(0),
        &[
            ("c2c_mod_markmany_a", 0),
            ("group_mod_markmany_g", 0),
            ("c2c_mod_markmany_b", 0),
            ("c2c_mod_markmany_c", 0),
        ],
    );
    assert_eq!(out.shape(), ["update", "reply"]);
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[
            ("mod_markmany_a", C2C),
            ("mod_markmany_b", C2C),
            ("mod_markmany_g", GROUP)
        ]),
        "c was marked already"
    );
    assert_current("mark event", &ev);
    // Nothing changes: no event.
    let r = mark(&all, 4, true).only(0);
    assert_eq!(op_results(&r.json).len(), 4);
    // Clearing all four: one event with four.
    let out = mark(&all, 4, false);
    out.code(0);
    assert_eq!(one_event(&out, UPDATE).len(), 4);
}

// ---------------------------------------------------------------------------
// TIMConvSetConversationCustomData.

#[test]
fn custom_data_is_set_on_several_and_cleared_by_an_empty_string() {
    let _s = serial();
    create_ok("mod_cd_a", C2C);
    create_ok("mod_cd_b", GROUP);
    assert_eq!(find("mod_cd_a", C2C).unwrap()["conv_custom_data"], "");
    let both = arr(&[&cc("mod_cd_a"), &gg("mod_cd_b")]);
    let data = "quote\" backslash\\ newline\n tab\t unicode é 中";
    let out = custom(&both, data);
    assert_results(
        "custom",
        &out.code(0),
        &[("c2c_mod_cd_a", 0), ("group_mod_cd_b", 0)],
    );
    assert_eq!(out.shape(), ["update", "reply"]);
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_cd_a", C2C), ("mod_cd_b", GROUP)])
    );
    for v in &ev {
        assert_eq!(v["conv_custom_data"], data);
    }
    assert_current("custom event", &ev);
    // The same data again: nothing changes, no event.
    let r = custom(&both, data).only(0);
    assert_eq!(op_results(&r.json).len(), 2);
    // "" clears; only a changes.
    let out = custom(&arr(&[&cc("mod_cd_a")]), "");
    out.code(0);
    let ev = one_event(&out, UPDATE);
    assert_eq!(ids_of(&ev), ["mod_cd_a"]);
    assert_eq!(find("mod_cd_a", C2C).unwrap()["conv_custom_data"], "");
    assert_eq!(find("mod_cd_b", GROUP).unwrap()["conv_custom_data"], data);
    // Custom data does not reorder.
    let order = ids("mod_cd_");
    custom(&both, "z").code(0);
    assert_eq!(ids("mod_cd_"), order);
}

#[test]
fn custom_data_up_to_256_bytes_is_accepted_and_longer_is_6017() {
    let _s = serial();
    create_ok("mod_cdlim", C2C);
    let a = arr(&[&cc("mod_cdlim")]);
    let max = "é".repeat(128); // 256 bytes
    assert_eq!(max.len(), 256);
    custom(&a, &max).code(0);
    assert_eq!(
        find("mod_cdlim", C2C).unwrap()["conv_custom_data"],
        max.as_str()
    );
    let before = state();
    let over = format!("{max}x");
    custom(&a, &over).only(E_INVALID_PARAMS);
    custom(&a, &"y".repeat(1000)).only(E_INVALID_PARAMS);
    assert_eq!(state(), before, "over-long custom data applies nothing");
    // NULL and non-UTF-8: TIM_ERR_PARAM.
    let ac = cs(&a);
    let nul = std::ptr::null();
    call("custom(NULL data)", |cb, ud| unsafe {
        TIMConvSetConversationCustomData(ac.as_ptr(), nul, cb, ud)
    })
    .refused(ERR_PARAM);
    let bad = CString::new(vec![0xC3u8, 0x28]).unwrap();
    call("custom(non-UTF-8)", |cb, ud| unsafe {
        TIMConvSetConversationCustomData(ac.as_ptr(), bad.as_ptr(), cb, ud)
    })
    .refused(ERR_PARAM);
    // Arguments are checked before the JSON: NULL data with a malformed
    // array is TIM_ERR_PARAM.
    let malformed = cs("[1]");
    call("custom(bad array, NULL data)", |cb, ud| unsafe {
        TIMConvSetConversationCustomData(malformed.as_ptr(), nul, cb, ud)
    })
    .refused(ERR_PARAM);
    assert_eq!(state(), before);
}

// ---------------------------------------------------------------------------
// TIMConvDeleteConversationList.

#[test]
fn delete_list_reports_per_id_and_fires_one_del_with_the_last_conv_info() {
    let _s = serial();
    create_ok("mod_dl_a", C2C);
    create_ok("mod_dl_b", GROUP);
    create_ok("mod_dl_c", C2C);
    assert_eq!(set_draft("mod_dl_a", C2C, &draft("last")), SUCC);
    mark(&arr(&[&gg("mod_dl_b")]), 1, true).code(0);
    let last_a = find("mod_dl_a", C2C).unwrap();
    let last_b = find("mod_dl_b", GROUP).unwrap();
    let req = arr(&[
        &cc("mod_dl_a"),
        &cc("mod_dl_a"),
        &gg("mod_dl_b"),
        &cc("mod_dl_missing"),
        "mod_dl_c",
    ]);
    let out = del_list(&req, false);
    assert_results(
        "delete_list",
        &out.code(0),
        &[
            ("c2c_mod_dl_a", 0),
            ("c2c_mod_dl_a", E_INVALID_CONV),
            ("group_mod_dl_b", 0),
            ("c2c_mod_dl_missing", E_INVALID_CONV),
            ("mod_dl_c", E_INVALID_PARAMS),
        ],
    );
    assert_eq!(out.shape(), ["del", "reply"]);
    let ev = one_event(&out, DEL);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_dl_a", C2C), ("mod_dl_b", GROUP)])
    );
    for v in &ev {
        let want = if v["conv_id"] == "mod_dl_a" {
            &last_a
        } else {
            &last_b
        };
        assert_eq!(v, want, "the deleted conversation's last ConvInfo");
    }
    assert_eq!(listed("mod_dl_"), [("mod_dl_c".to_string(), C2C as i64)]);
    // clear_message true works the same.
    let out = del_list(&arr(&[&cc("mod_dl_c")]), true);
    assert_results("delete_list", &out.code(0), &[("c2c_mod_dl_c", 0)]);
    assert_eq!(ids_of(&one_event(&out, DEL)), ["mod_dl_c"]);
    assert!(listed("mod_dl_").is_empty());
    // Nothing to delete: no event.
    let r = del_list(&arr(&[&cc("mod_dl_c")]), false).only(0);
    assert_results("again", &r, &[("c2c_mod_dl_c", E_INVALID_CONV)]);
}

#[test]
fn a_deleted_conversation_leaves_its_groups_with_only_the_del_event_and_comes_back_fresh() {
    let _s = serial();
    create_ok("mod_dg_a", C2C);
    create_ok("mod_dg_b", C2C);
    let both = arr(&[&cc("mod_dg_a"), &cc("mod_dg_b")]);
    group_create("mod_dg_g1", &both).code(0);
    group_create("mod_dg_g2", &arr(&[&cc("mod_dg_a")])).code(0);
    pin("mod_dg_a", C2C, true).code(0);
    mark(&both, 2, true).code(0);
    custom(&both, "cd").code(0);
    assert_eq!(set_draft("mod_dg_a", C2C, &draft("d")), SUCC);
    let last = find("mod_dg_a", C2C).unwrap();
    assert_eq!(conv_groups(&last).len(), 2);

    let id = cs("mod_dg_a");
    let out = call("TIMConvDelete", |cb, ud| unsafe {
        TIMConvDelete(id.as_ptr(), C2C, cb, ud)
    });
    assert_eq!(out.shape(), ["del", "reply"], "only the Del event");
    out.code(0);
    assert_eq!(
        one_event(&out, DEL),
        [last],
        "the last ConvInfo, groups, pin, marks and custom data included"
    );
    let members = walk(
        r#"{"conversation_list_filter_conversation_group":"mod_dg_g1"}"#,
        100,
    );
    assert_eq!(ids_of(&members), ["mod_dg_b"]);
    assert!(walk(
        r#"{"conversation_list_filter_conversation_group":"mod_dg_g2"}"#,
        100
    )
    .is_empty());
    assert_eq!(groups(), ["mod_dg_g1", "mod_dg_g2"], "the groups stay");

    let fresh = create_ok("mod_dg_a", C2C);
    assert_eq!(fresh["conv_is_pinned"], false);
    assert_eq!(fresh["conv_active_time"].as_u64().unwrap() & PIN_BIT, 0);
    assert!(mark_values(&fresh).is_empty());
    assert!(conv_groups(&fresh).is_empty());
    assert_eq!(fresh["conv_custom_data"], "");
    assert_eq!(fresh["conv_is_has_draft"], false);

    // Through the batch API: the same.
    let out = del_list(&arr(&[&cc("mod_dg_b")]), false);
    assert_eq!(out.shape(), ["del", "reply"]);
    assert!(walk(
        r#"{"conversation_list_filter_conversation_group":"mod_dg_g1"}"#,
        100
    )
    .is_empty());
    assert_eq!(groups(), ["mod_dg_g1", "mod_dg_g2"]);
}

// ---------------------------------------------------------------------------
// Conversation groups.

#[test]
fn create_group_fires_update_then_created_then_answers_per_id() {
    let _s = serial();
    create_ok("mod_gc_a", C2C);
    create_ok("mod_gc_b", C2C);
    create_ok("mod_gc_g", GROUP);
    let out = group_create(
        "mod_gc_1",
        &arr(&[
            &cc("mod_gc_a"),
            &gg("mod_gc_g"),
            &cc("mod_gc_missing"),
            "mod_gc_b",
        ]),
    );
    assert_eq!(out.shape(), ["update", "created", "reply"]);
    assert_results(
        "create_group",
        &out.code(0),
        &[
            ("c2c_mod_gc_a", 0),
            ("group_mod_gc_g", 0),
            ("c2c_mod_gc_missing", E_INVALID_CONV),
            ("mod_gc_b", E_INVALID_PARAMS),
        ],
    );
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_gc_a", C2C), ("mod_gc_g", GROUP)])
    );
    for v in &ev {
        assert_eq!(conv_groups(v), ["mod_gc_1"]);
    }
    assert_current("update", &ev);
    let created = &out.events()[1];
    match created {
        Entry::GroupCreated { name, ud, .. } => {
            assert_eq!((name.as_str(), *ud), ("mod_gc_1", SINK))
        }
        other => panic!("{other:?}"),
    }
    let members = created.convs();
    assert_eq!(key_set(&members), key_set(&ev));
    assert_current("created", &members);
    assert!(conv_groups(&find("mod_gc_b", C2C).unwrap()).is_empty());
    assert_eq!(groups(), ["mod_gc_1"]);

    // Every id invalid: the group still exists, no Update, created with [].
    let out = group_create("mod_gc_2", &arr(&["mod_gc_a", &cc("mod_gc_missing")]));
    assert_eq!(out.shape(), ["created", "reply"]);
    assert_results(
        "create_group",
        &out.code(0),
        &[
            ("mod_gc_a", E_INVALID_PARAMS),
            ("c2c_mod_gc_missing", E_INVALID_CONV),
        ],
    );
    assert!(out.events()[0].convs().is_empty());
    assert_eq!(groups(), ["mod_gc_1", "mod_gc_2"]);

    // A conversation in two groups lists both.
    group_add("mod_gc_2", &arr(&[&cc("mod_gc_a")])).code(0);
    let g: BTreeSet<String> = conv_groups(&find("mod_gc_a", C2C).unwrap())
        .into_iter()
        .collect();
    assert_eq!(
        g,
        BTreeSet::from(["mod_gc_1".to_string(), "mod_gc_2".to_string()])
    );
}

#[test]
fn create_group_refusals_and_their_codes() {
    let _s = serial();
    create_ok("mod_gcbad_a", C2C);
    let a = arr(&[&cc("mod_gcbad_a")]);
    group_create("mod_gcbad_exists", &a).code(0);
    let before = state();
    let nul = std::ptr::null();
    let ac = cs(&a);
    call("create_group(NULL name)", |cb, ud| unsafe {
        TIMConvCreateConversationGroup(nul, ac.as_ptr(), cb, ud)
    })
    .refused(ERR_PARAM);
    group_create("mod_gcbad_json", "[1]").refused(ERR_JSON);
    group_create("", &a).only(E_INVALID_PARAMS);
    group_create("mod_gcbad_exists", &a).only(E_INVALID_PARAMS);
    group_create(&"n".repeat(33), &a).only(E_GROUP_NAME_LEN);
    group_create(&"é".repeat(17), &a).only(E_GROUP_NAME_LEN); // 34 bytes
    group_create("mod_gcbad_empty", "[]").only(E_INVALID_PARAMS);
    let many: Vec<String> = (0..101).map(|i| cc(&format!("mod_gcbad_{i}"))).collect();
    group_create("mod_gcbad_many", &json_strings(&many)).only(E_BATCH_OVER_100);
    assert_eq!(state(), before, "refused creations change nothing");
    // 32 bytes is accepted.
    let name32 = "n".repeat(32);
    group_create(&name32, &a).code(0);
    let accented = "é".repeat(16); // 32 bytes, 16 characters
    group_create(&accented, &a).code(0);
    assert_eq!(groups(), ["mod_gcbad_exists".to_string(), name32, accented]);
}

#[test]
fn the_group_list_is_in_creation_order() {
    let _s = serial();
    create_ok("mod_gl_a", C2C);
    let a = arr(&[&cc("mod_gl_a")]);
    assert!(groups().is_empty());
    for name in ["mod_gl_z", "mod_gl_a", "mod_gl_m"] {
        group_create(name, &a).code(0);
    }
    assert_eq!(groups(), ["mod_gl_z", "mod_gl_a", "mod_gl_m"]);
    group_delete("mod_gl_a").code(0);
    assert_eq!(groups(), ["mod_gl_z", "mod_gl_m"]);
}

#[test]
fn delete_group_fires_update_for_its_members_then_deleted() {
    let _s = serial();
    create_ok("mod_gd_a", C2C);
    create_ok("mod_gd_b", GROUP);
    create_ok("mod_gd_c", C2C);
    group_create("mod_gd_1", &arr(&[&cc("mod_gd_a"), &gg("mod_gd_b")])).code(0);
    group_create("mod_gd_2", &arr(&[&cc("mod_gd_a"), &cc("mod_gd_c")])).code(0);
    let before = state();
    group_delete("mod_gd_unknown").only(E_NO_GROUP);
    group_delete("").only(E_NO_GROUP);
    let nul = std::ptr::null();
    call("delete_group(NULL)", |cb, ud| unsafe {
        TIMConvDeleteConversationGroup(nul, cb, ud)
    })
    .refused(ERR_PARAM);
    assert_eq!(state(), before);

    let out = group_delete("mod_gd_1");
    assert_eq!(out.shape(), ["update", "deleted", "reply"]);
    assert_eq!(out.code(0).json, "");
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_gd_a", C2C), ("mod_gd_b", GROUP)])
    );
    assert_eq!(
        conv_groups(ev.iter().find(|v| v["conv_id"] == "mod_gd_a").unwrap()),
        ["mod_gd_2"]
    );
    assert!(conv_groups(ev.iter().find(|v| v["conv_id"] == "mod_gd_b").unwrap()).is_empty());
    assert_current("update", &ev);
    match &out.events()[1] {
        Entry::GroupDeleted { name, ud } => assert_eq!((name.as_str(), *ud), ("mod_gd_1", SINK)),
        other => panic!("{other:?}"),
    }
    assert_eq!(groups(), ["mod_gd_2"]);
    assert_eq!(conv_groups(&find("mod_gd_c", C2C).unwrap()), ["mod_gd_2"]);
    group_delete("mod_gd_1").only(E_NO_GROUP);

    // An empty group: no Update.
    group_remove("mod_gd_2", &arr(&[&cc("mod_gd_a"), &cc("mod_gd_c")])).code(0);
    let out = group_delete("mod_gd_2");
    assert_eq!(out.shape(), ["deleted", "reply"]);
    assert_eq!(out.code(0).json, "");
    assert!(groups().is_empty());
}

#[test]
fn rename_group_refusals_and_the_update_then_name_changed() {
    let _s = serial();
    create_ok("mod_rn_a", C2C);
    create_ok("mod_rn_b", C2C);
    group_create("mod_rn_1", &arr(&[&cc("mod_rn_a"), &cc("mod_rn_b")])).code(0);
    group_create("mod_rn_2", &arr(&[&cc("mod_rn_a")])).code(0);
    let before = state();
    group_rename("mod_rn_unknown", "mod_rn_x").only(E_NO_GROUP);
    group_rename("mod_rn_1", "").only(E_INVALID_PARAMS);
    group_rename("mod_rn_1", "mod_rn_2").only(E_INVALID_PARAMS);
    group_rename("mod_rn_1", &"r".repeat(33)).only(E_GROUP_NAME_LEN);
    let nul = std::ptr::null();
    let x = cs("mod_rn_x");
    let one = cs("mod_rn_1");
    call("rename(NULL old)", |cb, ud| unsafe {
        TIMConvRenameConversationGroup(nul, x.as_ptr(), cb, ud)
    })
    .refused(ERR_PARAM);
    call("rename(NULL new)", |cb, ud| unsafe {
        TIMConvRenameConversationGroup(one.as_ptr(), nul, cb, ud)
    })
    .refused(ERR_PARAM);
    assert_eq!(state(), before, "refused renames change nothing");

    let out = group_rename("mod_rn_1", "mod_rn_3");
    assert_eq!(out.shape(), ["update", "renamed", "reply"]);
    assert_eq!(out.code(0).json, "");
    let ev = one_event(&out, UPDATE);
    assert_eq!(key_set(&ev), keys(&[("mod_rn_a", C2C), ("mod_rn_b", C2C)]));
    assert_current("update", &ev);
    let ga: BTreeSet<String> = conv_groups(&find("mod_rn_a", C2C).unwrap())
        .into_iter()
        .collect();
    assert_eq!(
        ga,
        BTreeSet::from(["mod_rn_2".to_string(), "mod_rn_3".to_string()])
    );
    assert_eq!(conv_groups(&find("mod_rn_b", C2C).unwrap()), ["mod_rn_3"]);
    match &out.events()[1] {
        Entry::GroupRenamed { old, new, ud } => {
            assert_eq!(
                (old.as_str(), new.as_str(), *ud),
                ("mod_rn_1", "mod_rn_3", SINK)
            )
        }
        other => panic!("{other:?}"),
    }
    let names: BTreeSet<String> = groups().into_iter().collect();
    assert_eq!(
        names,
        BTreeSet::from(["mod_rn_2".to_string(), "mod_rn_3".to_string()])
    );
    group_rename("mod_rn_1", "mod_rn_4").only(E_NO_GROUP);
    let members = walk(
        r#"{"conversation_list_filter_conversation_group":"mod_rn_3"}"#,
        100,
    );
    assert_eq!(
        key_set(&members),
        keys(&[("mod_rn_a", C2C), ("mod_rn_b", C2C)])
    );
    assert!(walk(
        r#"{"conversation_list_filter_conversation_group":"mod_rn_1"}"#,
        100
    )
    .is_empty());

    // A 32-byte name; an empty group renames without an Update.
    let name32 = "r".repeat(32);
    group_remove("mod_rn_2", &arr(&[&cc("mod_rn_a")])).code(0);
    let out = group_rename("mod_rn_2", &name32);
    assert_eq!(out.shape(), ["renamed", "reply"]);
    out.code(0);
}

#[test]
fn add_to_group_answers_per_id_and_fires_update_then_added() {
    let _s = serial();
    create_ok("mod_ga_a", C2C);
    create_ok("mod_ga_b", C2C);
    create_ok("mod_ga_g", GROUP);
    group_create("mod_ga_1", &arr(&[&cc("mod_ga_a")])).code(0);
    let before = state();
    group_add("mod_ga_unknown", &arr(&[&cc("mod_ga_b")])).only(E_NO_GROUP);
    let nul = std::ptr::null();
    let b = cs(&arr(&[&cc("mod_ga_b")]));
    call("add(NULL group)", |cb, ud| unsafe {
        TIMConvAddConversationsToGroup(nul, b.as_ptr(), cb, ud)
    })
    .refused(ERR_PARAM);
    assert_eq!(state(), before);

    let out = group_add(
        "mod_ga_1",
        &arr(&[
            &cc("mod_ga_a"),
            &cc("mod_ga_b"),
            &gg("mod_ga_g"),
            &cc("mod_ga_missing"),
            "zz",
        ]),
    );
    assert_eq!(out.shape(), ["update", "added", "reply"]);
    assert_results(
        "add",
        &out.code(0),
        &[
            ("c2c_mod_ga_a", 0),
            ("c2c_mod_ga_b", 0),
            ("group_mod_ga_g", 0),
            ("c2c_mod_ga_missing", E_INVALID_CONV),
            ("zz", E_INVALID_PARAMS),
        ],
    );
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_ga_b", C2C), ("mod_ga_g", GROUP)]),
        "a was a member"
    );
    assert_current("update", &ev);
    let added = &out.events()[1];
    match added {
        Entry::AddedToGroup { name, ud, .. } => {
            assert_eq!((name.as_str(), *ud), ("mod_ga_1", SINK))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(key_set(&added.convs()), key_set(&ev));
    assert_current("added", &added.convs());
    let members = walk(
        r#"{"conversation_list_filter_conversation_group":"mod_ga_1"}"#,
        100,
    );
    assert_eq!(
        key_set(&members),
        keys(&[("mod_ga_a", C2C), ("mod_ga_b", C2C), ("mod_ga_g", GROUP)])
    );
    // All members already: code 0 results, nothing fires.
    let r = group_add("mod_ga_1", &arr(&[&cc("mod_ga_a"), &cc("mod_ga_b")])).only(0);
    assert_results("add again", &r, &[("c2c_mod_ga_a", 0), ("c2c_mod_ga_b", 0)]);
}

#[test]
fn delete_from_group_answers_per_id_and_fires_update_then_deleted_with_reason_0() {
    let _s = serial();
    for id in ["mod_gr_a", "mod_gr_b", "mod_gr_c"] {
        create_ok(id, C2C);
    }
    create_ok("mod_gr_g", GROUP);
    group_create(
        "mod_gr_1",
        &arr(&[&cc("mod_gr_a"), &cc("mod_gr_b"), &gg("mod_gr_g")]),
    )
    .code(0);
    let before = state();
    group_remove("mod_gr_unknown", &arr(&[&cc("mod_gr_a")])).only(E_NO_GROUP);
    let nul = std::ptr::null();
    let a = cs(&arr(&[&cc("mod_gr_a")]));
    call("remove(NULL group)", |cb, ud| unsafe {
        TIMConvDeleteConversationsFromGroup(nul, a.as_ptr(), cb, ud)
    })
    .refused(ERR_PARAM);
    assert_eq!(state(), before);

    let out = group_remove(
        "mod_gr_1",
        &arr(&[
            &cc("mod_gr_a"),
            &cc("mod_gr_c"),
            &cc("mod_gr_missing"),
            "zz",
            &gg("mod_gr_g"),
        ]),
    );
    assert_eq!(out.shape(), ["update", "removed", "reply"]);
    assert_results(
        "remove",
        &out.code(0),
        &[
            ("c2c_mod_gr_a", 0),
            ("c2c_mod_gr_c", 0),
            ("c2c_mod_gr_missing", E_INVALID_CONV),
            ("zz", E_INVALID_PARAMS),
            ("group_mod_gr_g", 0),
        ],
    );
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[("mod_gr_a", C2C), ("mod_gr_g", GROUP)]),
        "c was no member"
    );
    for v in &ev {
        assert!(conv_groups(v).is_empty());
    }
    assert_current("update", &ev);
    let removed = &out.events()[1];
    match removed {
        Entry::DeletedFromGroup {
            name, reason, ud, ..
        } => assert_eq!((name.as_str(), *reason, *ud), ("mod_gr_1", 0, SINK)),
        other => panic!("{other:?}"),
    }
    assert_eq!(key_set(&removed.convs()), key_set(&ev));
    assert_current("removed", &removed.convs());
    assert_eq!(
        ids_of(&walk(
            r#"{"conversation_list_filter_conversation_group":"mod_gr_1"}"#,
            100
        )),
        ["mod_gr_b"]
    );
    // No member among them: results, nothing fires.
    let r = group_remove("mod_gr_1", &arr(&[&cc("mod_gr_a")])).only(0);
    assert_results("remove again", &r, &[("c2c_mod_gr_a", 0)]);
    assert_eq!(groups(), ["mod_gr_1"], "an emptied group stays");
}

#[test]
fn the_group_listener_setters_keep_one_slot_each_and_null_clears() {
    let _s = serial();
    create_ok("mod_gls_a", C2C);
    create_ok("mod_gls_b", C2C);
    let a = arr(&[&cc("mod_gls_a")]);
    let b = arr(&[&cc("mod_gls_b")]);
    let round = |tag: &str| -> Vec<Entry> {
        let g1 = format!("mod_gls_{tag}");
        let g2 = format!("mod_gls_{tag}_renamed");
        let mut seen = Vec::new();
        let mut updates = 0;
        for out in [
            group_create(&g1, &a),
            group_add(&g1, &b),
            group_remove(&g1, &b),
            group_rename(&g1, &g2),
            group_delete(&g2),
        ] {
            out.code(0);
            updates += out
                .events()
                .iter()
                .filter(|e| matches!(e, Entry::Event { kind: UPDATE, .. }))
                .count();
            seen.extend(
                out.events()
                    .iter()
                    .filter(|e| !matches!(e, Entry::Event { .. }))
                    .cloned(),
            );
        }
        // create (a), add (b), remove (b), rename (a), delete (a).
        assert_eq!(
            updates, 5,
            "{tag}: the Update events fire whatever the group listeners"
        );
        seen
    };
    listen_groups(1);
    listen_groups(2);
    let seen = round("r1");
    let shapes: Vec<_> = seen.iter().map(Entry::shape).collect();
    assert_eq!(
        shapes,
        ["created", "added", "removed", "renamed", "deleted"]
    );
    assert!(
        seen.iter().all(|e| e.listener() == Some(2)),
        "the later setter replaced the earlier: {seen:?}"
    );
    unlisten_groups();
    let seen = round("r2");
    assert!(seen.is_empty(), "NULL cleared every slot: {seen:?}");
    // One slot does not affect another.
    unsafe {
        TIMSetConvConversationGroupCreatedCallback(Some(log_group_created), 3 as *const c_void)
    };
    let seen = round("r3");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0].shape(), seen[0].listener()), ("created", Some(3)));
}

#[test]
fn a_full_group_evicts_its_least_recently_activated_member_with_reason_1() {
    let _s = serial();
    let p = "mod_evict_";
    let ids = create_many(p, 1001, C2C);
    let cids: Vec<String> = ids.iter().map(|i| cc(i)).collect();
    let refs: Vec<&str> = cids.iter().map(String::as_str).collect();
    group_create("mod_evict_g", &json_strings(&refs[0..100])).code(0);
    for chunk in refs[100..1000].chunks(100) {
        let out = group_add("mod_evict_g", &json_strings(chunk));
        assert!(op_results(&out.code(0).json).iter().all(|r| r.1 == 0));
    }
    let filter = r#"{"conversation_list_filter_conversation_group":"mod_evict_g"}"#;
    assert_eq!(walk(filter, 100).len(), 1000);
    // 0 was created first but is activated again, so 1 is the least recent.
    assert_eq!(set_draft(&ids[0], C2C, &draft("keep me")), SUCC);

    let out = group_add("mod_evict_g", &json_strings(&refs[1000..]));
    assert_results("add 1001st", &out.code(0), &[(refs[1000], 0)]);
    let removed: Vec<&Entry> = out
        .events()
        .iter()
        .filter(|e| matches!(e, Entry::DeletedFromGroup { .. }))
        .collect();
    assert_eq!(removed.len(), 1, "{:?}", out.shape());
    match removed[0] {
        Entry::DeletedFromGroup { name, reason, .. } => {
            assert_eq!((name.as_str(), *reason), ("mod_evict_g", 1))
        }
        _ => unreachable!(),
    }
    let evicted = removed[0].convs();
    assert_eq!(
        ids_of(&evicted),
        [ids[1].clone()],
        "the least recently activated member"
    );
    assert!(conv_groups(&evicted[0]).is_empty());
    let added: Vec<&Entry> = out
        .events()
        .iter()
        .filter(|e| matches!(e, Entry::AddedToGroup { .. }))
        .collect();
    assert_eq!(added.len(), 1, "{:?}", out.shape());
    assert_eq!(ids_of(&added[0].convs()), [ids[1000].clone()]);
    let ev = one_event(&out, UPDATE);
    assert_eq!(
        key_set(&ev),
        keys(&[(ids[1000].as_str(), C2C), (ids[1].as_str(), C2C)]),
        "one Update lists the added and the evicted"
    );
    let pos = |s: &str| out.shape().iter().position(|x| *x == s).unwrap();
    assert!(
        pos("update") < pos("added"),
        "Update before the added callback: {:?}",
        out.shape()
    );
    assert_current("evicted", &evicted);
    let members: BTreeSet<String> = ids_of(&walk(filter, 100)).into_iter().collect();
    assert_eq!(members.len(), 1000);
    assert!(members.contains(&ids[1000]) && members.contains(&ids[0]));
    assert!(!members.contains(&ids[1]));

    // A deleted member leaves room: adding the evicted one back evicts nobody.
    let (rc, r) = delete(&ids[500], C2C);
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    let out = group_add("mod_evict_g", &json_strings(&[refs[1]]));
    assert_results("add back", &out.code(0), &[(refs[1], 0)]);
    assert_eq!(out.shape(), ["update", "added", "reply"], "no eviction");
    assert_eq!(walk(filter, 100).len(), 1000);

    // Two more into a full group: the two least recently activated go.
    // Members by activation: 2, 3, ... (0 and 1000 were activated later,
    // 1 was re-added but not re-activated: it is the least recent).
    let extra = create_many("mod_evict_x", 2, C2C);
    let xs: Vec<String> = extra.iter().map(|i| cc(i)).collect();
    let out = group_add("mod_evict_g", &json_strings(&xs));
    out.code(0);
    let evicted: BTreeSet<String> = out
        .events()
        .iter()
        .filter(|e| matches!(e, Entry::DeletedFromGroup { reason: 1, .. }))
        .flat_map(|e| ids_of(&e.convs()))
        .collect();
    assert_eq!(
        evicted,
        BTreeSet::from([ids[1].clone(), ids[2].clone()]),
        "{:?}",
        out.shape()
    );
    assert_eq!(walk(filter, 100).len(), 1000);
}

// ---------------------------------------------------------------------------
// Global limits, one after the other (they would disturb any test running
// beside them; every test here is serial anyway).

#[test]
fn global_limits_50_pinned_20_groups_1000_marked() {
    let _s = serial();
    // ≤ 50 pinned: the 51st is 7014, nothing changes.
    let pins = create_many("mod_lim_p", 52, C2C);
    for id in &pins[..50] {
        pin(id, C2C, true).code(0);
    }
    let before = state();
    let r = pin(&pins[50], C2C, true).only(E_INVALID_OPERATION);
    assert_eq!(r.json, "");
    assert_eq!(state(), before, "the 51st pin changes nothing");
    assert_eq!(find(&pins[50], C2C).unwrap()["conv_is_pinned"], false);
    pin(&pins[0], C2C, true).only(0); // already pinned: fine at the limit
    pin(&pins[51], C2C, false).only(0); // unpinning an unpinned one: fine
    pin(&pins[0], C2C, false).code(0);
    pin(&pins[50], C2C, true).code(0);
    pin(&pins[51], C2C, true).only(E_INVALID_OPERATION);
    // Deleting a pinned conversation frees its place.
    let (rc, r) = delete(&pins[1], C2C);
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    pin(&pins[51], C2C, true).code(0);
    let pinned = list()
        .iter()
        .filter(|v| v["conv_is_pinned"] == true)
        .count();
    assert_eq!(pinned, 50);

    // ≤ 20 groups: the 21st is 51010, nothing changes.
    let a = arr(&[&cc(&pins[0])]);
    for i in 0..20 {
        group_create(&format!("mod_lim_g{i}"), &a).code(0);
    }
    let before = state();
    group_create("mod_lim_g20", &a).only(E_GROUP_TOTAL);
    group_create("mod_lim_g20", "[\"bad\"]").only(E_GROUP_TOTAL);
    assert_eq!(state(), before, "the 21st group changes nothing");
    assert_eq!(groups().len(), 20);
    group_rename("mod_lim_g0", "mod_lim_g0b").code(0); // renaming is fine at the limit
    group_delete("mod_lim_g0b").code(0);
    group_create("mod_lim_g20", &a).code(0);
    assert_eq!(groups().len(), 20);
    for name in groups() {
        group_delete(&name).code(0);
    }
    for id in pins.iter().filter(|id| *id != &pins[1]) {
        delete(id, C2C);
    }
    barrier();

    // ≤ 1000 marked conversations in all: the 1001st is 51008 in its place.
    let marks = create_many("mod_lim_m", 1003, C2C);
    let cids: Vec<String> = marks.iter().map(|i| cc(i)).collect();
    let refs: Vec<&str> = cids.iter().map(String::as_str).collect();
    for chunk in refs[..1000].chunks(100) {
        let out = mark(&json_strings(chunk), 1, true);
        let r = out.code(0);
        assert!(op_results(&r.json).iter().all(|x| x.1 == 0), "{}", r.json);
        assert_eq!(one_event(&out, UPDATE).len(), 100);
    }
    let before_1001 = find(&marks[1000], C2C).unwrap();
    // A new bit on an already marked one is fine; the 1001st is refused.
    let out = mark(&json_strings(&[refs[1000], refs[0], refs[1001]]), 2, true);
    assert_results(
        "mark at the limit",
        &out.code(0),
        &[
            (refs[1000], E_MARK_TOTAL),
            (refs[0], 0),
            (refs[1001], E_MARK_TOTAL),
        ],
    );
    assert_eq!(ids_of(&one_event(&out, UPDATE)), [marks[0].clone()]);
    assert_eq!(find(&marks[1000], C2C).unwrap(), before_1001, "not marked");
    assert_eq!(mark_values(&find(&marks[0], C2C).unwrap()), [1, 2]);
    // Clearing one of two bits keeps it marked: still no room.
    mark(&json_strings(&[refs[0]]), 2, false).code(0);
    let r = mark(&json_strings(&[refs[1000]]), 1, true).only(0);
    assert_results("still full", &r, &[(refs[1000], E_MARK_TOTAL)]);
    // Clearing its last bit frees a place.
    mark(&json_strings(&[refs[999]]), 1, false).code(0);
    let out = mark(&json_strings(&[refs[1000], refs[1001]]), 1, true);
    assert_results(
        "one place free",
        &out.code(0),
        &[(refs[1000], 0), (refs[1001], E_MARK_TOTAL)],
    );
    // Deleting a marked conversation frees its place.
    let (rc, r) = delete(&marks[998], C2C);
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    let out = mark(&json_strings(&[refs[1001], refs[1002]]), 8, true);
    assert_results(
        "after delete",
        &out.code(0),
        &[(refs[1001], 0), (refs[1002], E_MARK_TOTAL)],
    );
    let marked = list().iter().filter(|v| !mark_values(v).is_empty()).count();
    assert_eq!(marked, 1000);
}

// ---------------------------------------------------------------------------
// TIMConvGetConversationListByFilter.

#[test]
fn filter_refuses_bad_arguments() {
    let _s = serial();
    create_ok("mod_fbad", C2C);
    let nul = std::ptr::null();
    call("filter(NULL)", |cb, ud| unsafe {
        TIMConvGetConversationListByFilter(nul, 0, 10, cb, ud)
    })
    .refused(ERR_PARAM);
    by_filter("{}", 0, 0).refused(ERR_PARAM);
    by_filter("{}", 0, 101).refused(ERR_PARAM);
    by_filter("{}", 0, u32::MAX).refused(ERR_PARAM);
    // Arguments are checked before the JSON: a bad count wins.
    by_filter("{", 0, 0).refused(ERR_PARAM);
    by_filter("[]", 0, 101).refused(ERR_PARAM);
    let mut wrong = Vec::new();
    for bad in [
        "",
        "{",
        "[]",
        "1",
        "null",
        "\"x\"",
        r#"{"conversation_list_filter_conv_type":"1"}"#,
        r#"{"conversation_list_filter_conv_type":1.5}"#,
        r#"{"conversation_list_filter_conv_type":null}"#,
        r#"{"conversation_list_filter_conversation_group":1}"#,
        r#"{"conversation_list_filter_conversation_group":["g"]}"#,
        r#"{"conversation_list_filter_mark_type":-1}"#,
        r#"{"conversation_list_filter_mark_type":"1"}"#,
        r#"{"conversation_list_filter_mark_type":1.0e3}"#,
        r#"{"conversation_list_filter_mark_type":18446744073709551616}"#,
        r#"{"conversation_list_filter_has_unread_count":1}"#,
        r#"{"conversation_list_filter_has_unread_count":"false"}"#,
        r#"{"conversation_list_filter_has_group_at_info":0}"#,
        r#"{"conversation_list_filter_conv_type":1,"conversation_list_filter_conv_type":2}"#,
    ] {
        let out = by_filter(bad, 0, 10);
        if out.rc != ERR_JSON || !out.log.is_empty() {
            wrong.push(format!("{bad}: rc {} then {:?}", out.rc, out.shape()));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected TIM_ERR_JSON and no callback:\n{}",
        wrong.join("\n")
    );
    // A conv_type the enum does not have: refused either way, nothing called back.
    for bad in [
        r#"{"conversation_list_filter_conv_type":3}"#,
        r#"{"conversation_list_filter_conv_type":0}"#,
    ] {
        let out = by_filter(bad, 0, 10);
        assert!(
            out.rc == ERR_JSON || out.rc == ERR_PARAM,
            "{bad}: {}",
            out.rc
        );
        assert!(out.log.is_empty());
    }
    // Limits of count; unknown keys are tolerated.
    assert_eq!(page("{}", 0, 1).0.len(), 1);
    assert_eq!(page("{}", 0, 100).0.len(), 1);
    assert_eq!(ids_of(&walk(r#"{"unknown_key":[1,2]}"#, 10)), ["mod_fbad"]);
}

#[test]
fn each_filter_key_selects_as_documented() {
    let _s = serial();
    // a: C2C, star. b: C2C, in G. g1: Group, unread|custom bit 40, in G and H.
    // g2: Group, nothing. c: C2C, star|fold, in H.
    create_ok("mod_fk_a", C2C);
    create_ok("mod_fk_b", C2C);
    create_ok("mod_fk_g1", GROUP);
    create_ok("mod_fk_g2", GROUP);
    create_ok("mod_fk_c", C2C);
    mark(&arr(&[&cc("mod_fk_a")]), 1, true).code(0);
    mark(&arr(&[&gg("mod_fk_g1")]), 2 | (1 << 40), true).code(0);
    mark(&arr(&[&cc("mod_fk_c")]), 1 | 4, true).code(0);
    group_create("mod_fk_G", &arr(&[&cc("mod_fk_b"), &gg("mod_fk_g1")])).code(0);
    group_create("mod_fk_H", &arr(&[&gg("mod_fk_g1"), &cc("mod_fk_c")])).code(0);
    pin("mod_fk_g2", GROUP, true).code(0);
    assert_eq!(set_draft("mod_fk_b", C2C, &draft("d")), SUCC);
    let order: Vec<(String, i64)> = listed("mod_fk_");
    let all = list();
    let sel = |want: &[(&str, i32)]| -> Vec<(String, i64)> {
        let w = keys(want);
        order.iter().filter(|k| w.contains(*k)).cloned().collect()
    };
    let cases: Vec<(&str, Vec<(String, i64)>)> = vec![
        ("{}", order.clone()),
        (
            r#"{"conversation_list_filter_conv_type":1}"#,
            sel(&[("mod_fk_a", C2C), ("mod_fk_b", C2C), ("mod_fk_c", C2C)]),
        ),
        (
            r#"{"conversation_list_filter_conv_type":2}"#,
            sel(&[("mod_fk_g1", GROUP), ("mod_fk_g2", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_mark_type":1}"#,
            sel(&[("mod_fk_a", C2C), ("mod_fk_c", C2C)]),
        ),
        (
            r#"{"conversation_list_filter_mark_type":5}"#,
            sel(&[("mod_fk_c", C2C)]),
        ),
        (
            r#"{"conversation_list_filter_mark_type":1099511627778}"#,
            sel(&[("mod_fk_g1", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_mark_type":1099511627776}"#,
            sel(&[("mod_fk_g1", GROUP)]),
        ),
        (r#"{"conversation_list_filter_mark_type":3}"#, vec![]),
        (
            r#"{"conversation_list_filter_mark_type":9223372036854775808}"#,
            vec![],
        ),
        (
            r#"{"conversation_list_filter_mark_type":0}"#,
            sel(&[("mod_fk_b", C2C), ("mod_fk_g2", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_conversation_group":"mod_fk_G"}"#,
            sel(&[("mod_fk_b", C2C), ("mod_fk_g1", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_conversation_group":"mod_fk_H"}"#,
            sel(&[("mod_fk_g1", GROUP), ("mod_fk_c", C2C)]),
        ),
        (
            r#"{"conversation_list_filter_conversation_group":""}"#,
            sel(&[("mod_fk_a", C2C), ("mod_fk_g2", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_conversation_group":"mod_fk_unknown"}"#,
            vec![],
        ),
        (
            r#"{"conversation_list_filter_has_unread_count":true}"#,
            vec![],
        ),
        (
            r#"{"conversation_list_filter_has_unread_count":false}"#,
            order.clone(),
        ),
        (
            r#"{"conversation_list_filter_has_group_at_info":true}"#,
            vec![],
        ),
        (
            r#"{"conversation_list_filter_has_group_at_info":false}"#,
            order.clone(),
        ),
        (
            r#"{"conversation_list_filter_conv_type":2,"conversation_list_filter_conversation_group":"mod_fk_G"}"#,
            sel(&[("mod_fk_g1", GROUP)]),
        ),
        (
            r#"{"conversation_list_filter_conv_type":1,"conversation_list_filter_mark_type":1,"conversation_list_filter_conversation_group":"mod_fk_H","conversation_list_filter_has_unread_count":false,"conversation_list_filter_has_group_at_info":false}"#,
            sel(&[("mod_fk_c", C2C)]),
        ),
        (
            r#"{"conversation_list_filter_mark_type":0,"conversation_list_filter_conversation_group":""}"#,
            sel(&[("mod_fk_g2", GROUP)]),
        ),
    ];
    for (filter, want) in &cases {
        for count in [1, 2, 100] {
            let got = walk(filter, count);
            let got_keys: Vec<(String, i64)> = got.iter().map(conv_key).collect();
            assert_eq!(&got_keys, want, "filter {filter}, count {count}");
            for v in &got {
                let listed = all.iter().find(|x| conv_key(x) == conv_key(v)).unwrap();
                assert_eq!(v, listed, "filter {filter}: the same ConvInfo as the list");
            }
        }
    }
    // An unknown group: an empty, finished result at once.
    let (l, _, fin) = page(
        r#"{"conversation_list_filter_conversation_group":"mod_fk_unknown"}"#,
        0,
        10,
    );
    assert!(l.is_empty() && fin);
}

#[test]
fn paging_without_changes_yields_the_list_once_in_order() {
    let _s = serial();
    let p = "mod_page_";
    for i in 0..25 {
        create_ok(&format!("{p}{i}"), if i % 3 == 0 { GROUP } else { C2C });
    }
    for i in [3, 11, 17] {
        pin(
            &format!("{p}{i}"),
            if i % 3 == 0 { GROUP } else { C2C },
            true,
        )
        .code(0);
    }
    for i in (0..25).step_by(4) {
        assert_eq!(
            set_draft(
                &format!("{p}{i}"),
                if i % 3 == 0 { GROUP } else { C2C },
                &draft("d")
            ),
            SUCC
        );
    }
    let order = listed(p);
    for count in [1, 2, 3, 5, 7, 24, 25, 26, 100] {
        let mut got = Vec::new();
        let mut seq = 0;
        let mut pages = 0;
        loop {
            let (l, next, fin) = page("{}", seq, count);
            pages += 1;
            got.extend(l);
            if fin {
                break;
            }
            seq = next;
            assert!(pages <= 100, "count {count}: too many pages");
        }
        let keys: Vec<(String, i64)> = got.iter().map(conv_key).collect();
        assert_eq!(keys, order, "count {count}");
        let t: Vec<u64> = got
            .iter()
            .map(|v| v["conv_active_time"].as_u64().unwrap())
            .collect();
        assert!(
            t.windows(2).all(|w| w[0] > w[1]),
            "count {count}: conv_active_time decreasing"
        );
    }
}

#[test]
fn paging_shows_every_unchanged_conversation_once_whatever_changes_between_pages() {
    let _s = serial();
    let p = "mod_pchg_";
    let n = |i: u32| format!("{p}{i:02}");
    for i in 0..16 {
        create_ok(&n(i), C2C);
    }
    mark(&arr(&[&cc(&n(14)), &cc(&n(9)), &cc(&n(4))]), 1, true).code(0);
    // List: 15 .. 0.
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut seen: Vec<String> = Vec::new();
    let mut seq = 0;
    let mut step = 0;
    loop {
        let (l, next, fin) = page("{}", seq, 3);
        seen.extend(ids_of(&l).into_iter().filter(|i| i.starts_with(p)));
        if fin {
            break;
        }
        seq = next;
        match step {
            0 => {
                // Seen 15, 14, 13. New ones, a delete ahead, a pin ahead,
                // an activation behind.
                create_ok(&n(20), C2C);
                create_ok(&n(21), GROUP);
                assert_eq!(delete(&n(10), C2C).1.unwrap().code, 0);
                pin(&n(2), C2C, true).code(0);
                assert_eq!(set_draft(&n(14), C2C, &draft("x")), SUCC);
                changed.extend([n(20), n(21), n(10), n(2), n(14)]);
            }
            1 => {
                // Activate ones ahead, pin one behind, mark, group, delete.
                assert_eq!(set_draft(&n(5), C2C, &draft("y")), SUCC);
                pin(&n(15), C2C, true).code(0);
                mark(&arr(&[&cc(&n(3))]), 2, true).code(0);
                group_create("mod_pchg_g", &arr(&[&cc(&n(1))])).code(0);
                del_list(&arr(&[&cc(&n(12))]), false).code(0);
                changed.extend([n(5), n(15), n(3), n(1), n(12)]);
            }
            2 => {
                pin(&n(2), C2C, false).code(0);
                pin(&n(15), C2C, false).code(0);
                create_ok(&n(22), C2C);
                changed.extend([n(22)]);
            }
            _ => {
                create_ok(&n(30 + step), C2C);
                changed.insert(n(30 + step));
            }
        }
        step += 1;
        assert!(step < 100, "the walk never finished");
    }
    let alive: BTreeSet<String> = listed(p).into_iter().map(|x| x.0).collect();
    for i in 0..16 {
        let id = n(i);
        let times = seen.iter().filter(|s| **s == id).count();
        if changed.contains(&id) {
            continue;
        }
        assert!(alive.contains(&id));
        assert_eq!(
            times, 1,
            "{id} did not change and appears {times} times in {seen:?}"
        );
    }
    assert!(
        !seen.contains(&n(10)),
        "{} was deleted before it could be paged to: {seen:?}",
        n(10)
    );
    for s in &seen {
        if !changed.contains(s) {
            assert_eq!(
                seen.iter().filter(|x| *x == s).count(),
                1,
                "{s} twice in {seen:?}"
            );
        }
    }
}

#[test]
fn the_not_available_code_is_gone_from_every_function_here() {
    // A cheap sentinel that says plainly when the module is still stubbed.
    let _s = serial();
    create_ok("mod_stub", C2C);
    let out = pin("mod_stub", C2C, true);
    assert_ne!(
        out.reply().code,
        E_NOT_SUPPORTED,
        "TIMConvPinConversation is still a stub"
    );
    let out = by_filter("{}", 0, 10);
    assert_ne!(
        out.reply().code,
        E_NOT_SUPPORTED,
        "TIMConvGetConversationListByFilter is still a stub"
    );
    let out = call("group_list", |cb, ud| unsafe {
        TIMConvGetConversationGroupList(cb, ud)
    });
    assert_ne!(
        out.reply().code,
        E_NOT_SUPPORTED,
        "TIMConvGetConversationGroupList is still a stub"
    );
}

/// Holds the callback thread until opened (or 3 s have passed, so that a
/// wrong implementation fails instead of hanging).
static GATE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

unsafe extern "C" fn wait_at_gate(_: i32, _: *const c_char, _: *const c_char, _: *const c_void) {
    let start = Instant::now();
    while !GATE.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn queued_group_callbacks_go_to_the_listener_set_when_they_are_delivered() {
    let _s = serial();
    create_ok("mod_gq_a", C2C);
    barrier();
    LOG.lock().clear();
    GATE.store(false, Ordering::SeqCst);
    // Keep the callback thread busy, queue a creation behind it, then swap.
    assert_eq!(
        unsafe { TIMConvGetConvList(Some(wait_at_gate), std::ptr::null()) },
        SUCC
    );
    let n = cs("mod_gq_g");
    let a = cs(&arr(&[&cc("mod_gq_a")]));
    assert_eq!(
        unsafe { TIMConvCreateConversationGroup(n.as_ptr(), a.as_ptr(), None, std::ptr::null()) },
        SUCC
    );
    let start = Instant::now();
    listen_groups(5);
    let setter = start.elapsed();
    GATE.store(true, Ordering::SeqCst);
    barrier();
    let log = std::mem::take(&mut *LOG.lock());
    let created: Vec<&Entry> = log
        .iter()
        .filter(|e| matches!(e, Entry::GroupCreated { .. }))
        .collect();
    assert_eq!(created.len(), 1, "{log:?}");
    assert_eq!(
        created[0].listener(),
        Some(5),
        "delivered to the listener set at delivery time (setter took {setter:?})"
    );
    assert!(
        setter < Duration::from_secs(2),
        "the setter waited {setter:?} for an unrelated callback"
    );
}

#[test]
fn every_group_callback_and_reply_runs_on_the_library_thread() {
    let _s = serial();
    OFF_THREAD.lock().clear();
    create_ok("mod_thr_a", C2C);
    create_ok("mod_thr_b", C2C);
    group_create("mod_thr_g", &arr(&[&cc("mod_thr_a")])).code(0);
    group_add("mod_thr_g", &arr(&[&cc("mod_thr_b")])).code(0);
    group_remove("mod_thr_g", &arr(&[&cc("mod_thr_b")])).code(0);
    group_rename("mod_thr_g", "mod_thr_h").code(0);
    group_delete("mod_thr_h").code(0);
    pin("mod_thr_a", C2C, true).code(0);
    mark(&arr(&[&cc("mod_thr_a")]), 1, true).code(0);
    by_filter("{}", 0, 10).code(0);
    let off = std::mem::take(&mut *OFF_THREAD.lock());
    assert!(
        off.is_empty(),
        "deliveries off the ImSDK-callback thread: {off:?}"
    );
}
