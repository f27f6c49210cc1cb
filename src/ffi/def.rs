//! `TIMCloudDef.h`: the result codes, the conversation type and the receive
//! options, as the code uses them. (The header itself is written from the
//! table, `table.rs`; `TIMCommCallback` is in `types`, generated from it.)

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
