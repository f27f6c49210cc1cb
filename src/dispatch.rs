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
use crate::model::conv::write_json_array;
use crate::model::Conv;

/// The JSON a callback carries, rendered on the worker.
pub enum Body {
    /// `""`
    Empty,
    /// One ConvInfo object.
    Conv(Arc<Conv>),
    /// A JSON array holding one ConvInfo.
    ConvArray1(Arc<Conv>),
    /// A JSON array of ConvInfo, in the given order.
    ConvArray(Vec<Arc<Conv>>),
}

impl Body {
    fn render(&self, out: &mut Vec<u8>) {
        crate::fault::hit(crate::fault::Point::Render);
        match self {
            Body::Empty => {}
            Body::Conv(c) => c.write_json(out),
            Body::ConvArray1(c) => write_json_array(out, [c]),
            Body::ConvArray(cs) => write_json_array(out, cs),
        }
        out.push(0);
    }
}

pub enum Job {
    /// A per-call `TIMCommCallback`.
    Reply {
        reply: Reply,
        code: i32,
        desc: &'static CStr,
        body: Body,
    },
    /// A global conversation event.
    ConvEvent { event: TIMConvEvent, body: Body },
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

/// The worker keeps a buffer this large between jobs; a larger one (after a
/// big list) is given back.
const KEEP_BUFFER: usize = 1 << 20;

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

    /// Queues a job. Call it under the lock that made the change.
    pub fn send(&self, job: Job) {
        // Fails only after `shutdown`: nothing is delivered after that.
        let _ = self.tx.send(job);
    }

    pub fn reply(&self, reply: Option<Reply>, body: Body) {
        if let Some(reply) = reply {
            self.send(Job::Reply {
                reply,
                code: 0,
                desc: c"",
                body,
            });
        }
    }

    pub fn reply_err(&self, reply: Option<Reply>, err: Error) {
        if let Some(reply) = reply {
            self.send(Job::Reply {
                reply,
                code: err.callback_code(),
                desc: err.callback_desc(),
                body: Body::Empty,
            });
        }
    }

    pub fn set_conv_event_listener(&self, l: Option<ConvEventListener>) {
        self.listeners.conv_event.set(l, self.on_worker());
    }

    /// Delivers every job queued so far, then stops the worker and (unless
    /// called from a callback) waits for it. Nothing is called back after.
    #[allow(dead_code)] // used by the lifecycle (TIMUninit)
    pub fn shutdown(&self) {
        self.send(Job::Stop);
        if !self.on_worker() {
            if let Some(h) = self.handle.lock().take() {
                let _ = h.join();
            }
        }
    }
}

fn run(rx: Receiver<Job>, listeners: Arc<Listeners>) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    while let Ok(job) = rx.recv() {
        match job {
            Job::Stop => break,
            Job::Reply {
                reply,
                code,
                desc,
                body,
            } => {
                buf.clear();
                match catch_unwind(AssertUnwindSafe(|| body.render(&mut buf))) {
                    Ok(()) => reply.invoke(code, desc, &buf),
                    Err(_) => {
                        let e = Error::Internal;
                        reply.invoke(e.callback_code(), e.callback_desc(), b"\0")
                    }
                }
            }
            Job::ConvEvent { event, body } => listeners.conv_event.deliver(|l| {
                buf.clear();
                body.render(&mut buf);
                l.invoke(event, &buf);
            }),
        }
        if buf.capacity() > KEEP_BUFFER {
            buf = Vec::with_capacity(4096);
        }
    }
}
