//! `TIMMessageManager.h`: the message functions that change conversation
//! state (contract C7) and the message enums. Message history itself is not
//! stored: what a message changes is its conversation's last message,
//! unread count and @ entries.
//!
//! After `TIMInit` and before `TIMLogin`, every function here returns
//! `TIM_ERR_NOTLOGIN`, before looking at its arguments.

use std::ffi::{c_char, c_int, c_void};

use super::args::{conv_arg, conv_id_arg, json_arg, opt_str_arg, str_arg, MAX_CONV_ID};
use super::args::{conv_type_arg, guard};
use super::callback::reply_sink;
use super::types::{TIMCommCallback, TIMConvTypeParam, TIMReceiveMessageOptParam};
use crate::error::{Error, Result};
use crate::model::request::{parse_user_ids, ReadPoint, Scope};
use crate::model::ConvType;
use crate::sdk::with_session;

/// Longest `json_msg_array` `TIMMsgImportMsgList` accepts, in bytes: room
/// for hundreds of the vendor's largest messages (12 KB each).
pub const MAX_IMPORT: usize = 8 * 1024 * 1024;

/// A `TIMReceiveMessageOpt`: 0 to 4, else `InvalidParam`.
fn recv_opt_arg(opt: TIMReceiveMessageOptParam) -> Result<u8> {
    u8::try_from(opt)
        .ok()
        .filter(|o| *o <= 4)
        .ok_or(Error::InvalidParam)
}

/// Imports messages into a conversation, created if absent
/// (`kTIMConvEvent_Add`, else `_Update`). `json_msg_array`: a non-empty
/// JSON array of Message objects (each with `message_elem_array`; at most
/// 8 MiB in all), all checked before any is applied. The newest by server
/// time (else client time), unless `message_excluded_from_last_message` or
/// older than the current one, becomes `conv_last_msg` and moves the
/// conversation up; each message not from self (`message_is_from_self`, or
/// `message_sender` is the logged-in user), not read and not excluded from
/// unread raises `conv_unread_num`; each @ of the logged-in user or of
/// everyone in a group adds a `conv_group_at_info_array` entry. `cb` gets
/// `""`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgImportMsgList(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    json_msg_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            // SAFETY: as above.
            let json = unsafe { str_arg(json_msg_array, MAX_IMPORT) }?;
            s.msg_import(ty, id, json, reply_sink(cb, user_data))
        })
    })
}

/// Saves one message into a conversation: as one message imported by
/// `TIMMsgImportMsgList`. `cb` gets the message as kept (`message_conv_id`,
/// `message_conv_type` and `message_is_from_self` filled in).
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSaveMsg(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL is checked).
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            // SAFETY: as above.
            let json = unsafe { json_arg(json_msg_param) }?;
            s.msg_save(ty, id, json, reply_sink(cb, user_data))
        })
    })
}

/// Reports a conversation read. `conv_id` NULL or `""`: every conversation
/// of `conv_type`. `json_msg_param` NULL or `""`: everything; a message:
/// the unread messages at or before it (C2C: by its time; group: by its
/// `message_seq`, everything when it has none). Missing conversation: 6004.
/// Conversations that change fire `kTIMConvEvent_Update`.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgReportReaded(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    json_msg_param: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C strings (NULL has a meaning here).
            let id = unsafe { opt_str_arg(conv_id, MAX_CONV_ID) }?.filter(|i| !i.is_empty());
            let ty = conv_type_arg(conv_type)?;
            // SAFETY: as above.
            let msg = unsafe { opt_str_arg(json_msg_param, super::args::MAX_JSON_PARAM) }?
                .filter(|m| !m.is_empty());
            s.msg_report_read(ty, id, msg, reply_sink(cb, user_data))
        })
    })
}

/// Reads every conversation: unread counts and @ entries cleared.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgMarkAllMessageAsRead(
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| with_session(|s| s.msg_read(&Scope::All, ReadPoint::ALL, reply_sink(cb, user_data))))
}

/// Clears a conversation's history: its last message, unread count and @
/// entries go; its place in the list stays. Missing: 6004.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgClearHistoryMessage(
    conv_id: *const c_char,
    conv_type: TIMConvTypeParam,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let (id, ty) = unsafe { conv_arg(conv_id, conv_type) }?;
            s.msg_clear_history(ty, id, reply_sink(cb, user_data))
        })
    })
}

/// Sets the receive option for each user of `json_identifier_array` (a JSON
/// array of 1 to 128-byte user ids; at most 30, else 6017 in `cb`). `opt`:
/// a `TIMReceiveMessageOpt` (0 to 4). Kept whether or not a conversation
/// exists; shown as `conv_recv_opt`. Not_Receive, Not_Notify and
/// Not_Notify_Except_At leave the conversation out of unread totals.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSetC2CReceiveMessageOpt(
    json_identifier_array: *const c_char,
    opt: TIMReceiveMessageOptParam,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(json_identifier_array) }?;
            let opt = recv_opt_arg(opt)?;
            let ids = parse_user_ids(json)?;
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            s.set_recv_opt(ConvType::C2C, &ids, opt, reply_sink(cb, user_data))
        })
    })
}

/// The receive option of each user of `json_identifier_array`: `cb` gets a
/// JSON array of `GetC2CRecvMsgOptResult`, in request order.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgGetC2CReceiveMessageOpt(
    json_identifier_array: *const c_char,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let json = unsafe { json_arg(json_identifier_array) }?;
            let ids = parse_user_ids(json)?;
            s.get_c2c_recv_opts(&ids, reply_sink(cb, user_data))
        })
    })
}

/// Sets a group's receive option (`group_id`: 1 to 128 bytes), as
/// `TIMMsgSetC2CReceiveMessageOpt` does for users.
#[no_mangle]
pub unsafe extern "C" fn TIMMsgSetGroupReceiveMessageOpt(
    group_id: *const c_char,
    opt: TIMReceiveMessageOptParam,
    cb: TIMCommCallback,
    user_data: *const c_void,
) -> c_int {
    guard(|| {
        with_session(|s| {
            // SAFETY: the caller's C string (NULL is checked).
            let id = unsafe { conv_id_arg(group_id) }?;
            let opt = recv_opt_arg(opt)?;
            s.set_recv_opt(ConvType::Group, &[id], opt, reply_sink(cb, user_data))
        })
    })
}

/// The type of a message element.
#[repr(C)]
pub enum TIMElemType {
    kTIMElem_Text = 0,
    kTIMElem_Image = 1,
    kTIMElem_Sound = 2,
    kTIMElem_Custom = 3,
    kTIMElem_File = 4,
    kTIMElem_GroupTips = 5,
    kTIMElem_Face = 6,
    kTIMElem_Location = 7,
    kTIMElem_GroupReport = 8,
    kTIMElem_Video = 9,
    kTIMElem_FriendChange = 10,
    kTIMElem_ProfileChange = 11,
    kTIMElem_Merge = 12,
    kTIMElem_Invalid = -1,
}

/// The state of a message.
#[repr(C)]
pub enum TIMMsgStatus {
    kTIMMsg_Sending = 1,
    kTIMMsg_SendSucc = 2,
    kTIMMsg_SendFail = 3,
    kTIMMsg_Deleted = 4,
    kTIMMsg_LocalImported = 5,
    kTIMMsg_Revoked = 6,
    kTIMMsg_Cancel = 7,
}

/// The priority of a message.
#[repr(C)]
pub enum TIMMsgPriority {
    kTIMMsgPriority_High = 0,
    kTIMMsgPriority_Normal = 1,
    kTIMMsgPriority_Low = 2,
    kTIMMsgPriority_Lowest = 3,
}

/// The platform a message was sent from.
#[repr(C)]
pub enum TIMPlatform {
    kTIMPlatform_Other = 0,
    kTIMPlatform_Windows = 1,
    kTIMPlatform_Android = 2,
    kTIMPlatform_IOS = 3,
    kTIMPlatform_Mac = 4,
    kTIMPlatform_Simulator = 5,
}
