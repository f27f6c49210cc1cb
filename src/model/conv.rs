//! The conversation record and its ConvInfo JSON.

use std::sync::Arc;

use super::id::ConvId;
use super::json::{frag, Count, Out};
use super::keys::*;

/// `TIMConvType` values this library accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ConvType {
    C2C = 1,
    Group = 2,
}

impl TryFrom<i32> for ConvType {
    type Error = ();
    fn try_from(v: i32) -> Result<Self, ()> {
        match v {
            1 => Ok(ConvType::C2C),
            2 => Ok(ConvType::Group),
            _ => Err(()),
        }
    }
}

impl ConvType {
    /// Index for per-type tables.
    pub fn index(self) -> usize {
        self as usize - 1
    }
}

/// Bit 62 of `conv_active_time`, set while a conversation is pinned, as in
/// the vendor's pinned sample (`0x4000000000000005`).
pub const PINNED_BIT: u64 = 1 << 62;

/// An @-mention of the logged-in user, or of everyone, in a group message
/// not yet read (`conv_group_at_info_array`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtInfo {
    pub seq: u64,
    /// `TIMGroupAtType`: 1 @me, 2 @all, 3 both.
    pub at_type: u8,
}

/// A conversation's last message: its text (`conv_last_msg`) and its time
/// (server time, else client time), which a newer message must reach to
/// replace it. Shared between versions of the conversation.
#[derive(Debug, PartialEq, Eq)]
pub struct LastMsg {
    pub text: Arc<str>,
    pub time: u64,
}

/// `TIMReceiveMessageOpt` values that leave a conversation out of the unread
/// totals: Not_Receive, Not_Notify, Not_Notify_Except_At.
fn is_muted(recv_opt: u8) -> bool {
    matches!(recv_opt, 1..=3)
}

/// One conversation. Shared as `Arc<Conv>` between the store and pending
/// callbacks; a change makes a new version (copy on write), so a queued
/// payload always shows the state at the moment its change took effect.
#[derive(Clone, Debug)]
pub struct Conv {
    id: ConvId,
    conv_type: ConvType,
    /// The id needs no JSON escaping (the common case: copied as is).
    id_plain: bool,
    pinned: bool,
    /// Activation sequence: grows with every activation.
    seq: u64,
    /// Mark bits (`conv_mark_array`).
    marks: u64,
    /// The `conv_draft` object, as compact JSON text.
    draft: Option<Box<str>>,
    /// `conv_custom_data`, as given (escaped when written).
    custom_data: Option<Box<str>>,
    /// The conversation groups it belongs to, in the order it joined them.
    groups: Box<[Arc<str>]>,
    /// `conv_recv_opt`.
    recv_opt: u8,
    /// `conv_unread_num`: the unread messages (their points are kept by the
    /// store).
    unread: u64,
    /// The highest message sequence seen (group conversations).
    max_seq: u64,
    last: Option<Arc<LastMsg>>,
    at: Box<[AtInfo]>,
}

impl Conv {
    pub fn new(conv_type: ConvType, id: ConvId, seq: u64) -> Conv {
        Conv {
            id_plain: super::json::is_plain(id.as_bytes()),
            id,
            conv_type,
            pinned: false,
            seq,
            marks: 0,
            draft: None,
            custom_data: None,
            groups: Box::new([]),
            recv_opt: 0,
            unread: 0,
            max_seq: 0,
            last: None,
            at: Box::new([]),
        }
    }

    pub fn recv_opt(&self) -> u8 {
        self.recv_opt
    }

    pub fn set_recv_opt(&mut self, opt: u8) {
        self.recv_opt = opt;
    }

    /// The unread count that totals include: none while muted.
    pub fn counted_unread(&self) -> u64 {
        if is_muted(self.recv_opt) {
            0
        } else {
            self.unread
        }
    }

    pub fn unread(&self) -> u64 {
        self.unread
    }

    pub fn set_unread(&mut self, n: u64) {
        self.unread = n;
    }

    pub fn max_seq(&self) -> u64 {
        self.max_seq
    }

    pub fn set_max_seq(&mut self, seq: u64) {
        self.max_seq = seq;
    }

    pub fn last_msg(&self) -> Option<&Arc<LastMsg>> {
        self.last.as_ref()
    }

    pub fn set_last_msg(&mut self, last: Option<Arc<LastMsg>>) {
        self.last = last;
    }

    pub fn at_info(&self) -> &[AtInfo] {
        &self.at
    }

    pub fn set_at_info(&mut self, at: Vec<AtInfo>) {
        self.at = at.into_boxed_slice();
    }

    pub fn id(&self) -> &ConvId {
        &self.id
    }

    pub fn conv_type(&self) -> ConvType {
        self.conv_type
    }

    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    pub fn set_pinned(&mut self, pinned: bool) {
        self.pinned = pinned;
    }

    pub fn marks(&self) -> u64 {
        self.marks
    }

    pub fn set_marks(&mut self, marks: u64) {
        self.marks = marks;
    }

    pub fn draft(&self) -> Option<&str> {
        self.draft.as_deref()
    }

    pub fn custom_data(&self) -> &str {
        self.custom_data.as_deref().unwrap_or("")
    }

    /// `""` clears.
    pub fn set_custom_data(&mut self, data: &str) {
        self.custom_data = (!data.is_empty()).then(|| data.into());
    }

    pub fn groups(&self) -> &[Arc<str>] {
        &self.groups
    }

    pub fn set_groups(&mut self, groups: Vec<Arc<str>>) {
        self.groups = groups.into_boxed_slice();
    }

    /// The list's sort key, shown as `conv_active_time`: the activation
    /// sequence, plus [`PINNED_BIT`] while pinned. Unique per conversation.
    pub fn order_key(&self) -> u64 {
        self.seq | if self.pinned { PINNED_BIT } else { 0 }
    }

    /// The activation sequence (the order key without the pinned bit).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Moves the conversation to the top of its class with a new sequence.
    pub fn activate(&mut self, seq: u64) {
        self.seq = seq;
    }

    pub fn set_draft(&mut self, draft: Option<Box<str>>) {
        self.draft = draft;
    }

    #[inline]
    fn write_id(&self, out: &mut impl Out) {
        if self.id_plain {
            out.put(self.id.as_bytes());
        } else {
            out.put_str_body(self.id.as_bytes());
        }
    }

    /// The exact length of [`Conv::write_json`]'s output: the same writer,
    /// counting.
    pub fn json_len(&self) -> usize {
        let mut n = Count::default();
        self.write_to(&mut n);
        n.0
    }

    /// Appends this conversation's ConvInfo object (keys in the vendor's 8.x
    /// order).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_to(out);
    }

    /// The ConvInfo writer, into a buffer or a [`Count`].
    pub fn write_to(&self, out: &mut impl Out) {
        out.put(F_ID);
        self.write_id(out);
        out.put(F_TYPE);
        out.put(&[b'0' + self.conv_type as u8]);
        out.put(F_UNREAD);
        out.put_u64(self.unread);
        out.put(F_ACTIVE_TIME);
        out.put_u64(self.order_key());
        out.put(F_HAS_LAST);
        match &self.last {
            Some(m) => {
                out.put(HAS_LAST);
                out.put(m.text.as_bytes());
            }
            None => out.put(b"false"),
        }
        out.put(F_HAS_DRAFT);
        match &self.draft {
            Some(d) => {
                out.put(HAS_DRAFT);
                out.put(d.as_bytes());
            }
            None => out.put(b"false"),
        }
        out.put(F_RECV_OPT);
        out.put_u64(u64::from(self.recv_opt));
        out.put(F_AT);
        for (i, a) in self.at.iter().enumerate() {
            if i > 0 {
                out.put(b",");
            }
            out.put(F_AT_TYPE);
            out.put_u64(u64::from(a.at_type));
            out.put(F_AT_SEQ);
            out.put_u64(a.seq);
            out.put(b"}");
        }
        out.put(F_PINNED);
        out.put(if self.pinned { b"true" } else { b"false" });
        out.put(F_SHOW_NAME);
        self.write_id(out);
        out.put(F_MARKS);
        let mut rest = self.marks;
        while rest != 0 {
            let bit = rest & rest.wrapping_neg();
            out.put_u64(bit);
            rest ^= bit;
            if rest != 0 {
                out.put(b",");
            }
        }
        out.put(F_CUSTOM);
        out.put_str_body(self.custom_data().as_bytes());
        out.put(F_GROUPS);
        for (i, g) in self.groups.iter().enumerate() {
            if i > 0 {
                out.put(b",");
            }
            out.put(b"\"");
            out.put_str_body(g.as_bytes());
            out.put(b"\"");
        }
        out.put(F_END);
    }
}

// The constant parts of a ConvInfo object, in output order.
const F_ID: &[u8] = frag!("{\"", kTIMConvId, "\":\"");
const F_TYPE: &[u8] = frag!("\",\"", kTIMConvType, "\":");
const F_UNREAD: &[u8] = frag!(
    ",\"",
    kTIMConvFaceUrl,
    "\":\"\",\"",
    kTIMConvUnReadNum,
    "\":"
);
const F_ACTIVE_TIME: &[u8] = frag!(",\"", kTIMConvActiveTime, "\":");
const F_HAS_LAST: &[u8] = frag!(",\"", kTIMConvIsHasLastMsg, "\":");
const HAS_LAST: &[u8] = frag!("true,\"", kTIMConvLastMsg, "\":");
const F_HAS_DRAFT: &[u8] = frag!(",\"", kTIMConvIsHasDraft, "\":");
const HAS_DRAFT: &[u8] = frag!("true,\"", kTIMConvDraft, "\":");
const F_RECV_OPT: &[u8] = frag!(",\"", kTIMConvRecvOpt, "\":");
const F_AT: &[u8] = frag!(",\"", kTIMConvGroupAtInfoArray, "\":[");
const F_AT_TYPE: &[u8] = frag!("{\"", kTIMGroupAtInfoAtType, "\":");
const F_AT_SEQ: &[u8] = frag!(",\"", kTIMGroupAtInfoSeq, "\":");
const F_PINNED: &[u8] = frag!("],\"", kTIMConvIsPinned, "\":");
const F_SHOW_NAME: &[u8] = frag!(",\"", kTIMConvShowName, "\":\"");
const F_MARKS: &[u8] = frag!("\",\"", kTIMConvMarkArray, "\":[");
const F_CUSTOM: &[u8] = frag!("],\"", kTIMConvCustomData, "\":\"");
const F_GROUPS: &[u8] = frag!("\",\"", kTIMConvConversationGroupArray, "\":[");
const F_END: &[u8] = frag!("],\"", kTIMConvOwner, "\":\"\"}");

/// The length of a JSON array holding ConvInfo objects whose lengths add up
/// to `total` (brackets and commas; no NUL).
pub fn json_array_len(count: usize, total: usize) -> usize {
    2 + total + count.saturating_sub(1)
}

/// Appends a JSON array of the ConvInfo of `convs`, in the given order.
pub fn write_json_array<'a>(out: &mut Vec<u8>, convs: impl IntoIterator<Item = &'a Arc<Conv>>) {
    out.push(b'[');
    let mut first = true;
    for c in convs {
        if !first {
            out.push(b',');
        }
        first = false;
        c.write_json(out);
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn conv_info_has_every_contract_key_with_its_type() {
        let c = Conv::new(ConvType::Group, ConvId::new("g\"1\n"), 7);
        let mut out = Vec::new();
        c.write_json(&mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[kTIMConvId], "g\"1\n");
        assert_eq!(v[kTIMConvType], 2);
        assert_eq!(v[kTIMConvOwner], "");
        assert_eq!(v[kTIMConvUnReadNum], 0);
        assert_eq!(v[kTIMConvActiveTime], 7);
        assert_eq!(v[kTIMConvIsHasLastMsg], false);
        assert_eq!(v[kTIMConvIsHasDraft], false);
        assert_eq!(v[kTIMConvIsPinned], false);
        assert_eq!(v[kTIMConvRecvOpt], 0);
        assert_eq!(v[kTIMConvShowName], "g\"1\n");
        assert_eq!(v[kTIMConvFaceUrl], "");
        assert_eq!(v[kTIMConvMarkArray], Value::Array(vec![]));
        assert_eq!(v[kTIMConvCustomData], "");
        assert_eq!(v[kTIMConvConversationGroupArray], Value::Array(vec![]));
        assert_eq!(v[kTIMConvGroupAtInfoArray], Value::Array(vec![]));
        assert!(v.get(kTIMConvDraft).is_none());
        assert!(v.get(kTIMConvLastMsg).is_none());
    }

    #[test]
    fn json_len_is_exact() {
        let mut cases = vec![
            Conv::new(ConvType::C2C, ConvId::new("a"), 1),
            Conv::new(
                ConvType::Group,
                ConvId::new("quote\"back\\slash\n\u{1}ü"),
                99,
            ),
            Conv::new(ConvType::C2C, ConvId::new(&"x".repeat(128)), u64::MAX >> 2),
        ];
        let mut d = Conv::new(ConvType::Group, ConvId::new("d"), 12345);
        d.set_draft(Some(r#"{"draft_msg":{"message_elem_array":[]}}"#.into()));
        d.pinned = true;
        cases.push(d);
        let mut m = Conv::new(ConvType::C2C, ConvId::new("m"), 3);
        m.set_marks(1 | 8 | 1 << 40 | 1 << 63);
        m.set_custom_data("cu\"stom\n");
        m.set_groups(vec!["g1".into(), "g\\2".into()]);
        cases.push(m);
        let mut g = Conv::new(ConvType::Group, ConvId::new("g"), 4);
        g.set_unread(u64::MAX);
        g.set_recv_opt(3);
        g.set_last_msg(Some(Arc::new(LastMsg {
            text: r#"{"message_elem_array":[],"s":"\u00e9"}"#.into(),
            time: 9,
        })));
        g.set_at_info(vec![
            AtInfo { seq: 1, at_type: 1 },
            AtInfo {
                seq: u64::MAX,
                at_type: 3,
            },
        ]);
        let v: Value = serde_json::from_slice(&{
            let mut o = Vec::new();
            g.write_json(&mut o);
            o
        })
        .unwrap();
        assert_eq!(v[kTIMConvUnReadNum].as_u64(), Some(u64::MAX));
        assert_eq!(v[kTIMConvRecvOpt], 3);
        assert_eq!(v[kTIMConvIsHasLastMsg], true);
        assert_eq!(v[kTIMConvLastMsg]["s"], "\u{e9}");
        assert_eq!(
            v[kTIMConvGroupAtInfoArray],
            serde_json::json!([
                {kTIMGroupAtInfoAtType: 1, kTIMGroupAtInfoSeq: 1},
                {kTIMGroupAtInfoAtType: 3, kTIMGroupAtInfoSeq: u64::MAX}
            ])
        );
        cases.push(g);
        let mut arr = Vec::new();
        write_json_array(
            &mut arr,
            cases
                .iter()
                .map(|c| Arc::new(c.clone()))
                .collect::<Vec<_>>()
                .iter(),
        );
        let total: usize = cases.iter().map(Conv::json_len).sum();
        assert_eq!(arr.len(), json_array_len(cases.len(), total));
        for c in cases {
            let mut out = Vec::new();
            c.write_json(&mut out);
            assert_eq!(out.len(), c.json_len(), "{}", String::from_utf8_lossy(&out));
        }
        assert_eq!(json_array_len(0, 0), 2);
    }

    #[test]
    fn marks_custom_data_and_groups_are_written() {
        let mut c = Conv::new(ConvType::C2C, ConvId::new("a"), 5);
        c.set_marks(2 | 1 << 32 | 1 << 63);
        c.set_custom_data("x\"y");
        c.set_groups(vec!["work".into(), "\"odd\"".into()]);
        let mut out = Vec::new();
        c.write_json(&mut out);
        let v: Value = serde_json::from_slice(&out).unwrap();
        let marks: Vec<u64> = v[kTIMConvMarkArray]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_u64().unwrap())
            .collect();
        assert_eq!(marks, [2, 1 << 32, 1 << 63]);
        assert_eq!(v[kTIMConvCustomData], "x\"y");
        assert_eq!(
            v[kTIMConvConversationGroupArray],
            serde_json::json!(["work", "\"odd\""])
        );
        c.set_custom_data("");
        assert_eq!(c.custom_data(), "");
    }

    #[test]
    fn pinned_order_key_has_bit_62() {
        let mut c = Conv::new(ConvType::C2C, ConvId::new("a"), 5);
        c.pinned = true;
        assert_eq!(c.order_key(), 0x4000000000000005);
        let mut out = Vec::new();
        write_json_array(&mut out, [&Arc::new(c)]);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0][kTIMConvActiveTime].as_u64(), Some(0x4000000000000005));
        assert_eq!(v[0][kTIMConvIsPinned], true);
    }
}
