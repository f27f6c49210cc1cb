//! The journal seam: what a committed transaction hands to durable storage.
//!
//! A transaction's log says which records it touched; on commit, the
//! journal is given their values as they are now (the redo half), and the
//! log itself stays the undo half. So the one record of a change drives both
//! memory and disk, and they cannot disagree: if the journal refuses, the
//! transaction undoes what it applied and the operation fails.
//!
//! Without a journal (the in-memory store) nothing is built or written.

use std::collections::{BTreeMap, HashSet};

use super::{Store, Undo};
use crate::error::Result;
use crate::model::{Conv, ConvId, ConvType};

/// One record to write, as it is after the transaction.
#[derive(Debug)]
pub enum Put<'a> {
    /// A conversation with its unread points; `None`: deleted.
    Conv(ConvType, &'a ConvId, Option<ConvRow<'a>>),
    /// A receive option kept for an id; 0: none kept (deleted).
    RecvOpt(ConvType, &'a ConvId, u8),
    /// A conversation group and its creation number; `None`: deleted.
    Group(&'a str, Option<u64>),
    /// The activation and group-creation counters. Written only with a
    /// deletion: otherwise the newest conversation and group carry them.
    Counters { seq: u64, group_seq: u64 },
}

/// A conversation as stored: its fields and its unread points.
#[derive(Debug)]
pub struct ConvRow<'a> {
    pub conv: &'a Conv,
    pub points: Option<&'a BTreeMap<u64, u32>>,
}

/// Durable storage beneath the store.
pub trait Journal: Send {
    /// Writes one transaction's records. `now`: commits them, with
    /// everything the open batch holds, and returns once they survive the
    /// process being killed; otherwise they join the open batch. An error
    /// means the whole open batch is lost with them (nothing of it was
    /// committed).
    fn write(&mut self, puts: &[Put<'_>], now: bool) -> Result<()>;

    /// Commits the open batch, if any; an error means it is lost.
    fn flush(&mut self) -> Result<()>;
}

/// The records a transaction's log touched, each once, in their state now.
pub(super) fn record<'a>(log: &'a [Undo], s: &'a Store) -> Vec<Put<'a>> {
    let mut puts = Vec::with_capacity(log.len());
    let mut deleted = false;
    let many = log.len() > 1;
    let mut seen: HashSet<(u8, ConvType, &[u8])> = HashSet::new();
    let mut first = |kind: u8, ty: ConvType, key: &'a [u8]| !many || seen.insert((kind, ty, key));
    for u in log {
        match u {
            Undo::Conv(c) => {
                let Some(any) = c.old.as_ref().or(c.new.as_ref()) else {
                    continue;
                };
                let (ty, id) = (any.conv_type(), any.id());
                if !first(0, ty, id.as_bytes()) {
                    continue;
                }
                let t = ty.index();
                let row = s.get_bytes(ty, id.as_bytes()).map(|conv| ConvRow {
                    conv,
                    points: s.points[t].get(id.as_bytes()),
                });
                deleted |= row.is_none();
                puts.push(Put::Conv(ty, id, row));
            }
            // Points change only with their conversation, written above.
            Undo::PointAdded(..) | Undo::PointsRemoved(..) => {}
            Undo::RecvOpt(ty, id, _) => {
                if !first(1, *ty, id.as_bytes()) {
                    continue;
                }
                let opt = s.recv_opts[ty.index()]
                    .get(id.as_bytes())
                    .copied()
                    .unwrap_or(0);
                puts.push(Put::RecvOpt(*ty, id, opt));
            }
            Undo::GroupAdded(name) | Undo::GroupRemoved(_, super::Group { name, .. }) => {
                // Group names share the key space of neither id kind.
                if !first(2, ConvType::C2C, name.as_bytes()) {
                    continue;
                }
                let created = s.group(name).map(|g| g.created);
                deleted |= created.is_none();
                puts.push(Put::Group(name, created));
            }
        }
    }
    if deleted {
        puts.push(Put::Counters {
            seq: s.seq,
            group_seq: s.group_seq,
        });
    }
    puts
}
