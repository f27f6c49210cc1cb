//! Conversation state fed by messages (contract C7), through the exported
//! functions: last messages, unread counts and their points, @ entries,
//! reads and cleans, history, receive options, unread totals and subscribed
//! filters, and the `has_unread_count` / `has_group_at_info` page filters.

mod common;

use std::ffi::c_int;

use common::log::*;
use common::*;
use serde_json::{json, Value};
use ImSDK::ffi::message::*;

const E_INVALID_CONV: i32 = 6004;
const E_INVALID_PARAMS: i32 = 6017;

/// A text message with more keys (`extra` starts with a comma).
fn msg(extra: &str) -> String {
    format!(r#"{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"hi"}}]{extra}}}"#)
}

/// A message from "bob" at `time`.
fn at(time: u64) -> String {
    msg(&format!(
        r#","message_sender":"bob","message_client_time":{time}"#
    ))
}

/// A group message from "bob" with `seq`.
fn seq(seq: u64) -> String {
    msg(&format!(r#","message_sender":"bob","message_seq":{seq}"#))
}

fn arr(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

fn import(id: &str, ty: c_int, array: &str) -> Out {
    let (i, a) = (cs(id), cs(array));
    call(&format!("import({id}, {ty}, {array})"), |cb, ud| unsafe {
        TIMMsgImportMsgList(i.as_ptr(), ty, a.as_ptr(), cb, ud)
    })
}

fn import_ok(id: &str, ty: c_int, items: &[String]) -> Out {
    let out = import(id, ty, &arr(items));
    out.code(0);
    out
}

fn save(id: &str, ty: c_int, m: &str) -> Out {
    let (i, j) = (cs(id), cs(m));
    call(&format!("save({id})"), |cb, ud| unsafe {
        TIMMsgSaveMsg(i.as_ptr(), ty, j.as_ptr(), cb, ud)
    })
}

fn opt_ptr(s: &Option<std::ffi::CString>) -> *const std::ffi::c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

fn report(id: Option<&str>, ty: c_int, m: Option<&str>) -> Out {
    let (i, j) = (id.map(cs), m.map(cs));
    call(&format!("report({id:?}, {ty}, {m:?})"), |cb, ud| unsafe {
        TIMMsgReportReaded(opt_ptr(&i), ty, opt_ptr(&j), cb, ud)
    })
}

fn mark_all() -> Out {
    call("mark_all", |cb, ud| unsafe {
        TIMMsgMarkAllMessageAsRead(cb, ud)
    })
}

fn clean(cid: Option<&str>, ts: u64, sq: u64) -> Out {
    let c = cid.map(cs);
    call(&format!("clean({cid:?}, {ts}, {sq})"), |cb, ud| unsafe {
        TIMConvCleanConversationUnreadMessageCount(opt_ptr(&c), ts, sq, cb, ud)
    })
}

fn clear_history(id: &str, ty: c_int) -> Out {
    let i = cs(id);
    call(&format!("clear_history({id})"), |cb, ud| unsafe {
        TIMMsgClearHistoryMessage(i.as_ptr(), ty, cb, ud)
    })
}

fn set_c2c_opt(ids: &str, opt: c_int) -> Out {
    let i = cs(ids);
    call(&format!("set_c2c_opt({ids}, {opt})"), |cb, ud| unsafe {
        TIMMsgSetC2CReceiveMessageOpt(i.as_ptr(), opt, cb, ud)
    })
}

fn get_c2c_opt(ids: &str) -> Out {
    let i = cs(ids);
    call(&format!("get_c2c_opt({ids})"), |cb, ud| unsafe {
        TIMMsgGetC2CReceiveMessageOpt(i.as_ptr(), cb, ud)
    })
}

fn set_group_opt(id: &str, opt: c_int) -> Out {
    let i = cs(id);
    call(&format!("set_group_opt({id}, {opt})"), |cb, ud| unsafe {
        TIMMsgSetGroupReceiveMessageOpt(i.as_ptr(), opt, cb, ud)
    })
}

const TOTAL_KEY: &str = "conv_get_total_unread_message_count_result_unread_count";

fn total() -> i64 {
    let out = call("total", |cb, ud| unsafe {
        TIMConvGetTotalUnreadMessageCount(cb, ud)
    });
    out.only(0).value()[TOTAL_KEY].as_i64().expect("an integer")
}

fn by_filter(filter: &str) -> Out {
    let f = cs(filter);
    call(&format!("by_filter({filter})"), |cb, ud| unsafe {
        TIMConvGetUnreadMessageCountByFilter(f.as_ptr(), cb, ud)
    })
}

fn filter_count(filter: &str) -> i64 {
    by_filter(filter).only(0).value()[TOTAL_KEY]
        .as_i64()
        .expect("an integer")
}

fn subscribe(filter: &str) -> (c_int, Vec<Entry>) {
    let f = cs(filter);
    sync_call(|| unsafe { TIMConvSubscribeUnreadMessageCountByFilter(f.as_ptr()) })
}

fn unsubscribe(filter: &str) -> (c_int, Vec<Entry>) {
    let f = cs(filter);
    sync_call(|| unsafe { TIMConvUnsubscribeUnreadMessageCountByFilter(f.as_ptr()) })
}

fn info(id: &str, ty: c_int) -> Value {
    find(id, ty).unwrap_or_else(|| panic!("{id} is not listed"))
}

fn unread(id: &str, ty: c_int) -> u64 {
    info(id, ty)["conv_unread_num"]
        .as_u64()
        .expect("conv_unread_num")
}

fn ids() -> Vec<String> {
    listed("").into_iter().map(|(i, _)| i).collect()
}

fn page_ids(filter: &str) -> Vec<String> {
    let f = cs(filter);
    let out = call("page", |cb, ud| unsafe {
        TIMConvGetConversationListByFilter(f.as_ptr(), 0, 100, cb, ud)
    });
    let v = out.only(0).value();
    v["conversation_list_result_conv_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conv_id"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------

#[test]
fn import_creates_then_updates_keeps_the_newest_and_counts_unread() {
    let _s = serial();
    create_ok("other", C2C);
    let out = import_ok("alice", C2C, &[at(10), at(30), at(20)]);
    assert_eq!(out.reply().json, "");
    let evs = out.conv_events();
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0].0, ADD);
    let v = &evs[0].1[0];
    assert_eq!(v["conv_unread_num"], 3);
    assert_eq!(v["conv_is_has_lastmsg"], true);
    assert_eq!(v["conv_last_msg"]["message_client_time"], 30);
    assert_eq!(v["conv_last_msg"]["message_conv_id"], "alice");
    assert_eq!(v["conv_last_msg"]["message_conv_type"], C2C);
    assert_eq!(v["conv_last_msg"]["message_is_from_self"], false);
    assert_eq!(
        v["conv_last_msg"]["message_elem_array"][0]["text_elem_content"],
        "hi"
    );
    assert_eq!(*v, info("alice", C2C), "the event shows the stored state");
    assert_eq!(ids(), ["alice", "other"]);

    // An older message: counted, but neither the last message nor a move.
    create_ok("newer", C2C);
    let out = import_ok("alice", C2C, &[at(25)]);
    let evs = out.conv_events();
    assert_eq!((evs.len(), evs[0].0), (1, UPDATE));
    assert_eq!(evs[0].1[0]["conv_last_msg"]["message_client_time"], 30);
    assert_eq!(evs[0].1[0]["conv_unread_num"], 4);
    assert_eq!(ids(), ["newer", "alice", "other"]);

    // A newer one (server time wins over client time) moves it up.
    let newest = msg(r#","message_sender":"bob","message_client_time":1,"message_server_time":40"#);
    import_ok("alice", C2C, &[newest]);
    assert_eq!(ids(), ["alice", "newer", "other"]);
    let v = info("alice", C2C);
    assert_eq!(v["conv_last_msg"]["message_server_time"], 40);
    assert_eq!(v["conv_unread_num"], 5);
    let old_time = v["conv_active_time"].as_u64().unwrap();
    // Equal time: the later message replaces the last one.
    let same =
        msg(r#","message_server_time":40,"message_custom_str":"second","message_is_read":true"#);
    import_ok("alice", C2C, &[same]);
    let v = info("alice", C2C);
    assert_eq!(v["conv_last_msg"]["message_custom_str"], "second");
    assert!(v["conv_active_time"].as_u64().unwrap() > old_time);
    assert_eq!(v["conv_unread_num"], 5, "a read message is not unread");
    // Messages that change nothing shown fire nothing.
    let out = import_ok(
        "alice",
        C2C,
        &[
            msg(r#","message_server_time":3,"message_is_read":true"#),
            msg(
                r#","message_server_time":99,"message_is_from_self":true,"message_excluded_from_last_message":true"#,
            ),
        ],
    );
    assert_eq!(out.events(), [], "nothing changed");
    assert_eq!(info("alice", C2C), v);
}

#[test]
fn unread_rules_and_exclusion_from_the_last_message() {
    let _s = serial();
    let items = [
        msg(r#","message_client_time":5,"message_is_from_self":true"#),
        msg(r#","message_client_time":6,"message_is_read":true"#),
        msg(r#","message_client_time":7,"message_is_excluded_from_unread_count":true"#),
        msg(r#","message_client_time":9,"message_excluded_from_last_message":true"#),
        msg(r#","message_client_time":8,"message_sender":"me""#),
    ];
    import_ok("u", C2C, &items);
    let v = info("u", C2C);
    // Without a logged-in user, "me" is someone else: unread.
    assert_eq!(v["conv_unread_num"], 2);
    assert_eq!(v["conv_last_msg"]["message_client_time"], 8);
    // Only excluded messages: created, no last message.
    import_ok(
        "x",
        C2C,
        &[msg(r#","message_excluded_from_last_message":true"#)],
    );
    let v = info("x", C2C);
    assert_eq!(
        (v["conv_is_has_lastmsg"].clone(), v.get("conv_last_msg")),
        (json!(false), None)
    );
    assert_eq!(v["conv_unread_num"], 1);
}

#[test]
fn save_answers_the_message_as_kept() {
    let _s = serial();
    let m = r#"{ "message_elem_array" : [ {"elem_type":0,"text_elem_content":"a b"} ], "message_seq" : 18446744073709551615 }"#;
    let out = save("g", GROUP, m);
    let r = out.code(0);
    assert!(r.json.contains("18446744073709551615"), "{}", r.json);
    assert!(
        !r.json.contains(" : "),
        "kept without white space: {}",
        r.json
    );
    let v = r.value();
    assert_eq!(v["message_conv_id"], "g");
    assert_eq!(v["message_conv_type"], GROUP);
    assert_eq!(v["message_elem_array"][0]["text_elem_content"], "a b");
    assert_eq!(info("g", GROUP)["conv_last_msg"], v);
    assert_eq!(out.conv_events()[0].0, ADD);
}

#[test]
fn bad_messages_are_refused_and_change_nothing() {
    let _s = serial();
    import_ok("keep", C2C, &[at(1)]);
    let before = list();
    for (array, rc) in [
        ("[]".to_string(), ERR_PARAM),
        ("{}".to_string(), ERR_JSON),
        ("not json".to_string(), ERR_JSON),
        (arr(&[at(2), r#"{"message_seq":1}"#.to_string()]), ERR_JSON),
        (arr(&[at(2), msg(r#","message_seq":-1"#)]), ERR_JSON),
        (arr(&[at(2), msg(r#","message_is_read":"yes""#)]), ERR_JSON),
        (arr(&[at(2), msg(r#","message_sender":1"#)]), ERR_JSON),
        (arr(&[at(2), msg(r#","a":1,"a":2"#)]), ERR_JSON),
        (
            arr(&[at(2), msg(r#","message_conv_id":"someone else""#)]),
            ERR_PARAM,
        ),
        (arr(&[at(2), msg(r#","message_conv_type":2"#)]), ERR_PARAM),
        (
            format!("[{}{}]", "[".repeat(300), "]".repeat(300)),
            ERR_JSON,
        ),
    ] {
        for id in ["keep", "new"] {
            import(id, C2C, &array).refused(rc);
        }
        let (i, j) = (cs("keep"), cs(&array));
        let (rc2, log) = sync_call(|| unsafe {
            TIMMsgSaveMsg(i.as_ptr(), C2C, j.as_ptr(), None, std::ptr::null())
        });
        assert!(rc2 != SUCC || array == "[]", "save {array}: {rc2}");
        assert!(log.is_empty());
    }
    // NULL, invalid UTF-8, bad ids and types.
    let m = cs(&arr(&[at(3)]));
    let bad_utf8 = b"k\xffe\0";
    let calls: Vec<(&str, c_int)> = vec![
        ("null array", unsafe {
            TIMMsgImportMsgList(
                cs("keep").as_ptr(),
                C2C,
                std::ptr::null(),
                None,
                std::ptr::null(),
            )
        }),
        ("null id", unsafe {
            TIMMsgImportMsgList(std::ptr::null(), C2C, m.as_ptr(), None, std::ptr::null())
        }),
        ("empty id", unsafe {
            TIMMsgImportMsgList(cs("").as_ptr(), C2C, m.as_ptr(), None, std::ptr::null())
        }),
        ("bad utf-8 id", unsafe {
            TIMMsgImportMsgList(
                bad_utf8.as_ptr().cast(),
                C2C,
                m.as_ptr(),
                None,
                std::ptr::null(),
            )
        }),
        ("type 3", unsafe {
            TIMMsgImportMsgList(cs("keep").as_ptr(), 3, m.as_ptr(), None, std::ptr::null())
        }),
        ("type -1", unsafe {
            TIMMsgImportMsgList(cs("keep").as_ptr(), -1, m.as_ptr(), None, std::ptr::null())
        }),
        ("save null", unsafe {
            TIMMsgSaveMsg(
                cs("keep").as_ptr(),
                C2C,
                std::ptr::null(),
                None,
                std::ptr::null(),
            )
        }),
        ("save bad utf-8", unsafe {
            TIMMsgSaveMsg(
                cs("keep").as_ptr(),
                C2C,
                bad_utf8.as_ptr().cast(),
                None,
                std::ptr::null(),
            )
        }),
    ];
    for (what, rc) in calls {
        assert_eq!(rc, ERR_PARAM, "{what}");
    }
    assert_eq!(list(), before, "nothing changed");
}

#[test]
fn report_read_by_time_by_sequence_and_wildcards() {
    let _s = serial();
    import_ok("a", C2C, &[at(10), at(10), at(20), at(30)]);
    import_ok("b", C2C, &[at(5)]);
    import_ok("g", GROUP, &[seq(3), seq(5), seq(9)]);
    // Up to the message at time 10: both messages of that second.
    let out = report(Some("a"), C2C, Some(&at(10)));
    out.code(0);
    let evs = out.conv_events();
    assert_eq!(
        (evs.len(), evs[0].0, evs[0].1[0]["conv_unread_num"].clone()),
        (1, UPDATE, json!(2))
    );
    assert_eq!(unread("a", C2C), 2);
    // Reading the same point again changes nothing.
    report(Some("a"), C2C, Some(&at(10))).only(0);
    // A group reads by sequence; a message without one reads everything.
    report(Some("g"), GROUP, Some(&seq(5))).code(0);
    assert_eq!(unread("g", GROUP), 1);
    report(Some("g"), GROUP, Some(&msg(""))).code(0);
    assert_eq!(unread("g", GROUP), 0);
    // NULL or "" message: everything; NULL or "" id: every conversation of the type.
    report(Some("a"), C2C, Some("")).code(0);
    assert_eq!(unread("a", C2C), 0);
    import_ok("a", C2C, &[at(40)]);
    import_ok("g", GROUP, &[seq(10)]);
    let out = report(None, C2C, None);
    let evs = out.conv_events();
    assert_eq!(evs.len(), 1);
    let mut changed: Vec<&str> = evs[0]
        .1
        .iter()
        .map(|c| c["conv_id"].as_str().unwrap())
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        ["a", "b"],
        "one event listing the C2C conversations read"
    );
    assert_eq!(unread("g", GROUP), 1, "groups untouched");
    report(Some(""), GROUP, None).code(0);
    assert_eq!(unread("g", GROUP), 0);
    // Missing conversation, bad message, bad arguments.
    report(Some("nobody"), C2C, None).only(E_INVALID_CONV);
    report(Some("a"), C2C, Some("{}")).refused(ERR_JSON);
    report(Some("a"), 3, None).refused(ERR_PARAM);
    report(Some(&"x".repeat(129)), C2C, None).refused(ERR_PARAM);
    // Reading never moves a conversation.
    let order = ids();
    import_ok("b", C2C, &[at(1)]);
    report(Some("b"), C2C, None).code(0);
    assert_eq!(ids(), order);
}

#[test]
fn clean_by_timestamp_sequence_and_wildcards() {
    let _s = serial();
    let fill = || {
        import_ok("a", C2C, &[at(10), at(20)]);
        import_ok("b", C2C, &[at(10)]);
        import_ok("g", GROUP, &[seq(1), seq(2)]);
        import_ok("h", GROUP, &[seq(7)]);
    };
    fill();
    clean(Some("c2c_a"), 15, 0).code(0);
    assert_eq!((unread("a", C2C), unread("b", C2C)), (1, 1));
    clean(Some("group_g"), 0, 1).code(0);
    assert_eq!(unread("g", GROUP), 1);
    clean(Some("group_g"), 999, 0).code(0);
    assert_eq!(unread("g", GROUP), 0, "0 cleans everything");
    let out = clean(Some("c2c"), 0, 0);
    assert_eq!(out.conv_events()[0].1.len(), 2);
    assert_eq!(
        (unread("a", C2C), unread("b", C2C), unread("h", GROUP)),
        (0, 0, 1)
    );
    clean(Some("group"), 0, 0).code(0);
    assert_eq!(unread("h", GROUP), 0);
    fill();
    clean(Some(""), 0, 0).code(0);
    assert!(list().iter().all(|c| c["conv_unread_num"] == 0));
    fill();
    // NULL: every conversation, each by its own point.
    let out = clean(None, 15, 1);
    assert_eq!(
        out.conv_events()[0].1.len(),
        3,
        "a, b and g changed; h (seq 7) did not"
    );
    assert_eq!(
        (
            unread("a", C2C),
            unread("b", C2C),
            unread("g", GROUP),
            unread("h", GROUP)
        ),
        (1, 0, 1, 1)
    );
    clean(Some("c2c_nobody"), 0, 0).only(E_INVALID_CONV);
    for bad in ["x", "c2c_", "group_", "C2C_a", "c2c "] {
        clean(Some(bad), 0, 0).refused(ERR_PARAM);
    }
    clean(Some(&format!("c2c_{}", "x".repeat(129))), 0, 0).refused(ERR_PARAM);
}

#[test]
fn mark_all_read_and_clear_history() {
    let _s = serial();
    import_ok("a", C2C, &[at(1), at(2)]);
    import_ok(
        "g",
        GROUP,
        &[msg(
            r#","message_seq":4,"message_group_at_user_array":["__kImSDK_MessageAtALL__"]"#,
        )],
    );
    create_ok("quiet", C2C);
    assert_eq!(
        info("g", GROUP)["conv_group_at_info_array"],
        json!([{"conv_group_at_info_at_type": 2, "conv_group_at_info_seq": 4}])
    );
    let out = mark_all();
    out.code(0);
    assert_eq!(
        out.conv_events()[0].1.len(),
        2,
        "the quiet one is not listed"
    );
    assert!(list().iter().all(|c| c["conv_unread_num"] == 0));
    assert_eq!(info("g", GROUP)["conv_group_at_info_array"], json!([]));
    mark_all().only(0);

    import_ok("a", C2C, &[at(3)]);
    create_ok("top", C2C);
    let order = ids();
    let out = clear_history("a", C2C);
    let evs = out.conv_events();
    assert_eq!(evs[0].0, UPDATE);
    let v = &evs[0].1[0];
    assert_eq!(
        (
            v["conv_is_has_lastmsg"].clone(),
            v.get("conv_last_msg"),
            v["conv_unread_num"].clone()
        ),
        (json!(false), None, json!(0))
    );
    assert_eq!(ids(), order, "position kept");
    clear_history("a", C2C).only(0);
    clear_history("nobody", C2C).only(E_INVALID_CONV);
    clear_history("a", 0).refused(ERR_PARAM);
    // The next message is the last one again.
    import_ok("a", C2C, &[at(1)]);
    assert_eq!(info("a", C2C)["conv_last_msg"]["message_client_time"], 1);
}

#[test]
fn receive_options_are_kept_per_id_shown_and_leave_muted_out_of_totals() {
    let _s = serial();
    import_ok("u1", C2C, &[at(1), at(2)]);
    import_ok("u2", C2C, &[at(1)]);
    import_ok("g", GROUP, &[seq(1)]);
    assert_eq!(total(), 4);
    let out = set_c2c_opt(r#"["u1","nobody"]"#, 2);
    assert_eq!(out.code(0).json, "");
    let evs = out.conv_events();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].1[0]["conv_id"], "u1");
    assert_eq!(evs[0].1[0]["conv_recv_opt"], 2);
    assert_eq!(out.counts(), [Entry::Total(2)]);
    assert_eq!(unread("u1", C2C), 2, "muted keeps its count");
    let r = get_c2c_opt(r#"["nobody","u2","u1"]"#).only(0);
    assert_eq!(
        r.value(),
        json!([
            {"msg_recv_msg_opt_result_identifier": "nobody", "msg_recv_msg_opt_result_opt": 2},
            {"msg_recv_msg_opt_result_identifier": "u2", "msg_recv_msg_opt_result_opt": 0},
            {"msg_recv_msg_opt_result_identifier": "u1", "msg_recv_msg_opt_result_opt": 2}
        ])
    );
    // Setting the same option again changes nothing.
    set_c2c_opt(r#"["u1"]"#, 2).only(0);
    // A conversation created later shows the option kept for it.
    assert_eq!(
        import_ok("nobody", C2C, &[at(1)]).conv_events()[0].1[0]["conv_recv_opt"],
        2
    );
    assert_eq!(total(), 2);
    // Option 4 is not one of the vendor's muted options; 1 and 3 are.
    let out = set_group_opt("g", 4);
    assert_eq!(
        (
            out.conv_events()[0].1[0]["conv_recv_opt"].clone(),
            out.counts()
        ),
        (json!(4), vec![])
    );
    set_group_opt("g", 3).code(0);
    set_c2c_opt(r#"["u2"]"#, 1).code(0);
    assert_eq!(total(), 0);
    set_c2c_opt(r#"["u1","u2","nobody"]"#, 0).code(0);
    set_group_opt("g", 0).code(0);
    assert_eq!(total(), 5);
    // Deleting a conversation keeps its option.
    set_group_opt("g", 1).code(0);
    delete("g", GROUP);
    assert_eq!(create_ok("g", GROUP)["conv_recv_opt"], 1);
    set_group_opt("no such group", 2).only(0);
    // Limits and bad input.
    let thirty_one: Vec<String> = (0..31).map(|i| format!("u{i}")).collect();
    set_c2c_opt(&json_strings(&thirty_one), 1).only(E_INVALID_PARAMS);
    set_c2c_opt(&json_strings(&thirty_one[..30]), 1).code(0);
    for opt in [-1, 5, 1000] {
        set_c2c_opt(r#"["u1"]"#, opt).refused(ERR_PARAM);
        set_group_opt("g", opt).refused(ERR_PARAM);
    }
    for (ids, rc) in [
        ("[]", ERR_PARAM),
        (r#"[""]"#, ERR_PARAM),
        ("[1]", ERR_JSON),
        ("{}", ERR_JSON),
        ("nope", ERR_JSON),
    ] {
        set_c2c_opt(ids, 1).refused(rc);
        get_c2c_opt(ids).refused(rc);
    }
    set_group_opt("", 1).refused(ERR_PARAM);
    let null =
        unsafe { TIMMsgSetC2CReceiveMessageOpt(std::ptr::null(), 1, None, std::ptr::null()) };
    let null_get =
        unsafe { TIMMsgGetC2CReceiveMessageOpt(std::ptr::null(), None, std::ptr::null()) };
    let null_group =
        unsafe { TIMMsgSetGroupReceiveMessageOpt(std::ptr::null(), 1, None, std::ptr::null()) };
    assert_eq!(
        (null, null_get, null_group),
        (ERR_PARAM, ERR_PARAM, ERR_PARAM)
    );
}

#[test]
fn the_total_callback_fires_on_every_change_once_asked_and_never_before() {
    let _s = serial();
    let out = import_ok("a", C2C, &[at(1)]);
    assert_eq!(out.counts(), [], "not asked yet");
    mark_all().code(0);
    import_ok("a", C2C, &[at(2), at(3)]);
    assert_eq!(total(), 2);
    assert_eq!(import_ok("b", C2C, &[at(5)]).counts(), [Entry::Total(3)]);
    // Changes that leave the total alone fire nothing.
    assert_eq!(
        import_ok("b", C2C, &[msg(r#","message_is_read":true"#)]).counts(),
        []
    );
    assert_eq!(report(Some("b"), C2C, Some(&at(2))).counts(), []);
    let out = delete("a", C2C);
    assert_eq!(out.0, SUCC);
    let out = clean(Some("c2c_b"), 0, 0);
    assert_eq!(out.counts(), [Entry::Total(0)]);
    import_ok("c", C2C, &[at(1)]);
    let del = call("delete list", |cb, ud| unsafe {
        TIMConvDeleteConversationList(cs(r#"["c2c_c"]"#).as_ptr(), false, cb, ud)
    });
    assert_eq!(
        del.counts(),
        [Entry::Total(0)],
        "deleting an unread conversation changes the total"
    );
    // The callback comes after the conversation events, before the reply.
    let out = import_ok("d", C2C, &[at(1)]);
    assert!(matches!(out.log[0], Entry::Event { kind: ADD, .. }));
    assert_eq!(out.log[1], Entry::Total(1));
    assert!(matches!(out.log[2], Entry::Reply { .. }));
    // A new session (TIMUninit) has not been asked.
    drop(_s);
    let _s = serial();
    assert_eq!(import_ok("a", C2C, &[at(1)]).counts(), []);
}

#[test]
fn subscribed_filters_fire_when_their_own_count_changes() {
    let _s = serial();
    let groups_only = r#"{"conversation_list_filter_conv_type":2}"#;
    let starred = r#"{ "conversation_list_filter_mark_type" : 1 }"#;
    import_ok("a", C2C, &[at(1)]);
    import_ok("g", GROUP, &[seq(1), seq(2)]);
    assert_eq!(filter_count(groups_only), 2);
    assert_eq!(filter_count(starred), 0);
    assert_eq!(subscribe(groups_only), (SUCC, vec![]));
    assert_eq!(subscribe(starred), (SUCC, vec![]));
    assert_eq!(
        subscribe(r#"{"conversation_list_filter_conv_type" : 2}"#),
        (SUCC, vec![]),
        "the same filter again"
    );
    assert_eq!(filter_count(groups_only), 2);
    // C2C changes: the group filter is silent.
    assert_eq!(import_ok("a", C2C, &[at(2)]).counts(), []);
    assert_eq!(
        import_ok("g", GROUP, &[seq(3)]).counts(),
        [Entry::Filter(groups_only.into(), 3)]
    );
    // Marking a with unread messages moves the starred count: the echo is the text as subscribed.
    let out = call("mark", |cb, ud| unsafe {
        TIMConvMarkConversation(cs(r#"["c2c_a","group_g"]"#).as_ptr(), 1, true, cb, ud)
    });
    assert_eq!(out.counts(), [Entry::Filter(starred.into(), 5)]);
    assert_eq!(filter_count(starred), 5);
    let out = clean(None, 0, 0);
    assert_eq!(
        out.counts(),
        [
            Entry::Filter(groups_only.into(), 0),
            Entry::Filter(starred.into(), 0)
        ]
    );
    // Muting leaves a conversation out of filtered counts too.
    import_ok("g", GROUP, &[seq(9)]);
    assert_eq!(
        set_group_opt("g", 2).counts(),
        [
            Entry::Filter(groups_only.into(), 0),
            Entry::Filter(starred.into(), 0)
        ]
    );
    set_group_opt("g", 0).code(0);
    // Unsubscribed: silent; unsubscribing again is fine.
    assert_eq!(unsubscribe(groups_only), (SUCC, vec![]));
    assert_eq!(unsubscribe(groups_only), (SUCC, vec![]));
    assert_eq!(
        import_ok("g", GROUP, &[seq(10)]).counts(),
        [Entry::Filter(starred.into(), 2)]
    );
    // has_unread and has_group_at count as they select.
    assert_eq!(
        filter_count(r#"{"conversation_list_filter_has_unread_count":false}"#),
        0
    );
    assert_eq!(
        filter_count(r#"{"conversation_list_filter_has_unread_count":true}"#),
        2
    );
    // Bad filters.
    for (bad, rc) in [
        ("[]", ERR_JSON),
        ("{", ERR_JSON),
        (r#"{"conversation_list_filter_conv_type":3}"#, ERR_JSON),
        (
            r#"{"conversation_list_filter_has_unread_count":1}"#,
            ERR_JSON,
        ),
    ] {
        assert_eq!(subscribe(bad).0, rc, "{bad}");
        assert_eq!(unsubscribe(bad).0, rc, "{bad}");
        by_filter(bad).refused(rc);
    }
    let nulls = unsafe {
        (
            TIMConvSubscribeUnreadMessageCountByFilter(std::ptr::null()),
            TIMConvUnsubscribeUnreadMessageCountByFilter(std::ptr::null()),
            TIMConvGetUnreadMessageCountByFilter(std::ptr::null(), None, std::ptr::null()),
        )
    };
    assert_eq!(nulls, (ERR_PARAM, ERR_PARAM, ERR_PARAM));
    // At most 100 subscriptions (one is left: starred).
    for bit in 0..99 {
        let f = format!(
            r#"{{"conversation_list_filter_mark_type":{}}}"#,
            1u64 << 32 << (bit % 32) | (bit / 32)
        );
        assert_eq!(subscribe(&f).0, SUCC, "{f}");
    }
    assert_eq!(
        subscribe(r#"{"conversation_list_filter_conversation_group":"x"}"#).0,
        ERR_PARAM
    );
    assert_eq!(subscribe(starred).0, SUCC, "already subscribed: no change");
    assert_eq!(unsubscribe(starred).0, SUCC);
    assert_eq!(subscribe(groups_only).0, SUCC, "room for one again");
}

#[test]
fn has_unread_and_has_group_at_filters_select() {
    let _s = serial();
    create_ok("none", C2C);
    import_ok("u", C2C, &[at(1)]);
    import_ok(
        "g",
        GROUP,
        &[msg(
            r#","message_group_at_user_array":["__kImSDK_MessageAtALL__"]"#,
        )],
    );
    import_ok("r", GROUP, &[msg(r#","message_is_read":true"#)]);
    let f = |k: &str, b: bool| page_ids(&format!(r#"{{"conversation_list_filter_{k}":{b}}}"#));
    assert_eq!(f("has_unread_count", true), ["g", "u"]);
    assert_eq!(f("has_unread_count", false), ["r", "none"]);
    assert_eq!(f("has_group_at_info", true), ["g"]);
    assert_eq!(f("has_group_at_info", false), ["r", "u", "none"]);
    assert_eq!(
        page_ids(
            r#"{"conversation_list_filter_has_unread_count":true,"conversation_list_filter_conv_type":1}"#
        ),
        ["u"]
    );
    mark_all().code(0);
    assert_eq!(f("has_unread_count", true), Vec::<String>::new());
    assert_eq!(f("has_group_at_info", true), Vec::<String>::new());
}

#[test]
fn at_entries_for_the_logged_in_user_and_for_everyone() {
    let _s = serial();
    let login = |user: &str| {
        let u = cs(user);
        let out = call("login", |cb, ud| unsafe {
            ImSDK::ffi::manager::TIMLogin(u.as_ptr(), cs("sig").as_ptr(), cb, ud)
        });
        out.code(0);
    };
    assert_eq!(
        unsafe { ImSDK::ffi::manager::TIMInit(1400000001, std::ptr::null()) },
        SUCC
    );
    // Before login: TIM_ERR_NOTLOGIN, before the arguments are looked at.
    import("g", GROUP, "not json").refused(TIM_ERR_NOTLOGIN as c_int);
    assert_eq!(
        unsafe { TIMConvSubscribeUnreadMessageCountByFilter(std::ptr::null()) },
        TIM_ERR_NOTLOGIN as c_int
    );
    login("me");
    let ats = |users: &str| {
        msg(&format!(
            r#","message_sender":"bob","message_group_at_user_array":{users}"#
        ))
    };
    import_ok(
        "g",
        GROUP,
        &[
            ats(r#"["me"]"#),
            ats(r#"["__kImSDK_MessageAtALL__"]"#),
            ats(r#"["__kImSDK_MessageAtALL__","me"]"#),
            ats(r#"["someone"]"#),
            msg(r#","message_sender":"me","message_group_at_user_array":["me"]"#),
        ],
    );
    let v = info("g", GROUP);
    assert_eq!(
        v["conv_group_at_info_array"],
        json!([
            {"conv_group_at_info_at_type": 1, "conv_group_at_info_seq": 1},
            {"conv_group_at_info_at_type": 2, "conv_group_at_info_seq": 2},
            {"conv_group_at_info_at_type": 3, "conv_group_at_info_seq": 3}
        ])
    );
    assert_eq!(
        v["conv_unread_num"], 4,
        "the message from the logged-in user is not unread"
    );
    assert_eq!(v["conv_last_msg"]["message_is_from_self"], true);
    // Reading up to sequence 2 removes the first two @ entries.
    clean(Some("group_g"), 0, 2).code(0);
    assert_eq!(
        info("g", GROUP)["conv_group_at_info_array"],
        json!([{"conv_group_at_info_at_type": 3, "conv_group_at_info_seq": 3}])
    );
    // Another user's store is separate.
    login("other");
    assert!(find("g", GROUP).is_none());
    assert_eq!(total(), 0);
    let r = call("logout", |cb, ud| unsafe {
        ImSDK::ffi::manager::TIMLogout(cb, ud)
    });
    r.code(0);
}
