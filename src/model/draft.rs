//! `TIMConvSetDraft`'s `json_draft_param`: checked once on the way in, then
//! kept as compact text and copied verbatim into every ConvInfo.

use serde_json::Value;

use super::json::{check_depth, check_unique_keys, frag, minify, write_u64};
use super::keys::*;
use crate::error::{Error, Result};

/// Checks `text` as a draft and returns the `conv_draft` object to store:
/// the caller's JSON without white space, with `draft_edit_time` set to `now`
/// when the caller left it out.
///
/// Shape: an object; `draft_msg` an object holding a `message_elem_array`
/// array; `draft_user_define`, if present, a string; `draft_edit_time`, if
/// present, an unsigned integer. Unknown keys are kept. No object may hold
/// the same key twice.
pub fn parse_draft(text: &str, now: u64) -> Result<Box<str>> {
    if !check_depth(text) || !check_unique_keys(text) {
        return Err(Error::InvalidJson);
    }
    let v: Value = serde_json::from_str(text).map_err(|_| Error::InvalidJson)?;
    let obj = v.as_object().ok_or(Error::InvalidJson)?;
    let msg = obj
        .get(kTIMDraftMsg)
        .and_then(Value::as_object)
        .ok_or(Error::InvalidJson)?;
    if !msg.get(kTIMMsgElemArray).is_some_and(Value::is_array) {
        return Err(Error::InvalidJson);
    }
    if obj.get(kTIMDraftUserDefine).is_some_and(|u| !u.is_string()) {
        return Err(Error::InvalidJson);
    }
    let has_time = match obj.get(kTIMDraftEditTime) {
        None => false,
        Some(t) if t.is_u64() => true,
        Some(_) => return Err(Error::InvalidJson),
    };
    let compact = minify(text);
    if has_time {
        return Ok(compact.into_boxed_str());
    }
    // `compact` is an object with at least one member (draft_msg): "{...}".
    let mut out = Vec::with_capacity(compact.len() + 40);
    out.extend_from_slice(frag!("{\"", kTIMDraftEditTime, "\":"));
    write_u64(&mut out, now);
    out.push(b',');
    out.extend_from_slice(&compact.as_bytes()[1..]);
    // Only ASCII was added to valid UTF-8.
    String::from_utf8(out)
        .map(String::into_boxed_str)
        .map_err(|_| Error::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            assert_eq!(parse_draft(bad, 0), Err(Error::InvalidJson), "{bad}");
        }
    }
}
