// The conversation API used the way the vendor's C++ users write it: jsoncpp
// (Json::Value, Json::Reader, Json::CharReaderBuilder), the kTIM... key
// macros, captureless lambdas as callbacks, qualified TIMConvType::
// enumerators, and toStyledString().c_str() as the draft parameter.
//
// C++11. Prints "N passed, N failed" as its last line; exits 1 on failure.

#include <json/json.h>

#include <TIMCloud.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

#include "expect.h"

// One answer from the SDK, copied inside the callback.
struct Answer {
    bool is_event;
    int code;  // callback code, or the TIMConvEvent
    std::string desc;
    std::string json;
    std::thread::id thread;
};

// What a vendor sample calls a "callback context": the object passed as
// user_data, on which the callbacks report.
class Inbox {
public:
    void Push(Answer a) {
        std::lock_guard<std::mutex> lock(mutex_);
        answers_.push_back(std::move(a));
        cond_.notify_all();
    }
    // Waits for `n` answers and takes them.
    bool Take(size_t n, std::vector<Answer>* out) {
        std::unique_lock<std::mutex> lock(mutex_);
        bool ok = cond_.wait_for(lock, std::chrono::seconds(60), [&] { return answers_.size() >= n; });
        if (!ok) return false;
        out->assign(answers_.begin(), answers_.begin() + static_cast<std::ptrdiff_t>(n));
        answers_.erase(answers_.begin(), answers_.begin() + static_cast<std::ptrdiff_t>(n));
        return true;
    }
    size_t Pending() {
        std::lock_guard<std::mutex> lock(mutex_);
        return answers_.size();
    }

private:
    std::mutex mutex_;
    std::condition_variable cond_;
    std::deque<Answer> answers_;
};

Inbox g_inbox;

// Callbacks as captureless lambdas, converted to the C function pointer types.
const TIMCommCallback kOnResult = [](int32_t code, const char* desc, const char* json_params,
                                     const void* user_data) {
    Inbox* inbox = (Inbox*)user_data;  // vendor samples cast user_data back to their context
    inbox->Push(Answer{false, code, desc, json_params, std::this_thread::get_id()});
};

const TIMConvEventCallback kOnConvEvent = [](TIMConvEvent conv_event, const char* json_conv_array,
                                             const void* user_data) {
    Inbox* inbox = (Inbox*)user_data;
    inbox->Push(Answer{true, conv_event, "", json_conv_array, std::this_thread::get_id()});
};

// Unix seconds from the system clock (CLOCK_REALTIME, as the library reads
// it; std::time() reads a coarse clock that can lag behind by a tick).
Json::UInt64 NowSecs() {
    return static_cast<Json::UInt64>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

bool Parse(const std::string& text, Json::Value* out) {
    Json::Reader reader;  // the classic API the vendor samples use
    return reader.parse(text, *out, false);
}

bool ParseStrict(const std::string& text, Json::Value* out) {
    Json::CharReaderBuilder builder;
    Json::Value settings;
    Json::CharReaderBuilder::strictMode(&settings);
    builder.settings_ = settings;
    std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
    std::string errors;
    return reader->parse(text.data(), text.data() + text.size(), out, &errors);
}

// Asks for the list and returns it parsed (nothing else must be pending).
Json::Value GetConvList() {
    Json::Value list;
    int ret = TIMConvGetConvList(kOnResult, &g_inbox);
    EXPECT(ret == TIM_SUCC, "TIMConvGetConvList returns TIM_SUCC");
    std::vector<Answer> got;
    if (ret != TIM_SUCC || !g_inbox.Take(1, &got)) {
        EXPECT(false, "list callback arrived");
        return list;
    }
    EXPECT(!got[0].is_event && got[0].code == ERR_SUCC, "list callback, code ERR_SUCC");
    EXPECT(ParseStrict(got[0].json, &list) && list.isArray(), "list is a JSON array: " + got[0].json);
    return list;
}

const Json::Value* FindConv(const Json::Value& list, const std::string& id, TIMConvType type) {
    for (Json::ArrayIndex i = 0; i < list.size(); ++i) {
        const Json::Value& c = list[i];
        if (c[kTIMConvId].asString() == id && c[kTIMConvType].asUInt() == static_cast<unsigned>(type)) return &c;
    }
    return nullptr;
}

std::vector<std::string> Ids(const Json::Value& list) {
    std::vector<std::string> ids;
    for (Json::ArrayIndex i = 0; i < list.size(); ++i)
        ids.push_back(list[i][kTIMConvId].asString() + "/" + list[i][kTIMConvType].asString());
    return ids;
}

// Creates a conversation and checks the Add event (new) or its absence.
Json::Value Create(const std::string& id, TIMConvType type, bool expect_new) {
    Json::Value info;
    int ret = TIMConvCreate(id.c_str(), type, kOnResult, &g_inbox);
    EXPECT(ret == TIM_SUCC, "TIMConvCreate(" + id + ") returns TIM_SUCC");
    if (ret != TIM_SUCC) return info;
    std::vector<Answer> got;
    if (!g_inbox.Take(expect_new ? 2 : 1, &got)) {
        EXPECT(false, "create answers arrived for " + id);
        return info;
    }
    const Answer& result = got.back();
    if (expect_new) {
        Json::Value events;
        EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Add, "kTIMConvEvent_Add before the callback");
        EXPECT(Parse(got[0].json, &events) && events.isArray() && events.size() == 1,
               "Add event carries one ConvInfo");
        EXPECT(events[0][kTIMConvId].asString() == id, "Add event's conv_id");
    }
    EXPECT(!result.is_event && result.code == ERR_SUCC && result.desc.empty(), "create callback: ERR_SUCC, \"\"");
    EXPECT(result.thread != std::this_thread::get_id(), "callback not on the calling thread");
    EXPECT(Parse(result.json, &info) && info.isObject(), "create callback carries a ConvInfo object");
    EXPECT(info[kTIMConvId].asString() == id, "conv_id is " + id);
    EXPECT(info[kTIMConvType].asInt() == type, "conv_type");
    EXPECT(info[kTIMConvShowName].asString() == id, "conv_show_name is the id");
    EXPECT(info[kTIMConvOwner].isString() && info[kTIMConvOwner].asString().empty(), "conv_owner \"\"");
    EXPECT(info[kTIMConvActiveTime].isUInt64() && info[kTIMConvActiveTime].asUInt64() > 0, "conv_active_time");
    EXPECT(info[kTIMConvUnReadNum].isUInt64() && info[kTIMConvUnReadNum].asUInt64() == 0, "conv_unread_num 0");
    EXPECT(info[kTIMConvIsHasLastMsg].isBool() && !info[kTIMConvIsHasLastMsg].asBool(), "no last message");
    EXPECT(info[kTIMConvIsPinned].isBool() && !info[kTIMConvIsPinned].asBool(), "not pinned");
    EXPECT(info[kTIMConvRecvOpt].isUInt() && info[kTIMConvRecvOpt].asUInt() == kTIMRecvMsgOpt_Receive,
           "conv_recv_opt");
    EXPECT(info[kTIMConvMarkArray].isArray() && info[kTIMConvMarkArray].empty(), "conv_mark_array []");
    EXPECT(info[kTIMConvConversationGroupArray].isArray(), "conv_conversation_group_array");
    EXPECT(info[kTIMConvGroupAtInfoArray].isArray(), "conv_group_at_info_array");
    EXPECT(info[kTIMConvCustomData].isString(), "conv_custom_data");
    EXPECT(info[kTIMConvFaceUrl].isString(), "conv_face_url");
    return info;
}

// The vendor's draft sample, built with Json::Value and the key macros.
Json::Value MakeDraft(const std::string& text, Json::UInt64 edit_time) {
    Json::Value json_value_text;
    json_value_text[kTIMElemType] = kTIMElem_Text;
    json_value_text[kTIMTextElemContent] = text;

    Json::Value json_value_msg;
    json_value_msg[kTIMMsgElemArray].append(json_value_text);

    Json::Value json_value_draft;
    json_value_draft[kTIMDraftMsg] = json_value_msg;
    json_value_draft[kTIMDraftUserDefine] = "this is userdefine";
    json_value_draft[kTIMDraftEditTime] = edit_time;
    return json_value_draft;
}

// Takes the one Update event a synchronous draft call fires.
Json::Value TakeUpdate(const std::string& what) {
    Json::Value events;
    std::vector<Answer> got;
    if (!g_inbox.Take(1, &got)) {
        EXPECT(false, what + ": Update event arrived");
        return events;
    }
    EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Update, what + ": kTIMConvEvent_Update");
    EXPECT(ParseStrict(got[0].json, &events) && events.isArray() && events.size() == 1,
           what + ": one ConvInfo in the Update");
    return events;
}

void TestCreateAndList() {
    const Json::Value list0 = GetConvList();
    EXPECT(list0.empty(), "fresh process: empty list");

    Json::Value c2c = Create("user2", TIMConvType::kTIMConv_C2C, true);
    Json::Value group = Create("user2", TIMConvType::kTIMConv_Group, true);
    Create("group_chat_1", TIMConvType::kTIMConv_Group, true);
    Create(u8"\u4e2d\u6587\u7528\u6237", TIMConvType::kTIMConv_C2C, true);
    Json::Value again = Create("user2", TIMConvType::kTIMConv_C2C, false);
    EXPECT(again == c2c, "creating an existing conversation returns the same ConvInfo");
    EXPECT(g_inbox.Pending() == 0, "no stray event after creating an existing conversation");
    EXPECT(group[kTIMConvActiveTime].asUInt64() > c2c[kTIMConvActiveTime].asUInt64(),
           "later conversation, larger conv_active_time");

    Json::Value list = GetConvList();
    EXPECT(list.size() == 4, "four conversations listed");
    std::vector<std::string> order = Ids(list);
    std::vector<std::string> want = {u8"\u4e2d\u6587\u7528\u6237/1", "group_chat_1/2", "user2/2", "user2/1"};
    EXPECT(order == want, "most recently created first");

    // Sorting by conv_active_time (UInt64), descending, gives the list order.
    std::vector<Json::Value> items(list.begin(), list.end());
    std::stable_sort(items.begin(), items.end(), [](const Json::Value& a, const Json::Value& b) {
        return a[kTIMConvActiveTime].asUInt64() > b[kTIMConvActiveTime].asUInt64();
    });
    bool same = items.size() == list.size();
    for (size_t i = 0; same && i < items.size(); ++i) same = items[i] == list[static_cast<Json::ArrayIndex>(i)];
    EXPECT(same, "sort by conv_active_time descending == list order");
    for (Json::ArrayIndex i = 1; i < list.size(); ++i)
        EXPECT(list[i - 1][kTIMConvActiveTime].asUInt64() > list[i][kTIMConvActiveTime].asUInt64(),
               "conv_active_time strictly decreasing along the list");
}

void TestDraft() {
    // 2^53 + 1: not representable as a double; must come back exactly.
    const Json::UInt64 big = (Json::UInt64(1) << 53) + 1;
    Json::Value draft = MakeDraft("this draft", big);
    std::string param = draft.toStyledString();
    int ret = TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C, draft.toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, "TIMConvSetDraft returns TIM_SUCC");
    Json::Value events = TakeUpdate("SetDraft");

    // Parsed with the same reader as the answers: Json::Reader and
    // Json::CharReader give 2^53+1 different value types, and == compares types.
    Json::Value expected;
    EXPECT(ParseStrict(param, &expected), "our own styled draft parses");
    const Json::Value& ev_draft = events[0][kTIMConvDraft];
    EXPECT(events[0][kTIMConvIsHasDraft].asBool(), "Update: conv_is_has_draft");
    EXPECT(ev_draft == expected, "Update: conv_draft equals the draft given");

    Json::Value list = GetConvList();
    EXPECT(list[0][kTIMConvId].asString() == "user2" && list[0][kTIMConvType].asInt() == kTIMConv_C2C,
           "SetDraft moves the conversation to the top");
    const Json::Value* conv = FindConv(list, "user2", TIMConvType::kTIMConv_C2C);
    EXPECT(conv != nullptr, "drafted conversation listed");
    if (!conv) return;
    const Json::Value& d = (*conv)[kTIMConvDraft];
    EXPECT(d == expected, "listed conv_draft equals the draft given");
    EXPECT(d[kTIMDraftEditTime].isUInt64() && d[kTIMDraftEditTime].asUInt64() == big,
           "draft_edit_time 2^53+1 round-trips exactly");
    EXPECT(d[kTIMDraftUserDefine].asString() == "this is userdefine", "draft_user_define");
    EXPECT(d[kTIMDraftMsg][kTIMMsgElemArray][0][kTIMElemType].asInt() == kTIMElem_Text, "elem_type text");
    EXPECT(d[kTIMDraftMsg][kTIMMsgElemArray][0][kTIMTextElemContent].asString() == "this draft", "draft text");
    EXPECT((*conv)[kTIMConvActiveTime].asUInt64() == events[0][kTIMConvActiveTime].asUInt64(),
           "event and list agree on conv_active_time");

    // The largest uint64, and the time filled in when absent.
    Json::Value max_draft = MakeDraft("max", Json::UInt64(18446744073709551615ULL));
    ret = TIMConvSetDraft("user2", TIMConvType::kTIMConv_Group, max_draft.toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, "SetDraft with UINT64_MAX edit time");
    events = TakeUpdate("SetDraft max");
    EXPECT(events[0][kTIMConvDraft][kTIMDraftEditTime].asUInt64() == 18446744073709551615ULL,
           "draft_edit_time UINT64_MAX exact");

    Json::Value no_time = MakeDraft("now", 0);
    no_time.removeMember(kTIMDraftEditTime);
    Json::UInt64 before = NowSecs();
    ret = TIMConvSetDraft("group_chat_1", TIMConvType::kTIMConv_Group, no_time.toStyledString().c_str());
    Json::UInt64 after = NowSecs();
    EXPECT(ret == TIM_SUCC, "SetDraft without draft_edit_time");
    events = TakeUpdate("SetDraft now");
    Json::UInt64 t = events[0][kTIMConvDraft][kTIMDraftEditTime].asUInt64();
    EXPECT(t >= before && t <= after, "absent draft_edit_time becomes now");

    // Cancel: Update without the draft, same place in the list.
    Json::Value before_cancel = GetConvList();
    ret = TIMConvCancelDraft("user2", TIMConvType::kTIMConv_C2C);
    EXPECT(ret == TIM_SUCC, "TIMConvCancelDraft returns TIM_SUCC");
    events = TakeUpdate("CancelDraft");
    EXPECT(!events[0][kTIMConvIsHasDraft].asBool() && !events[0].isMember(kTIMConvDraft), "draft removed");
    Json::Value after_cancel = GetConvList();
    EXPECT(Ids(before_cancel) == Ids(after_cancel), "CancelDraft does not reorder");
    ret = TIMConvCancelDraft("user2", TIMConvType::kTIMConv_C2C);
    EXPECT(ret == TIM_SUCC, "CancelDraft again: TIM_SUCC");
    GetConvList();  // the list answer is the next thing: no event came before it
    EXPECT(g_inbox.Pending() == 0, "CancelDraft without a draft fires nothing");
}

void TestErrors() {
    Json::Value list_before = GetConvList();
    std::string styled = MakeDraft("x", 1).toStyledString();

    EXPECT(TIMConvCreate(nullptr, TIMConvType::kTIMConv_C2C, kOnResult, &g_inbox) == TIM_ERR_PARAM,
           "Create(NULL): TIM_ERR_PARAM");
    EXPECT(TIMConvCreate("", TIMConvType::kTIMConv_C2C, kOnResult, &g_inbox) == TIM_ERR_PARAM,
           "Create(\"\"): TIM_ERR_PARAM");
    EXPECT(TIMConvCreate("sys", TIMConvType::kTIMConv_System, kOnResult, &g_inbox) == TIM_ERR_PARAM,
           "Create(kTIMConv_System): TIM_ERR_PARAM");
    EXPECT(TIMConvCreate("inv", TIMConvType::kTIMConv_Invalid, kOnResult, &g_inbox) == TIM_ERR_PARAM,
           "Create(kTIMConv_Invalid): TIM_ERR_PARAM");
    EXPECT(TIMConvCreate("x", static_cast<TIMConvType>(99), kOnResult, &g_inbox) == TIM_ERR_PARAM,
           "Create(type 99): TIM_ERR_PARAM");
    EXPECT(TIMConvDelete(std::string(129, 'a').c_str(), TIMConvType::kTIMConv_C2C, kOnResult, &g_inbox) ==
               TIM_ERR_PARAM,
           "Delete(129-byte id): TIM_ERR_PARAM");
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C, nullptr) == TIM_ERR_PARAM,
           "SetDraft(NULL json): TIM_ERR_PARAM");
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C,
                           Json::Value(Json::arrayValue).toStyledString().c_str()) == TIM_ERR_JSON,
           "SetDraft([]): TIM_ERR_JSON");
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C,
                           Json::Value(Json::objectValue).toStyledString().c_str()) == TIM_ERR_JSON,
           "SetDraft({}): TIM_ERR_JSON");
    Json::Value wrong = MakeDraft("x", 1);
    wrong[kTIMDraftEditTime] = "yesterday";
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C, wrong.toStyledString().c_str()) == TIM_ERR_JSON,
           "SetDraft(string edit time): TIM_ERR_JSON");
    wrong = MakeDraft("x", 1);
    wrong[kTIMDraftEditTime] = Json::Int64(-5);
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C, wrong.toStyledString().c_str()) == TIM_ERR_JSON,
           "SetDraft(negative edit time): TIM_ERR_JSON");
    wrong = MakeDraft("x", 1);
    wrong[kTIMDraftMsg].removeMember(kTIMMsgElemArray);
    EXPECT(TIMConvSetDraft("user2", TIMConvType::kTIMConv_C2C, wrong.toStyledString().c_str()) == TIM_ERR_JSON,
           "SetDraft(no message_elem_array): TIM_ERR_JSON");
    EXPECT(TIMConvSetDraft("nobody", TIMConvType::kTIMConv_C2C, styled.c_str()) == TIM_ERR_CONV,
           "SetDraft(missing conversation): TIM_ERR_CONV");
    EXPECT(TIMConvSetDraft("nobody", TIMConvType::kTIMConv_C2C, "{") == TIM_ERR_JSON,
           "SetDraft(missing conversation, bad json): TIM_ERR_JSON first");
    EXPECT(TIMConvCancelDraft("nobody", TIMConvType::kTIMConv_Group) == TIM_ERR_CONV,
           "CancelDraft(missing conversation): TIM_ERR_CONV");

    Json::Value list_after = GetConvList();  // its answer must be the only one
    EXPECT(list_after == list_before, "refused calls changed nothing");
    EXPECT(g_inbox.Pending() == 0, "refused calls called nothing back");
}

void TestDelete() {
    int ret = TIMConvDelete("user2", TIMConvType::kTIMConv_C2C, kOnResult, &g_inbox);
    EXPECT(ret == TIM_SUCC, "TIMConvDelete returns TIM_SUCC");
    std::vector<Answer> got;
    EXPECT(g_inbox.Take(2, &got), "delete: event and callback");
    if (got.size() == 2) {
        Json::Value events;
        EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Del, "kTIMConvEvent_Del first");
        EXPECT(Parse(got[0].json, &events) && events.size() == 1 && events[0][kTIMConvId].asString() == "user2" &&
                   events[0][kTIMConvType].asInt() == kTIMConv_C2C,
               "Del event: the deleted ConvInfo");
        EXPECT(!got[1].is_event && got[1].code == ERR_SUCC && got[1].json.empty() && got[1].desc.empty(),
               "delete callback: ERR_SUCC with \"\"");
        EXPECT(got[0].thread == got[1].thread && got[0].thread != std::this_thread::get_id(),
               "callbacks on one library thread, not the caller's");
    }
    Json::Value list = GetConvList();
    EXPECT(FindConv(list, "user2", TIMConvType::kTIMConv_C2C) == nullptr, "deleted conversation gone");
    EXPECT(FindConv(list, "user2", TIMConvType::kTIMConv_Group) != nullptr, "its group twin stays");

    ret = TIMConvDelete("user2", TIMConvType::kTIMConv_C2C, kOnResult, &g_inbox);
    EXPECT(ret == TIM_SUCC, "deleting a missing conversation returns TIM_SUCC");
    EXPECT(g_inbox.Take(1, &got), "missing: one callback");
    EXPECT(!got.empty() && !got[0].is_event && got[0].code == ERR_INVALID_CONVERSATION,
           "missing: ERR_INVALID_CONVERSATION");

    // Delete everything else, checking each Del event.
    for (Json::ArrayIndex i = 0; i < list.size(); ++i) {
        std::string id = list[i][kTIMConvId].asString();
        TIMConvType type = static_cast<TIMConvType>(list[i][kTIMConvType].asInt());
        if (id == "user2" && type == TIMConvType::kTIMConv_C2C) continue;
        EXPECT(TIMConvDelete(id.c_str(), type, kOnResult, &g_inbox) == TIM_SUCC, "delete " + id);
        std::vector<Answer> two;
        EXPECT(g_inbox.Take(2, &two) && two[0].is_event && two[0].code == kTIMConvEvent_Del && !two[1].is_event &&
                   two[1].code == ERR_SUCC,
               "delete " + id + ": Del then ERR_SUCC");
    }
    EXPECT(GetConvList().empty(), "everything deleted");
}

}  // namespace

int main() {
    TIMSetConvEventCallback(kOnConvEvent, &g_inbox);
    TestCreateAndList();
    TestDraft();
    TestErrors();
    TestDelete();
    TIMSetConvEventCallback(nullptr, nullptr);
    EXPECT(g_inbox.Pending() == 0, "nothing left unread");
    std::printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
