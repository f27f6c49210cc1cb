//! The vendor's JSON key strings: one table, read by the library (to write and
//! parse JSON) and by `build.rs` (to write the `#define kTIM... "..."` lines of
//! the headers). Names and strings are the vendor's, exactly.
//!
//! This file is also compiled by `build.rs` through `#[path]`, so it must not
//! refer to anything else in the crate.

/// The header a key belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Header {
    /// `TIMConversationManager.h`
    Conversation,
    /// `TIMMessageManager.h`
    Message,
}

/// One key: where it is declared, its vendor macro name, its string, and a
/// short note on its JSON type for the header comment.
pub struct Key {
    pub header: Header,
    pub name: &'static str,
    pub value: &'static str,
    pub doc: &'static str,
}

macro_rules! keys {
    ($( $header:ident { $( $name:ident = $value:literal, $doc:literal; )* } )*) => {
        $($(
            #[allow(non_upper_case_globals, dead_code)]
            #[doc = $doc]
            pub const $name: &str = $value;
        )*)*
        /// Every key, in header order.
        #[allow(dead_code)]
        pub const TABLE: &[Key] = &[
            $($( Key { header: Header::$header, name: stringify!($name), value: $value, doc: $doc }, )*)*
        ];
    };
}

keys! {
    Conversation {
        // ConvInfo
        kTIMConvId = "conv_id", "string, read-only: the peer's user id (C2C) or the group id (Group)";
        kTIMConvType = "conv_type", "uint enum TIMConvType, read-only";
        kTIMConvOwner = "conv_owner", "string, read-only, deprecated: always \"\"";
        kTIMConvUnReadNum = "conv_unread_num", "uint64, read-only: unread message count";
        kTIMConvActiveTime = "conv_active_time", "uint64, read-only: order key; sorting by it, descending, gives the list order";
        kTIMConvIsHasLastMsg = "conv_is_has_lastmsg", "bool, read-only";
        kTIMConvLastMsg = "conv_last_msg", "object Message, read-only, present when there is a last message";
        kTIMConvIsHasDraft = "conv_is_has_draft", "bool, read-only";
        kTIMConvDraft = "conv_draft", "object Draft, read-only, present when there is a draft";
        kTIMConvRecvOpt = "conv_recv_opt", "uint enum TIMReceiveMessageOpt, read-only";
        kTIMConvGroupType = "conv_group_type", "uint group type, read-only, group conversations only";
        kTIMConvGroupAtInfoArray = "conv_group_at_info_array", "array GroupAtInfo, read-only";
        kTIMConvIsPinned = "conv_is_pinned", "bool, read-only";
        kTIMConvShowName = "conv_show_name", "string, read-only: display name (the id until something better is known)";
        kTIMConvFaceUrl = "conv_face_url", "string, read-only";
        kTIMConvMarkArray = "conv_mark_array", "array uint64, read-only: one value per set mark bit";
        kTIMConvCustomData = "conv_custom_data", "string, read-only";
        kTIMConvConversationGroupArray = "conv_conversation_group_array", "array string, read-only";
        kTIMConvC2CReadTimestamp = "conv_c2c_read_timestamp", "uint64, read-only, C2C only";
        kTIMConvGroupReadSequence = "conv_group_read_sequence", "uint64, read-only, group only";
        // Draft
        kTIMDraftMsg = "draft_msg", "object Message: the draft's content (must hold message_elem_array)";
        kTIMDraftUserDefine = "draft_user_define", "string: app data stored with the draft";
        kTIMDraftEditTime = "draft_edit_time", "uint64: UTC seconds of the last edit (absent: the time of TIMConvSetDraft)";
        // GroupAtInfo
        kTIMGroupAtInfoSeq = "conv_group_at_info_seq", "uint64, read-only";
        kTIMGroupAtInfoAtType = "conv_group_at_info_at_type", "uint enum TIMGroupAtType, read-only";
        // GetConversationListParam
        kTIMGetConversationListParamConvId = "get_conversation_list_param_conv_id", "string: bare user or group id";
        kTIMGetConversationListParamConvType = "get_conversation_list_param_conv_type", "uint enum TIMConvType";
        // TIMConversationListFilter
        kTIMConversationListFilterConvType = "conversation_list_filter_conv_type", "uint enum TIMConvType, write-only";
        kTIMConversationListFilterConversationGroup = "conversation_list_filter_conversation_group", "string, write-only";
        kTIMConversationListFilterMarkType = "conversation_list_filter_mark_type", "uint64 mark bits, write-only";
        kTIMConversationListFilterHasUnreadCount = "conversation_list_filter_has_unread_count", "bool, write-only";
        kTIMConversationListFilterHasGroupAtInfo = "conversation_list_filter_has_group_at_info", "bool, write-only";
        // TIMConversationListResult (the vendor's macros have no k prefix)
        TIMConversationListResultConvList = "conversation_list_result_conv_list", "array ConvInfo, read-only";
        TIMConversationListResultNextSeq = "conversation_list_result_next_seq", "uint64, read-only";
        TIMConversationListResultIsFinished = "conversation_list_result_is_finished", "bool, read-only";
        // GetTotalUnreadNumberResult
        kTIMConvGetTotalUnreadMessageCountResultUnreadCount = "conv_get_total_unread_message_count_result_unread_count", "int, read-only";
        // TIMConversationOperationResult
        kTIMConversationOperationResultConversationID = "conversation_operation_result_conversation_id", "string, read-only";
        kTIMConversationOperationResultResultCode = "conversation_operation_result_result_code", "int, read-only";
        kTIMConversationOperationResultResultInfo = "conversation_operation_result_result_info", "string, read-only";
    }
    Message {
        // Message
        kTIMMsgElemArray = "message_elem_array", "array Elem (required on input)";
        kTIMMsgConvId = "message_conv_id", "string: bare user or group id";
        kTIMMsgConvType = "message_conv_type", "uint enum TIMConvType";
        kTIMMsgSender = "message_sender", "string";
        kTIMMsgPriority = "message_priority", "uint enum TIMMsgPriority";
        kTIMMsgClientTime = "message_client_time", "uint64, seconds";
        kTIMMsgServerTime = "message_server_time", "uint64, seconds";
        kTIMMsgIsFormSelf = "message_is_from_self", "bool (the vendor's macro name is misspelled)";
        kTIMMsgPlatform = "message_platform", "uint enum TIMPlatform";
        kTIMMsgIsRead = "message_is_read", "bool";
        kTIMMsgIsOnlineMsg = "message_is_online_msg", "bool";
        kTIMMsgIsPeerRead = "message_is_peer_read", "bool";
        kTIMMsgStatus = "message_status", "uint enum TIMMsgStatus";
        kTIMMsgUniqueId = "message_unique_id", "uint64";
        kTIMMsgMsgId = "message_msg_id", "string";
        kTIMMsgRand = "message_rand", "uint64";
        kTIMMsgSeq = "message_seq", "uint64";
        kTIMMsgCustomInt = "message_custom_int", "uint32, local only";
        kTIMMsgCustomStr = "message_custom_str", "string, local only";
        kTIMMsgCloudCustomStr = "message_cloud_custom_str", "string";
        kTIMMsgSenderProfile = "message_sender_profile", "object UserProfile";
        kTIMMsgGroupAtUserArray = "message_group_at_user_array", "array string";
        kTIMMsgExcludedFromLastMessage = "message_excluded_from_last_message", "bool";
        kTIMMsgIsExcludedFromUnreadCount = "message_is_excluded_from_unread_count", "bool";
        kImSDK_MessageAtALL = "__kImSDK_MessageAtALL__", "the user id that stands for everyone in message_group_at_user_array";
        // Elem
        kTIMElemType = "elem_type", "uint enum TIMElemType";
        kTIMTextElemContent = "text_elem_content", "string";
        kTIMCustomElemData = "custom_elem_data", "string";
        kTIMCustomElemDesc = "custom_elem_desc", "string";
        kTIMCustomElemExt = "custom_elem_ext", "string";
        kTIMCustomElemSound = "custom_elem_sound", "string";
        kTIMFaceElemIndex = "face_elem_index", "int";
        kTIMFaceElemBuf = "face_elem_buf", "string";
        // GetC2CRecvMsgOptResult
        kTIMMsgGetC2CRecvMsgOptResultIdentifier = "msg_recv_msg_opt_result_identifier", "string: user id";
        kTIMMsgGetC2CRecvMsgOptResultOpt = "msg_recv_msg_opt_result_opt", "uint enum TIMReceiveMessageOpt";
    }
}
