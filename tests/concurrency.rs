//! Contract C2.1, C2.3, C2.4 and C2.7 under load: many threads, callbacks
//! that call back into the library, and callbacks that would deadlock if a
//! library lock were held while they run.

mod common;

use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use common::*;
use parking_lot::Mutex;

const THREADS: usize = 8;
const CALLS: usize = 10_000;

/// user_data = thread << 32 | call number; the callback logs it.
static LOG: Mutex<Vec<usize>> = Mutex::new(Vec::new());

unsafe extern "C" fn log_ud(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    assert!(!desc.is_null() && !json.is_null());
    let _ = code;
    LOG.lock().push(ud as usize);
}

#[test]
fn eight_threads_each_get_every_callback_once_in_their_call_order() {
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || {
                for n in 0..CALLS {
                    let ud = (t << 32 | n) as *const c_void;
                    let id = c(&format!("conc-{t}-{}", n % 500));
                    let rc = unsafe {
                        match n % 4 {
                            2 => TIMConvDelete(id.as_ptr(), C2C, Some(log_ud), ud),
                            3 if n % 200 == 3 => TIMConvGetConvList(Some(log_ud), ud),
                            _ => TIMConvCreate(id.as_ptr(), C2C, Some(log_ud), ud),
                        }
                    };
                    assert_eq!(rc, SUCC);
                    if n % 97 == 0 {
                        // Synchronous calls interleaved; their codes depend
                        // on the interleaving, but must be one of these.
                        let d = c(&draft("x"));
                        let rc = unsafe { TIMConvSetDraft(id.as_ptr(), C2C, d.as_ptr()) };
                        assert!(rc == SUCC || rc == ERR_CONV, "{rc}");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    list(); // barrier
    let log = LOG.lock().clone();
    assert_eq!(
        log.len(),
        THREADS * CALLS,
        "exactly one callback per accepted call"
    );
    let mut next = [0usize; THREADS];
    for ud in log {
        let (t, n) = (ud >> 32, ud & 0xffff_ffff);
        assert_eq!(n, next[t], "thread {t}: callbacks out of call order");
        next[t] += 1;
    }
}

static REENTRANT_DONE: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn note(code: i32, _: *const c_char, json: *const c_char, ud: *const c_void) {
    let what = unsafe { std::ffi::CStr::from_ptr(ud as *const c_char) }
        .to_str()
        .unwrap();
    let json = cstr_lossy(json);
    REENTRANT_DONE
        .lock()
        .push(format!("{what}:{code}:{}", json.len().min(1)));
}

/// From inside a callback: every one of the five functions.
unsafe extern "C" fn call_everything(
    _: i32,
    _: *const c_char,
    _: *const c_char,
    ud: *const c_void,
) {
    let id = c("conc-re-inner");
    let d = c(&draft("from a callback"));
    unsafe {
        assert_eq!(
            TIMConvCreate(id.as_ptr(), GROUP, Some(note), c"create".as_ptr().cast()),
            SUCC
        );
        assert_eq!(TIMConvSetDraft(id.as_ptr(), GROUP, d.as_ptr()), SUCC);
        assert_eq!(
            TIMConvGetConvList(Some(note), c"list".as_ptr().cast()),
            SUCC
        );
        assert_eq!(TIMConvCancelDraft(id.as_ptr(), GROUP), SUCC);
        assert_eq!(
            TIMConvDelete(id.as_ptr(), GROUP, Some(note), c"delete".as_ptr().cast()),
            SUCC
        );
        assert_eq!(
            TIMConvDelete(
                id.as_ptr(),
                GROUP,
                Some(note),
                c"delete-again".as_ptr().cast()
            ),
            SUCC
        );
        // Let the test know the outer callback finished.
        on_reply(0, c"".as_ptr(), c"".as_ptr(), ud);
    }
}

#[test]
fn a_callback_can_call_each_of_the_five_functions() {
    let p = Pending::new();
    let id = c("conc-re-outer");
    assert_eq!(
        unsafe { TIMConvCreate(id.as_ptr(), C2C, Some(call_everything), p.ud()) },
        SUCC
    );
    p.wait();
    list(); // barrier: the inner calls' callbacks were queued before this
    let done = REENTRANT_DONE.lock().clone();
    assert_eq!(
        done,
        [
            "create:0:1",
            "list:0:1",
            "delete:0:0",
            "delete-again:6004:0"
        ]
    );
}

static INNER_RC: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Blocks the callback thread until another thread has finished calls that
/// need the store's lock: if the lock were held here, they would deadlock.
unsafe extern "C" fn wait_for_other_thread(
    _: i32,
    _: *const c_char,
    _: *const c_char,
    ud: *const c_void,
) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let id = c("conc-lock-inner");
        let rc = unsafe { TIMConvCreate(id.as_ptr(), C2C, None, std::ptr::null()) };
        let rc2 = unsafe { TIMConvSetDraft(id.as_ptr(), C2C, c(&draft("z")).as_ptr()) };
        let _ = tx.send((rc, rc2));
    });
    let got = rx
        .recv_timeout(TIMEOUT)
        .expect("a library lock is held while a callback runs");
    INNER_RC.store(if got == (SUCC, SUCC) { 0 } else { 1 }, Ordering::SeqCst);
    unsafe { on_reply(0, c"".as_ptr(), c"".as_ptr(), ud) };
}

#[test]
fn no_library_lock_is_held_while_a_callback_runs() {
    let p = Pending::new();
    assert_eq!(
        unsafe { TIMConvGetConvList(Some(wait_for_other_thread), p.ud()) },
        SUCC
    );
    p.wait();
    assert_eq!(INNER_RC.load(Ordering::SeqCst), 0);
    assert_eq!(
        find("conc-lock-inner", C2C).unwrap()["conv_is_has_draft"],
        true
    );
}

#[test]
fn a_list_is_the_state_when_it_was_called() {
    // The list call takes its snapshot at once, even though its JSON is
    // built later on the callback thread.
    create_ok("conc-snap", C2C);
    let p = Pending::new();
    assert_eq!(unsafe { TIMConvGetConvList(Some(on_reply), p.ud()) }, SUCC);
    assert_eq!(set_draft("conc-snap", C2C, &draft("later")), SUCC);
    let snap = p.wait().value();
    let mine = snap
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["conv_id"] == "conc-snap")
        .unwrap()
        .clone();
    assert_eq!(mine["conv_is_has_draft"], false);
    assert_eq!(
        find("conc-snap", C2C).unwrap()["conv_is_has_draft"],
        true,
        "and reads see writes"
    );
}
