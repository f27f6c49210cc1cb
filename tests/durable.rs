//! The durable store (`sdk_config_config_file_path`), through the exported
//! functions: every kind of state survives a restart field for field; the
//! files are where the README says, with their modes; damaged, foreign and
//! newer files, a folder in a file's place and a second process are refused
//! with their codes and left as they were; hostile ids stay inside the
//! folder.
//!
//! The SDK state is per process, so these tests take turns (`serial`).

mod common;

use std::ffi::c_int;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::durable::{answer, login, logout};
use common::log::*;
use common::*;
use serde_json::Value;
use ImSDK::ffi::manager::*;
use ImSDK::ffi::message::*;

const APP: u64 = 1_400_000_001;

fn temp_dir(name: &str) -> PathBuf {
    durable::temp_dir(&format!("durable-{name}"))
}

fn init(dir: &Path) {
    durable::init(APP, dir);
}

fn user_dir(root: &Path, user: &str) -> PathBuf {
    store_dir(root, APP, user)
}

fn db_path(root: &Path, user: &str) -> PathBuf {
    user_dir(root, user).join("conv.db")
}

fn restart(dir: &Path, user: &str) {
    unsafe { TIMUninit() };
    init(dir);
    login(user).code(0);
}

fn msg(extra: &str) -> String {
    format!(r#"{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"hi"}}]{extra}}}"#)
}

fn import(id: &str, ty: c_int, items: &[String]) {
    let (i, a) = (cs(id), cs(&format!("[{}]", items.join(","))));
    call("import", |cb, ud| unsafe {
        TIMMsgImportMsgList(i.as_ptr(), ty, a.as_ptr(), cb, ud)
    })
    .code(0);
}

/// Everything a user can observe of the state, for comparing across a
/// restart.
fn observe() -> Value {
    let mut seen = durable::observe(r#"["bob","carol","nobody-with-a-conv","dave"]"#);
    let f = cs(r#"{"conversation_list_filter_conv_type":2}"#);
    seen["group_unread"] = answer("by filter", |cb, ud| unsafe {
        TIMConvGetUnreadMessageCountByFilter(f.as_ptr(), cb, ud)
    });
    seen
}

/// Makes every kind of state: drafts, pins, marks, custom data, groups
/// (renamed, with members), last messages, unread counts and points, @
/// entries, receive options with and without a conversation, deletions.
fn make_everything() {
    for (id, ty) in [
        ("alice", C2C),
        ("bob", C2C),
        ("carol", C2C),
        ("team", GROUP),
        ("gone", C2C),
    ] {
        create_ok(id, ty);
    }
    assert_eq!(
        set_draft(
            "alice",
            C2C,
            &draft("hello \u{4f60}\u{597d} \\\"quoted\\\"")
        ),
        SUCC
    );
    let one =
        |what: &str,
         f: &dyn Fn(ImSDK::ffi::types::TIMCommCallback, *const std::ffi::c_void) -> c_int| {
            call(what, f).code(0);
        };
    let (bob, c2c) = (cs("bob"), C2C);
    one("pin", &|cb, ud| unsafe {
        TIMConvPinConversation(bob.as_ptr(), c2c, true, cb, ud)
    });
    let ids = cs(r#"["c2c_alice","group_team"]"#);
    one("mark", &|cb, ud| unsafe {
        TIMConvMarkConversation(ids.as_ptr(), 1 | (1 << 63), true, cb, ud)
    });
    let custom = cs("custom \u{1f600} data");
    one("custom", &|cb, ud| unsafe {
        TIMConvSetConversationCustomData(ids.as_ptr(), custom.as_ptr(), cb, ud)
    });
    let (g1, g2, members) = (
        cs("work"),
        cs("friends"),
        cs(r#"["c2c_alice","c2c_carol"]"#),
    );
    one("group", &|cb, ud| unsafe {
        TIMConvCreateConversationGroup(g1.as_ptr(), members.as_ptr(), cb, ud)
    });
    let team = cs(r#"["group_team"]"#);
    one("group2", &|cb, ud| unsafe {
        TIMConvCreateConversationGroup(g2.as_ptr(), team.as_ptr(), cb, ud)
    });
    let g3 = cs("office");
    one("rename", &|cb, ud| unsafe {
        TIMConvRenameConversationGroup(g1.as_ptr(), g3.as_ptr(), cb, ud)
    });
    import(
        "carol",
        C2C,
        &[
            msg(r#","message_sender":"carol","message_client_time":100"#),
            msg(r#","message_sender":"carol","message_client_time":100"#),
            msg(r#","message_sender":"carol","message_client_time":250"#),
        ],
    );
    import(
        "team",
        GROUP,
        &[
            msg(r#","message_sender":"x","message_seq":7,"message_group_at_user_array":["me"]"#),
            msg(
                r#","message_sender":"x","message_seq":9,"message_group_at_user_array":["__kImSDK_MessageAtALL__"]"#,
            ),
            msg(r#","message_sender":"x","message_seq":12"#),
        ],
    );
    import(
        "newcomer",
        C2C,
        &[msg(
            r#","message_sender":"newcomer","message_client_time":300"#,
        )],
    );
    let dave = cs(r#"["dave","carol"]"#);
    one("c2c opt", &|cb, ud| unsafe {
        TIMMsgSetC2CReceiveMessageOpt(dave.as_ptr(), 2, cb, ud)
    });
    let gone = cs("gone");
    one("delete", &|cb, ud| unsafe {
        TIMConvDelete(gone.as_ptr(), c2c, cb, ud)
    });
    // A read up to seq 9 leaves one unread message and no @ entries behind.
    let teamc = cs("team");
    let upto = cs(&msg(r#","message_seq":9"#));
    one("read", &|cb, ud| unsafe {
        TIMMsgReportReaded(teamc.as_ptr(), GROUP, upto.as_ptr(), cb, ud)
    });
}

#[test]
fn every_kind_of_state_survives_a_restart_field_for_field() {
    let _s = serial();
    let dir = temp_dir("round-trip");
    init(&dir);
    login("me").code(0);
    make_everything();
    let before = observe();
    assert_eq!(before["list"].as_array().unwrap().len(), 5, "{before:#}");
    restart(&dir, "me");
    let after = observe();
    assert_eq!(before, after);
    // The order key continues: a conversation activated now goes on top of
    // the unpinned ones.
    let top = create_ok("latest", C2C);
    let keys: Vec<u64> = after["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conv_active_time"].as_u64().unwrap() & !(1 << 62))
        .collect();
    assert!(keys
        .iter()
        .all(|&k| k < top["conv_active_time"].as_u64().unwrap()));
    unsafe { TIMUninit() };
}

#[test]
fn files_are_where_the_readme_says_owner_only_and_closed_at_logout() {
    let _s = serial();
    let dir = temp_dir("layout");
    init(&dir);
    let user = "../../etc/passwd\u{e9}/x";
    login(user).code(0);
    create_ok("a", C2C);
    let udir = user_dir(&dir, user);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&udir), 0o700, "{}", udir.display());
    assert_eq!(mode(&db_path(&dir, user)), 0o600);
    assert_eq!(mode(&udir.join("lock")), 0o600);
    assert_eq!(mode(&udir.join("conv.db-wal")), 0o600);
    // Nothing outside the app's folder: one entry per level.
    let entries = |p: &Path| std::fs::read_dir(p).unwrap().count();
    assert_eq!(entries(&dir), 1);
    assert_eq!(entries(&dir.join("imsdk-conv")), 1);
    assert_eq!(entries(&dir.join("imsdk-conv").join(APP.to_string())), 1);
    // Logout closes the store; logging in again loads it.
    logout().code(0);
    login(user).code(0);
    assert_eq!(listed("a"), [("a".to_owned(), 1)]);
    unsafe { TIMUninit() };
}
