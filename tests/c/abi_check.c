/* ABI check: the committed headers against the vendor's declarations.
 *
 * Compiled as C11 and as C++11 (with -Wall -Wextra -Werror -pedantic). After
 * including TIMCloud.h, the vendor's typedefs and prototypes are declared
 * again exactly as the vendor writes them (vendor-api.md §1.2, §1.3, §3.1,
 * §3.2, §3.4), once with TIM_API and once with TIM_DECL: a typedef
 * redefinition with another type, or a conflicting declaration of a C
 * function, is a compile error. Enum values and key strings are checked with
 * static assertions; key strings are also compared at run time.
 *
 * Run, it prints "N passed, N failed" and exits non-zero on a mismatch. */

#include "TIMCloud.h"

#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
#include <type_traits>
#define SA(cond, msg) static_assert(cond, msg);
#else
#define SA(cond, msg) _Static_assert(cond, msg);
#endif

/* ---- Vendor declarations, verbatim (8.6) -------------------------------- */

typedef void (*TIMCommCallback)(int32_t code, const char* desc, const char* json_params, const void* user_data);
typedef void (*TIMConvEventCallback)(enum TIMConvEvent conv_event, const char* json_conv_array, const void* user_data);

#ifdef __cplusplus
extern "C" {
#endif

TIM_API void TIMSetConvEventCallback(TIMConvEventCallback cb, const void* user_data);
TIM_API int TIMConvGetConvList(TIMCommCallback cb, const void* user_data);
TIM_API int TIMConvDelete(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);
TIM_API int TIMConvSetDraft(const char* conv_id, enum TIMConvType conv_type, const char* json_draft_param);
TIM_API int TIMConvCancelDraft(const char* conv_id, enum TIMConvType conv_type);
TIM_API int TIMConvCreate(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);

/* The same with the older export macro. */
#ifndef TIM_DECL
#error "TIM_DECL is not defined by the headers"
#endif
TIM_DECL void TIMSetConvEventCallback(TIMConvEventCallback cb, const void* user_data);
TIM_DECL int TIMConvGetConvList(TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMConvDelete(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMConvSetDraft(const char* conv_id, enum TIMConvType conv_type, const char* json_draft_param);
TIM_DECL int TIMConvCancelDraft(const char* conv_id, enum TIMConvType conv_type);
TIM_DECL int TIMConvCreate(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);

#ifdef __cplusplus
}  /* extern "C" */
#endif

/* ---- Exact function types ----------------------------------------------- */

typedef int (*create_like_t)(const char*, enum TIMConvType, TIMCommCallback, const void*);
typedef int (*list_t)(TIMCommCallback, const void*);
typedef int (*set_draft_t)(const char*, enum TIMConvType, const char*);
typedef int (*cancel_draft_t)(const char*, enum TIMConvType);
typedef void (*set_event_cb_t)(TIMConvEventCallback, const void*);
typedef void (*comm_cb_t)(int32_t, const char*, const char*, const void*);
typedef void (*event_cb_t)(enum TIMConvEvent, const char*, const void*);

#ifdef __cplusplus
#define SAME_TYPE(expr, T) (std::is_same<decltype(expr), T>::value)
#else
#define SAME_TYPE(expr, T) _Generic((expr), T: 1, default: 0)
#endif

SA(SAME_TYPE(&TIMConvCreate, create_like_t), "TIMConvCreate prototype")
SA(SAME_TYPE(&TIMConvDelete, create_like_t), "TIMConvDelete prototype")
SA(SAME_TYPE(&TIMConvGetConvList, list_t), "TIMConvGetConvList prototype")
SA(SAME_TYPE(&TIMConvSetDraft, set_draft_t), "TIMConvSetDraft prototype")
SA(SAME_TYPE(&TIMConvCancelDraft, cancel_draft_t), "TIMConvCancelDraft prototype")
SA(SAME_TYPE(&TIMSetConvEventCallback, set_event_cb_t), "TIMSetConvEventCallback prototype")
SA(SAME_TYPE((TIMCommCallback)0, comm_cb_t), "TIMCommCallback type")
SA(SAME_TYPE((TIMConvEventCallback)0, event_cb_t), "TIMConvEventCallback type")

/* Enums are int-sized, as in the vendor's C ABI. */
SA(sizeof(enum TIMResult) == sizeof(int), "TIMResult is int-sized")
SA(sizeof(enum TIMConvType) == sizeof(int), "TIMConvType is int-sized")
SA(sizeof(enum TIMConvEvent) == sizeof(int), "TIMConvEvent is int-sized")
SA(sizeof(enum TIMErrCode) == sizeof(int), "TIMErrCode is int-sized")
SA(sizeof(enum TIMElemType) == sizeof(int), "TIMElemType is int-sized")

/* ---- Enum values (vendor-api.md §2, §6) --------------------------------- */

#define ENUM_VALUES(X) \
    X(TIM_SUCC, 0) X(TIM_ERR_SDKUNINIT, -1) X(TIM_ERR_NOTLOGIN, -2) X(TIM_ERR_JSON, -3) \
    X(TIM_ERR_PARAM, -4) X(TIM_ERR_CONV, -5) X(TIM_ERR_GROUP, -6) \
    X(kTIMConv_Invalid, 0) X(kTIMConv_C2C, 1) X(kTIMConv_Group, 2) X(kTIMConv_System, 3) \
    X(kTIMConvEvent_Add, 0) X(kTIMConvEvent_Del, 1) X(kTIMConvEvent_Update, 2) \
    X(kTIMConvEvent_Start, 3) X(kTIMConvEvent_Finish, 4) \
    X(kTIMConversationMarkTypeStar, 1) X(kTIMConversationMarkTypeUnread, 2) \
    X(kTIMConversationMarkTypeFold, 4) X(kTIMConversationMarkTypeHide, 8) \
    X(kTIMGroup_At_Me, 1) X(kTIMGroup_At_All, 2) X(kTIMGroup_At_All_At_ME, 3) \
    X(kTIMRecvMsgOpt_Receive, 0) X(kTIMRecvMsgOpt_Not_Receive, 1) X(kTIMRecvMsgOpt_Not_Notify, 2) \
    X(kTIMRecvMsgOpt_Not_Notify_Except_At, 3) X(kTIMRecvMsgOpt_Not_Receive_Except_At, 4) \
    X(kTIMElem_Text, 0) X(kTIMElem_Image, 1) X(kTIMElem_Sound, 2) X(kTIMElem_Custom, 3) \
    X(kTIMElem_File, 4) X(kTIMElem_GroupTips, 5) X(kTIMElem_Face, 6) X(kTIMElem_Location, 7) \
    X(kTIMElem_GroupReport, 8) X(kTIMElem_Video, 9) X(kTIMElem_FriendChange, 10) \
    X(kTIMElem_ProfileChange, 11) X(kTIMElem_Merge, 12) X(kTIMElem_Invalid, -1) \
    X(kTIMMsg_Sending, 1) X(kTIMMsg_SendSucc, 2) X(kTIMMsg_SendFail, 3) X(kTIMMsg_Deleted, 4) \
    X(kTIMMsg_LocalImported, 5) X(kTIMMsg_Revoked, 6) X(kTIMMsg_Cancel, 7) \
    X(kTIMMsgPriority_High, 0) X(kTIMMsgPriority_Normal, 1) X(kTIMMsgPriority_Low, 2) \
    X(kTIMMsgPriority_Lowest, 3) \
    X(kTIMPlatform_Other, 0) X(kTIMPlatform_Windows, 1) X(kTIMPlatform_Android, 2) \
    X(kTIMPlatform_IOS, 3) X(kTIMPlatform_Mac, 4) X(kTIMPlatform_Simulator, 5) \
    X(ERR_SUCC, 0) X(ERR_INVALID_CONVERSATION, 6004) X(ERR_LOADMSG_FAILED, 6005) \
    X(ERR_SDK_NOT_INITIALIZED, 6013) X(ERR_SDK_NOT_LOGGED_IN, 6014) X(ERR_IN_PROGESS, 6015) \
    X(ERR_INVALID_PARAMETERS, 6017) X(ERR_DATABASE_OPERATE_FAILED, 6019) \
    X(ERR_IO_OPERATION_FAILED, 6022) X(ERR_NO_PREVIOUS_LOGIN, 6026) X(ERR_INVALID_JSON, 6027) \
    X(ERR_OUT_OF_MEMORY, 6028) X(ERR_USER_SIG_EXPIRED, 6206) X(ERR_LOGIN_KICKED_OFF_BY_OTHER, 6208) \
    X(ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT, 7008) X(ERR_SDK_COMM_INTERRUPT, 7009) \
    X(ERR_SDK_COMM_DATABASE_FAILURE, 7010) X(ERR_SDK_COMM_DATABASE_NOTFOUND, 7011) \
    X(ERR_SDK_INTERNAL_ERROR, 7012) X(ERR_SDK_INTERFACE_NOT_SUPPORT, 7013) \
    X(ERR_SDK_INVALID_OPERATION, 7014) X(ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS, 7501) \
    X(ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS, 7502) X(ERR_SDK_NET_DISCONNECT, 9508) \
    X(ERR_SDK_NET_WAIT_ACK_TIMEOUT, 9520) \
    X(ERR_SVR_CONV_ACCOUNT_NOT_FOUND, 50001) X(ERR_SVR_CONV_INVALID_PARAMETERS, 50002) \
    X(ERR_SVR_CONV_ADMIN_REQUIRED, 50003) X(ERR_SVR_CONV_INTERNAL_ERROR, 50004) \
    X(ERR_SVR_CONV_NET_TIMEOUT, 50005) X(ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, 51006) \
    X(ERR_SVR_CONV_CONV_MARK_OPERATE_FAILED, 51007) \
    X(ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT, 51008) \
    X(ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, 51009) \
    X(ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT, 51010) \
    X(ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH, 51011) X(ERR_SVR_ACCOUNT_USERSIG_EXPIRED, 70001)

#define ENUM_SA(name, value) SA((name) == (value), #name " == " #value)
ENUM_VALUES(ENUM_SA)

/* Enumerators name the right enum type (C++: the type itself; C: usable as it). */
#ifdef __cplusplus
SA((std::is_same<decltype(kTIMConv_C2C), TIMConvType>::value), "kTIMConv_C2C is a TIMConvType")
SA((std::is_same<decltype(TIM_SUCC), TIMResult>::value), "TIM_SUCC is a TIMResult")
SA((std::is_same<decltype(kTIMConvEvent_Del), TIMConvEvent>::value), "kTIMConvEvent_Del is a TIMConvEvent")
SA((std::is_same<decltype(ERR_INVALID_CONVERSATION), TIMErrCode>::value), "6004 is a TIMErrCode")
SA((TIMConvType::kTIMConv_Group == 2), "qualified enumerator")
#endif

/* ---- JSON key strings (vendor-api.md §4) -------------------------------- */

#define KEYS(X) \
    X(kTIMConvId, "conv_id") X(kTIMConvType, "conv_type") X(kTIMConvOwner, "conv_owner") \
    X(kTIMConvUnReadNum, "conv_unread_num") X(kTIMConvActiveTime, "conv_active_time") \
    X(kTIMConvIsHasLastMsg, "conv_is_has_lastmsg") X(kTIMConvLastMsg, "conv_last_msg") \
    X(kTIMConvIsHasDraft, "conv_is_has_draft") X(kTIMConvDraft, "conv_draft") \
    X(kTIMConvRecvOpt, "conv_recv_opt") X(kTIMConvGroupAtInfoArray, "conv_group_at_info_array") \
    X(kTIMConvIsPinned, "conv_is_pinned") X(kTIMConvShowName, "conv_show_name") \
    X(kTIMConvMarkArray, "conv_mark_array") X(kTIMConvCustomData, "conv_custom_data") \
    X(kTIMConvConversationGroupArray, "conv_conversation_group_array") \
    X(kTIMConvC2CReadTimestamp, "conv_c2c_read_timestamp") \
    X(kTIMConvGroupReadSequence, "conv_group_read_sequence") X(kTIMConvFaceUrl, "conv_face_url") \
    X(kTIMConvGroupType, "conv_group_type") \
    X(kTIMDraftMsg, "draft_msg") X(kTIMDraftUserDefine, "draft_user_define") \
    X(kTIMDraftEditTime, "draft_edit_time") \
    X(kTIMGroupAtInfoSeq, "conv_group_at_info_seq") X(kTIMGroupAtInfoAtType, "conv_group_at_info_at_type") \
    X(kTIMGetConversationListParamConvId, "get_conversation_list_param_conv_id") \
    X(kTIMGetConversationListParamConvType, "get_conversation_list_param_conv_type") \
    X(kTIMConversationListFilterConvType, "conversation_list_filter_conv_type") \
    X(kTIMConversationListFilterConversationGroup, "conversation_list_filter_conversation_group") \
    X(kTIMConversationListFilterMarkType, "conversation_list_filter_mark_type") \
    X(kTIMConversationListFilterHasUnreadCount, "conversation_list_filter_has_unread_count") \
    X(kTIMConversationListFilterHasGroupAtInfo, "conversation_list_filter_has_group_at_info") \
    X(TIMConversationListResultConvList, "conversation_list_result_conv_list") \
    X(TIMConversationListResultNextSeq, "conversation_list_result_next_seq") \
    X(TIMConversationListResultIsFinished, "conversation_list_result_is_finished") \
    X(kTIMConvGetTotalUnreadMessageCountResultUnreadCount, \
      "conv_get_total_unread_message_count_result_unread_count") \
    X(kTIMConversationOperationResultConversationID, "conversation_operation_result_conversation_id") \
    X(kTIMConversationOperationResultResultCode, "conversation_operation_result_result_code") \
    X(kTIMConversationOperationResultResultInfo, "conversation_operation_result_result_info") \
    X(kTIMMsgElemArray, "message_elem_array") X(kTIMMsgConvId, "message_conv_id") \
    X(kTIMMsgConvType, "message_conv_type") X(kTIMMsgSender, "message_sender") \
    X(kTIMMsgPriority, "message_priority") X(kTIMMsgClientTime, "message_client_time") \
    X(kTIMMsgServerTime, "message_server_time") X(kTIMMsgIsFormSelf, "message_is_from_self") \
    X(kTIMMsgPlatform, "message_platform") X(kTIMMsgIsRead, "message_is_read") \
    X(kTIMMsgIsOnlineMsg, "message_is_online_msg") X(kTIMMsgIsPeerRead, "message_is_peer_read") \
    X(kTIMMsgStatus, "message_status") X(kTIMMsgUniqueId, "message_unique_id") \
    X(kTIMMsgMsgId, "message_msg_id") X(kTIMMsgRand, "message_rand") X(kTIMMsgSeq, "message_seq") \
    X(kTIMMsgCustomInt, "message_custom_int") X(kTIMMsgCustomStr, "message_custom_str") \
    X(kTIMMsgCloudCustomStr, "message_cloud_custom_str") X(kTIMMsgSenderProfile, "message_sender_profile") \
    X(kTIMMsgGroupAtUserArray, "message_group_at_user_array") \
    X(kTIMMsgExcludedFromLastMessage, "message_excluded_from_last_message") \
    X(kTIMMsgIsExcludedFromUnreadCount, "message_is_excluded_from_unread_count") \
    X(kImSDK_MessageAtALL, "__kImSDK_MessageAtALL__") \
    X(kTIMElemType, "elem_type") X(kTIMTextElemContent, "text_elem_content") \
    X(kTIMCustomElemData, "custom_elem_data") X(kTIMCustomElemDesc, "custom_elem_desc") \
    X(kTIMCustomElemExt, "custom_elem_ext") X(kTIMCustomElemSound, "custom_elem_sound") \
    X(kTIMFaceElemIndex, "face_elem_index") X(kTIMFaceElemBuf, "face_elem_buf") \
    X(kTIMMsgGetC2CRecvMsgOptResultIdentifier, "msg_recv_msg_opt_result_identifier") \
    X(kTIMMsgGetC2CRecvMsgOptResultOpt, "msg_recv_msg_opt_result_opt")

#ifdef __cplusplus
/* C++11: compare the whole string at compile time. */
constexpr bool streq(const char* a, const char* b) { return *a == *b && (*a == '\0' || streq(a + 1, b + 1)); }
#define KEY_SA(m, s) SA(streq(m, s), #m " is \"" s "\"")
#else
/* C: the length at compile time (the strings are compared at run time). */
#define KEY_SA(m, s) SA(sizeof(m) == sizeof(s), #m " has the length of \"" s "\"")
#endif
KEYS(KEY_SA)

/* TIMCloudComm.h gives C a bool (the vendor's headers use it in prototypes). */
static const bool k_bool_available = true;

struct key_row {
    const char* name;
    const char* got;
    const char* want;
};

#define KEY_ROW(m, s) {#m, m, s},
static const struct key_row k_keys[] = {KEYS(KEY_ROW)};

int main(void) {
    int pass = 0, fail = 0;
    size_t i;
    /* Every function resolves from the library (linking proves the symbol exists). */
    const void* fns[6];
    fns[0] = (const void*)(size_t)&TIMConvCreate;
    fns[1] = (const void*)(size_t)&TIMConvDelete;
    fns[2] = (const void*)(size_t)&TIMConvGetConvList;
    fns[3] = (const void*)(size_t)&TIMConvSetDraft;
    fns[4] = (const void*)(size_t)&TIMConvCancelDraft;
    fns[5] = (const void*)(size_t)&TIMSetConvEventCallback;
    for (i = 0; i < 6; i++) {
        if (fns[i]) pass++;
        else { fail++; fprintf(stderr, "FAIL: function #%u has no address\n", (unsigned)i); }
    }
    for (i = 0; i < sizeof k_keys / sizeof k_keys[0]; i++) {
        if (strcmp(k_keys[i].got, k_keys[i].want) == 0) {
            pass++;
        } else {
            fail++;
            fprintf(stderr, "FAIL: %s is \"%s\", want \"%s\"\n", k_keys[i].name, k_keys[i].got, k_keys[i].want);
        }
    }
    if (k_bool_available) pass++;
    printf("%d passed, %d failed\n", pass, fail);
    return fail ? 1 : 0;
}
