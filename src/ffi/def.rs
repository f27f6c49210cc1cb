//! `TIMCloudDef.h`: the result codes, the conversation type, the receive
//! options, and the callback type every asynchronous function takes.

use std::ffi::{c_char, c_int, c_void};

/// What a function returns: whether the call was accepted.
///
/// A call that returns `TIM_SUCC` with a non-NULL callback gets exactly one
/// callback; a call that returns anything else gets none and changed nothing.
#[repr(C)]
pub enum TIMResult {
    /// The call was accepted.
    TIM_SUCC = 0,
    /// The SDK is not initialized.
    TIM_ERR_SDKUNINIT = -1,
    /// No user is logged in.
    TIM_ERR_NOTLOGIN = -2,
    /// A JSON parameter does not parse, is nested too deep, or has the wrong shape.
    TIM_ERR_JSON = -3,
    /// A parameter is NULL, too long, not UTF-8 or out of range (also: an internal fault).
    TIM_ERR_PARAM = -4,
    /// The conversation does not exist (functions without a callback).
    TIM_ERR_CONV = -5,
    /// The group does not exist.
    TIM_ERR_GROUP = -6,
}

/// The type of a conversation.
#[repr(C)]
pub enum TIMConvType {
    /// Not a valid conversation type.
    kTIMConv_Invalid = 0,
    /// One-to-one chat: `conv_id` is the peer's user id.
    kTIMConv_C2C = 1,
    /// Group chat: `conv_id` is the group id.
    kTIMConv_Group = 2,
    /// System conversation (deprecated by the vendor; not accepted).
    kTIMConv_System = 3,
}

/// How messages of a conversation are received.
#[repr(C)]
pub enum TIMReceiveMessageOpt {
    /// Receive and notify.
    kTIMRecvMsgOpt_Receive = 0,
    /// Do not receive.
    kTIMRecvMsgOpt_Not_Receive = 1,
    /// Receive without notification.
    kTIMRecvMsgOpt_Not_Notify = 2,
    /// Receive without notification, except for @-mentions.
    kTIMRecvMsgOpt_Not_Notify_Except_At = 3,
    /// Do not receive, except for @-mentions.
    kTIMRecvMsgOpt_Not_Receive_Except_At = 4,
}

/// The answer to one call, run on the SDK's callback thread.
///
/// `code` is `ERR_SUCC` (0) or a `TIMErrCode`; `desc` and `json_params` are
/// NUL-terminated UTF-8, never NULL (`""` where there is nothing), valid only
/// until the callback returns; `user_data` is the caller's pointer, untouched.
pub type TIMCommCallback = Option<
    unsafe extern "C" fn(
        code: i32,
        desc: *const c_char,
        json_params: *const c_char,
        user_data: *const c_void,
    ),
>;

/// An `enum TIMConvType` parameter, received as a plain integer so that an
/// unknown value is a checked error (the header shows `enum TIMConvType`).
pub type ConvTypeParam = c_int;
