//! Messages as they come in through `TIMMsgImportMsgList`, `TIMMsgSaveMsg`
//! and `TIMMsgReportReaded`: checked once (one parser pass), read for what
//! the conversation needs, and kept as compact text only when one becomes a
//! conversation's `conv_last_msg`. Message history is not stored.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::draft::{next_unique_key, JsonArray, JsonString};
use super::json::{check_depth, frag, minify, write_str, write_u64};
use super::keys::*;
use super::ConvType;
use crate::error::{Error, Result};

/// What the conversation side reads from one message. Every key is
/// optional but `message_elem_array`; a key present with the wrong type,
/// or any object holding a key twice, makes the message invalid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub conv_id: Option<String>,
    pub conv_type: Option<u64>,
    pub sender: Option<String>,
    pub client_time: u64,
    pub server_time: u64,
    pub seq: u64,
    pub from_self: Option<bool>,
    pub read: bool,
    pub excluded_from_last: bool,
    pub excluded_from_unread: bool,
    /// `message_group_at_user_array` names the given user.
    pub at_users: Vec<String>,
}

/// A checked message and its text as given.
pub struct Message<'a> {
    pub raw: &'a str,
    pub facts: Facts,
    /// [`Message::stored_text`], made once.
    stored: OnceCell<Arc<str>>,
}

/// The context a message is read in: the conversation it goes to and the
/// logged-in user (none in the embedded default).
pub struct Context<'a> {
    pub conv_type: ConvType,
    pub conv_id: &'a str,
    pub user: Option<&'a str>,
    /// The Unix time of the call, for a message with neither time.
    pub now: u64,
}

impl Message<'_> {
    /// Its time for ordering: the server time, else the client time, else
    /// the time of the call.
    pub fn time(&self, ctx: &Context) -> u64 {
        [self.facts.server_time, self.facts.client_time, ctx.now]
            .into_iter()
            .find(|&t| t != 0)
            .unwrap_or(0)
    }

    /// Sent by the logged-in user: `message_is_from_self` when given, else
    /// whether `message_sender` is that user.
    pub fn from_self(&self, ctx: &Context) -> bool {
        self.facts.from_self.unwrap_or_else(|| {
            ctx.user
                .is_some_and(|u| self.facts.sender.as_deref() == Some(u))
        })
    }

    /// Counts as unread: not from self, not read, not excluded.
    pub fn counts_unread(&self, ctx: &Context) -> bool {
        !self.from_self(ctx) && !self.facts.read && !self.facts.excluded_from_unread
    }

    /// The `TIMGroupAtType` this message gives the logged-in user (group
    /// conversations only, unread or not, not from self): 1 @me, 2 @all,
    /// 3 both.
    pub fn at_type(&self, ctx: &Context) -> Option<u8> {
        if ctx.conv_type != ConvType::Group || self.from_self(ctx) || self.facts.read {
            return None;
        }
        let all = self.facts.at_users.iter().any(|u| u == kImSDK_MessageAtALL);
        let me = ctx
            .user
            .is_some_and(|me| self.facts.at_users.iter().any(|u| u == me));
        match (me, all) {
            (true, true) => Some(3),
            (true, false) => Some(1),
            (false, true) => Some(2),
            (false, false) => None,
        }
    }

    /// The text kept as `conv_last_msg`: the message without white space,
    /// with `message_conv_id`, `message_conv_type` and `message_is_from_self`
    /// filled in where the caller left them out. Made on the first call
    /// (`ctx` must be the one the message was checked in) and shared after.
    pub fn stored_text(&self, ctx: &Context) -> Arc<str> {
        self.stored
            .get_or_init(|| self.make_stored_text(ctx))
            .clone()
    }

    fn make_stored_text(&self, ctx: &Context) -> Arc<str> {
        let compact = minify(self.raw);
        let mut out = Vec::with_capacity(compact.len() + ctx.conv_id.len() + 96);
        out.push(b'{');
        if self.facts.conv_id.is_none() {
            out.extend_from_slice(frag!("\"", kTIMMsgConvId, "\":"));
            write_str(&mut out, ctx.conv_id);
            out.push(b',');
        }
        if self.facts.conv_type.is_none() {
            out.extend_from_slice(frag!("\"", kTIMMsgConvType, "\":"));
            write_u64(&mut out, ctx.conv_type as u64);
            out.push(b',');
        }
        if self.facts.from_self.is_none() {
            out.extend_from_slice(frag!("\"", kTIMMsgIsFormSelf, "\":"));
            out.extend_from_slice(if self.from_self(ctx) {
                b"true,"
            } else {
                b"false,"
            });
        }
        // `compact` is an object with at least one member: "{...}".
        out.extend_from_slice(&compact.as_bytes()[1..]);
        // Only ASCII and escaped strings were added to valid UTF-8.
        String::from_utf8(out).map_or_else(|_| compact.into(), Arc::from)
    }
}

/// Checks one message (a JSON object) for the conversation `ctx` names. A
/// `message_conv_id` / `message_conv_type` naming another conversation is
/// `InvalidParam`; anything else wrong is `InvalidJson`.
pub fn parse_message<'a>(text: &'a str, ctx: &Context) -> Result<Message<'a>> {
    if !check_depth(text) || !text.trim_start().starts_with('{') {
        return Err(Error::InvalidJson);
    }
    let facts: Facts = serde_json::from_str(text).map_err(|_| Error::InvalidJson)?;
    check_conv(&facts, ctx)?;
    Ok(Message {
        raw: text.trim(),
        facts,
        stored: OnceCell::new(),
    })
}

/// Checks a JSON array of messages, all or nothing (the first bad one
/// decides the error).
pub fn parse_message_array<'a>(text: &'a str, ctx: &Context) -> Result<Vec<Message<'a>>> {
    if !check_depth(text) || !text.trim_start().starts_with('[') {
        return Err(Error::InvalidJson);
    }
    let raws: Vec<&'a RawValue> = serde_json::from_str(text).map_err(|_| Error::InvalidJson)?;
    raws.into_iter()
        .map(|r| parse_message(r.get(), ctx))
        .collect()
}

fn check_conv(f: &Facts, ctx: &Context) -> Result<()> {
    let id_ok = f.conv_id.as_deref().is_none_or(|id| id == ctx.conv_id);
    let ty_ok = f.conv_type.is_none_or(|t| t == ctx.conv_type as u64);
    if id_ok && ty_ok {
        Ok(())
    } else {
        Err(Error::InvalidParam)
    }
}

impl<'de> Deserialize<'de> for Facts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Facts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            // The vendor's key names, used as patterns.
            #[allow(non_upper_case_globals)]
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Facts, A::Error> {
                let mut seen = HashSet::new();
                let mut f = Facts::default();
                let mut has_elems = false;
                while let Some(key) = next_unique_key(&mut map, &mut seen)? {
                    match &*key {
                        kTIMMsgElemArray => {
                            map.next_value::<JsonArray>()?;
                            has_elems = true;
                        }
                        kTIMMsgConvId => f.conv_id = Some(map.next_value()?),
                        kTIMMsgConvType => f.conv_type = Some(map.next_value()?),
                        kTIMMsgSender => f.sender = Some(map.next_value()?),
                        kTIMMsgClientTime => f.client_time = map.next_value()?,
                        kTIMMsgServerTime => f.server_time = map.next_value()?,
                        kTIMMsgSeq => f.seq = map.next_value()?,
                        kTIMMsgIsFormSelf => f.from_self = Some(map.next_value()?),
                        kTIMMsgIsRead => f.read = map.next_value()?,
                        kTIMMsgExcludedFromLastMessage => {
                            f.excluded_from_last = map.next_value()?
                        }
                        kTIMMsgIsExcludedFromUnreadCount => {
                            f.excluded_from_unread = map.next_value()?
                        }
                        kTIMMsgGroupAtUserArray => f.at_users = map.next_value()?,
                        kTIMMsgMsgId | kTIMMsgCustomStr | kTIMMsgCloudCustomStr => {
                            map.next_value::<JsonString>()?;
                        }
                        _ => {
                            map.next_value::<super::json::UniqueKeys>()?;
                        }
                    }
                }
                if !has_elems {
                    return Err(de::Error::missing_field(kTIMMsgElemArray));
                }
                Ok(f)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const ELEMS: &str = r#""message_elem_array":[{"elem_type":0,"text_elem_content":"hi"}]"#;

    fn ctx(ty: ConvType, user: Option<&'static str>) -> Context<'static> {
        Context {
            conv_type: ty,
            conv_id: "peer\"1",
            user,
            now: 1000,
        }
    }

    #[test]
    fn facts_are_read_and_the_text_is_filled_in() {
        let c = ctx(ConvType::Group, Some("me"));
        let text = format!(
            "{{ {ELEMS}, \"message_sender\":\"me\", \"message_seq\":18446744073709551615, \"message_client_time\":5, \"message_group_at_user_array\":[\"me\",\"__kImSDK_MessageAtALL__\"], \"x\":{{\"y\":[1]}} }}"
        );
        let m = parse_message(&text, &c).unwrap();
        assert_eq!(m.facts.seq, u64::MAX);
        assert_eq!(m.time(&c), 5);
        assert!(m.from_self(&c));
        assert!(!m.counts_unread(&c));
        assert_eq!(m.at_type(&c), None, "from self: no @ entry");
        let stored = m.stored_text(&c);
        assert!(Arc::ptr_eq(&stored, &m.stored_text(&c)), "made once");
        let v: Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(v[kTIMMsgConvId], "peer\"1");
        assert_eq!(v[kTIMMsgConvType], 2);
        assert_eq!(v[kTIMMsgIsFormSelf], true);
        assert_eq!(v["x"]["y"][0], 1);
        assert!(stored.contains("18446744073709551615"));
        assert!(super::super::json::check_unique_keys(&stored));
    }

    #[test]
    fn unread_and_at_rules() {
        let anon = ctx(ConvType::Group, None);
        let me = ctx(ConvType::Group, Some("me"));
        let text = format!(
            "{{{ELEMS},\"message_sender\":\"bob\",\"message_group_at_user_array\":[\"me\"]}}"
        );
        let m = parse_message(&text, &me).unwrap();
        assert!(m.counts_unread(&me));
        assert_eq!(m.at_type(&me), Some(1));
        assert_eq!(
            m.at_type(&anon),
            None,
            "no logged-in user: only @all counts"
        );
        assert_eq!(m.time(&me), 1000, "no time given: the call's");
        let all = format!("{{{ELEMS},\"message_group_at_user_array\":[\"__kImSDK_MessageAtALL__\"],\"message_server_time\":9,\"message_client_time\":3}}");
        let m = parse_message(&all, &anon).unwrap();
        assert_eq!((m.at_type(&anon), m.time(&anon)), (Some(2), 9));
        let c2c = ctx(ConvType::C2C, Some("me"));
        let m = parse_message(&text, &c2c).unwrap();
        assert_eq!(m.at_type(&c2c), None, "no @ entries in C2C");
        for (extra, unread) in [
            ("\"message_is_read\":true", false),
            ("\"message_is_excluded_from_unread_count\":true", false),
            ("\"message_is_from_self\":true", false),
            (
                "\"message_is_from_self\":false,\"message_sender\":\"me\"",
                true,
            ),
        ] {
            let t = format!("{{{ELEMS},{extra}}}");
            let m = parse_message(&t, &me).unwrap();
            assert_eq!(m.counts_unread(&me), unread, "{extra}");
        }
    }

    #[test]
    fn wrong_shapes_and_other_conversations_are_refused() {
        let c = ctx(ConvType::C2C, None);
        for bad in [
            "{}".to_string(),
            "[]".to_string(),
            "nope".to_string(),
            format!("{{{ELEMS},\"message_seq\":-1}}"),
            format!("{{{ELEMS},\"message_server_time\":1.5}}"),
            format!("{{{ELEMS},\"message_is_read\":1}}"),
            format!("{{{ELEMS},\"message_sender\":null}}"),
            format!("{{{ELEMS},\"message_group_at_user_array\":[1]}}"),
            format!("{{{ELEMS},{ELEMS}}}"),
            format!("{{{ELEMS},\"x\":{{\"a\":1,\"a\":2}}}}"),
            format!("{{{ELEMS},\"message_msg_id\":7}}"),
            format!("{}{{{ELEMS}}}{}", "[".repeat(0), "]"),
            format!(
                "{{\"message_elem_array\":{}{}}}",
                "[".repeat(200),
                "]".repeat(200)
            ),
        ] {
            assert_eq!(
                parse_message(&bad, &c).err(),
                Some(Error::InvalidJson),
                "{bad}"
            );
        }
        for other in [
            format!("{{{ELEMS},\"message_conv_id\":\"someone\"}}"),
            format!("{{{ELEMS},\"message_conv_type\":2}}"),
        ] {
            assert_eq!(
                parse_message(&other, &c).err(),
                Some(Error::InvalidParam),
                "{other}"
            );
        }
        let same = format!("{{{ELEMS},\"message_conv_id\":\"peer\\\"1\",\"message_conv_type\":1}}");
        let m = parse_message(&same, &c).unwrap();
        let v: Value = serde_json::from_str(&m.stored_text(&c)).unwrap();
        assert_eq!(v[kTIMMsgConvId], "peer\"1");
    }

    #[test]
    fn arrays_are_all_or_nothing() {
        let c = ctx(ConvType::C2C, None);
        let good = format!("[{{{ELEMS}}}, {{{ELEMS},\"message_seq\":2}}]");
        let ms = parse_message_array(&good, &c).unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[1].facts.seq, 2);
        let bad = format!("[{{{ELEMS}}}, {{\"message_seq\":2}}]");
        assert_eq!(
            parse_message_array(&bad, &c).err(),
            Some(Error::InvalidJson)
        );
        assert_eq!(
            parse_message_array("{}", &c).err(),
            Some(Error::InvalidJson)
        );
        assert_eq!(parse_message_array("[]", &c).unwrap().len(), 0);
    }
}
