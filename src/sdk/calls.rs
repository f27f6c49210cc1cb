//! The conversation and message calls against the caller's session
//! ([`Ctx`]): each runs one store operation under the store's lock
//! ([`Ctx::op`]) and queues what it produced, its events and its reply, as
//! one job; the reads answer from the store without changing it
//! ([`Ctx::query`]). An argument checked in the session's context (a draft
//! against the time of the call, a message against the logged-in user) is
//! parsed here, before the store is locked.

use std::sync::atomic::Ordering;

use super::deliver::{events_of, failed, ok, submit, Event, Job, ReplyJob, Ticket};
use super::render::Body;
use super::{unix_now, Ctx, Mode};
use crate::error::{Error, Result};
use crate::fault::{self, Point};
use crate::model::draft::parse_draft;
use crate::model::message::{parse_message, Context};
use crate::model::request::{
    parse_import_list, parse_report_read, ConvRef, Filter, ReadPoint, Scope,
};
use crate::model::ConvType;
use crate::sink::{ConvEventKind, LogLevel, ReplySink};
use crate::store::{Created, ItemResult, Outcome, Store};

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

    /// A synchronous function's store operation (no callback): committed at
    /// once, outside any batch; a refusal, or a change the store could not
    /// write, is the function's return code.
    fn sync_op(&self, run: impl FnOnce(&mut Store) -> Result<Outcome<()>>) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.session.store.lock();
        store.batching(false);
        let out = run(&mut store).inspect_err(|e| self.log_failure(*e))?;
        self.commit(out, None, |()| None);
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
        self.sync_op(|s| s.set_draft(ty, id, draft))
    }

    pub fn conv_cancel_draft(&self, ty: ConvType, id: &str) -> Result<()> {
        self.sync_op(|s| s.cancel_draft(ty, id))
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
        let msgs = parse_import_list(json, &ctx)?;
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
    /// its time; group: its sequence, everything if it has none). See
    /// [`parse_report_read`].
    pub fn msg_report_read(
        &self,
        ty: ConvType,
        id: Option<&str>,
        msg: Option<&str>,
        reply: Option<ReplySink>,
    ) -> Result<()> {
        let (scope, upto) = parse_report_read(ty, id, msg, |id| self.msg_ctx(ty, id))?;
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
