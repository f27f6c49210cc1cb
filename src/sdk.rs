//! The running SDK: which state the process is in (the embedded default, an
//! initialized SDK with or without a logged-in user), each user's store, and
//! the callback worker. Every function of the C API lands on one function
//! here.
//!
//! # Locking
//! One process-wide `RwLock` holds the [`Core`]. A conversation call holds
//! it for reading while it checks the state, changes its session's store
//! (under that store's own mutex) and queues what the change produced; the
//! lifecycle functions take it for writing to switch state. So a switch
//! waits for the calls under way, and no call queues a callback into a
//! worker that `TIMUninit` has already stopped: every accepted call is
//! called back exactly once. Nothing is locked while a callback runs, so
//! every function may be called from inside a callback.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock, RwLockReadGuard};

use crate::dispatch::{Dispatcher, Task};
use crate::durable;
use crate::error::{Error, Result};
use crate::fault::{self, Point};
use crate::listeners::LISTENERS;
use crate::model::config::SdkConfig;
use crate::model::conv::{json_array_len, write_json_array};
use crate::model::draft::parse_draft;
use crate::model::json::{frag, write_str, write_u64};
use crate::model::keys::*;
use crate::model::message::{parse_message, parse_message_array, Context};
use crate::model::ConvId;
use crate::model::{Conv, ConvType};
use crate::sink::{ConvEventKind, LogLevel, LoginStatus, NetworkStatus, ReplySink};
use crate::store::{
    Change, ConvRef, CountEvent, Created, Filter, GroupEvent, ItemResult, Outcome, Page, ReadPoint,
    Scope, Snapshot, Store,
};

/// One user's conversations (or the embedded default's).
#[derive(Default)]
pub struct Session {
    store: Mutex<Store>,
    /// Every ticket up to this one is known committed (see [`Ticket`]).
    clean: AtomicU64,
    /// The last ticket handed out (a hint, read without the store's lock).
    issued: AtomicU64,
}

impl Session {
    fn new(store: Store) -> Session {
        Session {
            store: Mutex::new(store),
            clean: AtomicU64::new(0),
            issued: AtomicU64::new(0),
        }
    }

    /// Commits what is open and closes the durable store (at logout, at a
    /// switch of user, at uninit); callbacks still queued find their
    /// tickets settled.
    fn close(&self) {
        self.store.lock().close();
    }
}

/// A change written into the durable store's open batch: its callbacks wait
/// until the batch is committed (group commit). The worker asks before it
/// delivers them; the first to ask commits the batch.
pub struct Ticket {
    session: Arc<Session>,
    n: u64,
}

impl Ticket {
    /// Whether the change is on disk, committing its batch if it is not
    /// yet. False: the batch failed and the change was undone.
    fn committed(&self) -> bool {
        if self.n <= self.session.clean.load(Ordering::Acquire) {
            return true;
        }
        self.let_batch_grow();
        let (ok, clean) = self.session.store.lock().settle(self.n);
        if let Some(c) = clean {
            self.session.clean.fetch_max(c, Ordering::Release);
        }
        ok
    }

    /// While callers are still adding to the open batch, waits a little
    /// (at most [`GROW`]) so that one commit takes them all; a lone change
    /// waits one [`GROW_STEP`].
    fn let_batch_grow(&self) {
        let start = Instant::now();
        let mut seen = self.session.issued.load(Ordering::Acquire);
        loop {
            let step = Instant::now();
            while step.elapsed() < GROW_STEP {
                std::hint::spin_loop();
            }
            let now = self.session.issued.load(Ordering::Acquire);
            if now == seen || start.elapsed() >= GROW {
                return;
            }
            seen = now;
        }
    }
}

/// How long a commit waits at most for a batch that is still growing.
const GROW: Duration = Duration::from_micros(300);
/// How long without a new change ends the wait.
const GROW_STEP: Duration = Duration::from_micros(5);

enum Mode {
    /// No `TIMInit` (or after `TIMUninit`): one in-memory store, served from
    /// the first call on.
    Embedded(Arc<Session>),
    /// After `TIMInit`.
    Initialized {
        app_id: u64,
        /// Where each user's durable store lives (`None`: in memory).
        /// (Boxed: a plain pointer is all this variant adds to the core's
        /// layout, whose tag valgrind then reads as initialized.)
        storage: Option<Box<(PathBuf, durable::Sync)>>,
        /// In memory: every user logged in since `TIMInit`, with their
        /// state. Durable: the user logged in now (closed at logout).
        users: HashMap<String, Arc<Session>>,
        /// The user logged in now.
        login: Option<String>,
    },
}

pub struct Core {
    mode: Mode,
    /// Delivers every callback of this state; replaced by `TIMUninit`.
    dispatcher: Arc<Dispatcher<Job>>,
    /// `set_config_callback_log_level`: lines above it reach the log listener.
    callback_log_level: i32,
}

static CORE: LazyLock<RwLock<Core>> = LazyLock::new(|| {
    RwLock::new(Core {
        mode: Mode::Embedded(Arc::default()),
        dispatcher: Arc::new(Dispatcher::new()),
        callback_log_level: LogLevel::Info as i32,
    })
});

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The Unix time in seconds (`TIMGetServerTime`: there is no server).
pub fn server_time() -> u64 {
    unix_now()
}

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
    /// A JSON array of ConvInfo.
    Convs(Vec<Arc<Conv>>),
    /// A JSON array of `TIMConversationOperationResult`.
    Results(Vec<ItemResult>),
    /// A `TIMConversationListResult`.
    Page(Page),
    /// A JSON array of strings.
    Names(Vec<Arc<str>>),
    /// A `GetTotalUnreadNumberResult`.
    Total(u64),
    /// A JSON array of `GetC2CRecvMsgOptResult`.
    RecvOpts(Vec<(String, u8)>),
    /// JSON text as it is (a message).
    Text(Arc<str>),
}

/// Output buffers at least this large are pre-faulted in one system call
/// instead of one page fault per 4 KiB page.
const PREFAULT_MIN: usize = 1 << 20;

impl Body {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Body::Empty => {}
            Body::Conv(c) => c.write_json(out),
            Body::ConvArray1(c) => write_json_array(out, [c]),
            Body::List(snap) => {
                let len = json_array_len(snap.len(), snap.json_total) + 1;
                reserve_prefaulted(out, len);
                write_json_array(out, snap.iter());
            }
            Body::Convs(convs) => write_json_array(out, convs),
            Body::Results(results) => write_results(out, results),
            Body::Page(page) => {
                out.extend_from_slice(frag!("{\"", TIMConversationListResultConvList, "\":"));
                write_json_array(out, &page.convs);
                out.extend_from_slice(frag!(",\"", TIMConversationListResultNextSeq, "\":"));
                write_u64(out, page.next);
                out.extend_from_slice(frag!(",\"", TIMConversationListResultIsFinished, "\":"));
                out.extend_from_slice(if page.finished { b"true}" } else { b"false}" });
            }
            Body::Names(names) => {
                out.push(b'[');
                for (i, n) in names.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, n);
                }
                out.push(b']');
            }
            Body::Total(n) => {
                out.extend_from_slice(frag!(
                    "{\"",
                    kTIMConvGetTotalUnreadMessageCountResultUnreadCount,
                    "\":"
                ));
                write_u64(out, u64::from(count_arg(*n).unsigned_abs()));
                out.push(b'}');
            }
            Body::RecvOpts(opts) => {
                out.push(b'[');
                for (i, (id, opt)) in opts.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(frag!(
                        "{\"",
                        kTIMMsgGetC2CRecvMsgOptResultIdentifier,
                        "\":"
                    ));
                    write_str(out, id);
                    out.extend_from_slice(frag!(",\"", kTIMMsgGetC2CRecvMsgOptResultOpt, "\":"));
                    write_u64(out, u64::from(*opt));
                    out.push(b'}');
                }
                out.push(b']');
            }
            Body::Text(t) => out.extend_from_slice(t.as_bytes()),
        }
    }

    /// Renders into `out`; false if rendering panicked.
    fn render_caught(&self, out: &mut Vec<u8>) -> bool {
        render_caught(out, |o| self.write(o))
    }

    /// True when `self` is an event array holding exactly the ConvInfo that
    /// `reply` is, so one rendering serves both.
    fn wraps(&self, reply: &Body) -> bool {
        matches!((self, reply), (Body::ConvArray1(a), Body::Conv(b)) if Arc::ptr_eq(a, b))
    }
}

/// Appends a JSON array of `TIMConversationOperationResult` objects.
fn write_results(out: &mut Vec<u8>, results: &[ItemResult]) {
    out.push(b'[');
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(frag!(
            "{\"",
            kTIMConversationOperationResultConversationID,
            "\":"
        ));
        write_str(out, &r.id);
        out.extend_from_slice(frag!(
            ",\"",
            kTIMConversationOperationResultResultCode,
            "\":"
        ));
        if r.code < 0 {
            out.push(b'-');
        }
        write_u64(out, u64::from(r.code.unsigned_abs()));
        out.extend_from_slice(frag!(
            ",\"",
            kTIMConversationOperationResultResultInfo,
            "\":"
        ));
        write_str(out, r.info);
        out.push(b'}');
    }
    out.push(b']');
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
    pub reply: ReplySink,
    pub code: i32,
    pub desc: Cow<'static, CStr>,
    pub body: Body,
}

/// What the worker runs.
pub enum Job {
    /// What one change produced: its conversation events first, then its
    /// group events, then the call's reply (any may be absent).
    Deliver {
        event: Option<(ConvEventKind, Body)>,
        more: Vec<Event>,
        reply: Option<ReplyJob>,
        /// Set when the change waits for its batch to be committed.
        ticket: Option<Ticket>,
    },
    /// A network-status notification (code 0, desc "").
    Network(NetworkStatus),
    /// A line for the log listener.
    Log(LogLevel, CString),
}

impl Task for Job {
    fn run(self, buf: &mut Vec<u8>) {
        match self {
            Job::Deliver {
                event,
                more,
                reply,
                ticket,
            } => {
                if ticket.is_some_and(|t| !t.committed()) {
                    // The batch failed and the change was undone: its
                    // events never happened; the caller hears why.
                    if let Some(r) = reply {
                        let e = Error::Storage;
                        r.reply.call(e.callback_code(), e.callback_desc(), b"\0");
                    }
                    return;
                }
                // Set when `buf` still holds the event's "[{...}]\0" and the
                // reply is that same object: one rendering serves both.
                let mut shared = false;
                if let Some((kind, body)) = &event {
                    let sent = conv_event(buf, *kind, body);
                    shared = sent
                        && more.is_empty()
                        && reply.as_ref().is_some_and(|r| body.wraps(&r.body));
                }
                for e in &more {
                    e.deliver(buf);
                }
                if let Some(r) = reply {
                    answer(buf, r, shared);
                }
            }
            Job::Network(status) => LISTENERS.network.deliver(|l| l.call(status as i32, 0, c"")),
            Job::Log(level, line) => LISTENERS.log.deliver(|l| l.call(level as i32, &line)),
        }
    }
}

/// An event of a listener kind other than the first conversation event.
pub enum Event {
    Conv(ConvEventKind, Body),
    Group(GroupEvent),
    Count(CountEvent),
}

/// An unread count as the callbacks' `int` carries it (at most `i32::MAX`).
fn count_arg(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Delivers a conversation event; true if the listener got it (a payload
/// that cannot be rendered, a bug, is not delivered).
fn conv_event(buf: &mut Vec<u8>, kind: ConvEventKind, body: &Body) -> bool {
    let mut sent = false;
    LISTENERS.conv_event.deliver(|l| {
        if body.render_caught(buf) {
            l.call(kind as i32, buf);
            sent = true;
        }
    });
    sent
}

/// Renders a JSON array of ConvInfo into `buf` (cleared first); false if
/// rendering panicked.
fn convs_caught(buf: &mut Vec<u8>, convs: &[Arc<Conv>]) -> bool {
    render_caught(buf, |o| write_json_array(o, convs))
}

/// Every payload's rendering: `write` into `out` (cleared first), then the
/// NUL; false if it panicked (a bug: the payload is not delivered).
fn render_caught(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) -> bool {
    out.clear();
    catch_unwind(AssertUnwindSafe(|| {
        fault::hit(Point::Render);
        write(out);
        out.push(0);
    }))
    .is_ok()
}

/// A C string of a group name (names come from C strings: no NUL inside).
fn c_name(name: &str) -> CString {
    CString::new(name).unwrap_or_default()
}

impl Event {
    fn deliver(&self, buf: &mut Vec<u8>) {
        match self {
            Event::Conv(kind, body) => {
                conv_event(buf, *kind, body);
            }
            Event::Group(g) => match g {
                GroupEvent::Created(name, convs) => LISTENERS.group_created.deliver(|l| {
                    if convs_caught(buf, convs) {
                        l.call(&c_name(name), buf);
                    }
                }),
                GroupEvent::Added(name, convs) => LISTENERS.added_to_group.deliver(|l| {
                    if convs_caught(buf, convs) {
                        l.call(&c_name(name), buf);
                    }
                }),
                GroupEvent::Removed(name, convs, reason) => {
                    LISTENERS.removed_from_group.deliver(|l| {
                        if convs_caught(buf, convs) {
                            l.call(&c_name(name), buf, *reason);
                        }
                    })
                }
                GroupEvent::Deleted(name) => {
                    LISTENERS.group_deleted.deliver(|l| l.call(&c_name(name)))
                }
                GroupEvent::Renamed(old, new) => LISTENERS
                    .group_renamed
                    .deliver(|l| l.call(&c_name(old), &c_name(new))),
            },
            Event::Count(CountEvent::Total(n)) => {
                LISTENERS.total_unread.deliver(|l| l.call(count_arg(*n)))
            }
            Event::Count(CountEvent::Filter(text, n)) => LISTENERS
                .filter_unread
                .deliver(|l| l.call(&c_name(text), count_arg(*n))),
        }
    }
}

/// The events of a committed change: one conversation event per kind
/// (Add, Del, Update, each listing every conversation concerned once, in
/// its latest version), then the group events, then the unread counts that
/// moved.
fn events_of(
    changes: Vec<Change>,
    groups: Vec<GroupEvent>,
    counts: Vec<CountEvent>,
) -> (Option<(ConvEventKind, Body)>, Vec<Event>) {
    let (first, mut more) = conv_and_group_events(changes, groups);
    more.extend(counts.into_iter().map(Event::Count));
    (first, more)
}

fn conv_and_group_events(
    changes: Vec<Change>,
    groups: Vec<GroupEvent>,
) -> (Option<(ConvEventKind, Body)>, Vec<Event>) {
    // The common case (a create, a draft, a pin): one change, one event.
    if changes.len() == 1 && groups.is_empty() {
        let Change { old, new } = changes.into_iter().next().expect("one");
        let (kind, conv) = match (old, new) {
            (None, Some(n)) => (ConvEventKind::Add, n),
            (Some(o), None) => (ConvEventKind::Del, o),
            (Some(_), Some(n)) => (ConvEventKind::Update, n),
            (None, None) => return (None, Vec::new()),
        };
        return (Some((kind, Body::ConvArray1(conv))), Vec::new());
    }
    // Each conversation once, in the order it first changed: its state
    // before the operation and after it.
    let mut slots: Vec<Change> = Vec::with_capacity(changes.len());
    let mut slot_of: HashMap<(ConvType, ConvId), usize> = HashMap::with_capacity(changes.len());
    for Change { old, new } in changes {
        let Some(c) = old.as_ref().or(new.as_ref()) else {
            continue;
        };
        match slot_of.entry((c.conv_type(), c.id().clone())) {
            std::collections::hash_map::Entry::Occupied(e) => slots[*e.get()].new = new,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(slots.len());
                slots.push(Change { old, new });
            }
        }
    }
    let mut lists: [Vec<Arc<Conv>>; 3] = Default::default();
    for Change { old, new } in slots {
        match (old, new) {
            (None, Some(n)) => lists[ConvEventKind::Add as usize].push(n),
            (Some(o), None) => lists[ConvEventKind::Del as usize].push(o),
            (Some(_), Some(n)) => lists[ConvEventKind::Update as usize].push(n),
            // Made and removed by the same operation: nothing to tell.
            (None, None) => {}
        }
    }
    let mut events: Vec<Event> = Vec::new();
    for (k, kind) in [
        ConvEventKind::Add,
        ConvEventKind::Del,
        ConvEventKind::Update,
    ]
    .into_iter()
    .enumerate()
    {
        let list = std::mem::take(&mut lists[k]);
        match list.len() {
            0 => {}
            1 => events.push(Event::Conv(
                kind,
                Body::ConvArray1(list.into_iter().next().expect("one")),
            )),
            _ => events.push(Event::Conv(kind, Body::Convs(list))),
        }
    }
    events.extend(groups.into_iter().map(Event::Group));
    let mut events = events.into_iter();
    let first = match events.next() {
        Some(Event::Conv(kind, body)) => Some((kind, body)),
        Some(other) => return (None, std::iter::once(other).chain(events).collect()),
        None => None,
    };
    (first, events.collect())
}

/// Calls the reply's callback; `shared`: `buf` holds the event array
/// wrapping exactly the reply's object.
fn answer(buf: &mut Vec<u8>, r: ReplyJob, shared: bool) {
    if shared {
        // "[{...}]\0" -> "{...}\0": the app's event callback has returned,
        // so the buffer is ours again.
        let n = buf.len();
        buf[n - 2] = 0;
        r.reply.call(r.code, &r.desc, &buf[1..n - 1]);
    } else if r.body.render_caught(buf) {
        r.reply.call(r.code, &r.desc, buf);
    } else {
        let e = Error::Internal;
        r.reply.call(e.callback_code(), e.callback_desc(), b"\0");
    }
}

/// A successful reply carrying `body`, for a non-NULL callback.
pub fn ok(reply: Option<ReplySink>, body: Body) -> Option<ReplyJob> {
    reply.map(|reply| ReplyJob {
        reply,
        code: 0,
        desc: Cow::Borrowed(c""),
        body,
    })
}

/// A failed reply, for a non-NULL callback.
pub fn failed(reply: Option<ReplySink>, err: Error) -> Option<ReplyJob> {
    failed_with(reply, err, Cow::Borrowed(err.callback_desc()))
}

/// A failed reply with a `desc` of its own.
pub fn failed_with(
    reply: Option<ReplySink>,
    err: Error,
    desc: Cow<'static, CStr>,
) -> Option<ReplyJob> {
    reply.map(|reply| ReplyJob {
        reply,
        code: err.callback_code(),
        desc,
        body: Body::Empty,
    })
}

/// A C string from text the library writes (no NUL inside).
fn line(s: String) -> CString {
    CString::new(s).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The state a call runs against.

/// What a call needs: its session and the worker that answers it. Holds the
/// core for reading (see the module docs).
pub struct Ctx<'a> {
    core: RwLockReadGuard<'a, Core>,
    session: Arc<Session>,
}

/// Runs `f` against the current session: the embedded default, or the
/// logged-in user after `TIMInit` (`TIM_ERR_NOTLOGIN` without one). The
/// state is checked before `f` runs, so before any argument (C4.1).
pub fn with_session<R>(f: impl FnOnce(&Ctx) -> Result<R>) -> Result<R> {
    let core = CORE.read();
    let session = match &core.mode {
        Mode::Embedded(s) => s.clone(),
        Mode::Initialized { users, login, .. } => login
            .as_ref()
            .and_then(|u| users.get(u))
            .cloned()
            .ok_or(Error::NotLoggedIn)?,
    };
    f(&Ctx { core, session })
}

/// Runs `f` with the current worker, whatever the state (for the functions
/// that answer without a session).
pub fn with_dispatcher<R>(f: impl FnOnce(&Dispatcher<Job>) -> R) -> R {
    f(&CORE.read().dispatcher)
}

/// Queues `job`; the core is held (read or write) by the caller.
fn submit(d: &Dispatcher<Job>, job: Job) {
    // Refused only by a stopped worker, which no held core ever has.
    let _ = d.submit(job);
}

/// Queues a reply, if there is one.
pub fn reply(d: &Dispatcher<Job>, reply: Option<ReplyJob>) {
    if reply.is_some() {
        submit(
            d,
            Job::Deliver {
                event: None,
                more: Vec::new(),
                reply,
                ticket: None,
            },
        );
    }
}

impl Ctx<'_> {
    fn deliver(
        &self,
        event: Option<(ConvEventKind, Body)>,
        more: Vec<Event>,
        reply: Option<ReplyJob>,
    ) {
        self.deliver_after(event, more, reply, None);
    }

    fn deliver_after(
        &self,
        event: Option<(ConvEventKind, Body)>,
        more: Vec<Event>,
        reply: Option<ReplyJob>,
        ticket: Option<u64>,
    ) {
        let ticket = ticket.map(|n| Ticket {
            session: self.session.clone(),
            n,
        });
        if event.is_some() || !more.is_empty() || reply.is_some() || ticket.is_some() {
            submit(
                &self.core.dispatcher,
                Job::Deliver {
                    event,
                    more,
                    reply,
                    ticket,
                },
            );
        }
    }

    /// The one commit step: what a store operation changed becomes its
    /// events of every listener kind and then the reply, queued as one job
    /// (under the store's lock, which the caller holds). `ticket`: the
    /// change waits in the durable store's open batch, and so does the job.
    fn commit<R>(
        &self,
        out: Outcome<R>,
        ticket: Option<u64>,
        reply: impl FnOnce(R) -> Option<ReplyJob>,
    ) {
        let (event, more) = events_of(out.changes, out.groups, out.counts);
        self.deliver_after(event, more, reply(out.result), ticket);
    }

    /// Runs a store operation under the store's lock: a refusal found by the
    /// store is the reply's code (nothing changed, nothing fires).
    fn op<R>(
        &self,
        reply: Option<ReplySink>,
        run: impl FnOnce(&mut Store) -> Result<Outcome<R>>,
        answer: impl FnOnce(Option<ReplySink>, R) -> Option<ReplyJob>,
    ) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.session.store.lock();
        // A change with a callback joins the durable store's open batch:
        // its callback is delivered once the batch is committed. Without a
        // callback nothing would wait for it, so it commits at once.
        store.batching(reply.is_some());
        let result = run(&mut store);
        let ticket = store.ticket();
        store.batching(false);
        if let Some(t) = ticket {
            self.session.issued.fetch_max(t, Ordering::Release);
        }
        match result.inspect_err(|e| self.log_failure(*e)) {
            Ok(out) => self.commit(out, ticket, |r| answer(reply, r)),
            Err(e) => self.deliver(None, Vec::new(), failed(reply, e)),
        }
        Ok(())
    }

    /// A change the durable store refused is told to the log listener too
    /// (a synchronous function can only return its code).
    fn log_failure(&self, e: Error) {
        if e == Error::Storage {
            let desc = e.callback_desc().to_string_lossy().into_owned();
            self.core.log(LogLevel::Error, desc);
        }
    }

    /// Answers from the store, under its lock, without changing it; with
    /// `lazy`, nothing is looked up when there is no callback to answer.
    fn query(
        &self,
        reply: Option<ReplySink>,
        lazy: bool,
        body: impl FnOnce(&mut Store) -> Body,
    ) -> Result<()> {
        fault::hit(Point::Store);
        if lazy && reply.is_none() {
            return Ok(());
        }
        let body = body(&mut self.session.store.lock());
        self.deliver(None, Vec::new(), ok(reply, body));
        Ok(())
    }

    pub fn conv_create(&self, ty: ConvType, id: &str, reply: Option<ReplySink>) -> Result<()> {
        self.op(
            reply,
            |s| s.create(ty, id),
            |r, created| match created {
                Created::New(c) | Created::Existing(c) => ok(r, Body::Conv(c)),
            },
        )
    }

    pub fn conv_delete(&self, ty: ConvType, id: &str, reply: Option<ReplySink>) -> Result<()> {
        self.op(reply, |s| s.delete(ty, id), |r, ()| ok(r, Body::Empty))
    }

    pub fn conv_list(&self, reply: Option<ReplySink>) -> Result<()> {
        self.query(reply, true, |s| Body::List(s.snapshot()))
    }

    pub fn conv_set_draft(&self, ty: ConvType, id: &str, draft_json: &str) -> Result<()> {
        // Parse before taking the lock: JSON errors come before "no such
        // conversation" (C4.1), and the parse holds nobody up.
        let draft = parse_draft(draft_json, unix_now())?;
        fault::hit(Point::Store);
        let mut store = self.session.store.lock();
        store.batching(false);
        let out = store
            .set_draft(ty, id, draft)
            .inspect_err(|e| self.log_failure(*e))?;
        self.commit(out, None, |()| None);
        Ok(())
    }

    pub fn conv_cancel_draft(&self, ty: ConvType, id: &str) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.session.store.lock();
        store.batching(false);
        let out = store
            .cancel_draft(ty, id)
            .inspect_err(|e| self.log_failure(*e))?;
        self.commit(out, None, |()| None);
        Ok(())
    }

    /// `TIMConvGetConvInfo`: the conversations asked for that exist.
    pub fn conv_get_info(
        &self,
        wanted: &[(ConvType, String)],
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.query(reply, true, |s| Body::Convs(s.get_many(wanted)))
    }

    pub fn conv_pin(
        &self,
        ty: ConvType,
        id: &str,
        pinned: bool,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(reply, |s| s.pin(ty, id, pinned), |r, ()| ok(r, Body::Empty))
    }

    pub fn conv_mark(
        &self,
        refs: &[ConvRef],
        bits: u64,
        enable: bool,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(reply, |s| s.mark(refs, bits, enable), results)
    }

    pub fn conv_set_custom_data(
        &self,
        refs: &[ConvRef],
        data: &str,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(reply, |s| s.set_custom_data(refs, data), results)
    }

    pub fn conv_delete_many(&self, refs: &[ConvRef], reply: Option<ReplySink>) -> Result<()> {
        self.op(reply, |s| s.delete_many(refs), results)
    }

    pub fn group_create(
        &self,
        name: &str,
        refs: &[ConvRef],
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(reply, |s| s.group_create(name, refs), results)
    }

    pub fn group_list(&self, reply: Option<ReplySink>) -> Result<()> {
        self.query(reply, true, |s| Body::Names(s.group_names()))
    }

    pub fn group_delete(&self, name: &str, reply: Option<ReplySink>) -> Result<()> {
        self.op(reply, |s| s.group_delete(name), |r, ()| ok(r, Body::Empty))
    }

    pub fn group_rename(&self, old: &str, new: &str, reply: Option<ReplySink>) -> Result<()> {
        self.op(
            reply,
            |s| s.group_rename(old, new),
            |r, ()| ok(r, Body::Empty),
        )
    }

    pub fn group_add(&self, name: &str, refs: &[ConvRef], reply: Option<ReplySink>) -> Result<()> {
        self.op(reply, |s| s.group_add(name, refs), results)
    }

    pub fn group_remove(
        &self,
        name: &str,
        refs: &[ConvRef],
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(reply, |s| s.group_remove(name, refs), results)
    }

    /// A page of the filtered list.
    pub fn conv_page(
        &self,
        filter: &Filter,
        after: u64,
        count: usize,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.query(reply, true, |s| Body::Page(s.page(filter, after, count)))
    }
}

/// Conversation state from messages, receive options and unread counts.
impl Ctx<'_> {
    /// The logged-in user (none in the embedded default).
    fn user(&self) -> Option<&str> {
        match &self.core.mode {
            Mode::Embedded(_) => None,
            Mode::Initialized { login, .. } => login.as_deref(),
        }
    }

    fn msg_ctx<'b>(&'b self, conv_type: ConvType, conv_id: &'b str) -> Context<'b> {
        Context {
            conv_type,
            conv_id,
            user: self.user(),
            now: unix_now(),
        }
    }

    /// `TIMMsgImportMsgList`: a non-empty JSON array of messages, all
    /// checked before any is applied.
    pub fn msg_import(
        &self,
        ty: ConvType,
        id: &str,
        json: &str,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        let ctx = self.msg_ctx(ty, id);
        let msgs = parse_message_array(json, &ctx)?;
        if msgs.is_empty() {
            return Err(Error::InvalidParam);
        }
        self.op(reply, |s| s.import(&ctx, &msgs), |r, ()| ok(r, Body::Empty))
    }

    /// `TIMMsgSaveMsg`: one message; the reply carries it as kept (the same
    /// text the conversation keeps if it becomes the last message).
    pub fn msg_save(
        &self,
        ty: ConvType,
        id: &str,
        json: &str,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        let ctx = self.msg_ctx(ty, id);
        let msg = parse_message(json, &ctx)?;
        let text = msg.stored_text(&ctx);
        self.op(
            reply,
            |s| s.import(&ctx, std::slice::from_ref(&msg)),
            |r, ()| ok(r, Body::Text(text)),
        )
    }

    /// `TIMMsgReportReaded`: `id` `None` reads every conversation of the
    /// type; `msg` `None` reads everything, else up to that message (C2C:
    /// its time; group: its sequence, everything if it has none).
    pub fn msg_report_read(
        &self,
        ty: ConvType,
        id: Option<&str>,
        msg: Option<&str>,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        let (scope, upto) = match id {
            None => (Scope::Type(ty), ReadPoint::ALL),
            Some(id) => {
                let upto = match msg {
                    None => ReadPoint::ALL,
                    Some(text) => {
                        let ctx = self.msg_ctx(ty, id);
                        let m = parse_message(text, &ctx)?;
                        let point = match ty {
                            ConvType::C2C => Some(m.time(&ctx)),
                            ConvType::Group => (m.facts.seq != 0).then_some(m.facts.seq),
                        };
                        ReadPoint {
                            c2c_time: point,
                            group_seq: point,
                        }
                    }
                };
                (Scope::One(ty, id.to_owned()), upto)
            }
        };
        self.msg_read(&scope, upto, reply)
    }

    /// Reads the unread messages of `scope` up to `upto`
    /// (`TIMMsgMarkAllMessageAsRead`, `TIMConvCleanConversationUnreadMessageCount`).
    pub fn msg_read(&self, scope: &Scope, upto: ReadPoint, reply: Option<ReplySink>) -> Result<()> {
        self.op(reply, |s| s.read(scope, upto), |r, ()| ok(r, Body::Empty))
    }

    /// `TIMMsgClearHistoryMessage`.
    pub fn msg_clear_history(
        &self,
        ty: ConvType,
        id: &str,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(
            reply,
            |s| s.clear_history(ty, id),
            |r, ()| ok(r, Body::Empty),
        )
    }

    /// `TIMMsgSetC2CReceiveMessageOpt` / `TIMMsgSetGroupReceiveMessageOpt`.
    pub fn set_recv_opt(
        &self,
        ty: ConvType,
        ids: &[&str],
        opt: u8,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        self.op(
            reply,
            |s| s.set_recv_opt(ty, ids, opt),
            |r, ()| ok(r, Body::Empty),
        )
    }

    /// `TIMMsgGetC2CReceiveMessageOpt`.
    pub fn get_c2c_recv_opts(&self, ids: &[String], reply: Option<ReplySink>) -> Result<()> {
        self.query(reply, true, |s| Body::RecvOpts(s.c2c_recv_opts(ids)))
    }

    /// `TIMConvGetTotalUnreadMessageCount`: from now on, changes of the
    /// total are told.
    pub fn total_unread(&self, reply: Option<ReplySink>) -> Result<()> {
        // Asked for even without a callback: from now on, changes are told.
        self.query(reply, false, |s| Body::Total(s.total_unread()))
    }

    /// `TIMConvGetUnreadMessageCountByFilter`.
    pub fn filter_unread(&self, filter: &Filter, reply: Option<ReplySink>) -> Result<()> {
        self.query(reply, true, |s| Body::Total(s.filter_unread(filter)))
    }

    /// `TIMConvSubscribeUnreadMessageCountByFilter` (synchronous).
    pub fn subscribe_unread(&self, filter: Filter, text: &str) -> Result<()> {
        fault::hit(Point::Store);
        self.session.store.lock().subscribe(filter, text)
    }

    /// `TIMConvUnsubscribeUnreadMessageCountByFilter` (synchronous).
    pub fn unsubscribe_unread(&self, filter: &Filter) -> Result<()> {
        fault::hit(Point::Store);
        self.session.store.lock().unsubscribe(filter);
        Ok(())
    }
}

/// The reply of a batch: its results.
fn results(reply: Option<ReplySink>, r: Vec<ItemResult>) -> Option<ReplyJob> {
    ok(reply, Body::Results(r))
}

// ---------------------------------------------------------------------------
// The lifecycle (`TIMManager.h`).

impl Core {
    fn log(&self, level: LogLevel, text: String) {
        let lvl = level as i32;
        if self.callback_log_level != LogLevel::Off as i32 && lvl >= self.callback_log_level {
            submit(&self.dispatcher, Job::Log(level, line(text)));
        }
    }
}

/// `TIMInit`: from the embedded default, starts an initialized SDK with no
/// user logged in (the embedded store is dropped). Again with the same app
/// id: nothing changes; with another: `InvalidParam` (call `TIMUninit`
/// first).
pub fn init(app_id: u64, config: &SdkConfig) -> Result<()> {
    if app_id == 0 {
        return Err(Error::InvalidParam);
    }
    let mut core = CORE.write();
    match core.mode {
        Mode::Initialized { app_id: a, .. } if a == app_id => return Ok(()),
        Mode::Initialized { .. } => return Err(Error::InvalidParam),
        Mode::Embedded(_) => {}
    }
    let storage = config
        .sdk_config_config_file_path
        .as_deref()
        .filter(|p| !p.is_empty())
        .map(|p| {
            let sync = match config.sdk_config_storage_full_sync {
                Some(true) => durable::Sync::Full,
                _ => durable::Sync::Normal,
            };
            Box::new((PathBuf::from(p), sync))
        });
    let text = match storage.as_deref() {
        None => format!("TIMInit: sdk_app_id {app_id}; conversations are kept in memory, per user"),
        Some((p, sync)) => format!(
            "TIMInit: sdk_app_id {app_id}; conversations are kept under {} ({sync:?} sync)",
            durable::user_dir(p, app_id, "")
                .parent()
                .unwrap_or(p)
                .display()
        ),
    };
    core.mode = Mode::Initialized {
        app_id,
        storage,
        users: HashMap::new(),
        login: None,
    };
    core.log(LogLevel::Info, text);
    // No network: "connected" at once, so that an app waiting for it goes on.
    submit(&core.dispatcher, Job::Network(NetworkStatus::Connecting));
    submit(&core.dispatcher, Job::Network(NetworkStatus::Connected));
    Ok(())
}

/// `TIMUninit`: back to the embedded default (a new, empty store); delivers
/// every callback already accepted, then stops the worker, and waits for
/// that unless called from inside a callback (then the remaining callbacks
/// run after the current one returns, and `TIMUninit` returns at once).
pub fn uninit() {
    let old = {
        let mut core = CORE.write();
        core.log(LogLevel::Info, "TIMUninit".to_owned());
        if let Mode::Initialized { users, .. } = &mut core.mode {
            close_all(users);
        }
        core.mode = Mode::Embedded(Arc::default());
        std::mem::replace(&mut core.dispatcher, Arc::new(Dispatcher::new()))
    };
    old.shutdown();
}

/// `TIMLogin`: opens `user`'s state (kept in memory since `TIMInit`, or
/// loaded from the user's durable store). The same user again: nothing
/// changes; another user: the current one is logged out first. Both answer
/// code 0; a durable store that cannot be opened answers its own code, and
/// then no user is logged in.
pub fn login(user: &str, reply: Option<ReplySink>) -> Result<()> {
    let mut core = CORE.write();
    let Core {
        mode, dispatcher, ..
    } = &mut *core;
    let Mode::Initialized {
        app_id,
        storage,
        users,
        login,
    } = mode
    else {
        return Err(Error::NotInitialized);
    };
    let d = dispatcher.clone();
    if login.as_deref() == Some(user) {
        core.log(
            LogLevel::Info,
            format!("TIMLogin: {user} is already logged in"),
        );
        self::reply(&d, ok(reply, Body::Empty));
        return Ok(());
    }
    let before = login.take();
    let opened = match storage.as_deref() {
        None => {
            users.entry(user.to_owned()).or_default();
            Ok(())
        }
        Some((root, sync)) => {
            // One durable store open at a time: the previous user's closes
            // (and its lock is released) before the next opens.
            close_all(users);
            durable::open(root, *app_id, user, *sync).map(|store| {
                users.insert(user.to_owned(), Arc::new(Session::new(store)));
            })
        }
    };
    let out = match opened {
        Ok(()) => {
            *login = Some(user.to_owned());
            let text = match before {
                Some(u) => format!("TIMLogin: {u} logged out, {user} logged in"),
                None => format!("TIMLogin: {user} logged in"),
            };
            core.log(LogLevel::Info, text);
            ok(reply, Body::Empty)
        }
        Err(e) => {
            let text = format!("TIMLogin: {user} not logged in: {}", e.desc);
            core.log(LogLevel::Error, text);
            reply.map(|reply| ReplyJob {
                reply,
                code: e.code,
                desc: Cow::Owned(line(e.desc)),
                body: Body::Empty,
            })
        }
    };
    self::reply(&d, out);
    Ok(())
}

/// Commits and closes every session's durable store, and forgets them.
fn close_all(users: &mut HashMap<String, Arc<Session>>) {
    for (_, s) in users.drain() {
        s.close();
    }
}

/// `TIMLogout`: closes the user's state (kept for a later login). With no
/// user logged in, the callback gets `ERR_SDK_NOT_LOGGED_IN`.
pub fn logout(reply: Option<ReplySink>) -> Result<()> {
    let mut core = CORE.write();
    let Mode::Initialized {
        login,
        storage,
        users,
        ..
    } = &mut core.mode
    else {
        return Err(Error::NotInitialized);
    };
    if storage.is_some() {
        // Closes the durable store and releases its lock.
        close_all(users);
    }
    match login.take() {
        Some(u) => {
            core.log(LogLevel::Info, format!("TIMLogout: {u} logged out"));
            self::reply(&core.dispatcher, ok(reply, Body::Empty));
        }
        None => self::reply(&core.dispatcher, failed(reply, Error::NotLoggedIn)),
    }
    Ok(())
}

/// `TIMGetLoginStatus`.
pub fn login_status() -> LoginStatus {
    match &CORE.read().mode {
        Mode::Initialized { login: Some(_), .. } => LoginStatus::Logined,
        _ => LoginStatus::UnLogined,
    }
}

/// `TIMGetLoginUserID`: the logged-in user.
pub fn login_user() -> Result<String> {
    match &CORE.read().mode {
        Mode::Embedded(_) => Err(Error::NotInitialized),
        Mode::Initialized { login, .. } => login.clone().ok_or(Error::NotLoggedIn),
    }
}

/// `TIMSetConfig`: the callback log level is kept (every other key is
/// accepted and has no effect here); the reply gets code 0.
pub fn set_config(callback_log_level: Option<i32>, reply: Option<ReplySink>) {
    let mut core = CORE.write();
    if let Some(l) = callback_log_level {
        core.callback_log_level = l;
    }
    self::reply(&core.dispatcher, ok(reply, Body::Empty));
}
