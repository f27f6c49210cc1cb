//! The five seed functions through their exported symbols: contract C2.3 to
//! C2.6 and C5.1 to C5.7. Each test uses its own id prefix: the store is
//! shared by every test in this process.

mod common;

use std::collections::HashSet;
use std::ffi::{c_char, c_void};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use parking_lot::Mutex;
use serde_json::Value;

/// C5.7: every ConvInfo key, with its type.
fn assert_conv_info(v: &Value, id: &str, ty: i32) {
    assert_eq!(v["conv_id"], id);
    assert_eq!(v["conv_type"], ty);
    assert_eq!(v["conv_owner"], "");
    assert!(v["conv_unread_num"].is_u64());
    assert!(v["conv_active_time"].as_u64().unwrap() > 0);
    assert!(v["conv_is_has_lastmsg"].is_boolean());
    assert!(v["conv_is_has_draft"].is_boolean());
    assert!(v["conv_is_pinned"].is_boolean());
    assert!(v["conv_recv_opt"].is_u64());
    assert_eq!(v["conv_show_name"], id);
    assert!(v["conv_face_url"].is_string());
    assert!(v["conv_mark_array"].is_array());
    assert!(v["conv_custom_data"].is_string());
    assert!(v["conv_conversation_group_array"].is_array());
    assert!(v["conv_group_at_info_array"].is_array());
    assert_eq!(
        v.get("conv_draft").is_some(),
        v["conv_is_has_draft"] == true
    );
    assert_eq!(
        v.get("conv_last_msg").is_some(),
        v["conv_is_has_lastmsg"] == true
    );
}

#[test]
fn create_answers_with_the_conv_info_object() {
    let v = create_ok("api-create-1", C2C);
    assert_conv_info(&v, "api-create-1", C2C);
    assert_eq!(v["conv_is_has_draft"], false);
    assert_eq!(v["conv_is_pinned"], false);
    let g = create_ok("api-create-g", GROUP);
    assert_conv_info(&g, "api-create-g", GROUP);
}

#[test]
fn create_of_an_existing_conversation_returns_it_unchanged() {
    let first = create_ok("api-exist", C2C);
    assert_eq!(set_draft("api-exist", C2C, &draft("kept")), SUCC);
    let before = find("api-exist", C2C).unwrap();
    let again = create_ok("api-exist", C2C);
    assert_eq!(
        again, before,
        "create must not change or reorder an existing conversation"
    );
    assert_ne!(
        again["conv_active_time"], first["conv_active_time"],
        "the draft activated it"
    );
}

#[test]
fn c2c_and_group_with_one_id_are_two_conversations() {
    create_ok("api-two", C2C);
    create_ok("api-two", GROUP);
    let got: HashSet<_> = listed("api-two").into_iter().collect();
    assert_eq!(
        got,
        HashSet::from([("api-two".into(), 1), ("api-two".into(), 2)])
    );
    let (rc, r) = delete("api-two", GROUP);
    assert_eq!((rc, r.unwrap().code), (SUCC, 0));
    assert_eq!(listed("api-two"), [("api-two".to_string(), 1)]);
}

#[test]
fn created_conversations_are_listed_at_once_newest_first() {
    for i in 0..5 {
        create_ok(
            &format!("api-order-{i}"),
            if i % 2 == 0 { C2C } else { GROUP },
        );
    }
    let ids: Vec<_> = listed("api-order-").into_iter().map(|x| x.0).collect();
    assert_eq!(
        ids,
        [
            "api-order-4",
            "api-order-3",
            "api-order-2",
            "api-order-1",
            "api-order-0"
        ]
    );
}

#[test]
fn set_draft_activates_and_cancel_draft_does_not_reorder() {
    for id in ["api-act-a", "api-act-b", "api-act-c"] {
        create_ok(id, C2C);
    }
    assert_eq!(set_draft("api-act-a", C2C, &draft("x")), SUCC);
    let ids = |p| listed(p).into_iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(ids("api-act-"), ["api-act-a", "api-act-c", "api-act-b"]);
    assert_eq!(cancel_draft("api-act-a", C2C), SUCC);
    assert_eq!(ids("api-act-"), ["api-act-a", "api-act-c", "api-act-b"]);
    assert_eq!(set_draft("api-act-b", C2C, &draft("y")), SUCC);
    assert_eq!(ids("api-act-"), ["api-act-b", "api-act-a", "api-act-c"]);
}

#[test]
fn sorting_by_conv_active_time_descending_gives_the_list_order() {
    for i in 0..20 {
        create_ok(&format!("api-sort-{i}"), C2C);
    }
    for i in (0..20).step_by(3) {
        assert_eq!(set_draft(&format!("api-sort-{i}"), C2C, &draft("d")), SUCC);
    }
    let all = list();
    let keys: Vec<u64> = all
        .iter()
        .map(|v| v["conv_active_time"].as_u64().unwrap())
        .collect();
    assert!(keys.iter().all(|&k| k > 0));
    let mut sorted = keys.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "list order is conv_active_time descending");
    let unique: HashSet<_> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "conv_active_time is unique per conversation"
    );
}

#[test]
fn conv_active_time_grows_with_every_activation() {
    let a = create_ok("api-grow", C2C)["conv_active_time"]
        .as_u64()
        .unwrap();
    assert_eq!(set_draft("api-grow", C2C, &draft("1")), SUCC);
    let b = find("api-grow", C2C).unwrap()["conv_active_time"]
        .as_u64()
        .unwrap();
    assert!(b > a);
    assert_eq!(cancel_draft("api-grow", C2C), SUCC);
    let c = find("api-grow", C2C).unwrap()["conv_active_time"]
        .as_u64()
        .unwrap();
    assert_eq!(c, b, "cancelling a draft does not activate");
}

#[test]
fn draft_comes_back_exactly_as_given() {
    create_ok("api-draft", GROUP);
    let given = r#"{
        "draft_edit_time" : 9007199254740993,
        "draft_msg" : { "message_elem_array" : [ { "elem_type" : 0, "text_elem_content" : "héllo \"q\" \\ ✓" } ],
                        "x_app_key" : { "nested" : [1, 2.5, -3, 18446744073709551615, null, true] } },
        "draft_user_define" : "this is userdefine",
        "x_top_level" : "kept"
    }"#;
    assert_eq!(set_draft("api-draft", GROUP, given), SUCC);
    let v = find("api-draft", GROUP).unwrap();
    assert_conv_info(&v, "api-draft", GROUP);
    assert_eq!(v["conv_is_has_draft"], true);
    let d = &v["conv_draft"];
    assert_eq!(d, &serde_json::from_str::<Value>(given).unwrap());
    assert_eq!(
        d["draft_edit_time"].as_u64(),
        Some(9007199254740993),
        "above 2^53, exact"
    );
    assert_eq!(
        d["draft_msg"]["x_app_key"]["nested"][3].as_u64(),
        Some(u64::MAX)
    );
}

#[test]
fn draft_edit_time_is_filled_in_when_absent() {
    create_ok("api-dtime", C2C);
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let before = now();
    assert_eq!(
        set_draft(
            "api-dtime",
            C2C,
            r#"{"draft_msg":{"message_elem_array":[]}}"#
        ),
        SUCC
    );
    let after = now();
    let d = &find("api-dtime", C2C).unwrap()["conv_draft"];
    let t = d["draft_edit_time"].as_u64().unwrap();
    assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
    assert_eq!(d["draft_msg"]["message_elem_array"], Value::Array(vec![]));
}

#[test]
fn a_new_draft_replaces_the_old_one_and_cancel_removes_it() {
    create_ok("api-repl", C2C);
    assert_eq!(set_draft("api-repl", C2C, &draft("one")), SUCC);
    assert_eq!(set_draft("api-repl", C2C, &draft("two")), SUCC);
    let v = find("api-repl", C2C).unwrap();
    assert_eq!(
        v["conv_draft"]["draft_msg"]["message_elem_array"][0]["text_elem_content"],
        "two"
    );
    assert_eq!(cancel_draft("api-repl", C2C), SUCC);
    let v = find("api-repl", C2C).unwrap();
    assert_eq!(v["conv_is_has_draft"], false);
    assert!(v.get("conv_draft").is_none());
    assert_eq!(
        cancel_draft("api-repl", C2C),
        SUCC,
        "no draft: still TIM_SUCC"
    );
}

#[test]
fn drafts_on_a_missing_conversation_are_tim_err_conv() {
    assert_eq!(set_draft("api-missing", C2C, &draft("x")), ERR_CONV);
    assert_eq!(cancel_draft("api-missing", C2C), ERR_CONV);
    create_ok("api-missing", GROUP);
    assert_eq!(
        set_draft("api-missing", C2C, &draft("x")),
        ERR_CONV,
        "the type is part of the identity"
    );
    assert!(find("api-missing", C2C).is_none());
}

#[test]
fn delete_answers_empty_and_a_missing_conversation_gets_6004() {
    create_ok("api-del", C2C);
    assert_eq!(set_draft("api-del", C2C, &draft("gone")), SUCC);
    let (rc, r) = delete("api-del", C2C);
    let r = r.unwrap();
    assert_eq!(
        (rc, r.code, r.desc.as_str(), r.json.as_str()),
        (SUCC, 0, "", "")
    );
    assert!(find("api-del", C2C).is_none());
    let (rc, r) = delete("api-del", C2C);
    let r = r.unwrap();
    assert_eq!((rc, r.code), (SUCC, ERR_INVALID_CONVERSATION as i32));
    assert!(!r.desc.is_empty(), "a clear desc");
    assert_eq!(r.json, "");
    // The draft went with it.
    let v = create_ok("api-del", C2C);
    assert_eq!(v["conv_is_has_draft"], false);
}

#[test]
fn callbacks_run_on_the_library_thread() {
    let (_, r) = create("api-thread", C2C);
    let r = r.unwrap();
    assert_ne!(r.thread, std::thread::current().id());
    assert_eq!(r.thread_name.as_deref(), Some("ImSDK-callback"));
}

#[test]
fn a_null_callback_is_allowed_and_the_operation_runs() {
    let id = c("api-nullcb");
    assert_eq!(
        unsafe { TIMConvCreate(id.as_ptr(), C2C, None, std::ptr::null()) },
        SUCC
    );
    assert!(find("api-nullcb", C2C).is_some());
    assert_eq!(unsafe { TIMConvGetConvList(None, std::ptr::null()) }, SUCC);
    assert_eq!(
        unsafe { TIMConvDelete(id.as_ptr(), C2C, None, std::ptr::null()) },
        SUCC
    );
    assert!(find("api-nullcb", C2C).is_none());
    assert_eq!(
        unsafe { TIMConvDelete(id.as_ptr(), C2C, None, std::ptr::null()) },
        SUCC
    );
}

static SEEN_UD: Mutex<Vec<usize>> = Mutex::new(Vec::new());

unsafe extern "C" fn record_ud(_: i32, _: *const c_char, _: *const c_char, ud: *const c_void) {
    SEEN_UD.lock().push(ud as usize);
}

#[test]
fn user_data_comes_back_bit_for_bit_and_is_never_dereferenced() {
    let uds = [0usize, 1, 0xdead_beef, usize::MAX, usize::MAX - 7, 1 << 63];
    let id = c("api-ud");
    for &ud in &uds {
        assert_eq!(
            unsafe { TIMConvCreate(id.as_ptr(), C2C, Some(record_ud), ud as *const c_void) },
            SUCC
        );
    }
    assert_eq!(
        unsafe { TIMConvDelete(id.as_ptr(), C2C, Some(record_ud), 42 as *const c_void) },
        SUCC
    );
    assert_eq!(
        unsafe { TIMConvGetConvList(Some(record_ud), 43 as *const c_void) },
        SUCC
    );
    list();
    let seen = SEEN_UD.lock().clone();
    let mut want = uds.to_vec();
    want.extend([42, 43]);
    assert_eq!(seen, want);
}

#[test]
fn ids_that_need_escaping_round_trip() {
    let id = "api-esc \"q\" \\ \t\n\u{1} 中文";
    let v = create_ok(id, C2C);
    assert_eq!(v["conv_id"], id);
    assert_eq!(v["conv_show_name"], id);
    assert!(find(id, C2C).is_some());
}

#[test]
fn the_longest_accepted_id_is_128_bytes() {
    let id = format!("api-long-{}", "x".repeat(128 - 9));
    assert_eq!(id.len(), 128);
    assert_eq!(create_ok(&id, GROUP)["conv_id"], id.as_str());
    assert_eq!(create(&format!("{id}y"), GROUP).0, ERR_PARAM);
}
