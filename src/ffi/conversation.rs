//! `TIMConversationManager.h`: the conversation functions written by hand,
//! and the enums the code uses. (The header's enums, typedefs and keys come
//! from the table, `table.rs`; the functions not written here from `build.rs`.)
//!
//! After `TIMInit` and before `TIMLogin`, every function here but the setter
//! returns `TIM_ERR_NOTLOGIN`, before looking at its arguments.

use std::ffi::{c_char, c_int, c_void};

use super::args::{conv_arg, guard, guard_void, json_arg};
use super::callback::{conv_event_sink, reply_sink};
use super::types::{TIMCommCallback, TIMConvEventCallback, TIMConvTypeParam};
use crate::dispatch::on_any_worker;
use crate::listeners::LISTENERS;
use crate::sdk::with_session;

/// What happened to the conversations in a `TIMConvEventCallback`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TIMConvEvent {
    /// Conversations were created: `json_conv_array` is an array of ConvInfo.
    kTIMConvEvent_Add = 0,
    /// Conversations were deleted: an array of their last ConvInfo.
    kTIMConvEvent_Del = 1,
    /// Conversations changed: an array of their ConvInfo.
    kTIMConvEvent_Update = 2,
    /// The server sync of the conversation list started (`""`; never sent by this library).
    kTIMConvEvent_Start = 3,
    /// The server sync of the conversation list ended (`""`; never sent by this library).
    kTIMConvEvent_Finish = 4,
}

/// Conversation mark bits (`conv_mark_array`); apps may use bits 32 to 63.
#[repr(C)]
pub enum TIMConversationMarkType {
    kTIMConversationMarkTypeStar = 0x1,
    kTIMConversationMarkTypeUnread = 0x2,
    kTIMConversationMarkTypeFold = 0x4,
    kTIMConversationMarkTypeHide = 0x8,
}

/// Kinds of @-mention in `conv_group_at_info_array`.
#[repr(C)]
pub enum TIMGroupAtType {
    kTIMGroup_At_Me = 1,
    kTIMGroup_At_All = 2,
    kTIMGroup_At_All_At_ME = 3,
}

/// Sets the conversation event callback (one slot: a later call replaces the
/// earlier one; NULL clears it). Once this returns, no event reaches the
/// replaced callback; events still queued go to the new one.
///
/// Called from any thread but the callback thread, it waits for a delivery
/// to the old callback that is under way; from inside a callback it does not.
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvEventCallback(
    cb: TIMConvEventCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .conv_event
            .set(conv_event_sink(cb, user_data), on_any_worker())
    })
}

/// Creates the conversation, or gets it if it exists. `cb` gets its ConvInfo
/// object; a new conversation also fires `kTIMConvEvent_Add` (first).
///
/// `conv_id`: 1 to 128 bytes of UTF-8. `conv_type`: `kTIMConv_C2C` or
/// `kTIMConv_Group`. Otherwise `TIM_ERR_PARAM`.
#[no_mangle]
pub unsafe extern "C" fn TIMConvCreate(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: `conv_id` is the caller's C string (NULL is checked).
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            s.conv_create(ty, id, reply_sink(cb, user_data))
        })
    })
}

/// Deletes the conversation with its draft and everything attached to it.
/// `cb` gets code 0 and `""`, after `kTIMConvEvent_Del` with the deleted
/// conversation's last ConvInfo. A conversation that does not exist: the
/// call returns `TIM_SUCC` and `cb` gets `ERR_INVALID_CONVERSATION` (6004).
#[no_mangle]
pub unsafe extern "C" fn TIMConvDelete(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: as in TIMConvCreate.
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            s.conv_delete(ty, id, reply_sink(cb, user_data))
        })
    })
}

/// Lists every conversation: `cb` gets a JSON array of ConvInfo, pinned
/// first, then the most recently activated first (`conv_active_time`
/// descending). The list is the state when the call was made.
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetConvList(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| with_session(|s| s.conv_list(reply_sink(cb, user_data))))
}

/// Sets the conversation's draft (synchronous) and moves the conversation to
/// the top of its class; fires `kTIMConvEvent_Update`.
///
/// `json_draft_param`: an object with `draft_msg` (an object holding a
/// `message_elem_array` array), optional `draft_user_define` (string) and
/// `draft_edit_time` (unsigned integer; absent: now), at most 256 KiB and 100
/// levels deep, no object holding a key twice. It comes back as `conv_draft`
/// exactly as given.
/// Returns `TIM_ERR_PARAM`, `TIM_ERR_JSON` or (no such conversation)
/// `TIM_ERR_CONV`, checked in that order.
#[no_mangle]
pub unsafe extern "C" fn TIMConvSetDraft(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    json_draft_param: *const c_char,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: as in TIMConvCreate, for both strings.
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            // SAFETY: as above.
            let draft = unsafe { json_arg(json_draft_param) }?;
            s.conv_set_draft(ty, id, draft)
        })
    })
}

/// Removes the conversation's draft (synchronous) without moving it; fires
/// `kTIMConvEvent_Update` if there was a draft. No such conversation:
/// `TIM_ERR_CONV`.
#[no_mangle]
pub unsafe extern "C" fn TIMConvCancelDraft(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: as in TIMConvCreate.
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            s.conv_cancel_draft(ty, id)
        })
    })
}
