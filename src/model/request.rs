//! The requests of the conversation-module functions: the values a caller
//! builds and the store takes (conversation ids, filters, read scopes and
//! points, the vendor's limits), and their decoding from the calls'
//! arguments once the C side (`src/ffi/args.rs`) has read them: JSON texts,
//! `conversation_id` strings, the message a read report reaches up to.
//! JSON inputs are typed serde structures: unknown keys are tolerated; a
//! missing key, a value of the wrong type or out of its range is
//! `InvalidJson`.

use serde::Deserialize;

use super::config::parse_object;
use super::message::{parse_message, parse_message_array, Context, Message};
use super::{Conv, ConvType};
use crate::error::{Error, Result};

/// The vendor's limits (contract C5.9).
pub struct Limits;

impl Limits {
    pub const PINNED: usize = 50;
    pub const GROUPS: usize = 20;
    pub const GROUP_NAME: usize = 32;
    pub const GROUP_MEMBERS: usize = 1000;
    pub const PER_REQUEST: usize = 100;
    pub const CUSTOM_DATA: usize = 256;
    pub const MARKED: usize = 1000;
    /// Mark bits an app may use: the four standard marks, and 32 to 63.
    pub const MARK_BITS: u64 = 0xffff_ffff_0000_000f;
    /// Longest id inside a `conversation_id` string.
    pub const ID: usize = 128;
    /// Most user ids per `TIMMsgSetC2CReceiveMessageOpt`.
    pub const RECV_OPT_IDS: usize = 30;
}

/// One entry of a `conversation_id_array`: `c2c_<id>` or `group_<id>`.
#[derive(Clone, Debug)]
pub struct ConvRef {
    /// The string as given (echoed in the result).
    pub given: String,
    /// The conversation it names; `None` when malformed.
    pub conv: Option<(ConvType, String)>,
}

impl ConvRef {
    pub fn parse(given: String) -> ConvRef {
        let conv = if let Some(id) = given.strip_prefix("c2c_") {
            Some((ConvType::C2C, id))
        } else {
            given.strip_prefix("group_").map(|id| (ConvType::Group, id))
        };
        let conv = conv
            .filter(|(_, id)| !id.is_empty() && id.len() <= Limits::ID)
            .map(|(t, id)| (t, id.to_owned()));
        ConvRef { given, conv }
    }
}

/// A filter, each part optional (the 8.x tri-state rule).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub conv_type: Option<ConvType>,
    /// `Some("")`: conversations in no group.
    pub group: Option<String>,
    /// `Some(0)`: conversations without any mark; otherwise those carrying
    /// all of these bits.
    pub marks: Option<u64>,
    /// `Some(true)`: with unread messages; `Some(false)`: without.
    pub has_unread: Option<bool>,
    /// `Some(true)`: with @ entries; `Some(false)`: without.
    pub has_group_at: Option<bool>,
}

impl Filter {
    pub fn matches(&self, c: &Conv) -> bool {
        self.conv_type.is_none_or(|t| c.conv_type() == t)
            && self.group.as_deref().is_none_or(|g| {
                if g.is_empty() {
                    c.groups().is_empty()
                } else {
                    c.groups().iter().any(|x| &**x == g)
                }
            })
            && self.marks.is_none_or(|m| {
                if m == 0 {
                    c.marks() == 0
                } else {
                    c.marks() & m == m
                }
            })
            && self.has_unread.is_none_or(|u| (c.unread() > 0) == u)
            && self
                .has_group_at
                .is_none_or(|a| c.at_info().is_empty() != a)
    }
}

/// The conversations a read report or a clean applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    One(ConvType, String),
    Type(ConvType),
    All,
}

/// How far a read report or a clean reaches, per conversation type:
/// `None` reads everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadPoint {
    /// C2C: messages at or before this time (seconds).
    pub c2c_time: Option<u64>,
    /// Group: messages at or before this sequence.
    pub group_seq: Option<u64>,
}

impl ReadPoint {
    /// Everything read.
    pub const ALL: ReadPoint = ReadPoint {
        c2c_time: None,
        group_seq: None,
    };

    /// The point for the conversations of type `ty`.
    pub fn of(&self, ty: ConvType) -> Option<u64> {
        match ty {
            ConvType::C2C => self.c2c_time,
            ConvType::Group => self.group_seq,
        }
    }
}

/// A `conversation_id_array`: a JSON array of strings.
pub fn parse_conv_refs(json: &str) -> Result<Vec<ConvRef>> {
    if !json.trim_start().starts_with('[') {
        return Err(Error::InvalidJson);
    }
    let ids: Vec<String> = serde_json::from_str(json).map_err(|_| Error::InvalidJson)?;
    Ok(ids.into_iter().map(ConvRef::parse).collect())
}

/// A `json_identifier_array`: a JSON array of user ids (else
/// `InvalidJson`), not empty, each 1 to 128 bytes (else `InvalidParam`).
pub fn parse_user_ids(json: &str) -> Result<Vec<String>> {
    if !json.trim_start().starts_with('[') {
        return Err(Error::InvalidJson);
    }
    let ids: Vec<String> = serde_json::from_str(json).map_err(|_| Error::InvalidJson)?;
    if ids.is_empty() || ids.iter().any(|i| i.is_empty() || i.len() > Limits::ID) {
        return Err(Error::InvalidParam);
    }
    Ok(ids)
}

#[derive(Deserialize)]
struct GetConvParam {
    get_conversation_list_param_conv_id: String,
    get_conversation_list_param_conv_type: i64,
}

fn conv_type(v: i64) -> Result<ConvType> {
    i32::try_from(v)
        .ok()
        .and_then(|v| ConvType::try_from(v).ok())
        .ok_or(Error::InvalidJson)
}

/// `TIMConvGetConvInfo`'s parameter: an array of (id, type) objects.
pub fn parse_get_conv_params(json: &str) -> Result<Vec<(ConvType, String)>> {
    if !json.trim_start().starts_with('[') {
        return Err(Error::InvalidJson);
    }
    let items: Vec<GetConvParam> = serde_json::from_str(json).map_err(|_| Error::InvalidJson)?;
    items
        .into_iter()
        .map(|p| {
            let t = conv_type(p.get_conversation_list_param_conv_type)?;
            Ok((t, p.get_conversation_list_param_conv_id))
        })
        .collect()
}

/// An optional key: absent is `None`; present, it must hold a `T` (`null`
/// is the wrong type, not "absent").
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct FilterJson {
    #[serde(default, deserialize_with = "present")]
    conversation_list_filter_conv_type: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    conversation_list_filter_conversation_group: Option<String>,
    #[serde(default, deserialize_with = "present")]
    conversation_list_filter_mark_type: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    conversation_list_filter_has_unread_count: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    conversation_list_filter_has_group_at_info: Option<bool>,
}

/// `TIMConvGetConversationListByFilter`'s filter (8.x keys).
pub fn parse_filter(json: &str) -> Result<Filter> {
    let f: FilterJson = parse_object(json)?;
    Ok(Filter {
        conv_type: f
            .conversation_list_filter_conv_type
            .map(conv_type)
            .transpose()?,
        group: f.conversation_list_filter_conversation_group,
        marks: f.conversation_list_filter_mark_type,
        has_unread: f.conversation_list_filter_has_unread_count,
        has_group_at: f.conversation_list_filter_has_group_at_info,
    })
}

/// `TIMMsgImportMsgList`'s `json_msg_array`: a JSON array of messages, all
/// checked ([`parse_message_array`]), and not empty (else `InvalidParam`).
pub fn parse_import_list<'a>(json: &'a str, ctx: &Context) -> Result<Vec<Message<'a>>> {
    let msgs = parse_message_array(json, ctx)?;
    if msgs.is_empty() {
        return Err(Error::InvalidParam);
    }
    Ok(msgs)
}

/// `TIMMsgReportReaded`'s target: `id` `None` reads every conversation of
/// the type; `msg` `None` reads everything, else up to that message (C2C:
/// its time; group: its sequence, everything if it has none), checked in
/// the context `ctx` makes for the conversation (only then).
pub fn parse_report_read<'a>(
    ty: ConvType,
    id: Option<&'a str>,
    msg: Option<&str>,
    ctx: impl FnOnce(&'a str) -> Context<'a>,
) -> Result<(Scope, ReadPoint)> {
    let (scope, upto) = match id {
        None => (Scope::Type(ty), ReadPoint::ALL),
        Some(id) => {
            let upto = match msg {
                None => ReadPoint::ALL,
                Some(text) => {
                    let ctx = ctx(id);
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
    Ok((scope, upto))
}

/// `TIMConvCleanConversationUnreadMessageCount`'s `conversation_id`:
/// `c2c_<id>` or `group_<id>` (that conversation), `"c2c"` (every C2C
/// conversation), `"group"` (every group), NULL (`None`) or `""` (every
/// conversation); anything else `InvalidParam`.
pub fn parse_clean_scope(given: Option<&str>) -> Result<Scope> {
    let scope = match given.unwrap_or("") {
        "" => Scope::All,
        "c2c" => Scope::Type(ConvType::C2C),
        "group" => Scope::Type(ConvType::Group),
        other => match ConvRef::parse(other.to_owned()).conv {
            Some((ty, id)) => Scope::One(ty, id),
            None => return Err(Error::InvalidParam),
        },
    };
    Ok(scope)
}

/// `TIMConvCleanConversationUnreadMessageCount`'s reach: in C2C
/// conversations up to `clean_timestamp`, in groups up to `clean_sequence`;
/// 0 reads all.
pub fn clean_read_point(clean_timestamp: u64, clean_sequence: u64) -> ReadPoint {
    ReadPoint {
        c2c_time: (clean_timestamp != 0).then_some(clean_timestamp),
        group_seq: (clean_sequence != 0).then_some(clean_sequence),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_ids_parse_and_malformed_ones_are_kept_as_such() {
        let r = parse_conv_refs(r#"["c2c_a","group_g","x","c2c_",""]"#).unwrap();
        assert_eq!(r[0].conv, Some((ConvType::C2C, "a".into())));
        assert_eq!(r[1].conv, Some((ConvType::Group, "g".into())));
        assert!(r[2..].iter().all(|r| r.conv.is_none()));
        for bad in ["{}", "[1]", "[", "\"c2c_a\"", "[null]"] {
            assert_eq!(
                parse_conv_refs(bad).unwrap_err(),
                Error::InvalidJson,
                "{bad}"
            );
        }
    }

    #[test]
    fn user_ids_are_strings_of_1_to_128_bytes() {
        assert_eq!(parse_user_ids(r#"["a","b"]"#).unwrap(), ["a", "b"]);
        for (bad, e) in [
            ("[]", Error::InvalidParam),
            (r#"[""]"#, Error::InvalidParam),
            (&*format!("[\"{}\"]", "x".repeat(129)), Error::InvalidParam),
            ("[1]", Error::InvalidJson),
            ("{}", Error::InvalidJson),
            ("[null]", Error::InvalidJson),
        ] {
            assert_eq!(parse_user_ids(bad).unwrap_err(), e, "{bad}");
        }
    }

    #[test]
    fn filters_follow_the_tri_state_rule() {
        assert_eq!(parse_filter("{}").unwrap(), Filter::default());
        let f = parse_filter(r#"{"conversation_list_filter_conv_type":2,"conversation_list_filter_mark_type":0,"conversation_list_filter_conversation_group":""}"#).unwrap();
        assert_eq!(
            (f.conv_type, f.marks, f.group.as_deref()),
            (Some(ConvType::Group), Some(0), Some(""))
        );
        for bad in [
            r#"{"conversation_list_filter_conv_type":3}"#,
            r#"{"conversation_list_filter_mark_type":-1}"#,
            "[]",
        ] {
            assert_eq!(parse_filter(bad).unwrap_err(), Error::InvalidJson, "{bad}");
        }
    }
}
