//! Conversation state fed by messages (contract C7): last messages, unread
//! counts and their points, @ entries, receive options, unread totals and
//! subscribed filters. Each operation is one transaction, like those of
//! `ops.rs`; the totals follow from [`Store::index`] / [`Store::unindex`].
//!
//! # Unread points
//! Each unread message leaves a point with its conversation: its time in a
//! C2C conversation, its sequence in a group (a group message without one
//! gets the conversation's highest sequence plus one). A read report or a
//! clean "up to P" removes the points at or before P, so it clears exactly
//! the unread messages at or before that point. The points live beside the
//! conversations, changed in place: a conversation version only carries
//! the count, so copying it stays cheap however many messages are unread.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::ops::outcome;
use super::{Outcome, Store, Txn, Undo};
use crate::error::{Error, Result};
use crate::model::message::{Context, Message};
use crate::model::request::{Filter, Limits, ReadPoint, Scope};
use crate::model::{AtInfo, Conv, ConvId, ConvType, LastMsg};

/// A subscribed unread-count filter.
pub(super) struct Sub {
    pub filter: Filter,
    /// The filter as the app gave it when it subscribed, echoed back.
    pub text: Arc<str>,
    /// The unread count of the conversations it selects, not muted.
    pub count: u64,
}

/// An unread count that a committed change moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CountEvent {
    /// The total over every conversation not muted.
    Total(u64),
    /// A subscribed filter's count, with the filter's text.
    Filter(Arc<str>, u64),
}

/// Most subscribed filters a session keeps: each costs every change a
/// filter check.
pub const MAX_SUBSCRIPTIONS: usize = 100;

impl Store {
    /// Removes one unread point (the inverse of [`Txn::add_point`]).
    pub(super) fn unpoint(&mut self, ty: ConvType, id: &ConvId, p: u64) {
        let map = &mut self.points[ty.index()];
        if let Some(points) = map.get_mut(id.as_bytes()) {
            if let Some(n) = points.get_mut(&p) {
                *n -= 1;
                if *n == 0 {
                    points.remove(&p);
                }
            }
            if points.is_empty() {
                map.remove(id.as_bytes());
            }
        }
    }

    /// Feeds messages (checked, in the caller's order) into their
    /// conversation: created if absent; the newest (not excluded) becomes
    /// the last message and activates it, unless older than the current
    /// one; each unread message raises the count; each @ of the user or of
    /// everyone in a group adds an entry. Messages that change none of this
    /// change nothing.
    pub fn import(&mut self, ctx: &Context, msgs: &[Message]) -> Result<Outcome<()>> {
        let ty = ctx.conv_type;
        let mut txn = self.txn();
        let old = txn.store().get(ty, ctx.conv_id).ok().cloned();
        let mut conv = match &old {
            Some(c) => (**c).clone(),
            None => txn.fresh(ty, ctx.conv_id),
        };
        let mut max_seq = conv.max_seq();
        let mut newest: Option<(usize, u64)> = None;
        let mut points = Vec::new();
        let mut at = conv.at_info().to_vec();
        for (i, m) in msgs.iter().enumerate() {
            let time = m.time(ctx);
            let point = match ty {
                ConvType::C2C => time,
                ConvType::Group => {
                    let seq = if m.facts.seq != 0 {
                        m.facts.seq
                    } else {
                        max_seq.saturating_add(1)
                    };
                    max_seq = max_seq.max(seq);
                    seq
                }
            };
            if !m.facts.excluded_from_last {
                let current = newest.map(|(_, t)| t).or(conv.last_msg().map(|l| l.time));
                if current.is_none_or(|t| time >= t) {
                    newest = Some((i, time));
                }
            }
            if m.counts_unread(ctx) {
                points.push(point);
            }
            if let Some(at_type) = m.at_type(ctx) {
                at.push(AtInfo {
                    seq: point,
                    at_type,
                });
            }
        }
        // Nothing to show (every message read or from self, none the last
        // message, no @): no change, nothing recorded.
        if old.is_some()
            && newest.is_none()
            && points.is_empty()
            && at.len() == conv.at_info().len()
        {
            return Ok(outcome(Vec::new(), ()));
        }
        conv.set_max_seq(max_seq);
        conv.set_unread(conv.unread().saturating_add(points.len() as u64));
        conv.set_at_info(at);
        if let Some((i, time)) = newest {
            conv.set_last_msg(Some(Arc::new(LastMsg {
                text: msgs[i].stored_text(ctx),
                time,
            })));
            if old.is_some() {
                let seq = txn.next_seq();
                conv.activate(seq);
            }
        }
        let id = conv.id().clone();
        txn.apply(old, Some(Arc::new(conv)));
        for p in points {
            txn.add_point(ty, &id, p);
        }
        Ok(outcome(txn.commit()?, ()))
    }

    /// The conversations with unread messages or @ entries, in list order.
    fn with_unread_state(&self, only: Option<ConvType>) -> Vec<Arc<Conv>> {
        let keys: BTreeSet<u64> = self.with_unread.union(&self.with_at).copied().collect();
        keys.into_iter()
            .rev()
            .filter_map(|k| self.order.get(k))
            .filter(|c| only.is_none_or(|t| c.conv_type() == t))
            .cloned()
            .collect()
    }

    /// Reads the unread messages (and their @ entries) at or before `upto`
    /// in the conversations of `scope`. A missing conversation named alone:
    /// `ConvNotFound`.
    pub fn read(&mut self, scope: &Scope, upto: ReadPoint) -> Result<Outcome<()>> {
        let targets = match scope {
            Scope::One(ty, id) => vec![self.get(*ty, id)?.clone()],
            Scope::Type(ty) => self.with_unread_state(Some(*ty)),
            Scope::All => self.with_unread_state(None),
        };
        let mut txn = self.txn();
        for c in targets {
            let upto = upto.of(c.conv_type());
            let removed = txn.clear_points(c.conv_type(), c.id(), upto);
            let at: Vec<AtInfo> = match upto {
                None => Vec::new(),
                Some(p) => c.at_info().iter().filter(|a| a.seq > p).copied().collect(),
            };
            if removed == 0 && at.len() == c.at_info().len() {
                continue;
            }
            let mut n = (*c).clone();
            n.set_unread(c.unread().saturating_sub(removed));
            n.set_at_info(at);
            txn.apply(Some(c), Some(Arc::new(n)));
        }
        Ok(outcome(txn.commit()?, ()))
    }

    /// Clears a conversation's history: its last message, unread messages
    /// and @ entries go; its place in the list stays.
    pub fn clear_history(&mut self, ty: ConvType, id: &str) -> Result<Outcome<()>> {
        let c = self.get(ty, id)?.clone();
        if c.last_msg().is_none() && c.unread() == 0 && c.at_info().is_empty() {
            return Ok(outcome(Vec::new(), ()));
        }
        let mut txn = self.txn();
        txn.clear_points(ty, c.id(), None);
        let mut n = (*c).clone();
        n.set_unread(0);
        n.set_at_info(Vec::new());
        n.set_last_msg(None);
        txn.apply(Some(c), Some(Arc::new(n)));
        Ok(outcome(txn.commit()?, ()))
    }

    /// Sets the receive option of each id (user ids for C2C, group ids);
    /// an existing conversation shows it at once, one created later gets it.
    /// At most 30 user ids at once (the vendor's limit): `InvalidParam`.
    pub fn set_recv_opt(&mut self, ty: ConvType, ids: &[&str], opt: u8) -> Result<Outcome<()>> {
        if ids.len() > Limits::RECV_OPT_IDS {
            return Err(Error::InvalidParam);
        }
        let mut txn = self.txn();
        for id in ids {
            txn.set_recv_opt_entry(ty, id, opt);
            if let Ok(c) = txn.store().get(ty, id) {
                if c.recv_opt() != opt {
                    let c = c.clone();
                    let mut n = (*c).clone();
                    n.set_recv_opt(opt);
                    txn.apply(Some(c), Some(Arc::new(n)));
                }
            }
        }
        Ok(outcome(txn.commit()?, ()))
    }

    /// The receive option of each user id, in request order (0 when never
    /// set).
    pub fn c2c_recv_opts(&self, ids: &[String]) -> Vec<(String, u8)> {
        let map = &self.recv_opts[ConvType::C2C.index()];
        ids.iter()
            .map(|id| (id.clone(), map.get(id.as_bytes()).copied().unwrap_or(0)))
            .collect()
    }

    /// The total unread count, muted conversations left out. From now on,
    /// every change of it is told.
    pub fn total_unread(&mut self) -> u64 {
        self.total_asked = true;
        self.unread_total
    }

    /// The unread count of the conversations `filter` selects, muted ones
    /// left out: a subscribed filter's kept count, a kept total for a filter
    /// by conversation type alone, else a walk of the conversations with
    /// unread messages.
    pub fn filter_unread(&self, filter: &Filter) -> u64 {
        if let Some(s) = self.subs.iter().find(|s| s.filter == *filter) {
            return s.count;
        }
        self.count_unread(filter)
    }

    fn count_unread(&self, filter: &Filter) -> u64 {
        if filter.has_unread == Some(false) {
            return 0;
        }
        // A filter by conversation type alone is a kept total.
        if filter.group.is_none() && filter.marks.is_none() && filter.has_group_at.is_none() {
            return match filter.conv_type {
                None => self.unread_total,
                Some(t) => self.unread_by_type[t.index()],
            };
        }
        self.with_unread
            .iter()
            .filter_map(|k| self.order.get(*k))
            .filter(|c| filter.matches(c))
            .map(|c| c.counted_unread())
            .sum()
    }

    /// Subscribes a filter (again: no change). At most
    /// [`MAX_SUBSCRIPTIONS`]: `InvalidParam`.
    pub fn subscribe(&mut self, filter: Filter, text: &str) -> Result<()> {
        if self.subs.iter().any(|s| s.filter == filter) {
            return Ok(());
        }
        if self.subs.len() >= MAX_SUBSCRIPTIONS {
            return Err(Error::InvalidParam);
        }
        let count = self.count_unread(&filter);
        self.subs.push(Sub {
            filter,
            text: text.into(),
            count,
        });
        Ok(())
    }

    /// Ends a subscription (none: no change).
    pub fn unsubscribe(&mut self, filter: &Filter) {
        self.subs.retain(|s| s.filter != *filter);
    }
}

impl Txn<'_> {
    /// Adds one unread point to a conversation (its count is the caller's).
    pub fn add_point(&mut self, ty: ConvType, id: &ConvId, p: u64) {
        *self.store.points[ty.index()]
            .entry(id.clone())
            .or_default()
            .entry(p)
            .or_default() += 1;
        self.log.push(Undo::PointAdded(ty, id.clone(), p));
    }

    /// Removes a conversation's unread points at or before `upto` (`None`:
    /// all); returns how many messages they stood for.
    pub fn clear_points(&mut self, ty: ConvType, id: &ConvId, upto: Option<u64>) -> u64 {
        let map = &mut self.store.points[ty.index()];
        let removed = match upto.and_then(|p| p.checked_add(1)) {
            Some(first_kept) => {
                let Some(points) = map.get_mut(id.as_bytes()) else {
                    return 0;
                };
                let kept = points.split_off(&first_kept);
                let removed = std::mem::replace(points, kept);
                if points.is_empty() {
                    map.remove(id.as_bytes());
                }
                removed
            }
            None => match map.remove(id.as_bytes()) {
                Some(all) => all,
                None => return 0,
            },
        };
        let n = removed.values().map(|&n| u64::from(n)).sum();
        if n > 0 {
            self.log.push(Undo::PointsRemoved(ty, id.clone(), removed));
        }
        n
    }

    /// Keeps `opt` as the receive option of `id` (0, the default, is not
    /// kept).
    pub fn set_recv_opt_entry(&mut self, ty: ConvType, id: &str, opt: u8) {
        let key = ConvId::new(id);
        let map = &mut self.store.recv_opts[ty.index()];
        let old = if opt == 0 {
            map.remove(key.as_bytes())
        } else {
            map.insert(key.clone(), opt)
        };
        if old != Some(opt) && !(old.is_none() && opt == 0) {
            self.log.push(Undo::RecvOpt(ty, key, old));
        }
    }
}
