//! The JSON a callback carries ([`Body`]), rendered on the callback worker
//! into its reused buffer: ConvInfo objects and arrays, operation results,
//! pages, names, counts and receive options. A rendering that panics is
//! caught here ([`render_caught`]): a bug, and the payload is not delivered.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::fault::{self, Point};
use crate::model::conv::{json_array_len, write_json_array};
use crate::model::json::{frag, write_str, write_u64};
use crate::model::keys::*;
use crate::model::Conv;
use crate::store::{ItemResult, Page, Snapshot};

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
    pub(super) fn render_caught(&self, out: &mut Vec<u8>) -> bool {
        render_caught(out, |o| self.write(o))
    }

    /// True when `self` is an event array holding exactly the ConvInfo that
    /// `reply` is, so one rendering serves both.
    pub(super) fn wraps(&self, reply: &Body) -> bool {
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

/// An unread count as the callbacks' `int` carries it (at most `i32::MAX`).
pub(super) fn count_arg(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Every payload's rendering: `write` into `out` (cleared first), then the
/// NUL; false if it panicked (a bug: the payload is not delivered).
pub(super) fn render_caught(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) -> bool {
    out.clear();
    catch_unwind(AssertUnwindSafe(|| {
        fault::hit(Point::Render);
        write(out);
        out.push(0);
    }))
    .is_ok()
}
