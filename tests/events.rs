//! Global conversation events (contract C2.3, C2.8, C5.2 to C5.6, C5.8).
//! The event slot is global, so these tests run one at a time.

mod common;

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::*;
use parking_lot::{Mutex, MutexGuard};
use serde_json::Value;

/// Everything delivered, events and replies, in delivery order.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Event {
        listener: usize,
        kind: c_int,
        json: String,
    },
    Reply {
        code: i32,
        json: String,
    },
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let g = SERIAL.lock();
    unsafe { TIMSetConvEventCallback(None, std::ptr::null()) };
    SEEN.lock().clear();
    g
}

unsafe extern "C" fn on_event(kind: c_int, json: *const c_char, ud: *const c_void) {
    SEEN.lock().push(Seen::Event {
        listener: ud as usize,
        kind,
        json: cstr_lossy(json),
    });
}

unsafe extern "C" fn on_seen_reply(
    code: i32,
    _: *const c_char,
    json: *const c_char,
    _: *const c_void,
) {
    SEEN.lock().push(Seen::Reply {
        code,
        json: cstr_lossy(json),
    });
}

fn listen(id: usize) {
    unsafe { TIMSetConvEventCallback(Some(on_event), id as *const c_void) };
}

/// Takes what was delivered so far (after a barrier).
fn take() -> Vec<Seen> {
    // The barrier's own reply goes to `on_reply`, not to SEEN.
    list();
    std::mem::take(&mut *SEEN.lock())
}

fn event_array(s: &Seen) -> (c_int, Vec<Value>) {
    match s {
        Seen::Event { kind, json, .. } => {
            (*kind, serde_json::from_str::<Vec<Value>>(json).unwrap())
        }
        other => panic!("expected an event, got {other:?}"),
    }
}

const ADD: c_int = 0;
const DEL: c_int = 1;
const UPDATE: c_int = 2;

#[test]
fn create_fires_add_before_its_reply_and_only_when_new() {
    let _s = serial();
    listen(1);
    let id = c("ev-create");
    assert_eq!(
        unsafe { TIMConvCreate(id.as_ptr(), C2C, Some(on_seen_reply), std::ptr::null()) },
        SUCC
    );
    let seen = take();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (kind, arr) = event_array(&seen[0]);
    assert_eq!(kind, ADD);
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["conv_id"], "ev-create");
    match &seen[1] {
        Seen::Reply { code: 0, json } => {
            assert_eq!(
                serde_json::from_str::<Value>(json).unwrap(),
                arr[0],
                "same state in both"
            )
        }
        other => panic!("expected the reply second, got {other:?}"),
    }
    // Existing: the reply only.
    assert_eq!(
        unsafe { TIMConvCreate(id.as_ptr(), C2C, Some(on_seen_reply), std::ptr::null()) },
        SUCC
    );
    let seen = take();
    assert!(
        matches!(seen.as_slice(), [Seen::Reply { code: 0, .. }]),
        "{seen:?}"
    );
}

#[test]
fn delete_fires_del_with_the_last_conv_info_and_missing_fires_nothing() {
    let _s = serial();
    create_ok("ev-del", GROUP);
    assert_eq!(set_draft("ev-del", GROUP, &draft("last words")), SUCC);
    let last = find("ev-del", GROUP).unwrap();
    listen(2);
    let id = c("ev-del");
    assert_eq!(
        unsafe { TIMConvDelete(id.as_ptr(), GROUP, Some(on_seen_reply), std::ptr::null()) },
        SUCC
    );
    let seen = take();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (kind, arr) = event_array(&seen[0]);
    assert_eq!((kind, arr.len()), (DEL, 1));
    assert_eq!(
        arr[0], last,
        "the deleted conversation's last ConvInfo, draft included"
    );
    assert_eq!(
        seen[1],
        Seen::Reply {
            code: 0,
            json: String::new()
        }
    );
    assert_eq!(
        unsafe { TIMConvDelete(id.as_ptr(), GROUP, Some(on_seen_reply), std::ptr::null()) },
        SUCC
    );
    assert_eq!(
        take(),
        [Seen::Reply {
            code: ERR_INVALID_CONVERSATION as i32,
            json: String::new()
        }]
    );
}

#[test]
fn drafts_fire_update_and_a_cancel_without_draft_fires_nothing() {
    let _s = serial();
    create_ok("ev-draft", C2C);
    listen(3);
    assert_eq!(set_draft("ev-draft", C2C, &draft("d")), SUCC);
    let seen = take();
    assert_eq!(seen.len(), 1);
    let (kind, arr) = event_array(&seen[0]);
    assert_eq!((kind, arr.len()), (UPDATE, 1));
    assert_eq!(arr[0]["conv_is_has_draft"], true);
    assert_eq!(arr[0], find("ev-draft", C2C).unwrap());
    assert_eq!(cancel_draft("ev-draft", C2C), SUCC);
    let seen = take();
    let (kind, arr) = event_array(&seen[0]);
    assert_eq!((kind, seen.len()), (UPDATE, 1));
    assert_eq!(arr[0]["conv_is_has_draft"], false);
    assert_eq!(cancel_draft("ev-draft", C2C), SUCC);
    assert_eq!(take(), []);
}

#[test]
fn refused_calls_fire_no_event() {
    let _s = serial();
    create_ok("ev-refused", C2C);
    listen(4);
    assert_eq!(set_draft("ev-refused", C2C, "{"), ERR_JSON);
    assert_eq!(set_draft("ev-refused", 7, &draft("x")), ERR_PARAM);
    assert_eq!(set_draft("ev-refused-missing", C2C, &draft("x")), ERR_CONV);
    assert_eq!(cancel_draft("ev-refused-missing", C2C), ERR_CONV);
    assert_eq!(create("", C2C).0, ERR_PARAM);
    assert_eq!(take(), []);
}

#[test]
fn a_later_setter_replaces_the_earlier_and_null_clears() {
    let _s = serial();
    listen(10);
    listen(11);
    create_ok("ev-slot-a", C2C);
    let seen = take();
    assert!(
        matches!(
            seen.as_slice(),
            [Seen::Event {
                listener: 11,
                kind: ADD,
                ..
            }]
        ),
        "{seen:?}"
    );
    unsafe { TIMSetConvEventCallback(None, std::ptr::null()) };
    create_ok("ev-slot-b", C2C);
    assert_eq!(take(), []);
}

/// Holds the callback thread until released.
static GATE: Mutex<bool> = Mutex::new(false);

unsafe extern "C" fn wait_at_gate(_: i32, _: *const c_char, _: *const c_char, _: *const c_void) {
    let start = std::time::Instant::now();
    while !*GATE.lock() {
        assert!(start.elapsed() < TIMEOUT, "gate never opened");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn queued_events_go_to_the_callback_set_when_they_are_delivered() {
    let _s = serial();
    *GATE.lock() = false;
    listen(20);
    // Keep the callback thread busy, queue an event behind it, then swap.
    assert_eq!(
        unsafe { TIMConvGetConvList(Some(wait_at_gate), std::ptr::null()) },
        SUCC
    );
    create_ok_nowait("ev-queued");
    listen(21);
    *GATE.lock() = true;
    let seen = take();
    assert!(
        matches!(
            seen.as_slice(),
            [Seen::Event {
                listener: 21,
                kind: ADD,
                ..
            }]
        ),
        "{seen:?}"
    );
}

fn create_ok_nowait(id: &str) {
    assert_eq!(
        unsafe { TIMConvCreate(c(id).as_ptr(), C2C, None, std::ptr::null()) },
        SUCC
    );
}

static SLOW_STARTED: AtomicBool = AtomicBool::new(false);
static SLOW_FINISHED: AtomicBool = AtomicBool::new(false);

unsafe extern "C" fn slow_listener(_: c_int, _: *const c_char, _: *const c_void) {
    SLOW_STARTED.store(true, Ordering::SeqCst);
    thread::sleep(Duration::from_millis(200));
    SLOW_FINISHED.store(true, Ordering::SeqCst);
}

#[test]
fn once_the_setter_returns_the_replaced_callback_is_not_running() {
    let _s = serial();
    SLOW_STARTED.store(false, Ordering::SeqCst);
    SLOW_FINISHED.store(false, Ordering::SeqCst);
    unsafe { TIMSetConvEventCallback(Some(slow_listener), std::ptr::null()) };
    create_ok_nowait("ev-slow");
    let start = std::time::Instant::now();
    while !SLOW_STARTED.load(Ordering::SeqCst) {
        assert!(start.elapsed() < TIMEOUT);
        thread::yield_now();
    }
    listen(30);
    assert!(
        SLOW_FINISHED.load(Ordering::SeqCst),
        "the setter returned while the old callback still ran"
    );
    create_ok("ev-slow-2", C2C);
    let seen = take();
    assert!(
        matches!(
            seen.as_slice(),
            [Seen::Event {
                listener: 30,
                kind: ADD,
                ..
            }]
        ),
        "{seen:?}"
    );
}

unsafe extern "C" fn swapping_listener(kind: c_int, json: *const c_char, ud: *const c_void) {
    unsafe {
        on_event(kind, json, ud);
        // Replacing the slot from inside a delivery must not wait for itself.
        TIMSetConvEventCallback(Some(on_event), 41 as *const c_void);
    }
}

#[test]
fn the_setter_can_be_called_from_inside_an_event_callback() {
    let _s = serial();
    unsafe { TIMSetConvEventCallback(Some(swapping_listener), 40 as *const c_void) };
    create_ok("ev-swap-1", C2C);
    create_ok("ev-swap-2", C2C);
    let seen = take();
    let listeners: Vec<_> = seen
        .iter()
        .map(|s| match s {
            Seen::Event { listener, .. } => *listener,
            _ => 0,
        })
        .collect();
    assert_eq!(listeners, [40, 41]);
}
