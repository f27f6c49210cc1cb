//! The JSON inputs of the conversation-module functions, as typed serde
//! structures: unknown keys are tolerated; a missing key, a value of the
//! wrong type or out of its range is `InvalidJson`.

use serde::Deserialize;

use super::config::parse_object;
use super::ConvType;
use crate::error::{Error, Result};
use crate::store::{ConvRef, Filter};

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
    if ids.is_empty()
        || ids
            .iter()
            .any(|i| i.is_empty() || i.len() > crate::store::Limits::ID)
    {
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
