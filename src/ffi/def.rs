//! `TIMCloudDef.h`: the result codes (defined with the core's error table,
//! `crate::error`), the conversation type and the receive options, as the
//! code uses them. (The header itself is written from the
//! table, `table.rs`; `TIMCommCallback` is in `types`, generated from it.)

pub use crate::error::TIMResult;

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
