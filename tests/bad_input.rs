//! Contract C4: bad input from C gets the documented code, no callback, and
//! changes nothing. Every test compares the whole list before and after.

mod common;

use std::ffi::{c_char, c_void};
use std::ptr;

use common::*;
use serde_json::Value;

const BAD_TYPES: [i32; 6] = [0, 3, 99, -1, i32::MIN, i32::MAX];

/// Runs `f` (which makes calls with `on_reply` and the given user_data),
/// then checks that no callback came and the list did not change.
fn unchanged(f: impl FnOnce(*const c_void)) {
    let before = list();
    let p = Pending::new();
    f(p.ud());
    let after = list(); // a barrier: any callback would have run by now
    assert_eq!(p.count(), 0, "a refused call called back");
    assert_eq!(before, after, "a refused call changed the store");
}

/// The tests of this file run one at a time, so that `unchanged` can compare
/// the whole list: each takes this lock first.
fn serial() -> parking_lot::MutexGuard<'static, ()> {
    static SERIAL: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
    SERIAL.lock()
}

/// The store holds a conversation with a draft that bad calls must not lose.
fn seeded(id: &str) -> Value {
    create_ok(id, C2C);
    assert_eq!(set_draft(id, C2C, &draft("precious")), SUCC);
    find(id, C2C).unwrap()
}

#[test]
fn null_pointers_are_tim_err_param() {
    let _serial = serial();
    seeded("bad-null");
    let id = c("bad-null");
    unchanged(|ud| unsafe {
        assert_eq!(
            TIMConvCreate(ptr::null(), C2C, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvDelete(ptr::null(), C2C, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvSetDraft(ptr::null(), C2C, c(&draft("x")).as_ptr()),
            ERR_PARAM
        );
        assert_eq!(TIMConvSetDraft(id.as_ptr(), C2C, ptr::null()), ERR_PARAM);
        assert_eq!(TIMConvSetDraft(ptr::null(), C2C, ptr::null()), ERR_PARAM);
        assert_eq!(TIMConvCancelDraft(ptr::null(), C2C), ERR_PARAM);
    });
}

#[test]
fn empty_ids_are_tim_err_param() {
    let _serial = serial();
    unchanged(|ud| unsafe {
        let e = c("");
        assert_eq!(
            TIMConvCreate(e.as_ptr(), C2C, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvDelete(e.as_ptr(), GROUP, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvSetDraft(e.as_ptr(), C2C, c(&draft("x")).as_ptr()),
            ERR_PARAM
        );
        assert_eq!(TIMConvCancelDraft(e.as_ptr(), C2C), ERR_PARAM);
    });
}

#[test]
fn invalid_utf8_is_tim_err_param() {
    let _serial = serial();
    seeded("bad-utf8");
    let bad_id: &[u8] = b"bad-utf8\xff\xfe\0";
    let bad_json: &[u8] =
        b"{\"draft_msg\":{\"message_elem_array\":[]},\"draft_user_define\":\"\xc3\x28\"}\0";
    let good = c("bad-utf8");
    unchanged(|ud| unsafe {
        let id = bad_id.as_ptr() as *const c_char;
        assert_eq!(TIMConvCreate(id, C2C, Some(on_reply), ud), ERR_PARAM);
        assert_eq!(TIMConvDelete(id, C2C, Some(on_reply), ud), ERR_PARAM);
        assert_eq!(TIMConvSetDraft(id, C2C, c(&draft("x")).as_ptr()), ERR_PARAM);
        assert_eq!(TIMConvCancelDraft(id, C2C), ERR_PARAM);
        assert_eq!(
            TIMConvSetDraft(good.as_ptr(), C2C, bad_json.as_ptr() as *const c_char),
            ERR_PARAM
        );
    });
}

#[test]
fn huge_strings_are_tim_err_param() {
    let _serial = serial();
    seeded("bad-huge");
    let mb = "a".repeat(1 << 20);
    let huge_id = c(&mb);
    // A valid draft of more than 256 KiB.
    let huge_draft = c(&draft(&"b".repeat(260 * 1024)));
    let good = c("bad-huge");
    unchanged(|ud| unsafe {
        assert_eq!(
            TIMConvCreate(huge_id.as_ptr(), C2C, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvDelete(huge_id.as_ptr(), C2C, Some(on_reply), ud),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvSetDraft(huge_id.as_ptr(), C2C, huge_draft.as_ptr()),
            ERR_PARAM
        );
        assert_eq!(TIMConvCancelDraft(huge_id.as_ptr(), C2C), ERR_PARAM);
        assert_eq!(
            TIMConvSetDraft(good.as_ptr(), C2C, huge_draft.as_ptr()),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvSetDraft(good.as_ptr(), C2C, c(&mb).as_ptr()),
            ERR_PARAM
        );
    });
}

/// A string of `len` non-NUL bytes that ends exactly at an unreadable page:
/// reading one byte past it faults.
struct GuardedString {
    base: *mut c_void,
    size: usize,
    start: *const c_char,
}

impl GuardedString {
    fn new(len: usize) -> GuardedString {
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let data_pages = len.div_ceil(page);
        let size = (data_pages + 1) * page;
        unsafe {
            let base = libc::mmap(
                ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED);
            let guard = (base as *mut u8).add(data_pages * page);
            assert_eq!(
                libc::mprotect(guard as *mut c_void, page, libc::PROT_NONE),
                0
            );
            let start = guard.sub(len);
            ptr::write_bytes(start, b'z', len);
            GuardedString {
                base,
                size,
                start: start as *const c_char,
            }
        }
    }
}

impl Drop for GuardedString {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.base, self.size) };
    }
}

#[test]
fn unterminated_strings_are_read_no_further_than_the_bound() {
    let _serial = serial();
    // 129 bytes for a conv_id (bound 128), 256 KiB + 1 for a JSON parameter:
    // the library must stop at the bound, before the guard page.
    let id = GuardedString::new(129);
    let json = GuardedString::new(256 * 1024 + 1);
    create_ok("bad-unterminated", C2C);
    let good = c("bad-unterminated");
    unchanged(|ud| unsafe {
        assert_eq!(TIMConvCreate(id.start, C2C, Some(on_reply), ud), ERR_PARAM);
        assert_eq!(TIMConvDelete(id.start, C2C, Some(on_reply), ud), ERR_PARAM);
        assert_eq!(TIMConvCancelDraft(id.start, C2C), ERR_PARAM);
        assert_eq!(TIMConvSetDraft(id.start, C2C, json.start), ERR_PARAM);
        assert_eq!(TIMConvSetDraft(good.as_ptr(), C2C, json.start), ERR_PARAM);
    });
}

#[test]
fn conv_types_other_than_c2c_and_group_are_tim_err_param() {
    let _serial = serial();
    seeded("bad-type");
    let id = c("bad-type");
    unchanged(|ud| unsafe {
        for ty in BAD_TYPES {
            assert_eq!(
                TIMConvCreate(id.as_ptr(), ty, Some(on_reply), ud),
                ERR_PARAM,
                "{ty}"
            );
            assert_eq!(
                TIMConvDelete(id.as_ptr(), ty, Some(on_reply), ud),
                ERR_PARAM,
                "{ty}"
            );
            assert_eq!(
                TIMConvSetDraft(id.as_ptr(), ty, c(&draft("x")).as_ptr()),
                ERR_PARAM,
                "{ty}"
            );
            assert_eq!(TIMConvCancelDraft(id.as_ptr(), ty), ERR_PARAM, "{ty}");
        }
    });
}

#[test]
fn bad_draft_json_is_tim_err_json_and_keeps_the_old_draft() {
    let _serial = serial();
    let before = seeded("bad-json");
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_obj = format!(
        r#"{{"draft_msg":{{"message_elem_array":[{}]}}}}"#,
        "{\"a\":".repeat(40_000) + "1" + &"}".repeat(40_000)
    );
    let cases = [
        "",
        "   ",
        "not json",
        "{",
        "{\"draft_msg\":",
        "null",
        "[]",
        "\"str\"",
        "42",
        "{}",
        r#"{"draft_msg":null}"#,
        r#"{"draft_msg":[]}"#,
        r#"{"draft_msg":{}}"#,
        r#"{"draft_msg":{"message_elem_array":{}}}"#,
        r#"{"draft_msg":{"message_elem_array":"x"}}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_user_define":7}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_user_define":null}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_edit_time":-1}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_edit_time":1.5}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_edit_time":"1"}"#,
        r#"{"draft_msg":{"message_elem_array":[]},"draft_edit_time":18446744073709551616}"#,
        r#"{"draft_msg":{"message_elem_array":[]}} trailing"#,
        r#"{"draft_msg":{"message_elem_array":[]},}"#,
        // Duplicate keys, at any depth: stored JSON is given back as text.
        r#"{"draft_edit_time":-1,"draft_edit_time":5,"draft_msg":{"message_elem_array":[]}}"#,
        r#"{"draft_msg":[],"draft_msg":{"message_elem_array":[]}}"#,
        r#"{"draft_msg":{"message_elem_array":[{"elem_type":0,"elem_type":0}]}}"#,
        &deep,
        &deep_obj,
    ];
    let id = c("bad-json");
    unchanged(|_| {
        for case in cases {
            let rc = unsafe { TIMConvSetDraft(id.as_ptr(), C2C, c(case).as_ptr()) };
            assert_eq!(rc, ERR_JSON, "{}", &case[..case.len().min(80)]);
        }
    });
    assert_eq!(
        find("bad-json", C2C).unwrap(),
        before,
        "the stored draft is intact"
    );
}

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    let _serial = serial();
    create_ok("bad-depth", C2C);
    // The draft object and draft_msg are 2 levels, the elem array a third.
    let inner = "[".repeat(97) + &"]".repeat(97);
    let ok = format!(r#"{{"draft_msg":{{"message_elem_array":[{inner}]}}}}"#);
    assert_eq!(set_draft("bad-depth", C2C, &ok), SUCC);
    let inner = "[".repeat(98) + &"]".repeat(98);
    let too_deep = format!(r#"{{"draft_msg":{{"message_elem_array":[{inner}]}}}}"#);
    assert_eq!(set_draft("bad-depth", C2C, &too_deep), ERR_JSON);
}

#[test]
fn unknown_keys_are_tolerated() {
    let _serial = serial();
    create_ok("bad-unknown", C2C);
    let j = r#"{"zzz":{"a":[1]},"draft_msg":{"message_elem_array":[],"yyy":true}}"#;
    assert_eq!(set_draft("bad-unknown", C2C, j), SUCC);
}

#[test]
fn checks_run_in_argument_order() {
    let _serial = serial();
    create_ok("bad-order", C2C);
    let missing = c("bad-order-missing");
    unchanged(|ud| unsafe {
        // conv_id before conv_type before JSON.
        assert_eq!(
            TIMConvSetDraft(ptr::null(), 99, c("not json").as_ptr()),
            ERR_PARAM
        );
        assert_eq!(
            TIMConvCreate(ptr::null(), 99, Some(on_reply), ud),
            ERR_PARAM
        );
        // conv_type before JSON.
        assert_eq!(
            TIMConvSetDraft(c("bad-order").as_ptr(), 0, c("not json").as_ptr()),
            ERR_PARAM
        );
        // A NULL or over-long JSON is a parameter error, before any JSON check.
        assert_eq!(
            TIMConvSetDraft(missing.as_ptr(), C2C, ptr::null()),
            ERR_PARAM
        );
        // JSON before existence.
        assert_eq!(
            TIMConvSetDraft(missing.as_ptr(), C2C, c("not json").as_ptr()),
            ERR_JSON
        );
        assert_eq!(
            TIMConvSetDraft(missing.as_ptr(), C2C, c(&draft("x")).as_ptr()),
            ERR_CONV
        );
        assert_eq!(TIMConvCancelDraft(missing.as_ptr(), C2C), ERR_CONV);
    });
}
