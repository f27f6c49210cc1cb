//! The callback worker: one thread that runs every task, one at a time, in
//! the order the tasks were submitted. Plain Rust: it knows nothing of C;
//! a [`Task`] is whatever the caller wants run on that thread.
//!
//! Tasks are submitted by the code that made a change while it still holds
//! the lock that made it, so the queue order is the order in which changes
//! took effect.
//!
//! # A thread its host can outlive
//! The worker is not a `std::thread`: it is started with `pthread_create` on
//! a start routine of ABI `"C-unwind"`, and no frame between that routine and
//! a task catches unwinding. A host that ends the thread with a forced unwind
//! (Python calls `pthread_exit` on a foreign thread that calls into it during
//! interpreter shutdown) then simply ends the thread; a `std::thread` would
//! catch that unwind at its top and glibc would abort the process
//! (rust-lang/rust#135929). A task must therefore not let a Rust panic escape
//! [`Task::run`]: it catches its own (the worker has no catch frame).
//!
//! The worker ends itself after [`IDLE`] without work and is started again
//! by the next submission, so a host that waits at exit for the foreign
//! threads that ever called into it (Mono) is not held up by an idle worker.
//! At process exit an `atexit` hook stops every worker at its next task and
//! waits a bounded time for a task under way, so that a program returning
//! from `main` with callbacks queued exits promptly and no callback runs into
//! a program whose static objects are being destroyed.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use parking_lot::{Condvar, Mutex};

/// Work for the worker thread.
pub trait Task: Send + 'static {
    /// Runs on the worker. `scratch` is a buffer the worker keeps between
    /// tasks (see [`KEEP_BUFFER`]). Must not panic (catch inside).
    fn run(self, scratch: &mut Vec<u8>);
}

/// How long a worker waits for work before it ends.
pub const IDLE: Duration = Duration::from_millis(250);

/// The worker keeps a scratch buffer this large between tasks (any single
/// ConvInfo and lists of a hundred or so); a larger one, from a big list, is
/// given back at once, so that no list costs memory after it was delivered.
const KEEP_BUFFER: usize = 64 << 10;

/// How long the exit hook waits for a task under way.
const EXIT_WAIT: Duration = Duration::from_secs(2);

/// The thread name the worker gives itself (as seen by `ps`, `gdb`, and
/// `pthread_getname_np`).
pub const THREAD_NAME: &std::ffi::CStr = c"ImSDK-callback";

/// Set by the exit hook: every worker stops at its next task.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Workers inside [`Task::run`] right now.
static BUSY: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// On a worker thread: the address of its dispatcher's shared state.
    static ON_WORKER: Cell<*const ()> = const { Cell::new(ptr::null()) };
}

/// True on any worker thread (inside a callback).
pub fn on_any_worker() -> bool {
    !ON_WORKER.with(Cell::get).is_null()
}

enum Msg<T> {
    Task(T),
    /// Signals once every message before it was handled.
    Flush(Arc<Done>),
    /// Signals, then ends the worker: nothing is run after it.
    Stop(Arc<Done>),
}

/// A one-shot signal.
struct Done {
    done: Mutex<bool>,
    cv: Condvar,
}

impl Done {
    fn new() -> Arc<Done> {
        Arc::new(Done {
            done: Mutex::new(false),
            cv: Condvar::new(),
        })
    }

    fn signal(&self) {
        *self.done.lock() = true;
        self.cv.notify_all();
    }

    fn wait(&self) {
        let mut d = self.done.lock();
        while !*d {
            self.cv.wait(&mut d);
        }
    }
}

struct Shared<T> {
    tx: Sender<Msg<T>>,
    rx: Receiver<Msg<T>>,
    /// A worker thread exists (or is being started) for this dispatcher.
    running: AtomicBool,
    /// [`Dispatcher::shutdown`] was called: submissions are refused.
    closed: AtomicBool,
    idle: Duration,
}

/// One queue and the worker that drains it.
pub struct Dispatcher<T: Task> {
    shared: Arc<Shared<T>>,
}

impl<T: Task> Default for Dispatcher<T> {
    fn default() -> Self {
        Dispatcher::new()
    }
}

impl<T: Task> Dispatcher<T> {
    /// A dispatcher whose worker starts with the first submission.
    pub fn new() -> Dispatcher<T> {
        Dispatcher::with_idle(IDLE)
    }

    /// As [`Dispatcher::new`], with another idle time (for tests).
    pub fn with_idle(idle: Duration) -> Dispatcher<T> {
        let (tx, rx) = crossbeam_channel::unbounded();
        Dispatcher {
            shared: Arc::new(Shared {
                tx,
                rx,
                running: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                idle,
            }),
        }
    }

    /// True on this dispatcher's worker thread.
    pub fn on_worker(&self) -> bool {
        ON_WORKER.with(Cell::get) == Arc::as_ptr(&self.shared).cast()
    }

    /// Queues `task`. Call it under the lock that made the change the task
    /// reports, so that the queue order is the order of the changes.
    /// After [`Dispatcher::shutdown`], the task is handed back.
    pub fn submit(&self, task: T) -> Result<(), T> {
        if self.shared.closed.load(SeqCst) {
            return Err(task);
        }
        if let Err(e) = self.shared.tx.send(Msg::Task(task)) {
            // The dispatcher owns the receiver: cannot happen.
            return Err(match e.into_inner() {
                Msg::Task(t) => t,
                _ => unreachable!(),
            });
        }
        self.ensure_worker();
        Ok(())
    }

    /// Returns once every task submitted before the call has run. From the
    /// worker itself (inside a task) it returns at once: it never waits for
    /// itself.
    pub fn flush(&self) {
        if self.on_worker() {
            return;
        }
        let done = Done::new();
        if self.shared.tx.send(Msg::Flush(done.clone())).is_ok() {
            self.ensure_worker();
            done.wait();
        }
    }

    /// Refuses further submissions, runs every task already submitted, and
    /// ends the worker. Waits for that, except on the worker itself (inside
    /// a task), where it returns at once and the remaining tasks run after
    /// the current one returns. Calling it again does nothing more.
    pub fn shutdown(&self) {
        if self.shared.closed.swap(true, SeqCst) {
            // Already shut down; wait as the first caller did.
            self.flush();
            return;
        }
        let done = Done::new();
        let _ = self.shared.tx.send(Msg::Stop(done.clone()));
        self.ensure_worker();
        if !self.on_worker() {
            done.wait();
        }
    }

    /// Tasks waiting to run.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.shared.rx.len()
    }

    /// Starts a worker unless one is running. Pairs with the worker's idle
    /// exit: both sides write, fence, then read the other's flag, so either
    /// the worker sees the new message or this sees the worker gone.
    fn ensure_worker(&self) {
        fence(SeqCst);
        if !self.shared.running.load(SeqCst) {
            start_worker(&self.shared);
        }
    }
}

/// Starts a worker thread for `shared` unless one is running.
fn start_worker<T: Task>(shared: &Arc<Shared<T>>) {
    if shared
        .running
        .compare_exchange(false, true, SeqCst, SeqCst)
        .is_err()
    {
        return;
    }
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // SAFETY: registers a plain function; failure only means no hook.
        unsafe { libc::atexit(exit_hook) };
    });
    let arg = Box::into_raw(Box::new(shared.clone())).cast::<c_void>();
    let start: unsafe extern "C-unwind" fn(*mut c_void) -> *mut c_void = worker_main::<T>;
    // SAFETY: `extern "C-unwind"` and `extern "C"` have the same calling
    // convention; the routine takes ownership of `arg`.
    let rc = unsafe {
        let mut tid: libc::pthread_t = 0;
        let start = std::mem::transmute::<
            unsafe extern "C-unwind" fn(*mut c_void) -> *mut c_void,
            extern "C" fn(*mut c_void) -> *mut c_void,
        >(start);
        let rc = libc::pthread_create(&mut tid, ptr::null(), start, arg);
        if rc == 0 {
            libc::pthread_detach(tid);
        }
        rc
    };
    if rc != 0 {
        // No thread (resource limits): the tasks stay queued and the next
        // submission tries again.
        // SAFETY: the thread was not created, so `arg` is still ours.
        drop(unsafe { Box::from_raw(arg.cast::<Arc<Shared<T>>>()) });
        shared.running.store(false, SeqCst);
    }
}

/// Marks the worker gone however its thread ends: normally, or by a host's
/// forced unwind (`pthread_exit`) from inside a task.
struct WorkerGuard<'a, T> {
    shared: &'a Shared<T>,
    busy: bool,
    /// The worker handed the running flag over (`leave`): leave it alone.
    left: bool,
}

impl<T> Drop for WorkerGuard<'_, T> {
    fn drop(&mut self) {
        if self.busy {
            BUSY.fetch_sub(1, SeqCst);
        }
        ON_WORKER.with(|w| w.set(ptr::null()));
        if !self.left {
            self.shared.running.store(false, SeqCst);
        }
    }
}

/// The worker's start routine. No frame from here to a task catches
/// unwinding (see the module docs).
unsafe extern "C-unwind" fn worker_main<T: Task>(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `start_worker` passed a leaked `Box<Arc<Shared<T>>>`.
    let shared = unsafe { Box::from_raw(arg.cast::<Arc<Shared<T>>>()) };
    // SAFETY: names the calling thread; the name is a valid C string of at
    // most 15 bytes.
    unsafe { libc::pthread_setname_np(libc::pthread_self(), THREAD_NAME.as_ptr()) };
    ON_WORKER.with(|w| w.set(Arc::as_ptr(&shared).cast()));
    let mut guard = WorkerGuard {
        shared: &shared,
        busy: false,
        left: false,
    };
    let mut scratch: Vec<u8> = Vec::new();
    loop {
        match shared.rx.recv_timeout(shared.idle) {
            Ok(Msg::Task(task)) => {
                BUSY.fetch_add(1, SeqCst);
                guard.busy = true;
                if EXITING.load(SeqCst) {
                    break;
                }
                task.run(&mut scratch);
                guard.busy = false;
                BUSY.fetch_sub(1, SeqCst);
                if scratch.capacity() > KEEP_BUFFER {
                    scratch = Vec::new();
                }
            }
            Ok(Msg::Flush(done)) => done.signal(),
            // Stopped (nothing but flushes can follow), or idle: end, unless
            // a message arrived meanwhile (see `Dispatcher::ensure_worker`).
            Ok(Msg::Stop(done)) => {
                done.signal();
                if leave(&shared) {
                    guard.left = true;
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if leave(&shared) {
                    guard.left = true;
                    break;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(guard);
    ptr::null_mut()
}

/// The worker's side of the hand-over with `Dispatcher::ensure_worker`:
/// marks the worker gone, then looks for a message that came meanwhile. True
/// when the worker should end: the queue is empty (the next submission
/// starts a new worker), or another worker has started already. False when
/// this one took the running flag back and goes on.
fn leave<T>(shared: &Shared<T>) -> bool {
    shared.running.store(false, SeqCst);
    fence(SeqCst);
    if shared.rx.is_empty()
        || shared
            .running
            .compare_exchange(false, true, SeqCst, SeqCst)
            .is_err()
    {
        return true;
    }
    false
}

/// Runs at process exit: stops every worker at its next task, and waits a
/// bounded time for a task under way (unless called from a worker, by a
/// callback that called `exit`).
extern "C" fn exit_hook() {
    EXITING.store(true, SeqCst);
    let own = usize::from(on_any_worker());
    let step = Duration::from_millis(1);
    let mut waited = Duration::ZERO;
    while BUSY.load(SeqCst) > own && waited < EXIT_WAIT {
        std::thread::sleep(step);
        waited += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc;
    use std::time::Instant;

    /// A task that records its number, optionally after a pause, or runs a
    /// closure.
    enum T {
        Record(Arc<Mutex<Vec<u64>>>, u64),
        Sleep(Duration, Arc<AtomicU64>),
        Run(Box<dyn FnOnce() + Send>),
    }

    impl Task for T {
        fn run(self, scratch: &mut Vec<u8>) {
            scratch.clear();
            match self {
                T::Record(v, n) => v.lock().push(n),
                T::Sleep(d, c) => {
                    std::thread::sleep(d);
                    c.fetch_add(1, SeqCst);
                }
                T::Run(f) => f(),
            }
        }
    }

    #[test]
    fn tasks_run_once_each_in_submission_order_from_many_threads() {
        let d = Arc::new(Dispatcher::<T>::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let (d, seen) = (d.clone(), seen.clone());
                std::thread::spawn(move || {
                    for i in 0..5_000u64 {
                        assert!(d.submit(T::Record(seen.clone(), t << 32 | i)).is_ok());
                    }
                })
            })
            .collect();
        for h in threads {
            h.join().unwrap();
        }
        d.flush();
        let seen = seen.lock();
        assert_eq!(seen.len(), 20_000);
        for t in 0..4u64 {
            let mine: Vec<u64> = seen
                .iter()
                .filter(|&&v| v >> 32 == t)
                .map(|v| v & 0xffff_ffff)
                .collect();
            assert_eq!(
                mine,
                (0..5_000).collect::<Vec<_>>(),
                "thread {t} out of order"
            );
        }
    }

    #[test]
    fn flush_waits_for_what_was_submitted_before_it() {
        let d = Dispatcher::<T>::new();
        let c = Arc::new(AtomicU64::new(0));
        for _ in 0..20 {
            d.submit(T::Sleep(Duration::from_millis(1), c.clone()))
                .ok()
                .unwrap();
        }
        d.flush();
        assert_eq!(c.load(SeqCst), 20);
    }

    #[test]
    fn flush_and_shutdown_from_inside_a_task_do_not_wait_for_themselves() {
        let d = Arc::new(Dispatcher::<T>::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let inner = d.clone();
        let s2 = seen.clone();
        d.submit(T::Run(Box::new(move || {
            // Wait until the next task is queued behind this one.
            go_rx.recv().unwrap();
            inner.flush();
            inner.shutdown();
            // Refused after shutdown, even from the worker.
            assert!(inner.submit(T::Record(s2, 99)).is_err());
            tx.send(()).unwrap();
        })))
        .ok()
        .unwrap();
        // Submitted before the task called shutdown: still runs.
        d.submit(T::Record(seen.clone(), 1)).ok().unwrap();
        go_tx.send(()).unwrap();
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the task deadlocked");
        // A second shutdown from outside waits for the first to finish.
        d.shutdown();
        assert_eq!(*seen.lock(), vec![1]);
        assert!(d.submit(T::Record(seen.clone(), 2)).is_err());
    }

    #[test]
    fn shutdown_runs_everything_queued_then_refuses() {
        let d = Dispatcher::<T>::new();
        let c = Arc::new(AtomicU64::new(0));
        for _ in 0..50 {
            d.submit(T::Sleep(Duration::from_micros(200), c.clone()))
                .ok()
                .unwrap();
        }
        d.shutdown();
        assert_eq!(c.load(SeqCst), 50);
        assert!(d.submit(T::Sleep(Duration::ZERO, c.clone())).is_err());
        assert_eq!(d.queued(), 0);
    }

    #[test]
    fn an_idle_worker_ends_and_the_next_submission_starts_another() {
        let d = Dispatcher::<T>::with_idle(Duration::from_millis(20));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tids = Arc::new(Mutex::new(Vec::new()));
        for round in 0..3u64 {
            let t2 = tids.clone();
            d.submit(T::Run(Box::new(move || {
                t2.lock().push(unsafe { libc::pthread_self() })
            })))
            .ok()
            .unwrap();
            d.submit(T::Record(seen.clone(), round)).ok().unwrap();
            d.flush();
            // Wait until the worker has gone idle and ended.
            let t0 = Instant::now();
            while d.shared.running.load(SeqCst) {
                assert!(
                    t0.elapsed() < Duration::from_secs(30),
                    "the worker never went idle"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        assert_eq!(*seen.lock(), vec![0, 1, 2]);
        assert_eq!(tids.lock().len(), 3);
    }

    #[test]
    fn racing_submissions_against_idle_exit_lose_nothing() {
        // An idle time of 0: the worker tries to end after every message, so
        // submissions race with its exit all the time.
        let d = Arc::new(Dispatcher::<T>::with_idle(Duration::ZERO));
        let c = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (d, c) = (d.clone(), c.clone());
                std::thread::spawn(move || {
                    for i in 0..2_000u32 {
                        d.submit(T::Sleep(Duration::ZERO, c.clone())).ok().unwrap();
                        if i % 64 == 0 {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        for h in threads {
            h.join().unwrap();
        }
        d.flush();
        assert_eq!(c.load(SeqCst), 8_000);
    }

    #[test]
    fn the_worker_is_named_and_knows_it_is_the_worker() {
        let d = Arc::new(Dispatcher::<T>::new());
        let (tx, rx) = mpsc::channel();
        let inner = d.clone();
        d.submit(T::Run(Box::new(move || {
            let mut name = [0u8; 32];
            // SAFETY: a buffer of 32 bytes for the current thread's name.
            unsafe {
                libc::pthread_getname_np(libc::pthread_self(), name.as_mut_ptr().cast(), name.len())
            };
            let name = std::ffi::CStr::from_bytes_until_nul(&name)
                .unwrap()
                .to_owned();
            tx.send((name, inner.on_worker(), on_any_worker())).unwrap();
        })))
        .ok()
        .unwrap();
        let (name, on_worker, on_any) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(name.as_c_str(), THREAD_NAME);
        assert!(on_worker && on_any);
        assert!(!d.on_worker() && !on_any_worker());
    }
}
