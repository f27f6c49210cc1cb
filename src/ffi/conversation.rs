//! `TIMConversationManager.h`: the conversation functions written by hand,
//! and the enums the code uses. (The header's enums, typedefs and keys come
//! from the table, `table.rs`; the functions not written here from `build.rs`.)
//!
//! After `TIMInit` and before `TIMLogin`, every function here but the setter
//! returns `TIM_ERR_NOTLOGIN`, before looking at its arguments.

use std::ffi::{c_char, c_int, c_void};

use super::args::{conv_arg, guard, guard_void, json_arg, opt_str_arg, CBool};
use super::callback::{
    added_to_group_sink, conv_event_sink, filter_unread_sink, group_created_sink,
    group_deleted_sink, group_renamed_sink, removed_from_group_sink, reply_sink, total_unread_sink,
};
use super::types::{
    TIMCommCallback, TIMConvConversationGroupCreatedCallback,
    TIMConvConversationGroupDeletedCallback, TIMConvConversationGroupNameChangedCallback,
    TIMConvConversationsAddedToGroupCallback, TIMConvConversationsDeletedFromGroupCallback,
    TIMConvEventCallback, TIMConvTotalUnreadMessageCountChangedByFilterCallback,
    TIMConvTotalUnreadMessageCountChangedCallback, TIMConvTypeParam,
};
use crate::dispatch::on_any_worker;
use crate::error::Error;
use crate::listeners::LISTENERS;
use crate::model::request::{
    clean_read_point, parse_clean_scope, parse_conv_refs, parse_filter, parse_get_conv_params,
    ConvRef, Limits,
};
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

/// Looks up conversations. `json_get_conv_list_param`: a JSON array of
/// `{get_conversation_list_param_conv_id, get_conversation_list_param_conv_type}`
/// objects (else `TIM_ERR_JSON`). `cb` gets a JSON array of the ConvInfo of
/// those that exist, in request order; missing ones are left out, never
/// created.
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetConvInfo(
    json_get_conv_list_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(json_get_conv_list_param) }?;
            let wanted = parse_get_conv_params(json)?;
            s.conv_get_info(&wanted, reply_sink(cb, user_data))
        })
    })
}

/// Pins (first in the list, `conv_active_time` + bit 62) or unpins, without
/// activating: pinned conversations keep their relative order. At most 50
/// pinned: the 51st is answered `ERR_SDK_INVALID_OPERATION` (7014). Missing:
/// 6004. `cb` gets `""`; a change fires `kTIMConvEvent_Update` first.
#[no_mangle]
pub unsafe extern "C" fn TIMConvPinConversation(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    is_pinned: CBool,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: as in TIMConvCreate.
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            s.conv_pin(ty, id, is_pinned != 0, reply_sink(cb, user_data))
        })
    })
}

/// Sets (`enable_mark`) or clears mark bits on each conversation of
/// `conversation_id_array` (a JSON array of `c2c_<id>` / `group_<id>`, at
/// most 100). `mark_type`: non-zero, only the four standard marks (bits 0
/// to 3) and bits 32 to 63 (else `TIM_ERR_PARAM`). At most 1000 marked
/// conversations (51008 per item). `cb` gets one
/// TIMConversationOperationResult per id, in order; one
/// `kTIMConvEvent_Update` lists those that changed.
#[no_mangle]
pub unsafe extern "C" fn TIMConvMarkConversation(
    conversation_id_array: *const c_char,
    mark_type: u64,
    enable_mark: CBool,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let ids = unsafe { json_arg(conversation_id_array) }?;
            if mark_type == 0 || mark_type & !Limits::MARK_BITS != 0 {
                return Err(Error::InvalidParam);
            }
            let refs = parse_conv_refs(ids)?;
            s.conv_mark(
                &refs,
                mark_type,
                enable_mark != 0,
                reply_sink(cb, user_data),
            )
        })
    })
}

/// Sets `conv_custom_data` (at most 256 bytes, else 6017; `""` clears) on
/// each conversation of `conversation_id_array`. Results and event as for
/// `TIMConvMarkConversation`.
#[no_mangle]
pub unsafe extern "C" fn TIMConvSetConversationCustomData(
    conversation_id_array: *const c_char,
    custom_data: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let ids = unsafe { json_arg(conversation_id_array) }?;
            // SAFETY: as above.
            let data = unsafe { json_arg(custom_data) }?;
            let refs = parse_conv_refs(ids)?;
            s.conv_set_custom_data(&refs, data, reply_sink(cb, user_data))
        })
    })
}

/// Deletes each conversation of `conversation_id_array` (at most 100);
/// `clear_message` is accepted (no message is stored). Results as for
/// `TIMConvMarkConversation`; one `kTIMConvEvent_Del` lists the deleted.
#[no_mangle]
pub unsafe extern "C" fn TIMConvDeleteConversationList(
    conversation_id_array: *const c_char,
    clear_message: CBool,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    let _ = clear_message;
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let ids = unsafe { json_arg(conversation_id_array) }?;
            let refs = parse_conv_refs(ids)?;
            s.conv_delete_many(&refs, reply_sink(cb, user_data))
        })
    })
}

/// A page of the list, filtered. `filter`: a JSON object of the 8.x filter
/// keys, each optional; `next_seq` 0 starts, then pass back the result's;
/// `count`: 1 to 100 (else `TIM_ERR_PARAM`). `cb` gets a
/// TIMConversationListResult. A conversation that does not change while an
/// app pages through appears exactly once.
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetConversationListByFilter(
    filter: *const c_char,
    next_seq: u64,
    count: u32,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(filter) }?;
            if count == 0 || count > MAX_PAGE {
                return Err(Error::InvalidParam);
            }
            let filter = parse_filter(json)?;
            s.conv_page(&filter, next_seq, count as usize, reply_sink(cb, user_data))
        })
    })
}

/// The `(group_name, conversation_id_array)` pair of the group functions,
/// checked in that order.
///
/// # Safety
/// Both are NULL or C strings, as for [`json_arg`].
unsafe fn group_and_ids<'a>(
    group_name: *const c_char,
    conversation_id_array: *const c_char,
) -> crate::error::Result<(&'a str, Vec<ConvRef>)> {
    // SAFETY: forwarded.
    let name = unsafe { json_arg(group_name) }?;
    // SAFETY: forwarded.
    let ids = unsafe { json_arg(conversation_id_array) }?;
    Ok((name, parse_conv_refs(ids)?))
}

/// Largest page `TIMConvGetConversationListByFilter` gives.
pub const MAX_PAGE: u32 = 100;

/// Creates a conversation group (name 1 to 32 bytes: "" 6017, longer 51011;
/// an existing name 6017; at most 20 groups: 51010) holding the
/// conversations of `conversation_id_array` (1 to 100). Events:
/// `kTIMConvEvent_Update` for the members, the group-created callback, then
/// `cb` with the results.
#[no_mangle]
pub unsafe extern "C" fn TIMConvCreateConversationGroup(
    group_name: *const c_char,
    conversation_id_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let (name, refs) = unsafe { group_and_ids(group_name, conversation_id_array) }?;
            s.group_create(name, &refs, reply_sink(cb, user_data))
        })
    })
}

/// The conversation groups' names, in creation order (a JSON array).
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetConversationGroupList(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| with_session(|s| s.group_list(reply_sink(cb, user_data))))
}

/// Deletes a conversation group (unknown: 51009); its members leave it.
#[no_mangle]
pub unsafe extern "C" fn TIMConvDeleteConversationGroup(
    group_name: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let name = unsafe { json_arg(group_name) }?;
            s.group_delete(name, reply_sink(cb, user_data))
        })
    })
}

/// Renames a conversation group (unknown: 51009; the new name is checked as
/// in `TIMConvCreateConversationGroup`).
#[no_mangle]
pub unsafe extern "C" fn TIMConvRenameConversationGroup(
    old_name: *const c_char,
    new_name: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let old = unsafe { json_arg(old_name) }?;
            // SAFETY: as above.
            let new = unsafe { json_arg(new_name) }?;
            s.group_rename(old, new, reply_sink(cb, user_data))
        })
    })
}

/// Adds conversations to a group (unknown: 51009). A group of 1000 first
/// loses its least recently activated member (deleted-from-group callback,
/// reason 1).
#[no_mangle]
pub unsafe extern "C" fn TIMConvAddConversationsToGroup(
    group_name: *const c_char,
    conversation_id_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let (name, refs) = unsafe { group_and_ids(group_name, conversation_id_array) }?;
            s.group_add(name, &refs, reply_sink(cb, user_data))
        })
    })
}

/// Removes conversations from a group (unknown: 51009; not a member: no
/// change, code 0).
#[no_mangle]
pub unsafe extern "C" fn TIMConvDeleteConversationsFromGroup(
    group_name: *const c_char,
    conversation_id_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let (name, refs) = unsafe { group_and_ids(group_name, conversation_id_array) }?;
            s.group_remove(name, &refs, reply_sink(cb, user_data))
        })
    })
}

/// Sets the group-created listener (one slot; NULL clears): the group's
/// name and a JSON array of its first members' ConvInfo.
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvConversationGroupCreatedCallback(
    cb: TIMConvConversationGroupCreatedCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .group_created
            .set(group_created_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the group-deleted listener (one slot; NULL clears).
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvConversationGroupDeletedCallback(
    cb: TIMConvConversationGroupDeletedCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .group_deleted
            .set(group_deleted_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the group-renamed listener (one slot; NULL clears).
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvConversationGroupNameChangedCallback(
    cb: TIMConvConversationGroupNameChangedCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .group_renamed
            .set(group_renamed_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the added-to-group listener (one slot; NULL clears): the group's
/// name and a JSON array of the added conversations' ConvInfo.
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvConversationsAddedToGroupCallback(
    cb: TIMConvConversationsAddedToGroupCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .added_to_group
            .set(added_to_group_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the deleted-from-group listener (8.2+ form; one slot; NULL clears):
/// the group's name, a JSON array of the ConvInfo of those removed, and the
/// reason (0: removed by the app; 1: evicted from a full group).
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvConversationsDeletedFromGroupCallback(
    cb: TIMConvConversationsDeletedFromGroupCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .removed_from_group
            .set(removed_from_group_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the total-unread listener (one slot; NULL clears). It hears every
/// change of the total once the app has called
/// `TIMConvGetTotalUnreadMessageCount` (never before).
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvTotalUnreadMessageCountChangedCallback(
    cb: TIMConvTotalUnreadMessageCountChangedCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .total_unread
            .set(total_unread_sink(cb, user_data), on_any_worker())
    })
}

/// Sets the filtered-unread listener (one slot; NULL clears): each
/// subscribed filter, as the app gave it, with its new count.
#[no_mangle]
pub unsafe extern "C" fn TIMSetConvUnreadMessageCountChangedByFilterCallback(
    cb: TIMConvTotalUnreadMessageCountChangedByFilterCallback,
    user_data: *const c_void,
) {
    guard_void(|| {
        LISTENERS
            .filter_unread
            .set(filter_unread_sink(cb, user_data), on_any_worker())
    })
}

/// The total unread count, conversations with receive option Not_Receive,
/// Not_Notify or Not_Notify_Except_At left out: `cb` gets a
/// GetTotalUnreadNumberResult. From then on the total-unread listener hears
/// every change.
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetTotalUnreadMessageCount(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| with_session(|s| s.total_unread(reply_sink(cb, user_data))))
}

/// The unread count of the conversations a filter selects (the keys of
/// `TIMConvGetConversationListByFilter`), muted ones left out.
#[no_mangle]
pub unsafe extern "C" fn TIMConvGetUnreadMessageCountByFilter(
    filter: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(filter) }?;
            s.filter_unread(&parse_filter(json)?, reply_sink(cb, user_data))
        })
    })
}

/// Subscribes a filter (synchronous; the same filter again: no change; at
/// most 100, else `TIM_ERR_PARAM`): whenever its unread count changes, the
/// filtered-unread listener hears it, with the filter text as given here.
#[no_mangle]
pub unsafe extern "C" fn TIMConvSubscribeUnreadMessageCountByFilter(
    filter: *const c_char,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(filter) }?;
            s.subscribe_unread(parse_filter(json)?, json)
        })
    })
}

/// Ends a filter's subscription (synchronous; not subscribed: no change).
#[no_mangle]
pub unsafe extern "C" fn TIMConvUnsubscribeUnreadMessageCountByFilter(
    filter: *const c_char,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(filter) }?;
            s.unsubscribe_unread(&parse_filter(json)?)
        })
    })
}

/// Clears unread counts. `conversation_id`: `c2c_<id>` or `group_<id>` (a
/// missing one: 6004), `"c2c"` (every C2C conversation), `"group"` (every
/// group), NULL or `""` (every conversation); anything else
/// `TIM_ERR_PARAM`. In C2C conversations the unread messages at or before
/// `clean_timestamp` are read, in groups those at or before
/// `clean_sequence`; 0 reads all. Changed conversations fire
/// `kTIMConvEvent_Update`; `cb` gets `""`.
#[no_mangle]
pub unsafe extern "C" fn TIMConvCleanConversationUnreadMessageCount(
    conversation_id: *const c_char,
    clean_timestamp: u64,
    clean_sequence: u64,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL has a meaning here).
            let given = unsafe { opt_str_arg(conversation_id, Limits::ID + "group_".len()) }?;
            let scope = parse_clean_scope(given)?;
            let upto = clean_read_point(clean_timestamp, clean_sequence);
            s.msg_read(&scope, upto, reply_sink(cb, user_data))
        })
    })
}
