//! One ordered log of what the library calls back: conversation events, the
//! two unread-count listeners and per-call callbacks, for the tests of
//! message-fed state (`tests/messages.rs`, `tests/unread_model.rs`).

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex, MutexGuard};
use serde_json::Value;

use super::*;
use ImSDK::ffi::types::TIMCommCallback;

pub const ADD: c_int = 0;
pub const DEL: c_int = 1;
pub const UPDATE: c_int = 2;

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Event {
        kind: c_int,
        json: String,
    },
    Total(i32),
    Filter(String, i32),
    Reply {
        tag: usize,
        code: i32,
        desc: String,
        json: String,
    },
}

static LOG: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
static LOG_CV: Condvar = Condvar::new();
static NEXT_TAG: AtomicUsize = AtomicUsize::new(1);

fn push(e: Entry) {
    LOG.lock().push(e);
    LOG_CV.notify_all();
}

unsafe extern "C" fn log_event(kind: c_int, json: *const c_char, _: *const c_void) {
    push(Entry::Event {
        kind,
        json: cstr_lossy(json),
    });
}

unsafe extern "C" fn log_total(n: c_int, _: *const c_void) {
    push(Entry::Total(n));
}

unsafe extern "C" fn log_filter(filter: *const c_char, n: c_int, _: *const c_void) {
    push(Entry::Filter(cstr_lossy(filter), n));
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

/// Sets the conversation-event and both unread-count listeners.
pub fn listen() {
    unsafe {
        TIMSetConvEventCallback(Some(log_event), std::ptr::null());
        TIMSetConvTotalUnreadMessageCountChangedCallback(Some(log_total), std::ptr::null());
        TIMSetConvUnreadMessageCountChangedByFilterCallback(Some(log_filter), std::ptr::null());
    }
}

fn has_tag(log: &[Entry], tag: usize) -> bool {
    log.iter()
        .any(|e| matches!(e, Entry::Reply { tag: t, .. } if *t == tag))
}

/// Waits for every callback queued so far (they are FIFO), in any state
/// (`TIMSetConfig` answers before `TIMInit` and before `TIMLogin`).
pub fn barrier() {
    let tag = NEXT_TAG.fetch_add(1, Ordering::SeqCst);
    let rc = unsafe {
        ImSDK::ffi::manager::TIMSetConfig(c"{}".as_ptr(), Some(log_reply), tag as *const c_void)
    };
    assert_eq!(rc, SUCC, "barrier");
    wait_tag(tag);
    LOG.lock()
        .retain(|e| !matches!(e, Entry::Reply { tag: t, .. } if *t == tag));
}

fn wait_tag(tag: usize) {
    let deadline = Instant::now() + TIMEOUT;
    let mut log = LOG.lock();
    while !has_tag(&log, tag) {
        if LOG_CV.wait_until(&mut log, deadline).timed_out() {
            panic!("no callback within {TIMEOUT:?}");
        }
    }
}

/// One call: its return code and everything delivered from its start to its
/// callback (and, through a barrier, nothing after).
#[derive(Debug)]
pub struct Out {
    pub what: String,
    pub rc: c_int,
    pub log: Vec<Entry>,
    tag: usize,
}

/// What a callback received.
#[derive(Debug, Clone)]
pub struct Rep {
    pub code: i32,
    pub desc: String,
    pub json: String,
}

impl Rep {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or_else(|e| panic!("bad JSON {e}: {:?}", self.json))
    }
}

impl Out {
    /// The call's callback, which comes last, after its events.
    pub fn reply(&self) -> Rep {
        assert_eq!(
            self.rc, SUCC,
            "{}: refused; delivered {:?}",
            self.what, self.log
        );
        match self.log.last() {
            Some(Entry::Reply {
                tag,
                code,
                desc,
                json,
            }) if *tag == self.tag => Rep {
                code: *code,
                desc: desc.clone(),
                json: json.clone(),
            },
            _ => panic!("{}: the callback must come last: {:?}", self.what, self.log),
        }
    }

    /// Called back with `code` (an error with a desc).
    pub fn code(&self, code: i32) -> Rep {
        let r = self.reply();
        assert_eq!(r.code, code, "{}: callback code ({:?})", self.what, r.desc);
        if code != 0 {
            assert!(!r.desc.is_empty(), "{}: an error has a desc", self.what);
        }
        r
    }

    /// Called back with `code`, nothing else delivered.
    pub fn only(&self, code: i32) -> Rep {
        let r = self.code(code);
        assert_eq!(self.events(), [], "{}: no event expected", self.what);
        r
    }

    /// Everything before the callback.
    pub fn events(&self) -> &[Entry] {
        self.reply();
        &self.log[..self.log.len() - 1]
    }

    /// The conversation events, as (kind, ConvInfo array).
    pub fn conv_events(&self) -> Vec<(c_int, Vec<Value>)> {
        self.events()
            .iter()
            .filter_map(|e| match e {
                Entry::Event { kind, json } => {
                    Some((*kind, serde_json::from_str::<Vec<Value>>(json).unwrap()))
                }
                _ => None,
            })
            .collect()
    }

    /// The unread-count callbacks.
    pub fn counts(&self) -> Vec<Entry> {
        self.events()
            .iter()
            .filter(|e| matches!(e, Entry::Total(_) | Entry::Filter(..)))
            .cloned()
            .collect()
    }

    /// Refused with `rc`, nothing called back.
    pub fn refused(&self, rc: c_int) {
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

/// Runs one call with a fresh tag as `user_data`.
pub fn call(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) -> Out {
    barrier();
    LOG.lock().clear();
    let tag = NEXT_TAG.fetch_add(1, Ordering::SeqCst);
    let rc = f(Some(log_reply), tag as *const c_void);
    if rc == SUCC {
        wait_tag(tag);
    }
    barrier();
    Out {
        what: what.to_owned(),
        rc,
        log: std::mem::take(&mut *LOG.lock()),
        tag,
    }
}

/// Runs a synchronous call; returns its code and what it delivered.
pub fn sync_call(f: impl FnOnce() -> c_int) -> (c_int, Vec<Entry>) {
    barrier();
    LOG.lock().clear();
    let rc = f();
    barrier();
    (rc, std::mem::take(&mut *LOG.lock()))
}

pub fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Serializes the tests of one binary (they share the embedded store and
/// the listeners) and starts each from an empty store.
pub struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

pub fn serial() -> Serial {
    static SERIAL: Mutex<()> = Mutex::new(());
    // parking_lot has no poisoning: a failed test does not stop the others.
    let g = SERIAL.lock();
    // Back to an empty embedded default, whatever the last test left.
    unsafe { ImSDK::ffi::manager::TIMUninit() };
    listen();
    LOG.lock().clear();
    Serial(g)
}
