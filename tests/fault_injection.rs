//! Contract C4.6: a panic inside the library never crosses the C boundary.
//! Built only with `--features fault-injection`, which lets a test make the
//! next store operation, or the next payload rendering, panic.

mod common;

use common::*;
use ImSDK::fault::{arm, Point};

#[test]
fn panics_are_caught_on_both_sides_of_the_boundary() {
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
