//! Helpers for tests that drive the library through its exported C
//! functions, with `extern "C"` callbacks that record what they receive.
#![allow(dead_code, unused_imports)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::thread::ThreadId;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use serde_json::Value;

pub use ImSDK::ffi::conversation::*;
pub use ImSDK::ffi::def::TIMResult::*;
pub use ImSDK::ffi::error_code::TIMErrCode::*;

pub const C2C: i32 = 1;
pub const GROUP: i32 = 2;
pub const SUCC: i32 = TIM_SUCC as i32;
pub const ERR_PARAM: i32 = TIM_ERR_PARAM as i32;
pub const ERR_JSON: i32 = TIM_ERR_JSON as i32;
pub const ERR_CONV: i32 = TIM_ERR_CONV as i32;

/// Long enough for a slow, loaded machine; only reached when a test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What one `TIMCommCallback` received.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: i32,
    pub desc: String,
    pub json: String,
    pub thread: ThreadId,
    pub thread_name: Option<String>,
}

impl Reply {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or_else(|e| panic!("bad JSON {e}: {}", self.json))
    }
}

/// A place for one callback to land; its address is the `user_data`.
pub struct Pending {
    slot: Mutex<Vec<Reply>>,
    cv: Condvar,
}

impl Pending {
    pub fn new() -> Box<Pending> {
        Box::new(Pending {
            slot: Mutex::new(Vec::new()),
            cv: Condvar::new(),
        })
    }

    pub fn ud(&self) -> *const c_void {
        self as *const Pending as *const c_void
    }

    /// Waits for the callback; panics after [`TIMEOUT`].
    pub fn wait(&self) -> Reply {
        let mut s = self.slot.lock();
        while s.is_empty() {
            if self.cv.wait_for(&mut s, TIMEOUT).timed_out() {
                panic!("no callback within {TIMEOUT:?}");
            }
        }
        assert_eq!(s.len(), 1, "more than one callback for one call");
        s[0].clone()
    }

    /// How many callbacks arrived so far.
    pub fn count(&self) -> usize {
        self.slot.lock().len()
    }
}

/// The calling thread's name as the OS knows it (what `ps` and `gdb` show;
/// the library's callback thread is not a `std::thread`, so Rust's own
/// `Thread::name` does not know it).
pub fn os_thread_name() -> Option<String> {
    let mut buf = [0u8; 64];
    // SAFETY: a 64-byte buffer for the current thread's name.
    let rc = unsafe {
        libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), buf.len())
    };
    if rc != 0 {
        return None;
    }
    let name = CStr::from_bytes_until_nul(&buf).ok()?.to_str().ok()?;
    (!name.is_empty()).then(|| name.to_owned())
}

pub fn cstr_lossy(p: *const c_char) -> String {
    assert!(!p.is_null(), "the library passed NULL to a callback");
    // SAFETY: the library passes NUL-terminated strings, valid during the call.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("callback string is UTF-8")
        .to_owned()
}

/// The `TIMCommCallback` used with [`Pending`].
pub unsafe extern "C" fn on_reply(
    code: i32,
    desc: *const c_char,
    json: *const c_char,
    ud: *const c_void,
) {
    let r = Reply {
        code,
        desc: cstr_lossy(desc),
        json: cstr_lossy(json),
        thread: std::thread::current().id(),
        thread_name: os_thread_name(),
    };
    // SAFETY: every test passes a live `Pending` as user_data with on_reply.
    let p = unsafe { &*(ud as *const Pending) };
    p.slot.lock().push(r);
    p.cv.notify_all();
}

pub fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// `TIMConvCreate`, waiting for the callback when accepted.
pub fn create(id: &str, ty: i32) -> (i32, Option<Reply>) {
    let p = Pending::new();
    let rc = unsafe { TIMConvCreate(c(id).as_ptr(), ty, Some(on_reply), p.ud()) };
    (rc, (rc == SUCC).then(|| p.wait()))
}

/// Creates and checks success; returns the ConvInfo.
pub fn create_ok(id: &str, ty: i32) -> Value {
    let (rc, r) = create(id, ty);
    assert_eq!(rc, SUCC, "create {id}");
    let r = r.unwrap();
    assert_eq!(r.code, 0);
    r.value()
}

pub fn delete(id: &str, ty: i32) -> (i32, Option<Reply>) {
    let p = Pending::new();
    let rc = unsafe { TIMConvDelete(c(id).as_ptr(), ty, Some(on_reply), p.ud()) };
    (rc, (rc == SUCC).then(|| p.wait()))
}

pub fn set_draft(id: &str, ty: i32, json: &str) -> i32 {
    unsafe { TIMConvSetDraft(c(id).as_ptr(), ty, c(json).as_ptr()) }
}

pub fn cancel_draft(id: &str, ty: i32) -> i32 {
    unsafe { TIMConvCancelDraft(c(id).as_ptr(), ty) }
}

/// The whole list, as parsed JSON. Also a barrier: callbacks are FIFO, so
/// every callback queued before this call has run when it returns.
pub fn list() -> Vec<Value> {
    let p = Pending::new();
    let rc = unsafe { TIMConvGetConvList(Some(on_reply), p.ud()) };
    assert_eq!(rc, SUCC);
    let r = p.wait();
    assert_eq!(r.code, 0);
    match r.value() {
        Value::Array(a) => a,
        v => panic!("list is not an array: {v}"),
    }
}

/// The listed conversations whose id starts with `prefix`, in list order,
/// as (id, type).
pub fn listed(prefix: &str) -> Vec<(String, i64)> {
    list()
        .into_iter()
        .filter_map(|v| {
            let id = v["conv_id"].as_str()?.to_owned();
            id.starts_with(prefix)
                .then(|| (id, v["conv_type"].as_i64().unwrap()))
        })
        .collect()
}

/// The ConvInfo of one listed conversation.
pub fn find(id: &str, ty: i32) -> Option<Value> {
    list()
        .into_iter()
        .find(|v| v["conv_id"] == id && v["conv_type"] == ty)
}

/// A valid draft with the given text.
pub fn draft(text: &str) -> String {
    format!(
        r#"{{"draft_msg":{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"{text}"}}]}},"draft_user_define":"ud"}}"#
    )
}

// ---------------------------------------------------------------------------
pub mod durable;
pub mod log;

/// The folder of one user's durable store, as the README documents it:
/// `<root>/imsdk-conv/<app id>/u<user id in lowercase base32, no padding>`.
pub fn store_dir(root: &std::path::Path, app: u64, user: &str) -> std::path::PathBuf {
    const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let (mut b32, mut acc, mut bits) = (String::new(), 0u32, 0u32);
    for &b in user.as_bytes() {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            b32.push(A[(acc >> bits) as usize & 31] as char);
        }
    }
    if bits > 0 {
        b32.push(A[(acc << (5 - bits)) as usize & 31] as char);
    }
    root.join("imsdk-conv")
        .join(app.to_string())
        .join(format!("u{b32}"))
}

// Helpers for the rest of the conversation module (tests/conv_module.rs,
// tests/paging_model.rs). Plain data helpers only: the functions under test
// are declared by each of those files in its own `extern "C"` block.

/// The conversation-ID form of the batch APIs: `c2c_<id>` / `group_<id>`.
pub fn conv_key_id(ty: i32, id: &str) -> String {
    match ty {
        C2C => format!("c2c_{id}"),
        GROUP => format!("group_{id}"),
        _ => panic!("no conversation-ID form for conv_type {ty}"),
    }
}

/// A JSON array of strings, as the batch APIs take it.
pub fn json_strings<S: AsRef<str>>(items: &[S]) -> String {
    serde_json::to_string(&items.iter().map(|s| s.as_ref()).collect::<Vec<_>>()).unwrap()
}

/// Parses a JSON array of TIMConversationOperationResult, checking its shape,
/// as (conversation_id, result_code, result_info).
pub fn op_results(json: &str) -> Vec<(String, i64, String)> {
    let v: Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("bad result JSON {e}: {json}"));
    let arr = v
        .as_array()
        .unwrap_or_else(|| panic!("results are not an array: {json}"));
    arr.iter()
        .map(|r| {
            let id = r["conversation_operation_result_conversation_id"]
                .as_str()
                .unwrap_or_else(|| panic!("no string conversation id in {r}"))
                .to_owned();
            let code = r["conversation_operation_result_result_code"]
                .as_i64()
                .unwrap_or_else(|| panic!("no integer result code in {r}"));
            let info = r["conversation_operation_result_result_info"]
                .as_str()
                .unwrap_or_else(|| panic!("no string result info in {r}"))
                .to_owned();
            (id, code, info)
        })
        .collect()
}

/// `conv_mark_array` as exact u64 values.
pub fn mark_values(v: &Value) -> Vec<u64> {
    v["conv_mark_array"]
        .as_array()
        .unwrap_or_else(|| panic!("no conv_mark_array in {v}"))
        .iter()
        .map(|m| {
            m.as_u64()
                .unwrap_or_else(|| panic!("mark {m} is not an exact u64"))
        })
        .collect()
}

/// The values `conv_mark_array` shows for these mark bits: one per set bit,
/// ascending.
pub fn mark_bits_to_values(bits: u64) -> Vec<u64> {
    (0..64)
        .map(|i| 1u64 << i)
        .filter(|b| bits & b != 0)
        .collect()
}

/// `conv_conversation_group_array` as strings.
pub fn conv_groups(v: &Value) -> Vec<String> {
    v["conv_conversation_group_array"]
        .as_array()
        .unwrap_or_else(|| panic!("no conv_conversation_group_array in {v}"))
        .iter()
        .map(|g| g.as_str().expect("group names are strings").to_owned())
        .collect()
}

/// (conv_id, conv_type) of a ConvInfo.
pub fn conv_key(v: &Value) -> (String, i64) {
    (
        v["conv_id"].as_str().expect("conv_id").to_owned(),
        v["conv_type"].as_i64().expect("conv_type"),
    )
}

// The conversation-module functions with the vendor's C prototypes (`bool`
// where our Rust signatures take its byte): the tests call them as a C
// caller declares them. Local items shadow the glob re-export above.
use ImSDK::ffi::types::{
    TIMCommCallback, TIMConvConversationGroupCreatedCallback,
    TIMConvConversationGroupDeletedCallback, TIMConvConversationGroupNameChangedCallback,
    TIMConvConversationsAddedToGroupCallback, TIMConvConversationsDeletedFromGroupCallback,
};

extern "C" {
    pub fn TIMConvGetConvInfo(
        json_get_conv_list_param: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvGetConversationListByFilter(
        filter: *const c_char,
        next_seq: u64,
        count: u32,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvDeleteConversationList(
        conversation_id_array: *const c_char,
        clear_message: bool,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvSetConversationCustomData(
        conversation_id_array: *const c_char,
        custom_data: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvPinConversation(
        conv_id: *const c_char,
        conv_type: c_int,
        is_pinned: bool,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvMarkConversation(
        conversation_id_array: *const c_char,
        mark_type: u64,
        enable_mark: bool,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvCreateConversationGroup(
        group_name: *const c_char,
        conversation_id_array: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvGetConversationGroupList(cb: TIMCommCallback, user_data: *const c_void) -> c_int;
    pub fn TIMConvDeleteConversationGroup(
        group_name: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvRenameConversationGroup(
        old_name: *const c_char,
        new_name: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvAddConversationsToGroup(
        group_name: *const c_char,
        conversation_id_array: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMConvDeleteConversationsFromGroup(
        group_name: *const c_char,
        conversation_id_array: *const c_char,
        cb: TIMCommCallback,
        user_data: *const c_void,
    ) -> c_int;
    pub fn TIMSetConvConversationGroupCreatedCallback(
        cb: TIMConvConversationGroupCreatedCallback,
        user_data: *const c_void,
    );
    pub fn TIMSetConvConversationGroupDeletedCallback(
        cb: TIMConvConversationGroupDeletedCallback,
        user_data: *const c_void,
    );
    pub fn TIMSetConvConversationGroupNameChangedCallback(
        cb: TIMConvConversationGroupNameChangedCallback,
        user_data: *const c_void,
    );
    pub fn TIMSetConvConversationsAddedToGroupCallback(
        cb: TIMConvConversationsAddedToGroupCallback,
        user_data: *const c_void,
    );
    pub fn TIMSetConvConversationsDeletedFromGroupCallback(
        cb: TIMConvConversationsDeletedFromGroupCallback,
        user_data: *const c_void,
    );
}
