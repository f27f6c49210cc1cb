//! What the callback worker runs ([`Job`]): a change's events of every
//! listener kind, in order (conversation events, group events, unread
//! counts), then the call's reply. A change waiting in the durable store's
//! open batch carries a [`Ticket`], which the worker settles first (group
//! commit). Also the replies' builders ([`ok`], [`failed`],
//! [`failed_with`]) and the queueing ([`submit`], [`reply`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::render::{count_arg, render_caught, Body};
use super::Session;
use crate::dispatch::{Dispatcher, Task};
use crate::error::Error;
use crate::listeners::LISTENERS;
use crate::model::conv::write_json_array;
use crate::model::{Conv, ConvId, ConvType};
use crate::sink::{ConvEventKind, LogLevel, NetworkStatus, ReplySink};
use crate::store::{Change, CountEvent, GroupEvent};

/// A change written into the durable store's open batch: its callbacks wait
/// until the batch is committed (group commit). The worker asks before it
/// delivers them; the first to ask commits the batch.
pub struct Ticket {
    pub(super) session: Arc<Session>,
    pub(super) n: u64,
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
pub(super) fn events_of(
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

/// Queues `job`; the core is held (read or write) by the caller.
pub(super) fn submit(d: &Dispatcher<Job>, job: Job) {
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
