//! Contract C4.6: a panic inside the library never crosses the C boundary.
//! Built only with `--features fault-injection`, which lets a test make the
//! next store operation, or the next payload rendering, panic.

mod common;

use common::*;
use ImSDK::fault::{arm, Point};

/// The fault points are process-wide: one test at a time.
fn serial() -> parking_lot::MutexGuard<'static, ()> {
    static LOCK: parking_lot::Mutex<()> = parking_lot::Mutex::new(());
    LOCK.lock()
}

#[test]
fn panics_are_caught_on_both_sides_of_the_boundary() {
    let _g = serial();
    // A panic in a call, after its arguments were checked: refused with the
    // documented code, no callback, no change, and the process goes on.
    create_ok("fault-kept", C2C);
    assert_eq!(set_draft("fault-kept", C2C, &draft("keep me")), SUCC);
    let before = list();
    let p = Pending::new();
    arm(Point::Store);
    let rc = unsafe { TIMConvCreate(c("fault-new").as_ptr(), C2C, Some(on_reply), p.ud()) };
    assert_eq!(rc, ERR_PARAM, "a caught panic returns TIM_ERR_PARAM");
    arm(Point::Store);
    assert_eq!(set_draft("fault-kept", C2C, &draft("lost")), ERR_PARAM);
    assert_eq!(list(), before, "nothing changed");
    assert_eq!(p.count(), 0, "no callback for a refused call");

    // A panic on the callback thread while rendering an accepted call's
    // JSON: the callback still comes, with ERR_SDK_INTERNAL_ERROR, and the
    // thread keeps serving.
    arm(Point::Render);
    let (rc, r) = create("fault-render", GROUP);
    let r = r.unwrap();
    assert_eq!(
        (rc, r.code, r.json.as_str()),
        (SUCC, ERR_SDK_INTERNAL_ERROR as i32, "")
    );
    assert!(!r.desc.is_empty());
    // The change itself took effect and the store is consistent.
    assert!(find("fault-render", GROUP).is_some());
    assert_eq!(
        find("fault-kept", C2C).unwrap()["conv_draft"]["draft_msg"]["message_elem_array"][0]
            ["text_elem_content"],
        "keep me"
    );
    assert_eq!(create_ok("fault-after", C2C)["conv_id"], "fault-after");
}

extern "C" {
    fn TIMConvDeleteConversationList(
        conversation_id_array: *const std::ffi::c_char,
        clear_message: bool,
        cb: ImSDK::ffi::types::TIMCommCallback,
        user_data: *const std::ffi::c_void,
    ) -> std::ffi::c_int;
}

#[test]
fn a_batch_that_panics_after_its_first_change_changes_nothing() {
    let _g = serial();
    static EVENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    unsafe extern "C" fn on_event(
        _: i32,
        json: *const std::ffi::c_char,
        _: *const std::ffi::c_void,
    ) {
        if cstr_lossy(json).contains("fault-batch-") {
            EVENTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    for i in 0..3 {
        create_ok(&format!("fault-batch-{i}"), C2C);
    }
    let before = listed("fault-batch-");
    unsafe { TIMSetConvEventCallback(Some(on_event), std::ptr::null()) };
    let p = Pending::new();
    arm(Point::Batch);
    let ids = c(r#"["c2c_fault-batch-0","c2c_fault-batch-1","c2c_fault-batch-2"]"#);
    let rc = unsafe { TIMConvDeleteConversationList(ids.as_ptr(), false, Some(on_reply), p.ud()) };
    assert_eq!(rc, ERR_PARAM, "a caught panic returns TIM_ERR_PARAM");
    assert_eq!(
        listed("fault-batch-"),
        before,
        "the first delete was undone"
    );
    assert_eq!(p.count(), 0);
    assert_eq!(
        EVENTS.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "an event fired"
    );
    // And the same batch without the fault applies whole.
    let rc = unsafe { TIMConvDeleteConversationList(ids.as_ptr(), false, Some(on_reply), p.ud()) };
    assert_eq!(rc, SUCC);
    assert_eq!(p.wait().code, 0);
    assert!(listed("fault-batch-").is_empty());
    assert_eq!(
        EVENTS.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one Del event"
    );
    unsafe { TIMSetConvEventCallback(None, std::ptr::null()) };
}

#[test]
fn a_read_or_import_that_panics_leaves_counts_and_totals_as_they_were() {
    use ImSDK::ffi::message::{TIMMsgImportMsgList, TIMMsgMarkAllMessageAsRead};
    let _g = serial();
    let m = |t: u64| {
        format!(
            r#"[{{"message_elem_array":[],"message_client_time":{t}}},{{"message_elem_array":[],"message_client_time":{t}}}]"#
        )
    };
    for id in ["fault-unread-a", "fault-unread-b"] {
        let p = Pending::new();
        let rc = unsafe {
            TIMMsgImportMsgList(
                c(id).as_ptr(),
                C2C,
                c(&m(5)).as_ptr(),
                Some(on_reply),
                p.ud(),
            )
        };
        assert_eq!((rc, p.wait().code), (SUCC, 0));
    }
    let total = || {
        let p = Pending::new();
        assert_eq!(
            unsafe { TIMConvGetTotalUnreadMessageCount(Some(on_reply), p.ud()) },
            SUCC
        );
        p.wait().value()["conv_get_total_unread_message_count_result_unread_count"].clone()
    };
    let before = (listed("fault-unread-"), list(), total());
    // Mark-all changes two conversations: the fault after the first one.
    arm(Point::Batch);
    let p = Pending::new();
    assert_eq!(
        unsafe { TIMMsgMarkAllMessageAsRead(Some(on_reply), p.ud()) },
        ERR_PARAM
    );
    // An import: the fault after its one conversation change, before its points.
    arm(Point::Batch);
    let rc = unsafe {
        TIMMsgImportMsgList(
            c("fault-unread-a").as_ptr(),
            C2C,
            c(&m(9)).as_ptr(),
            Some(on_reply),
            p.ud(),
        )
    };
    assert_eq!(rc, ERR_PARAM);
    assert_eq!(p.count(), 0);
    assert_eq!(
        (listed("fault-unread-"), list(), total()),
        before,
        "nothing changed"
    );
    // Both still work, whole.
    let p = Pending::new();
    assert_eq!(
        unsafe { TIMMsgMarkAllMessageAsRead(Some(on_reply), p.ud()) },
        SUCC
    );
    assert_eq!(p.wait().code, 0);
    assert_eq!(total(), 0);
    for id in ["fault-unread-a", "fault-unread-b"] {
        assert_eq!(find(id, C2C).unwrap()["conv_unread_num"], 0);
        delete(id, C2C);
    }
}
