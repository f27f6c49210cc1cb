//! The operations on the store, each one transaction: what it checks
//! (against the vendor's limits, [`Limits`]), what it changes, and what it
//! answers.

use std::sync::Arc;

use super::{Change, Committed, CountEvent, Created, Store};
use crate::error::{Error, Result, TIMErrCode};
use crate::model::request::{ConvRef, Limits};
use crate::model::{Conv, ConvType};

/// One `TIMConversationOperationResult`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    pub id: String,
    pub code: i32,
    pub info: &'static str,
}

impl ItemResult {
    fn ok(id: &str) -> ItemResult {
        ItemResult {
            id: id.to_owned(),
            code: TIMErrCode::ERR_SUCC as i32,
            info: "",
        }
    }

    fn err(id: &str, e: Error) -> ItemResult {
        let info = e.callback_desc().to_str().unwrap_or("");
        ItemResult {
            id: id.to_owned(),
            code: e.callback_code(),
            info,
        }
    }

    fn malformed(id: &str) -> ItemResult {
        ItemResult {
            id: id.to_owned(),
            code: TIMErrCode::ERR_INVALID_PARAMETERS as i32,
            info: "not a conversation id: c2c_<user id> or group_<group id>",
        }
    }
}

/// What a conversation-group operation tells the group listeners.
#[derive(Clone, Debug)]
pub enum GroupEvent {
    Created(Arc<str>, Vec<Arc<Conv>>),
    Deleted(Arc<str>),
    Renamed(Arc<str>, Arc<str>),
    Added(Arc<str>, Vec<Arc<Conv>>),
    /// Reason 0: removed by the app; 1: evicted from a full group.
    Removed(Arc<str>, Vec<Arc<Conv>>, u32),
}

/// What a change produced: every conversation change, the group events,
/// the unread counts that moved, and the operation's own result.
pub struct Outcome<R> {
    pub changes: Vec<Change>,
    pub groups: Vec<GroupEvent>,
    pub counts: Vec<CountEvent>,
    pub result: R,
}

pub(super) fn outcome<R>(c: impl Into<Committed>, result: R) -> Outcome<R> {
    let Committed { changes, counts } = c.into();
    Outcome {
        changes,
        groups: Vec::new(),
        counts,
        result,
    }
}

/// A group name's checks: 1 to 32 bytes.
fn check_group_name(name: &str) -> Result<()> {
    if name.is_empty() {
        Err(Error::InvalidParam)
    } else if name.len() > Limits::GROUP_NAME {
        Err(Error::GroupNameTooLong)
    } else {
        Ok(())
    }
}

/// One result per id of `refs`, in request order: a malformed id is
/// answered here; `each` handles the others (`Ok` is code 0).
fn per_id(refs: &[ConvRef], mut each: impl FnMut(ConvType, &str) -> Result<()>) -> Vec<ItemResult> {
    refs.iter()
        .map(|r| match &r.conv {
            None => ItemResult::malformed(&r.given),
            Some((ty, id)) => match each(*ty, id) {
                Ok(()) => ItemResult::ok(&r.given),
                Err(e) => ItemResult::err(&r.given, e),
            },
        })
        .collect()
}

fn check_request(refs: &[ConvRef]) -> Result<()> {
    if refs.len() > Limits::PER_REQUEST {
        return Err(Error::TooManyInRequest);
    }
    Ok(())
}

impl Store {
    /// Creates the conversation, activated, or returns the existing one
    /// unchanged.
    pub fn create(&mut self, ty: ConvType, id: &str) -> Result<Outcome<Created>> {
        if let Ok(c) = self.get(ty, id) {
            return Ok(outcome(Vec::new(), Created::Existing(c.clone())));
        }
        let mut txn = self.txn();
        let conv = Arc::new(txn.fresh(ty, id));
        txn.apply(None, Some(conv.clone()));
        Ok(outcome(txn.commit()?, Created::New(conv)))
    }

    /// Removes the conversation with everything attached to it (its draft,
    /// marks, groups).
    pub fn delete(&mut self, ty: ConvType, id: &str) -> Result<Outcome<()>> {
        let old = self.get(ty, id)?.clone();
        let mut txn = self.txn();
        txn.apply(Some(old), None);
        Ok(outcome(txn.commit()?, ()))
    }

    /// Stores a draft (already checked, see [`crate::model::draft`]) and
    /// activates the conversation.
    pub fn set_draft(&mut self, ty: ConvType, id: &str, draft: Box<str>) -> Result<Outcome<()>> {
        let mut txn = self.txn();
        txn.update(ty, id, true, |c| c.set_draft(Some(draft)))?;
        Ok(outcome(txn.commit()?, ()))
    }

    /// Removes the draft without reordering; no draft: no change.
    pub fn cancel_draft(&mut self, ty: ConvType, id: &str) -> Result<Outcome<()>> {
        if self.get(ty, id)?.draft().is_none() {
            return Ok(outcome(Vec::new(), ()));
        }
        let mut txn = self.txn();
        txn.update(ty, id, false, |c| c.set_draft(None))?;
        Ok(outcome(txn.commit()?, ()))
    }

    /// The conversations asked for, in request order; missing ones are left
    /// out (never created).
    pub fn get_many(&self, wanted: &[(ConvType, String)]) -> Vec<Arc<Conv>> {
        wanted
            .iter()
            .filter_map(|(t, id)| self.get(*t, id).ok().cloned())
            .collect()
    }

    /// Pins or unpins without activating (pinned ones keep their relative
    /// order). Already so: no change.
    pub fn pin(&mut self, ty: ConvType, id: &str, pinned: bool) -> Result<Outcome<()>> {
        let c = self.get(ty, id)?;
        if c.is_pinned() == pinned {
            return Ok(outcome(Vec::new(), ()));
        }
        if pinned && self.pinned >= Limits::PINNED {
            return Err(Error::PinLimit);
        }
        let mut txn = self.txn();
        txn.update(ty, id, false, |c| c.set_pinned(pinned))?;
        Ok(outcome(txn.commit()?, ()))
    }

    /// Applies `edit` to each conversation named in `refs`, in order, with
    /// one result each; `check` may refuse one first.
    fn batch(
        &mut self,
        refs: &[ConvRef],
        check: impl Fn(&Store, &Conv) -> Result<()>,
        edit: impl Fn(&mut Conv),
    ) -> Result<Outcome<Vec<ItemResult>>> {
        check_request(refs)?;
        let mut txn = self.txn();
        let results = per_id(refs, |ty, id| {
            let before = txn.store().get(ty, id)?.clone();
            check(txn.store(), &before)?;
            let mut after = (*before).clone();
            edit(&mut after);
            if !same(&before, &after) {
                txn.apply(Some(before), Some(Arc::new(after)));
            }
            Ok(())
        });
        Ok(outcome(txn.commit()?, results))
    }

    /// Sets (`enable`) or clears mark bits, checked by the caller.
    pub fn mark(
        &mut self,
        refs: &[ConvRef],
        bits: u64,
        enable: bool,
    ) -> Result<Outcome<Vec<ItemResult>>> {
        let check = |s: &Store, c: &Conv| {
            if enable && c.marks() == 0 && s.marked >= Limits::MARKED {
                return Err(Error::MarkLimit);
            }
            Ok(())
        };
        self.batch(refs, check, |c| {
            let m = c.marks();
            c.set_marks(if enable { m | bits } else { m & !bits });
        })
    }

    /// Sets `conv_custom_data` (at most 256 bytes; `""` clears).
    pub fn set_custom_data(
        &mut self,
        refs: &[ConvRef],
        data: &str,
    ) -> Result<Outcome<Vec<ItemResult>>> {
        if data.len() > Limits::CUSTOM_DATA {
            return Err(Error::InvalidParam);
        }
        self.batch(refs, |_, _| Ok(()), |c| c.set_custom_data(data))
    }

    /// Deletes every conversation named (a duplicate: found missing the
    /// second time).
    pub fn delete_many(&mut self, refs: &[ConvRef]) -> Result<Outcome<Vec<ItemResult>>> {
        check_request(refs)?;
        let mut txn = self.txn();
        let results = per_id(refs, |ty, id| {
            let old = txn.store().get(ty, id)?.clone();
            txn.apply(Some(old), None);
            Ok(())
        });
        Ok(outcome(txn.commit()?, results))
    }

    /// The conversation groups' names, checked to exist.
    fn require_group(&self, name: &str) -> Result<()> {
        self.group(name).map(drop).ok_or(Error::GroupNotFound)
    }

    /// Creates a group and adds the conversations named to it.
    pub fn group_create(
        &mut self,
        name: &str,
        refs: &[ConvRef],
    ) -> Result<Outcome<Vec<ItemResult>>> {
        check_group_name(name)?;
        if refs.is_empty() {
            return Err(Error::InvalidParam);
        }
        check_request(refs)?;
        if self.group(name).is_some() {
            return Err(Error::InvalidParam);
        }
        if self.groups.len() >= Limits::GROUPS {
            return Err(Error::GroupLimit);
        }
        let name: Arc<str> = name.into();
        let mut txn = self.txn();
        txn.add_group(name.clone(), None);
        let (results, added, evicted) = add_members(&mut txn, &name, refs);
        debug_assert!(evicted.is_empty());
        let mut out = outcome(txn.commit()?, results);
        out.groups.push(GroupEvent::Created(name, added));
        Ok(out)
    }

    /// Deletes a group; its members leave it.
    pub fn group_delete(&mut self, name: &str) -> Result<Outcome<()>> {
        self.require_group(name)?;
        let mut txn = self.txn();
        for k in members(txn.store(), name) {
            let old = txn.store().order.get(k).cloned().ok_or(Error::Internal)?;
            let new = with_groups(&old, |g| g.retain(|x| &**x != name));
            txn.apply(Some(old), Some(new));
        }
        txn.remove_group(name);
        let mut out = outcome(txn.commit()?, ());
        out.groups.push(GroupEvent::Deleted(name.into()));
        Ok(out)
    }

    /// Renames a group; its members show the new name.
    pub fn group_rename(&mut self, old: &str, new: &str) -> Result<Outcome<()>> {
        self.require_group(old)?;
        check_group_name(new)?;
        if self.group(new).is_some() {
            return Err(Error::InvalidParam);
        }
        let new_name: Arc<str> = new.into();
        let mut txn = self.txn();
        let created = txn.store().group(old).map(|g| g.created);
        txn.add_group(new_name.clone(), created);
        for k in members(txn.store(), old) {
            let before = txn.store().order.get(k).cloned().ok_or(Error::Internal)?;
            let after = with_groups(&before, |g| {
                for x in g.iter_mut() {
                    if &**x == old {
                        *x = new_name.clone();
                    }
                }
            });
            txn.apply(Some(before), Some(after));
        }
        txn.remove_group(old);
        let mut out = outcome(txn.commit()?, ());
        out.groups.push(GroupEvent::Renamed(old.into(), new_name));
        Ok(out)
    }

    /// Adds conversations to a group; a full group first loses its least
    /// recently activated member.
    pub fn group_add(&mut self, name: &str, refs: &[ConvRef]) -> Result<Outcome<Vec<ItemResult>>> {
        self.require_group(name)?;
        check_request(refs)?;
        let name: Arc<str> = name.into();
        let mut txn = self.txn();
        let (results, added, evicted) = add_members(&mut txn, &name, refs);
        let mut out = outcome(txn.commit()?, results);
        if !evicted.is_empty() {
            out.groups
                .push(GroupEvent::Removed(name.clone(), evicted, 1));
        }
        if !added.is_empty() {
            out.groups.push(GroupEvent::Added(name, added));
        }
        Ok(out)
    }

    /// Removes conversations from a group (not a member: no change).
    pub fn group_remove(
        &mut self,
        name: &str,
        refs: &[ConvRef],
    ) -> Result<Outcome<Vec<ItemResult>>> {
        self.require_group(name)?;
        check_request(refs)?;
        let name: Arc<str> = name.into();
        let mut txn = self.txn();
        let mut removed = Vec::new();
        let results = per_id(refs, |ty, id| {
            let old = txn.store().get(ty, id)?.clone();
            if old.groups().contains(&name) {
                let new = with_groups(&old, |g| g.retain(|x| *x != name));
                removed.push(new.clone());
                txn.apply(Some(old), Some(new));
            }
            Ok(())
        });
        let mut out = outcome(txn.commit()?, results);
        if !removed.is_empty() {
            out.groups.push(GroupEvent::Removed(name, removed, 0));
        }
        Ok(out)
    }
}

/// The members' order keys of a group, newest first.
fn members(s: &Store, name: &str) -> Vec<u64> {
    s.group(name)
        .map(|g| g.members.iter().rev().copied().collect())
        .unwrap_or_default()
}

/// A copy of `c` with its group list edited.
fn with_groups(c: &Conv, edit: impl FnOnce(&mut Vec<Arc<str>>)) -> Arc<Conv> {
    let mut groups = c.groups().to_vec();
    edit(&mut groups);
    let mut c = c.clone();
    c.set_groups(groups);
    Arc::new(c)
}

/// Whether an edit changed nothing that ConvInfo shows.
fn same(a: &Conv, b: &Conv) -> bool {
    a.marks() == b.marks() && a.custom_data() == b.custom_data() && a.groups() == b.groups()
}

/// Adds the conversations named to the group `name` inside `txn`: the
/// results, the members added, and the members evicted to make room.
fn add_members(
    txn: &mut super::Txn<'_>,
    name: &Arc<str>,
    refs: &[ConvRef],
) -> (Vec<ItemResult>, Vec<Arc<Conv>>, Vec<Arc<Conv>>) {
    let mut added: Vec<Arc<Conv>> = Vec::new();
    let mut evicted = Vec::new();
    let results = per_id(refs, |ty, id| {
        let old = txn.store().get(ty, id)?.clone();
        if old.groups().contains(name) {
            return Ok(());
        }
        let full = txn
            .store()
            .group(name)
            .is_some_and(|g| g.members.len() >= Limits::GROUP_MEMBERS);
        if full {
            let oldest = txn
                .store()
                .group(name)
                .and_then(|g| g.members.first().copied());
            if let Some(victim) = oldest.and_then(|k| txn.store().order.get(k).cloned()) {
                let new = with_groups(&victim, |g| g.retain(|x| x != name));
                added.retain(|a| !(a.id() == victim.id() && a.conv_type() == victim.conv_type()));
                evicted.push(new.clone());
                txn.apply(Some(victim), Some(new));
            }
        }
        let new = with_groups(&old, |g| g.push(name.clone()));
        added.push(new.clone());
        txn.apply(Some(old), Some(new));
        Ok(())
    });
    (results, added, evicted)
}
