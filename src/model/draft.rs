//! `TIMConvSetDraft`'s `json_draft_param`: checked once on the way in, then
//! kept as compact text and copied verbatim into every ConvInfo.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::json::{check_depth, frag, minify, write_u64, UniqueKeys};
use super::keys::*;
use crate::error::{Error, Result};

/// Checks `text` as a draft and returns the `conv_draft` object to store:
/// the caller's JSON without white space, with `draft_edit_time` set to `now`
/// when the caller left it out.
///
/// Shape: an object; `draft_msg` an object holding a `message_elem_array`
/// array; `draft_user_define`, if present, a string; `draft_edit_time`, if
/// present, an unsigned integer. Unknown keys are kept. No object may hold
/// the same key twice. One pass of the parser checks all of it.
pub fn parse_draft(text: &str, now: u64) -> Result<Box<str>> {
    if !check_depth(text) {
        return Err(Error::InvalidJson);
    }
    let draft: DraftShape = serde_json::from_str(text).map_err(|_| Error::InvalidJson)?;
    let compact = minify(text);
    if draft.has_edit_time {
        return Ok(compact.into());
    }
    // `compact` is an object with at least one member (draft_msg): "{...}".
    let mut out = Vec::with_capacity(compact.len() + 32);
    out.extend_from_slice(frag!("{\"", kTIMDraftEditTime, "\":"));
    write_u64(&mut out, now);
    out.push(b',');
    out.extend_from_slice(&compact.as_bytes()[1..]);
    // Only ASCII was added to valid UTF-8.
    String::from_utf8(out)
        .map(String::into_boxed_str)
        .map_err(|_| Error::Internal)
}

/// What the one pass over a draft found.
struct DraftShape {
    has_edit_time: bool,
}

/// Reads an object's keys, refusing a key seen before in that object.
pub(crate) fn next_unique_key<'de, A: MapAccess<'de>>(
    map: &mut A,
    seen: &mut HashSet<Cow<'de, str>>,
) -> std::result::Result<Option<Cow<'de, str>>, A::Error> {
    let Some(key) = map.next_key::<Cow<'de, str>>()? else {
        return Ok(None);
    };
    if !seen.insert(key.clone()) {
        return Err(de::Error::custom("duplicate key"));
    }
    Ok(Some(key))
}

impl<'de> Deserialize<'de> for DraftShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DraftShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a draft object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DraftShape, A::Error> {
                let mut seen = HashSet::new();
                let (mut has_msg, mut has_edit_time) = (false, false);
                while let Some(key) = next_unique_key(&mut map, &mut seen)? {
                    if key == kTIMDraftMsg {
                        map.next_value::<MessageShape>()?;
                        has_msg = true;
                    } else if key == kTIMDraftUserDefine {
                        map.next_value::<JsonString>()?;
                    } else if key == kTIMDraftEditTime {
                        map.next_value::<u64>()?;
                        has_edit_time = true;
                    } else {
                        map.next_value::<UniqueKeys>()?;
                    }
                }
                if !has_msg {
                    return Err(de::Error::missing_field(kTIMDraftMsg));
                }
                Ok(DraftShape { has_edit_time })
            }
        }
        d.deserialize_map(V)
    }
}

/// `draft_msg`: an object holding a `message_elem_array` array.
struct MessageShape;

impl<'de> Deserialize<'de> for MessageShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MessageShape;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<MessageShape, A::Error> {
                let mut seen = HashSet::new();
                let mut has_elems = false;
                while let Some(key) = next_unique_key(&mut map, &mut seen)? {
                    if key == kTIMMsgElemArray {
                        map.next_value::<JsonArray>()?;
                        has_elems = true;
                    } else {
                        map.next_value::<UniqueKeys>()?;
                    }
                }
                if !has_elems {
                    return Err(de::Error::missing_field(kTIMMsgElemArray));
                }
                Ok(MessageShape)
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON array (of anything without duplicate keys).
pub(crate) struct JsonArray;

impl<'de> Deserialize<'de> for JsonArray {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonArray;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<JsonArray, A::Error> {
                while seq.next_element::<UniqueKeys>()?.is_some() {}
                Ok(JsonArray)
            }
        }
        d.deserialize_seq(V)
    }
}

/// A JSON string (and nothing else: not null).
pub(crate) struct JsonString;

impl<'de> Deserialize<'de> for JsonString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<JsonString, E> {
                Ok(JsonString)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const MSG: &str = r#""draft_msg":{"message_elem_array":[{"elem_type":0,"text_elem_content":"hi"}],"x_unknown":[1,{"k":2}]}"#;

    #[test]
    fn kept_exactly_with_time_filled_in() {
        let d = parse_draft(&format!("{{ {MSG} , \"draft_user_define\" : \"u\" }}"), 42).unwrap();
        let v: Value = serde_json::from_str(&d).unwrap();
        assert_eq!(v[kTIMDraftEditTime], 42);
        assert_eq!(v[kTIMDraftUserDefine], "u");
        assert_eq!(v[kTIMDraftMsg]["x_unknown"][1]["k"], 2);
        assert!(!d.contains(' '));
    }

    #[test]
    fn given_time_is_kept_exactly_even_above_2_pow_53() {
        let d = parse_draft(
            &format!("{{{MSG},\"draft_edit_time\":18446744073709551615}}"),
            1,
        )
        .unwrap();
        assert!(d.contains("18446744073709551615"));
        assert!(!d.contains(":1,"));
    }

    /// A mutation fuzzer on stable: random edits of valid drafts. Whatever
    /// the input, no panic; whatever is accepted is stored as JSON that
    /// parses, has no duplicate key, has the required shape, and equals the
    /// input but for the filled-in edit time.
    #[test]
    fn random_edits_never_panic_and_accepted_drafts_stay_valid() {
        let seeds = [
            format!("{{{MSG}}}"),
            format!("{{ {MSG} , \"draft_user_define\" : \"a\\\"b\\u00e9\" , \"draft_edit_time\" : 12 }}"),
            r#"{"draft_msg":{"message_elem_array":[[[{"k":[1,2.5e3,-0,true,null,"s"]}]]]},"z":{}}"#.to_string(),
        ];
        let alphabet: &[u8] = b"{}[]:,\" \\\tnu0123456789.-+eEtrfalsdm_\xc3\xa9\x00\x01";
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut rnd = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let (mut accepted, mut refused) = (0, 0);
        for i in 0..20_000 {
            let mut b = seeds[i % seeds.len()].clone().into_bytes();
            for _ in 0..1 + rnd(4) {
                let at = rnd(b.len() + 1);
                match rnd(3) {
                    0 if at < b.len() => {
                        b.remove(at);
                    }
                    1 if at < b.len() => b[at] = alphabet[rnd(alphabet.len())],
                    _ => b.insert(at, alphabet[rnd(alphabet.len())]),
                }
            }
            // Inputs reach parse_draft as checked UTF-8.
            let Ok(text) = String::from_utf8(b) else {
                continue;
            };
            match parse_draft(&text, 77) {
                Err(e) => {
                    assert_eq!(e, Error::InvalidJson);
                    refused += 1;
                }
                Ok(stored) => {
                    accepted += 1;
                    assert!(super::super::json::check_unique_keys(&stored), "{stored}");
                    let mut got: Value = serde_json::from_str(&stored).unwrap();
                    let mut want: Value = serde_json::from_str(&text).unwrap();
                    assert!(got[kTIMDraftMsg][kTIMMsgElemArray].is_array(), "{stored}");
                    assert!(got[kTIMDraftEditTime].is_u64(), "{stored}");
                    got.as_object_mut().unwrap().remove(kTIMDraftEditTime);
                    want.as_object_mut().unwrap().remove(kTIMDraftEditTime);
                    assert_eq!(got, want, "{text}");
                }
            }
        }
        // The edits must exercise both outcomes.
        assert!(
            accepted > 500 && refused > 5_000,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn escaped_key_names_are_the_same_keys() {
        let d = parse_draft(&format!("{{{MSG},\"draft\\u005fedit_time\":7}}"), 42).unwrap();
        assert!(
            !d.contains(":42"),
            "the escaped draft_edit_time counts as given: {d}"
        );
    }

    #[test]
    fn wrong_shapes_are_json_errors() {
        for bad in [
            "[]",
            "{}",
            "not json",
            r#"{"draft_msg":[]}"#,
            r#"{"draft_msg":{}}"#,
            r#"{"draft_msg":{"message_elem_array":{}}}"#,
            &format!("{{{MSG},\"draft_user_define\":1}}"),
            &format!("{{{MSG},\"draft_edit_time\":-1}}"),
            &format!("{{{MSG},\"draft_edit_time\":1.5}}"),
            &format!("{{{MSG},\"draft_edit_time\":\"1\"}}"),
            &format!("{{{MSG}}} trailing"),
            &format!("{{\"draft_edit_time\":-1,\"draft_edit_time\":5,{MSG}}}"),
            r#"{"draft_msg":[],"draft_msg":{"message_elem_array":[]}}"#,
            r#"{"draft_msg":{"message_elem_array":[{"elem_type":0,"elem_type":1}]}}"#,
            r#"{"draft_msg":{"message_elem_array":[],"message_elem_array":[]}}"#,
            r#"{"draft_msg":{"message_elem_array":null}}"#,
            &format!("{{{MSG},\"draft_user_define\":null}}"),
            &format!("{{{MSG},\"draft_user_define\":[\"x\"]}}"),
            &format!("{{{MSG},\"draft_edit_time\":null}}"),
            &format!("{{{MSG},\"x\":{{\"a\":1,\"a\":2}}}}"),
            &format!("{{{MSG},\"draft\\u005fmsg\":{{\"message_elem_array\":[]}}}}"),
        ] {
            assert_eq!(parse_draft(bad, 0), Err(Error::InvalidJson), "{bad}");
        }
    }
}
