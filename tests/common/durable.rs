//! Helpers of the durable-store tests (tests/durable.rs,
//! tests/durable_faults.rs): folders, the lifecycle with a config path, and
//! everything a user can observe of the state, to compare across a restart.

use std::ffi::{c_int, c_void};
use std::path::{Path, PathBuf};

use serde_json::Value;
use ImSDK::ffi::manager::*;
use ImSDK::ffi::message::*;
use ImSDK::ffi::types::TIMCommCallback;

use super::log::*;
use super::*;

/// A fresh folder under the target directory (kept on failure, to look at).
pub fn temp_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `TIMInit(app, {"sdk_config_config_file_path": dir})`, which must succeed.
pub fn init(app: u64, dir: &Path) {
    let config = serde_json::json!({ "sdk_config_config_file_path": dir }).to_string();
    let c = cs(&config);
    assert_eq!(unsafe { TIMInit(app, c.as_ptr()) }, SUCC);
}

pub fn login(user: &str) -> Out {
    let u = cs(user);
    call(&format!("login({user:?})"), |cb, ud| unsafe {
        TIMLogin(u.as_ptr(), c"sig".as_ptr(), cb, ud)
    })
}

pub fn logout() -> Out {
    call("logout", |cb, ud| unsafe { TIMLogout(cb, ud) })
}

/// Runs a call that must answer code 0; its JSON (`Null` for `""`).
pub fn answer(what: &str, f: impl FnOnce(TIMCommCallback, *const c_void) -> c_int) -> Value {
    let r = call(what, f).code(0);
    if r.json.is_empty() {
        Value::Null
    } else {
        r.value()
    }
}

/// The list, the group list, the total unread count and the C2C receive
/// options of `ids` (a JSON array of user ids).
pub fn observe(ids: &str) -> Value {
    let conv_list = answer("list", |cb, ud| unsafe { TIMConvGetConvList(cb, ud) });
    let groups = answer("groups", |cb, ud| unsafe {
        TIMConvGetConversationGroupList(cb, ud)
    });
    let total = answer("total", |cb, ud| unsafe {
        TIMConvGetTotalUnreadMessageCount(cb, ud)
    });
    let ids = cs(ids);
    let opts = answer("opts", |cb, ud| unsafe {
        TIMMsgGetC2CReceiveMessageOpt(ids.as_ptr(), cb, ud)
    });
    serde_json::json!({ "list": conv_list, "groups": groups, "total": total, "opts": opts })
}
