//! The callback worker: one named thread that runs every callback, one at a
//! time, in the order the jobs were queued.
//!
//! Jobs are queued by the code that made a change while it still holds the
//! store's lock, so the queue order is the order in which changes took
//! effect. The worker holds no library lock while C code runs. Payloads are
//! rendered on the worker, into one reused buffer, from immutable snapshots
//! (`Arc<Conv>`), so callers never pay for JSON and a long list never blocks
//! them.

use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Condvar, Mutex};

use crate::error::Error;
use crate::ffi::callback::{ConvEventListener, Reply};
use crate::ffi::conversation::TIMConvEvent;
use crate::model::conv::{json_array_len, write_json_array};
use crate::model::Conv;
use crate::store::Snapshot;

/// The JSON a callback carries, rendered on the worker.
pub enum Body {
    /// `""`
    Empty,
    /// One ConvInfo object.
    Conv(Arc<Conv>),
    /// A JSON array holding one ConvInfo.
    ConvArray1(Arc<Conv>),
    /// A JSON array of ConvInfo, in list order.
    List(Snapshot),
}

/// Output buffers at least this large are pre-faulted in one system call
/// instead of one page fault per 4 KiB page.
const PREFAULT_MIN: usize = 1 << 20;

impl Body {
    fn render(&self, out: &mut Vec<u8>) {
        crate::fault::hit(crate::fault::Point::Render);
        match self {
            Body::Empty => {}
            Body::Conv(c) => c.write_json(out),
            Body::ConvArray1(c) => write_json_array(out, [c]),
            Body::List(snap) => {
                let len = json_array_len(snap.len(), snap.json_total) + 1;
                reserve_prefaulted(out, len);
                write_json_array(out, snap.iter());
            }
        }
        out.push(0);
    }

    /// True when `self` is an event array holding exactly the ConvInfo that
    /// `reply` is, so one rendering serves both.
    fn wraps(&self, reply: &Body) -> bool {
        matches!((self, reply), (Body::ConvArray1(a), Body::Conv(b)) if Arc::ptr_eq(a, b))
    }
}

/// Makes room for `len` more bytes; a large buffer is faulted in at once
/// (`MADV_POPULATE_WRITE`, Linux 5.14+; ignored where unsupported).
fn reserve_prefaulted(out: &mut Vec<u8>, len: usize) {
    out.reserve(len);
    if len < PREFAULT_MIN {
        return;
    }
    let spare = out.spare_capacity_mut();
    let start = spare.as_mut_ptr() as usize;
    let page = 4096;
    let first = (start + page - 1) & !(page - 1);
    let last = (start + spare.len()) & !(page - 1);
    if last > first {
        // SAFETY: the range lies inside this Vec's allocation; populating
        // pages changes no byte of it.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_POPULATE_WRITE,
            )
        };
    }
}

/// The answer to one call.
pub struct ReplyJob {
    pub reply: Reply,
    pub code: i32,
    pub desc: &'static CStr,
    pub body: Body,
}

pub enum Job {
    /// What one change produced: its global event first, then the call's
    /// reply (either may be absent).
    Deliver {
        event: Option<(TIMConvEvent, Body)>,
        reply: Option<ReplyJob>,
    },
    /// Ends the worker after everything queued before it.
    Stop,
}

/// One global callback slot (C2.8): a later `set` replaces the earlier one,
/// and once `set` has returned no event reaches the replaced callback.
pub struct Slot<T: Copy> {
    state: Mutex<SlotState<T>>,
    idle: Condvar,
}

struct SlotState<T> {
    current: Option<T>,
    /// The worker is inside this slot's callback.
    delivering: bool,
}

impl<T: Copy> Slot<T> {
    fn new() -> Slot<T> {
        Slot {
            state: Mutex::new(SlotState {
                current: None,
                delivering: false,
            }),
            idle: Condvar::new(),
        }
    }

    /// Replaces the callback. Unless called from the worker itself (from
    /// inside a callback), waits until a delivery to the old one has ended.
    fn set(&self, value: Option<T>, on_worker: bool) {
        let mut s = self.state.lock();
        s.current = value;
        if !on_worker {
            while s.delivering {
                self.idle.wait(&mut s);
            }
        }
    }

    /// Runs `f` with the current callback, if any, with no lock held.
    fn deliver(&self, f: impl FnOnce(T)) {
        let current = {
            let mut s = self.state.lock();
            let Some(cb) = s.current else { return };
            s.delivering = true;
            cb
        };
        let _ = catch_unwind(AssertUnwindSafe(|| f(current)));
        self.state.lock().delivering = false;
        self.idle.notify_all();
    }
}

/// The global callback slots.
pub struct Listeners {
    pub conv_event: Slot<ConvEventListener>,
}

pub struct Dispatcher {
    tx: Sender<Job>,
    worker: ThreadId,
    handle: Mutex<Option<JoinHandle<()>>>,
    listeners: Arc<Listeners>,
}

/// The worker keeps a buffer this large between jobs (any single ConvInfo
/// and lists of a hundred or so); a larger one, from a big list, is given
/// back at once, so that no list costs memory after it was delivered (the
/// per-conversation memory goal holds for stores of any size).
const KEEP_BUFFER: usize = 64 << 10;

impl Dispatcher {
    pub fn start() -> Dispatcher {
        let (tx, rx) = crossbeam_channel::unbounded();
        let listeners = Arc::new(Listeners {
            conv_event: Slot::new(),
        });
        let l = listeners.clone();
        let handle = thread::Builder::new()
            .name("ImSDK-callback".into())
            .spawn(move || run(rx, l))
            .expect("cannot start the callback thread");
        Dispatcher {
            tx,
            worker: handle.thread().id(),
            handle: Mutex::new(Some(handle)),
            listeners,
        }
    }

    /// True on the worker thread (inside a callback).
    pub fn on_worker(&self) -> bool {
        thread::current().id() == self.worker
    }

    /// Queues what a change produced. Call it under the lock that made the
    /// change, so that the queue order is the order of the changes.
    pub fn deliver(&self, event: Option<(TIMConvEvent, Body)>, reply: Option<ReplyJob>) {
        if event.is_some() || reply.is_some() {
            // Fails only after `shutdown`: nothing is delivered after that.
            let _ = self.tx.send(Job::Deliver { event, reply });
        }
    }

    /// Queues a reply with code 0.
    pub fn reply(&self, reply: Option<Reply>, body: Body) {
        self.deliver(None, ok(reply, body));
    }

    pub fn set_conv_event_listener(&self, l: Option<ConvEventListener>) {
        self.listeners.conv_event.set(l, self.on_worker());
    }

    /// Delivers every job queued so far, then stops the worker and (unless
    /// called from a callback) waits for it. Nothing is called back after.
    #[allow(dead_code)] // used by the lifecycle (TIMUninit)
    pub fn shutdown(&self) {
        let _ = self.tx.send(Job::Stop);
        if !self.on_worker() {
            if let Some(h) = self.handle.lock().take() {
                let _ = h.join();
            }
        }
    }
}

/// A successful reply carrying `body`, for a non-NULL callback.
pub fn ok(reply: Option<Reply>, body: Body) -> Option<ReplyJob> {
    reply.map(|reply| ReplyJob {
        reply,
        code: 0,
        desc: c"",
        body,
    })
}

/// A failed reply, for a non-NULL callback.
pub fn failed(reply: Option<Reply>, err: Error) -> Option<ReplyJob> {
    reply.map(|reply| ReplyJob {
        reply,
        code: err.callback_code(),
        desc: err.callback_desc(),
        body: Body::Empty,
    })
}

fn run(rx: Receiver<Job>, listeners: Arc<Listeners>) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    while let Ok(job) = rx.recv() {
        match job {
            Job::Stop => break,
            Job::Deliver { event, reply } => {
                // Set when `buf` holds the event's "[{...}]\0" and the reply
                // is that same object.
                let mut shared = false;
                if let Some((kind, body)) = event {
                    let share = reply.as_ref().is_some_and(|r| body.wraps(&r.body));
                    listeners.conv_event.deliver(|l| {
                        buf.clear();
                        body.render(&mut buf);
                        l.invoke(kind, &buf);
                        shared = share;
                    });
                }
                if let Some(r) = reply {
                    if shared {
                        // "[{...}]\0" -> "{...}\0": the app's event callback
                        // has returned, so the buffer is ours again.
                        let n = buf.len();
                        buf[n - 2] = 0;
                        r.reply.invoke(r.code, r.desc, &buf[1..n - 1]);
                    } else {
                        send_reply(&mut buf, r);
                    }
                }
            }
        }
        if buf.capacity() > KEEP_BUFFER {
            buf = Vec::with_capacity(4096);
        }
    }
}

/// Renders a reply's JSON and calls the app; a panic while rendering is
/// answered with `ERR_SDK_INTERNAL_ERROR`.
fn send_reply(buf: &mut Vec<u8>, r: ReplyJob) {
    buf.clear();
    match catch_unwind(AssertUnwindSafe(|| r.body.render(buf))) {
        Ok(()) => r.reply.invoke(r.code, r.desc, buf),
        Err(_) => {
            let e = Error::Internal;
            r.reply.invoke(e.callback_code(), e.callback_desc(), b"\0")
        }
    }
}
