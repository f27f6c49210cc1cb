//! The conversation record and its ConvInfo JSON.

use std::sync::Arc;

use super::json::{frag, write_str_body, write_u64};
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

/// One conversation. Shared as `Arc<Conv>` between the store and pending
/// callbacks; a change makes a new version (copy on write), so a queued
/// payload always shows the state at the moment its change took effect.
#[derive(Clone, Debug)]
pub struct Conv {
    id: Arc<str>,
    conv_type: ConvType,
    /// The id needs no JSON escaping (the common case: copied as is).
    id_plain: bool,
    pinned: bool,
    /// Activation sequence: grows with every activation.
    seq: u64,
    /// The `conv_draft` object, as compact JSON text.
    draft: Option<Box<str>>,
}

impl Conv {
    pub fn new(conv_type: ConvType, id: Arc<str>, seq: u64) -> Conv {
        Conv {
            id_plain: super::json::is_plain(&id),
            id,
            conv_type,
            pinned: false,
            seq,
            draft: None,
        }
    }

    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    pub fn conv_type(&self) -> ConvType {
        self.conv_type
    }

    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    pub fn draft(&self) -> Option<&str> {
        self.draft.as_deref()
    }

    /// The list's sort key, shown as `conv_active_time`: the activation
    /// sequence, plus [`PINNED_BIT`] while pinned. Unique per conversation.
    pub fn order_key(&self) -> u64 {
        self.seq | if self.pinned { PINNED_BIT } else { 0 }
    }

    /// Moves the conversation to the top of its class with a new sequence.
    pub fn activate(&mut self, seq: u64) {
        self.seq = seq;
    }

    pub fn set_draft(&mut self, draft: Option<Box<str>>) {
        self.draft = draft;
    }

    #[inline]
    fn write_id(&self, out: &mut Vec<u8>) {
        if self.id_plain {
            out.extend_from_slice(self.id.as_bytes());
        } else {
            write_str_body(out, &self.id);
        }
    }

    /// Appends this conversation's ConvInfo object (keys in the vendor's 8.x
    /// order).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(frag!("{\"", kTIMConvId, "\":\""));
        self.write_id(out);
        out.extend_from_slice(frag!("\",\"", kTIMConvType, "\":"));
        out.push(b'0' + self.conv_type as u8);
        out.extend_from_slice(frag!(
            ",\"",
            kTIMConvFaceUrl,
            "\":\"\",\"",
            kTIMConvUnReadNum,
            "\":0,\"",
            kTIMConvActiveTime,
            "\":"
        ));
        write_u64(out, self.order_key());
        out.extend_from_slice(frag!(
            ",\"",
            kTIMConvIsHasLastMsg,
            "\":false,\"",
            kTIMConvIsHasDraft,
            "\":"
        ));
        match &self.draft {
            Some(d) => {
                out.extend_from_slice(frag!("true,\"", kTIMConvDraft, "\":"));
                out.extend_from_slice(d.as_bytes());
            }
            None => out.extend_from_slice(b"false"),
        }
        out.extend_from_slice(frag!(
            ",\"",
            kTIMConvRecvOpt,
            "\":0,\"",
            kTIMConvGroupAtInfoArray,
            "\":[],\"",
            kTIMConvIsPinned,
            "\":"
        ));
        out.extend_from_slice(if self.pinned { b"true" } else { b"false" });
        out.extend_from_slice(frag!(",\"", kTIMConvShowName, "\":\""));
        self.write_id(out);
        out.extend_from_slice(frag!(
            "\",\"",
            kTIMConvMarkArray,
            "\":[],\"",
            kTIMConvCustomData,
            "\":\"\",\"",
            kTIMConvConversationGroupArray,
            "\":[],\"",
            kTIMConvOwner,
            "\":\"\"}"
        ));
    }
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
        let c = Conv::new(ConvType::Group, Arc::from("g\"1\n"), 7);
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
    fn pinned_order_key_has_bit_62() {
        let mut c = Conv::new(ConvType::C2C, Arc::from("a"), 5);
        c.pinned = true;
        assert_eq!(c.order_key(), 0x4000000000000005);
        let mut out = Vec::new();
        write_json_array(&mut out, [&Arc::new(c)]);
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0][kTIMConvActiveTime].as_u64(), Some(0x4000000000000005));
        assert_eq!(v[0][kTIMConvIsPinned], true);
    }
}
