// Conversation state fed by messages, used the way a vendor C++ app writes
// it: TIMMsgImportMsgList and TIMMsgSaveMsg (last message, unread counts,
// @ entries, list order), TIMMsgReportReaded, TIMMsgMarkAllMessageAsRead,
// TIMConvCleanConversationUnreadMessageCount, TIMMsgClearHistoryMessage,
// the receive options (TIMMsgSet/GetC2CReceiveMessageOpt,
// TIMMsgSetGroupReceiveMessageOpt), the unread totals
// (TIMConvGetTotalUnreadMessageCount, TIMConvGetUnreadMessageCountByFilter,
// TIMConvSubscribe/UnsubscribeUnreadMessageCountByFilter and their two
// listeners) and the has_unread_count / has_group_at_info keys of
// TIMConvGetConversationListByFilter. Mostly the embedded default (no
// TIMInit, no logged-in user); then TIMInit + TIMLogin("me") for what needs
// a logged-in user (messages from self, @me), TIMLogout and TIMUninit.
//
// Every function is called with valid input and with invalid input; every
// JSON payload is parsed with jsoncpp (strict mode: a key twice is an
// error). For each accepted call, everything delivered before its own
// callback (conversation events, total-unread and filtered-unread counts)
// is checked exactly, in order. Refused calls are checked to call nothing
// back: a TIMConvGetConversationGroupList issued after them is a barrier
// (callbacks run in order), and nothing may arrive before its answer. Every
// wait has a timeout: a wait that times out is a failure, never a hang.
//
// C++11, jsoncpp, captureless lambdas as callbacks, the kTIM... key macros.
// Prints "messages: N passed, M failed" as its last line; exits 1 on
// failure.

#include <json/json.h>

#include <TIMCloud.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

#include "expect.h"
#include "json_check.h"

const std::chrono::seconds kTimeout(30);  // generous: valgrind is slow
const char* const kAtAll = kImSDK_MessageAtALL;
const TIMConvType kC2C = kTIMConv_C2C;
const TIMConvType kGroup = kTIMConv_Group;
const TIMConvType kSystem = kTIMConv_System;  // a valid enumerator these functions refuse
const TIMConvType kInvalidType = kTIMConv_Invalid;

// What delivered an answer.
enum Kind { kReply, kConvEvent, kTotal, kFilter, kGroupCreated };

// One callback invocation, copied inside the callback.
struct Answer {
    Answer() : kind(kReply), code(0), tag(0) {}
    Answer(Kind k, int c, const void* user_data, const char* d, const char* j, const char* f)
        : kind(k),
          code(c),
          tag(reinterpret_cast<uintptr_t>(user_data)),
          desc(d ? d : "(null)"),
          json(j ? j : "(null)"),
          filter(f ? f : "(null)"),
          thread(std::this_thread::get_id()) {}
    Kind kind;
    int code;            // reply code, the TIMConvEvent, or the count
    uintptr_t tag;       // user_data
    std::string desc;    // reply only
    std::string json;    // reply json_params, or the event's ConvInfo array
    std::string filter;  // filtered-unread: the filter text; group created: the group name
    std::thread::id thread;
};

std::mutex g_mutex;
std::condition_variable g_cond;
std::deque<Answer> g_answers;
std::thread::id g_main_thread;

// user_data of the listeners (per-call tags count up from 1000).
const uintptr_t kEventTag = 9001;
const uintptr_t kTotalTag = 9002;
const uintptr_t kFilterTag = 9003;
const uintptr_t kGroupTag = 9004;
const void* const kRefused = reinterpret_cast<const void*>(uintptr_t(666));

const void* Tag(uintptr_t n) { return reinterpret_cast<const void*>(n); }

uintptr_t g_next_tag = 1000;
uintptr_t NextTag() { return ++g_next_tag; }

void Push(const Answer& a) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_answers.push_back(a);
    g_cond.notify_all();
}

// Callbacks as captureless lambdas converted to the C function pointer types.
const TIMCommCallback kOnResult = [](int32_t code, const char* desc, const char* json_params,
                                     const void* user_data) {
    Push(Answer(kReply, code, user_data, desc, json_params, ""));
};

const TIMConvEventCallback kOnConvEvent = [](TIMConvEvent conv_event, const char* json_conv_array,
                                             const void* user_data) {
    Push(Answer(kConvEvent, conv_event, user_data, "", json_conv_array, ""));
};

const TIMConvTotalUnreadMessageCountChangedCallback kOnTotal = [](int total_unread_count, const void* user_data) {
    Push(Answer(kTotal, total_unread_count, user_data, "", "", ""));
};

const TIMConvTotalUnreadMessageCountChangedByFilterCallback kOnFilter = [](const char* filter,
                                                                           int total_unread_count,
                                                                           const void* user_data) {
    Push(Answer(kFilter, total_unread_count, user_data, "", "", filter));
};

const TIMConvConversationGroupCreatedCallback kOnGroupCreated = [](const char* group_name,
                                                                   const char* conversation_array,
                                                                   const void* user_data) {
    Push(Answer(kGroupCreated, 0, user_data, "", conversation_array, group_name));
};

bool TakeOne(Answer* out) {
    std::unique_lock<std::mutex> lock(g_mutex);
    if (!g_cond.wait_for(lock, kTimeout, [] { return !g_answers.empty(); })) return false;
    *out = g_answers.front();
    g_answers.pop_front();
    return true;
}

size_t Pending() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_answers.size();
}

std::string Describe(const Answer& a) {
    static const char* const kNames[] = {"reply", "conv event", "total unread", "filter unread", "group created"};
    std::string s = std::string(kNames[a.kind]) + " code " + std::to_string(a.code) + " tag " + std::to_string(a.tag);
    if (a.kind == kReply && !a.desc.empty()) s += " desc \"" + a.desc + "\"";
    if (a.kind == kFilter || a.kind == kGroupCreated) s += " " + a.filter;
    if (a.kind == kReply || a.kind == kConvEvent) {
        std::string j = a.json.size() > 400 ? a.json.substr(0, 400) + "..." : a.json;
        s += " json " + j;
    }
    return s;
}

// ConvInfo fields.
Json::UInt64 Unread(const Json::Value& c) { return U64(Get(c, kTIMConvUnReadNum)); }
Json::UInt64 ActiveTime(const Json::Value& c) { return U64(Get(c, kTIMConvActiveTime)); }
unsigned RecvOpt(const Json::Value& c) {
    const Json::Value& v = Get(c, kTIMConvRecvOpt);
    return v.isUInt() ? v.asUInt() : 99;
}
bool Muted(const Json::Value& c) { return RecvOpt(c) >= 1 && RecvOpt(c) <= 3; }
// The unread count a total counts: muted conversations count 0.
Json::UInt64 Counted(const Json::Value& c) { return Muted(c) ? 0 : Unread(c); }

// The text of a message's first element ("<none>" without a message).
std::string MsgText(const Json::Value& m) {
    if (m.isNull()) return "<none>";
    return Text(Get(At(Get(m, kTIMMsgElemArray), 0), kTIMTextElemContent));
}

// The last message's text; "<none>" when conv_is_has_lastmsg is false and
// conv_last_msg absent, "<inconsistent>" when the two disagree.
std::string LastText(const Json::Value& c) {
    const Json::Value& has = Get(c, kTIMConvIsHasLastMsg);
    const Json::Value& last = Get(c, kTIMConvLastMsg);
    if (IsFalse(has) && last.isNull()) return "<none>";
    if (IsTrue(has) && last.isObject()) return MsgText(last);
    return "<inconsistent>";
}

// conv_group_at_info_array as "type@seq type@seq ..." ("<bad>" if malformed).
std::string AtStr(const Json::Value& c) {
    const Json::Value& a = Get(c, kTIMConvGroupAtInfoArray);
    if (!a.isArray()) return "<bad>";
    std::string s;
    for (size_t i = 0; i < a.size(); ++i) {
        const Json::Value& e = At(a, i);
        const Json::Value& t = Get(e, kTIMGroupAtInfoAtType);
        const Json::Value& q = Get(e, kTIMGroupAtInfoSeq);
        if (!t.isUInt() || !q.isUInt64()) return "<bad>";
        s += (i ? " " : "") + std::to_string(t.asUInt()) + "@" + std::to_string(q.asUInt64());
    }
    return s;
}

bool HasUnreadState(const Json::Value& c) { return Unread(c) > 0 || AtStr(c) != ""; }

// The conversations of `list` with unread messages or @ entries (of `type`,
// or any type when kInvalidType).
std::vector<std::string> WithUnreadState(const Json::Value& list, TIMConvType type) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < list.size(); ++i) {
        const Json::Value& c = At(list, i);
        if (type != kInvalidType && Get(c, kTIMConvType).asInt() != type) continue;
        if (HasUnreadState(c)) keys.push_back(Key(c));
    }
    return keys;
}

Json::UInt64 CountedSum(const Json::Value& list, const std::function<bool(const Json::Value&)>& keep) {
    Json::UInt64 n = 0;
    for (size_t i = 0; i < list.size(); ++i)
        if (keep(At(list, i))) n += Counted(At(list, i));
    return n;
}

// ---------------------------------------------------------------------------
// Messages, built as vendor apps build them.

class Msg {
   public:
    explicit Msg(const std::string& text) {
        Json::Value elem;
        elem[kTIMElemType] = kTIMElem_Text;
        elem[kTIMTextElemContent] = text;
        v_[kTIMMsgElemArray].append(elem);
    }
    Msg& Server(Json::UInt64 t) { return Put(kTIMMsgServerTime, t); }
    Msg& Client(Json::UInt64 t) { return Put(kTIMMsgClientTime, t); }
    Msg& Seq(Json::UInt64 s) { return Put(kTIMMsgSeq, s); }
    Msg& Sender(const std::string& s) { return Put(kTIMMsgSender, s); }
    Msg& Self(bool b) { return Put(kTIMMsgIsFormSelf, b); }
    Msg& Read(bool b) { return Put(kTIMMsgIsRead, b); }
    Msg& ExclLast(bool b) { return Put(kTIMMsgExcludedFromLastMessage, b); }
    Msg& ExclUnread(bool b) { return Put(kTIMMsgIsExcludedFromUnreadCount, b); }
    Msg& Id(const std::string& id) { return Put(kTIMMsgMsgId, id); }
    Msg& At(const std::vector<std::string>& users) {
        Json::Value a(Json::arrayValue);
        for (const std::string& u : users) a.append(u);
        return Put(kTIMMsgGroupAtUserArray, a);
    }
    Msg& Put(const char* key, const Json::Value& value) {
        v_[key] = value;
        return *this;
    }
    const Json::Value& json() const { return v_; }
    std::string str() const { return v_.toStyledString(); }

   private:
    Json::Value v_;
};

std::string MsgArray(const std::vector<Msg>& msgs) {
    Json::Value a(Json::arrayValue);
    for (const Msg& m : msgs) a.append(m.json());
    return a.toStyledString();
}

// A message object as text: the element array, then `extra` members.
std::string RawMsg(const std::string& extra) {
    std::string s = "{\"message_elem_array\":[{\"elem_type\":0,\"text_elem_content\":\"raw\"}]";
    if (!extra.empty()) s += "," + extra;
    return s + "}";
}

// Messages that are wrong in one key each (TIM_ERR_JSON).
std::vector<std::pair<std::string, std::string>> BadMessages() {
    std::vector<std::pair<std::string, std::string>> bad;
    bad.push_back({"no message_elem_array", "{\"message_server_time\":5}"});
    bad.push_back({"message_elem_array an object", "{\"message_elem_array\":{}}"});
    bad.push_back({"message_elem_array a string", "{\"message_elem_array\":\"x\"}"});
    bad.push_back({"message_seq -1", RawMsg("\"message_seq\":-1")});
    bad.push_back({"message_seq 1.5", RawMsg("\"message_seq\":1.5")});
    bad.push_back({"message_seq a string", RawMsg("\"message_seq\":\"1\"")});
    bad.push_back({"message_server_time -5", RawMsg("\"message_server_time\":-5")});
    bad.push_back({"message_client_time true", RawMsg("\"message_client_time\":true")});
    bad.push_back({"message_is_from_self a string", RawMsg("\"message_is_from_self\":\"yes\"")});
    bad.push_back({"message_is_read 1", RawMsg("\"message_is_read\":1")});
    bad.push_back({"message_excluded_from_last_message null", RawMsg("\"message_excluded_from_last_message\":null")});
    bad.push_back({"message_is_excluded_from_unread_count 0", RawMsg("\"message_is_excluded_from_unread_count\":0")});
    bad.push_back({"message_sender 5", RawMsg("\"message_sender\":5")});
    bad.push_back({"message_sender null", RawMsg("\"message_sender\":null")});
    bad.push_back({"message_conv_id 7", RawMsg("\"message_conv_id\":7")});
    bad.push_back({"message_conv_type a string", RawMsg("\"message_conv_type\":\"1\"")});
    bad.push_back({"message_msg_id 7", RawMsg("\"message_msg_id\":7")});
    bad.push_back({"message_group_at_user_array a string", RawMsg("\"message_group_at_user_array\":\"me\"")});
    bad.push_back({"message_group_at_user_array [1]", RawMsg("\"message_group_at_user_array\":[1]")});
    bad.push_back({"a key twice", RawMsg("\"message_seq\":1,\"message_seq\":2")});
    bad.push_back({"message_elem_array twice", RawMsg("\"message_elem_array\":[]")});
    bad.push_back({"a key twice, nested",
                   "{\"message_elem_array\":[{\"elem_type\":0,\"elem_type\":0,\"text_elem_content\":\"x\"}]}"});
    bad.push_back({"nested 101 deep", RawMsg("\"deep\":" + std::string(101, '[') + std::string(101, ']'))});
    bad.push_back({"not an object", "5"});
    bad.push_back({"truncated", RawMsg("").substr(0, 30)});
    return bad;
}

// ---------------------------------------------------------------------------
// Calls and their answers.

// An accepted call's answers: what was delivered before its own callback
// (events, counts, and any stray reply), then the callback.
struct Reply {
    Reply() : arrived(false) {}
    bool arrived;
    std::vector<Answer> events;
    Answer reply;
};

Reply Await(const std::string& what, int ret, uintptr_t tag) {
    Reply r;
    EXPECT(ret == TIM_SUCC, what + ": returns TIM_SUCC, got " + std::to_string(ret));
    if (ret != TIM_SUCC) return r;
    for (;;) {
        Answer a;
        if (!TakeOne(&a)) {
            EXPECT(false, what + ": its callback arrived");
            return r;
        }
        EXPECT(a.thread != g_main_thread, what + ": callback not on the calling thread");
        if (a.kind == kReply && a.tag == tag) {
            r.arrived = true;
            r.reply = a;
            return r;
        }
        r.events.push_back(a);
    }
}

// An expected delivery before a call's callback.
struct Ev {
    Kind kind;
    int code;                       // the TIMConvEvent, or the count
    std::vector<std::string> keys;  // conversation events: the conversations listed (any order)
    std::string filter;             // filter counts: the filter text
};

Ev Add(const std::vector<std::string>& keys) { return Ev{kConvEvent, kTIMConvEvent_Add, keys, ""}; }
Ev Upd(const std::vector<std::string>& keys) { return Ev{kConvEvent, kTIMConvEvent_Update, keys, ""}; }
Ev Del(const std::vector<std::string>& keys) { return Ev{kConvEvent, kTIMConvEvent_Del, keys, ""}; }
Ev Total(Json::UInt64 n) { return Ev{kTotal, static_cast<int>(n), {}, ""}; }
Ev Filt(const std::string& filter, Json::UInt64 n) { return Ev{kFilter, static_cast<int>(n), {}, filter}; }
Ev GroupCreated(const std::string& name) { return Ev{kGroupCreated, 0, {}, name}; }

std::string DescribeEv(const Ev& e) {
    switch (e.kind) {
        case kConvEvent: {
            const char* k = e.code == kTIMConvEvent_Add ? "Add" : e.code == kTIMConvEvent_Del ? "Del" : "Update";
            return std::string(k) + " " + Join(e.keys);
        }
        case kTotal:
            return "total " + std::to_string(e.code);
        case kFilter:
            return "filter " + e.filter + " -> " + std::to_string(e.code);
        case kGroupCreated:
            return "group created " + e.filter;
        default:
            return "?";
    }
}

// Exactly `want`, in order, was delivered before the call's callback;
// returns each conversation event's ConvInfo array (null for the others).
std::vector<Json::Value> ExpectEvents(const Reply& r, const std::vector<Ev>& want, const std::string& what) {
    std::vector<Json::Value> arrays(want.size());
    std::string got_s, want_s;
    for (const Answer& a : r.events) got_s += "\n      " + Describe(a);
    for (const Ev& w : want) want_s += "\n      " + DescribeEv(w);
    bool same = r.events.size() == want.size();
    EXPECT(r.arrived && same, what + ": delivered before the callback:" + (want_s.empty() ? " nothing" : want_s) +
                                  "\n    got:" + (got_s.empty() ? " nothing" : got_s));
    if (!same) return arrays;
    for (size_t i = 0; i < want.size(); ++i) {
        const Answer& a = r.events[i];
        const Ev& w = want[i];
        std::string n = what + ": delivery " + std::to_string(i) + " (" + DescribeEv(w) + ")";
        bool kind_ok = a.kind == w.kind && a.code == w.code;
        EXPECT(kind_ok, n + ", got " + Describe(a));
        if (!kind_ok) continue;
        if (w.kind == kConvEvent) {
            EXPECT(a.tag == kEventTag, n + ": the listener's user_data, got " + std::to_string(a.tag));
            Json::Value arr = ParseArray(a.json, n);
            EXPECT(Sorted(Keys(arr)) == Sorted(w.keys), n + ": lists " + Join(Sorted(w.keys)) + ", got " +
                                                            Join(Sorted(Keys(arr))));
            arrays[i] = arr;
        } else if (w.kind == kTotal) {
            EXPECT(a.tag == kTotalTag, n + ": the listener's user_data, got " + std::to_string(a.tag));
        } else if (w.kind == kGroupCreated) {
            EXPECT(a.tag == kGroupTag, n + ": the listener's user_data, got " + std::to_string(a.tag));
            EXPECT(a.filter == w.filter, n + ": the group name, got " + a.filter);
        } else {
            EXPECT(a.tag == kFilterTag, n + ": the listener's user_data, got " + std::to_string(a.tag));
            EXPECT(a.filter == w.filter, n + ": the filter text as subscribed, got " + a.filter);
        }
    }
    return arrays;
}

// The first conversation event's ConvInfo for `key`.
Json::Value InEvent(const std::vector<Json::Value>& arrays, const std::string& key) {
    return arrays.empty() ? Json::Value() : ByKey(arrays[0], key);
}

void ExpectCode(const Reply& r, int code, const std::string& what) {
    EXPECT(r.arrived && r.reply.code == code,
           what + ": callback code " + std::to_string(code) + ", got " + Describe(r.reply));
}

// Callback code `code` and json_params "".
void ExpectEmptyReply(const Reply& r, int code, const std::string& what) {
    ExpectCode(r, code, what);
    EXPECT(r.arrived && r.reply.json.empty(), what + ": json_params \"\", got " + r.reply.json.substr(0, 200));
}

// The barrier: a group-list call; nothing may come before its answer.
void ExpectNothingPending(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what + " (barrier)", TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {}, what + ": nothing called back");
}

// A call refused synchronously: the code, and nothing called back.
void ExpectRefused(const std::string& what, int ret, int want) {
    EXPECT(ret == want, what + ": returns " + std::to_string(want) + ", got " + std::to_string(ret));
    ExpectNothingPending(what);
}

// The deliveries a call made without a callback (cb NULL), up to a barrier.
Reply UpToBarrier(const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what + " (barrier)", TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
}

Json::Value GetList(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what + ": list", TIMConvGetConvList(kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {}, what + ": list");
    ExpectCode(r, ERR_SUCC, what + ": list");
    return r.arrived ? ParseArray(r.reply.json, what + ": list") : Json::Value(Json::arrayValue);
}

// TIMConvGetConvInfo for one conversation: its ConvInfo, or null if missing.
Json::Value GetOne(const std::string& id, TIMConvType type, const std::string& what) {
    Json::Value param(Json::arrayValue);
    Json::Value p;
    p[kTIMGetConversationListParamConvId] = id;
    p[kTIMGetConversationListParamConvType] = type;
    param.append(p);
    uintptr_t tag = NextTag();
    Reply r = Await(what, TIMConvGetConvInfo(param.toStyledString().c_str(), kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {}, what);
    ExpectCode(r, ERR_SUCC, what);
    Json::Value arr = r.arrived ? ParseArray(r.reply.json, what) : Json::Value(Json::arrayValue);
    EXPECT(arr.size() <= 1, what + ": at most one ConvInfo");
    return At(arr, 0);
}

Reply Import(const std::string& id, TIMConvType type, const std::vector<Msg>& msgs, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgImportMsgList(id.c_str(), type, MsgArray(msgs).c_str(), kOnResult, Tag(tag)), tag);
}

Reply Save(const std::string& id, TIMConvType type, const Msg& msg, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgSaveMsg(id.c_str(), type, msg.str().c_str(), kOnResult, Tag(tag)), tag);
}

Reply ReportRead(const char* id, TIMConvType type, const char* msg, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgReportReaded(id, type, msg, kOnResult, Tag(tag)), tag);
}

Reply ReportReadUpTo(const std::string& id, TIMConvType type, const Msg& msg, const std::string& what) {
    return ReportRead(id.c_str(), type, msg.str().c_str(), what);
}

Reply MarkAll(const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgMarkAllMessageAsRead(kOnResult, Tag(tag)), tag);
}

Reply Clean(const char* conversation_id, uint64_t ts, uint64_t seq, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvCleanConversationUnreadMessageCount(conversation_id, ts, seq, kOnResult, Tag(tag)),
                 tag);
}

Reply ClearHistory(const std::string& id, TIMConvType type, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgClearHistoryMessage(id.c_str(), type, kOnResult, Tag(tag)), tag);
}

std::string IdArray(const std::vector<std::string>& ids) {
    Json::Value a(Json::arrayValue);
    for (const std::string& id : ids) a.append(id);
    return a.toStyledString();
}

Reply SetC2COpt(const std::vector<std::string>& users, TIMReceiveMessageOpt opt, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgSetC2CReceiveMessageOpt(IdArray(users).c_str(), opt, kOnResult, Tag(tag)), tag);
}

Reply SetGroupOpt(const std::string& group, TIMReceiveMessageOpt opt, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMMsgSetGroupReceiveMessageOpt(group.c_str(), opt, kOnResult, Tag(tag)), tag);
}

// TIMMsgGetC2CReceiveMessageOpt: "user=opt" per result, in order.
std::vector<std::string> GetC2COpts(const std::vector<std::string>& users, const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what, TIMMsgGetC2CReceiveMessageOpt(IdArray(users).c_str(), kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {}, what);
    ExpectCode(r, ERR_SUCC, what);
    std::vector<std::string> got;
    Json::Value arr = r.arrived ? ParseArray(r.reply.json, what) : Json::Value(Json::arrayValue);
    for (size_t i = 0; i < arr.size(); ++i) {
        const Json::Value& o = At(arr, i);
        const Json::Value& opt = Get(o, kTIMMsgGetC2CRecvMsgOptResultOpt);
        got.push_back(Text(Get(o, kTIMMsgGetC2CRecvMsgOptResultIdentifier)) + "=" +
                      (opt.isUInt() ? std::to_string(opt.asUInt()) : "<not a uint>"));
    }
    return got;
}

// A GetTotalUnreadNumberResult reply: its count (-1 if malformed).
long long CountOf(const Reply& r, const std::string& what) {
    ExpectEvents(r, {}, what);
    ExpectCode(r, ERR_SUCC, what);
    if (!r.arrived) return -1;
    Json::Value o = ParseObject(r.reply.json, what);
    const Json::Value& n = Get(o, kTIMConvGetTotalUnreadMessageCountResultUnreadCount);
    EXPECT(n.isInt() && o.size() == 1,
           what + ": {\"" kTIMConvGetTotalUnreadMessageCountResultUnreadCount "\": int}, got " + r.reply.json);
    return n.isInt() ? n.asInt() : -1;
}

long long GetTotal(const std::string& what) {
    uintptr_t tag = NextTag();
    return CountOf(Await(what, TIMConvGetTotalUnreadMessageCount(kOnResult, Tag(tag)), tag), what);
}

long long CountByFilter(const std::string& filter, const std::string& what) {
    uintptr_t tag = NextTag();
    return CountOf(Await(what, TIMConvGetUnreadMessageCountByFilter(filter.c_str(), kOnResult, Tag(tag)), tag), what);
}

Reply Mark(const std::vector<std::string>& ids, uint64_t bits, bool enable, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvMarkConversation(IdArray(ids).c_str(), bits, enable, kOnResult, Tag(tag)), tag);
}

Reply Create(const std::string& id, TIMConvType type, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvCreate(id.c_str(), type, kOnResult, Tag(tag)), tag);
}

Reply Delete(const std::string& id, TIMConvType type, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvDelete(id.c_str(), type, kOnResult, Tag(tag)), tag);
}

// Walks the filtered list in pages of `per_page`; returns the keys, in order.
std::vector<std::string> WalkPages(const std::string& filter, uint32_t per_page, const std::string& what) {
    std::vector<std::string> got;
    Json::UInt64 seq = 0;
    for (int page = 0; page < 100; ++page) {
        uintptr_t tag = NextTag();
        std::string w = what + " page " + std::to_string(page);
        Reply r = Await(w, TIMConvGetConversationListByFilter(filter.c_str(), seq, per_page, kOnResult, Tag(tag)),
                        tag);
        ExpectEvents(r, {}, w);
        ExpectCode(r, ERR_SUCC, w);
        if (!r.arrived) return got;
        Json::Value res = ParseObject(r.reply.json, w);
        const Json::Value& convs = Get(res, TIMConversationListResultConvList);
        const Json::Value& next = Get(res, TIMConversationListResultNextSeq);
        const Json::Value& finished = Get(res, TIMConversationListResultIsFinished);
        EXPECT(convs.isArray() && next.isUInt64() && finished.isBool(),
               w + ": conv_list array, next_seq uint64, is_finished bool: " + r.reply.json.substr(0, 300));
        EXPECT(convs.size() <= per_page, w + ": at most " + std::to_string(per_page));
        for (size_t i = 0; i < convs.size(); ++i) got.push_back(Key(At(convs, i)));
        if (IsTrue(finished) || !next.isUInt64()) return got;
        seq = next.asUInt64();
    }
    EXPECT(false, what + ": is_finished within 100 pages");
    return got;
}

// Filters, as an app writes them.
std::string FilterText(const char* key, const Json::Value& value) {
    Json::Value f(Json::objectValue);
    f[key] = value;
    return f.toStyledString();
}

// The total the program expects the library to hold.
Json::UInt64 g_total = 0;

// Checks that the total, asked for, is g_total, and is what the list adds up to.
void ExpectTotal(const std::string& what) {
    long long n = GetTotal(what + ": total");
    EXPECT(n == static_cast<long long>(g_total),
           what + ": total unread " + std::to_string(g_total) + ", got " + std::to_string(n));
    Json::Value list = GetList(what + ": total");
    Json::UInt64 sum = CountedSum(list, [](const Json::Value&) { return true; });
    EXPECT(sum == g_total, what + ": the list's unread counts (muted left out) add up to " + std::to_string(g_total) +
                               ", got " + std::to_string(sum));
}

// TIMMsgMarkAllMessageAsRead with its expected deliveries derived from the
// list (no subscriptions may be active): one Update listing every
// conversation with unread messages or @ entries, then total 0.
void ReadEverything(const std::string& what, bool total_asked) {
    Json::Value before = GetList(what + ": before");
    std::vector<std::string> keys = WithUnreadState(before, kInvalidType);
    Json::UInt64 counted = CountedSum(before, [](const Json::Value&) { return true; });
    EXPECT(counted == g_total, what + ": the list adds up to the expected total " + std::to_string(g_total) +
                                   ", got " + std::to_string(counted));
    std::vector<Ev> want;
    if (!keys.empty()) want.push_back(Upd(keys));
    if (total_asked && counted > 0) want.push_back(Total(0));
    Reply r = MarkAll(what);
    std::vector<Json::Value> ev = ExpectEvents(r, want, what);
    ExpectEmptyReply(r, ERR_SUCC, what);
    if (!keys.empty() && !ev.empty()) {
        bool all_read = true;
        for (size_t i = 0; i < ev[0].size(); ++i) all_read = all_read && !HasUnreadState(At(ev[0], i));
        EXPECT(all_read, what + ": every conversation in the Update has unread 0 and no @ entry");
    }
    Json::Value after = GetList(what + ": after");
    EXPECT(WithUnreadState(after, kInvalidType).empty(), what + ": nothing unread is left");
    EXPECT(Keys(after) == Keys(before), what + ": reading moved no conversation");
    g_total = 0;
}

// ---------------------------------------------------------------------------
// The tests (embedded default).

void TestSetUp() {
    TIMSetConvEventCallback(kOnConvEvent, Tag(kEventTag));
    TIMSetConvTotalUnreadMessageCountChangedCallback(kOnTotal, Tag(kTotalTag));
    TIMSetConvUnreadMessageCountChangedByFilterCallback(kOnFilter, Tag(kFilterTag));
    EXPECT(GetList("fresh process").empty(), "fresh process: no conversations");
}

// Imports into C2C conversations: the last message, unread counts, list
// order. The app has not asked for the total yet: no total callback fires.
void TestImportC2C() {
    std::string w = "import 3 into a new c2c_mu1";
    Reply r = Import("mu1", kC2C,
                     {Msg("m 100").Server(100).Sender("bob"), Msg("m 300").Server(300).Sender("bob").Id("id-300"),
                      Msg("m 200").Server(200).Sender("bob")},
                     w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Add({"c2c_mu1"})}, w + " (no total callback: never asked)");
    ExpectEmptyReply(r, ERR_SUCC, w);
    Json::Value c = InEvent(ev, "c2c_mu1");
    EXPECT(Unread(c) == 3 && Get(c, kTIMConvUnReadNum).isUInt64(), w + ": conv_unread_num 3, got " + c.toStyledString());
    EXPECT(IsTrue(Get(c, kTIMConvIsHasLastMsg)), w + ": conv_is_has_lastmsg true");
    const Json::Value& last = Get(c, kTIMConvLastMsg);
    EXPECT(MsgText(last) == "m 300", w + ": the newest by time is the last message, got " + MsgText(last));
    EXPECT(U64(Get(last, kTIMMsgServerTime)) == 300, w + ": its message_server_time kept");
    EXPECT(Text(Get(last, kTIMMsgConvId)) == "mu1", w + ": message_conv_id filled in");
    EXPECT(Get(last, kTIMMsgConvType).isInt() && Get(last, kTIMMsgConvType).asInt() == kC2C,
           w + ": message_conv_type 1 filled in");
    EXPECT(IsFalse(Get(last, kTIMMsgIsFormSelf)), w + ": message_is_from_self false filled in");
    EXPECT(Text(Get(last, kTIMMsgMsgId)) == "id-300" && Text(Get(last, kTIMMsgSender)) == "bob",
           w + ": message_msg_id and message_sender kept");
    EXPECT(RecvOpt(c) == 0, w + ": conv_recv_opt 0");
    EXPECT(Get(c, kTIMConvGroupAtInfoArray).isArray() && AtStr(c).empty(), w + ": no @ entries");
    EXPECT(!r.events.empty() && r.events[0].json.find('\n') == std::string::npos,
           w + ": the last message is kept without white space");
    EXPECT(c == GetOne("mu1", kC2C, w + ": lookup"), w + ": the event shows the stored ConvInfo");

    // A plain created conversation has no last message.
    w = "create c2c_mu2";
    r = Create("mu2", kC2C, w);
    ev = ExpectEvents(r, {Add({"c2c_mu2"})}, w);
    c = InEvent(ev, "c2c_mu2");
    EXPECT(IsFalse(Get(c, kTIMConvIsHasLastMsg)) && Get(c, kTIMConvLastMsg).isNull() && Unread(c) == 0,
           w + ": conv_is_has_lastmsg false, no conv_last_msg, unread 0: " + c.toStyledString());
    Json::Value list = GetList("after mu2");
    EXPECT(Keys(list) == (std::vector<std::string>{"c2c_mu2", "c2c_mu1"}), "mu2 on top: " + Join(Keys(list)));
    Json::UInt64 t_mu1 = ActiveTime(ByKey(list, "c2c_mu1"));
    Json::UInt64 t_mu2 = ActiveTime(ByKey(list, "c2c_mu2"));

    // Older than the last message: counted, not the last message, not moved.
    w = "import an older message into mu1";
    r = Import("mu1", kC2C, {Msg("m 250").Server(250)}, w);
    ev = ExpectEvents(r, {Upd({"c2c_mu1"})}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    c = InEvent(ev, "c2c_mu1");
    EXPECT(Unread(c) == 4 && LastText(c) == "m 300", w + ": unread 4, last still m 300, got " +
                                                          std::to_string(Unread(c)) + " / " + LastText(c));
    EXPECT(ActiveTime(c) == t_mu1, w + ": conv_active_time unchanged (not moved)");
    EXPECT(Keys(GetList(w)) == (std::vector<std::string>{"c2c_mu2", "c2c_mu1"}), w + ": order unchanged");

    // Newer: the last message, moved to the top.
    w = "import a newer message into mu1";
    r = Import("mu1", kC2C, {Msg("m 400").Server(400)}, w);
    ev = ExpectEvents(r, {Upd({"c2c_mu1"})}, w);
    c = InEvent(ev, "c2c_mu1");
    EXPECT(Unread(c) == 5 && LastText(c) == "m 400", w + ": unread 5, last m 400");
    EXPECT(ActiveTime(c) > t_mu2, w + ": conv_active_time above mu2's (moved to the top)");
    EXPECT(Keys(GetList(w)) == (std::vector<std::string>{"c2c_mu1", "c2c_mu2"}), w + ": mu1 on top");

    // Equal times: the later one in the array; then one equal to the current.
    w = "import two at equal times into mu2";
    r = Import("mu2", kC2C, {Msg("first").Server(500), Msg("second").Server(500)}, w);
    ev = ExpectEvents(r, {Upd({"c2c_mu2"})}, w);
    c = InEvent(ev, "c2c_mu2");
    EXPECT(LastText(c) == "second" && Unread(c) == 2, w + ": the later in the array wins: " + LastText(c));
    w = "import one as old as the last message";
    r = Import("mu2", kC2C, {Msg("third").Server(500)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu2"})}, w), "c2c_mu2");
    EXPECT(LastText(c) == "third" && Unread(c) == 3, w + ": not older, so it is the last message: " + LastText(c));
    Json::UInt64 t = ActiveTime(c);

    // Excluded from the last message: counted, not moved.
    w = "import one excluded from the last message";
    r = Import("mu2", kC2C, {Msg("excluded").Server(900).ExclLast(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu2"})}, w), "c2c_mu2");
    EXPECT(LastText(c) == "third" && Unread(c) == 4, w + ": last still third, unread 4: " + LastText(c));
    EXPECT(ActiveTime(c) == t, w + ": not moved");

    // From self, read, excluded from unread: the last message, not unread.
    w = "import one from self (message_is_from_self)";
    r = Import("mu1", kC2C, {Msg("from self").Server(1000).Self(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w), "c2c_mu1");
    EXPECT(Unread(c) == 5 && LastText(c) == "from self", w + ": unread stays 5");
    EXPECT(IsTrue(Get(Get(c, kTIMConvLastMsg), kTIMMsgIsFormSelf)), w + ": message_is_from_self true kept");
    w = "import one already read";
    r = Import("mu1", kC2C, {Msg("read").Server(1001).Read(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w), "c2c_mu1");
    EXPECT(Unread(c) == 5 && LastText(c) == "read", w + ": unread stays 5, last read");
    w = "import one excluded from the unread count";
    r = Import("mu1", kC2C, {Msg("not counted").Server(1002).ExclUnread(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w), "c2c_mu1");
    EXPECT(Unread(c) == 5 && LastText(c) == "not counted", w + ": unread stays 5");
    // A message that changes nothing fires nothing (a call that changes
    // nothing fires nothing).
    w = "import one that changes nothing (read, excluded from the last message)";
    Json::Value unchanged = GetOne("mu1", kC2C, w + ": before");
    r = Import("mu1", kC2C, {Msg("nothing").Server(1003).Read(true).ExclLast(true)}, w);
    ExpectEvents(r, {}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(GetOne("mu1", kC2C, w + ": after") == unchanged, w + ": mu1 exactly as before");
    // The newest is excluded from the last message: the newest of the others is it.
    w = "import a base message into mu5";
    r = Import("mu5", kC2C, {Msg("base").Server(100).Read(true)}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_mu5"})}, w), "c2c_mu5");
    EXPECT(LastText(c) == "base" && Unread(c) == 0, w + ": last base, unread 0");
    w = "import [200, 300 excluded from the last message] into mu5";
    r = Import("mu5", kC2C, {Msg("A").Server(200).Read(true), Msg("B").Server(300).ExclLast(true).Read(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu5"})}, w), "c2c_mu5");
    EXPECT(LastText(c) == "A", w + ": the newest not excluded is the last message, got " + LastText(c));

    // Server time, else client time, else the time of the call.
    w = "import server-time 10 (client 1000) and client-time 20";
    r = Import("mu3", kC2C, {Msg("s10").Server(10).Client(1000), Msg("c20").Client(20)}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_mu3"})}, w), "c2c_mu3");
    EXPECT(LastText(c) == "c20" && Unread(c) == 2, w + ": the server time decides, then the client time: " +
                                                       LastText(c));
    w = "import client-time 15";
    r = Import("mu3", kC2C, {Msg("c15").Client(15)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu3"})}, w), "c2c_mu3");
    EXPECT(LastText(c) == "c20" && Unread(c) == 3, w + ": older: last still c20");
    w = "import one without a time";
    r = Import("mu3", kC2C, {Msg("now")}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu3"})}, w), "c2c_mu3");
    EXPECT(LastText(c) == "now" && Unread(c) == 4, w + ": the time of the call is newest");
    // Without a logged-in user, a sender "me" is just another user.
    w = "import from \"me\" with nobody logged in";
    r = Import("mu3", kC2C, {Msg("by me").Sender("me").Server(4000000000ULL)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu3"})}, w), "c2c_mu3");
    EXPECT(Unread(c) == 5 && IsFalse(Get(Get(c, kTIMConvLastMsg), kTIMMsgIsFormSelf)),
           w + ": unread, message_is_from_self false");
    // message_conv_id / message_conv_type naming this conversation; unknown keys kept.
    w = "import one naming its own conversation, with an unknown key";
    Json::Value custom;
    custom["a"].append(1);
    custom["a"].append(Json::Value());
    custom["b"] = "x y";
    r = Import("mu3", kC2C,
               {Msg("own").Server(4000000001ULL).Put(kTIMMsgConvId, "mu3").Put(kTIMMsgConvType, kC2C).Put(
                   "app_key", custom)},
               w);
    ev = ExpectEvents(r, {Upd({"c2c_mu3"})}, w);
    c = InEvent(ev, "c2c_mu3");
    EXPECT(LastText(c) == "own" && Unread(c) == 6, w + ": accepted, unread 6");
    EXPECT(Get(Get(c, kTIMConvLastMsg), "app_key") == custom, w + ": the unknown key is kept as given");
    Json::Value strict;
    EXPECT(!r.events.empty() && ParseStrict(r.events[0].json, &strict),
           w + ": message_conv_id / message_conv_type not repeated (strict parse)");
    // 64-bit times round-trip.
    w = "import a time above 2^53";
    r = Import("mu4", kC2C, {Msg("big").Server(9007199254740993ULL).Sender("bob")}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_mu4"})}, w), "c2c_mu4");
    EXPECT(U64(Get(Get(c, kTIMConvLastMsg), kTIMMsgServerTime)) == 9007199254740993ULL, w + ": kept exactly");

    // A batch delivered without a callback still changes the state.
    int ret = TIMMsgImportMsgList("mu4", kC2C, MsgArray({Msg("quiet").Server(5)}).c_str(), nullptr, nullptr);
    EXPECT(ret == TIM_SUCC, "import with cb NULL: TIM_SUCC, got " + std::to_string(ret));
    r = UpToBarrier("import with cb NULL");
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu4"})}, "import with cb NULL"), "c2c_mu4");
    EXPECT(Unread(c) == 2, "import with cb NULL: applied, unread 2");

    g_total = 5 + 4 + 6 + 2;  // mu1, mu2, mu3, mu4
}

// Imports into groups with nobody logged in: sequences, @all (never @me).
void TestImportGroup() {
    std::string w = "import 4 into a new group_mg1";
    Reply r = Import("mg1", kGroup,
                     {Msg("g5").Seq(5).Sender("bob"), Msg("g6").Seq(6).At({kAtAll}), Msg("g7").Seq(7).At({"me"}),
                      Msg("g8")},
                     w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Add({"group_mg1"})}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    Json::Value c = InEvent(ev, "group_mg1");
    EXPECT(Unread(c) == 4, w + ": unread 4");
    EXPECT(AtStr(c) == "2@6", w + ": one @all entry (seq 6); no @me without a logged-in user, got \"" + AtStr(c) +
                                  "\"");
    EXPECT(LastText(c) == "g8", w + ": at equal times the later one is the last message");
    EXPECT(Text(Get(Get(c, kTIMConvLastMsg), kTIMMsgConvId)) == "mg1" &&
               Get(Get(c, kTIMConvLastMsg), kTIMMsgConvType).asInt() == kGroup,
           w + ": message_conv_id mg1, message_conv_type 2");
    r = Import("mg1", kGroup, {Msg("g9")}, "import g9 (seq 9)");
    r = Import("mg1", kGroup, {Msg("g20").Seq(20)}, "import g20");
    r = Import("mg1", kGroup, {Msg("g21")}, "import g21 (seq 21)");
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"})}, "import g21"), "group_mg1");
    EXPECT(Unread(c) == 7, "mg1: unread 7");

    // Reading up to a sequence shows which sequences the messages got.
    w = "read mg1 up to seq 8";
    r = ReportReadUpTo("mg1", kGroup, Msg("r").Seq(8), w);
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"})}, w), "group_mg1");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(Unread(c) == 3 && AtStr(c).empty(),
           w + ": 5..8 read (g8 got 8), @ entry 6 gone: unread " + std::to_string(Unread(c)) + ", @ \"" + AtStr(c) +
               "\"");
    w = "read mg1 up to seq 20";
    r = ReportReadUpTo("mg1", kGroup, Msg("r").Seq(20), w);
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"})}, w), "group_mg1");
    EXPECT(Unread(c) == 1, w + ": g9 (9) and g20 read, g21 (21) left: unread " + std::to_string(Unread(c)));

    // @all that does not count, and that does.
    w = "import @all read / from self / excluded from unread / @me+@all / @someone";
    r = Import("mg1", kGroup,
               {Msg("a1").Seq(30).At({kAtAll}).Read(true), Msg("a2").Seq(31).At({kAtAll}).Self(true),
                Msg("a3").Seq(32).At({kAtAll}).ExclUnread(true), Msg("a4").Seq(33).At({"me", kAtAll}),
                Msg("a5").Seq(34).At({"someone"})},
               w);
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"})}, w), "group_mg1");
    EXPECT(AtStr(c) == "2@32 2@33", w + ": @all entries for a3 (excluded from unread) and a4, got \"" + AtStr(c) +
                                        "\"");
    EXPECT(Unread(c) == 3, w + ": a4 and a5 unread: 3, got " + std::to_string(Unread(c)));
    w = "read mg1 up to seq 32";
    r = ReportReadUpTo("mg1", kGroup, Msg("r").Seq(32), w);
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"})}, w), "group_mg1");
    EXPECT(AtStr(c) == "2@33" && Unread(c) == 2, w + ": entry 32 and g21 gone: \"" + AtStr(c) + "\", unread " +
                                                     std::to_string(Unread(c)));

    // C2C conversations have no @ entries.
    w = "import @all into c2c_mu1";
    r = Import("mu1", kC2C, {Msg("c2c at").Server(1100).At({kAtAll, "me"})}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w), "c2c_mu1");
    EXPECT(AtStr(c).empty() && Unread(c) == 6, w + ": no @ entry, unread 6");

    g_total += 2 + 1;  // mg1, mu1
}

void TestSave() {
    std::string w = "save into a new c2c_ms1";
    Reply r = Save("ms1", kC2C, Msg("saved").Server(3000).Sender("bob").Id("sv-1"), w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Add({"c2c_ms1"})}, w);
    ExpectCode(r, ERR_SUCC, w);
    Json::Value kept = r.arrived ? ParseObject(r.reply.json, w + ": reply") : Json::Value();
    EXPECT(MsgText(kept) == "saved" && Text(Get(kept, kTIMMsgMsgId)) == "sv-1" &&
               U64(Get(kept, kTIMMsgServerTime)) == 3000,
           w + ": the reply is the message: " + r.reply.json);
    EXPECT(Text(Get(kept, kTIMMsgConvId)) == "ms1" && Get(kept, kTIMMsgConvType).isInt() &&
               Get(kept, kTIMMsgConvType).asInt() == kC2C && IsFalse(Get(kept, kTIMMsgIsFormSelf)),
           w + ": message_conv_id, message_conv_type, message_is_from_self filled in: " + r.reply.json);
    EXPECT(r.reply.json.find('\n') == std::string::npos && r.reply.json.find(": ") == std::string::npos,
           w + ": without white space: " + r.reply.json);
    Json::Value c = InEvent(ev, "c2c_ms1");
    EXPECT(Get(c, kTIMConvLastMsg) == kept, w + ": the reply equals conv_last_msg");
    EXPECT(Unread(c) == 1, w + ": unread 1");

    w = "save one excluded from the last message";
    r = Save("ms1", kC2C, Msg("hidden").Server(4000).ExclLast(true), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_ms1"})}, w), "c2c_ms1");
    ExpectCode(r, ERR_SUCC, w);
    EXPECT(r.arrived && MsgText(ParseObject(r.reply.json, w)) == "hidden", w + ": the reply is that message");
    EXPECT(LastText(c) == "saved" && Unread(c) == 2, w + ": last still saved, unread 2");

    w = "save one from self naming its conversation";
    r = Save("ms1", kC2C, Msg("mine").Server(5000).Self(true).Put(kTIMMsgConvId, "ms1").Put(kTIMMsgConvType, kC2C), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_ms1"})}, w), "c2c_ms1");
    kept = r.arrived ? ParseObject(r.reply.json, w + ": reply (strict: no key twice)") : Json::Value();
    EXPECT(IsTrue(Get(kept, kTIMMsgIsFormSelf)) && Text(Get(kept, kTIMMsgConvId)) == "ms1",
           w + ": kept as given: " + r.reply.json);
    EXPECT(LastText(c) == "mine" && Unread(c) == 2, w + ": last mine, unread stays 2");

    w = "save into a new group_msg1";
    r = Save("msg1", kGroup, Msg("gs").Seq(3).At({kAtAll}).Sender("bob"), w);
    c = InEvent(ExpectEvents(r, {Add({"group_msg1"})}, w), "group_msg1");
    kept = r.arrived ? ParseObject(r.reply.json, w + ": reply") : Json::Value();
    EXPECT(Get(kept, kTIMMsgConvType).isInt() && Get(kept, kTIMMsgConvType).asInt() == kGroup &&
               U64(Get(kept, kTIMMsgSeq)) == 3,
           w + ": message_conv_type 2, message_seq kept: " + r.reply.json);
    EXPECT(Unread(c) == 1 && AtStr(c) == "2@3", w + ": unread 1, @all entry at 3: " + AtStr(c));

    int ret = TIMMsgSaveMsg("ms1", kC2C, Msg("no cb").Server(6000).str().c_str(), nullptr, nullptr);
    EXPECT(ret == TIM_SUCC, "save with cb NULL: TIM_SUCC, got " + std::to_string(ret));
    r = UpToBarrier("save with cb NULL");
    c = InEvent(ExpectEvents(r, {Upd({"c2c_ms1"})}, "save with cb NULL"), "c2c_ms1");
    EXPECT(LastText(c) == "no cb" && Unread(c) == 3, "save with cb NULL: applied");
    g_total += 3 + 1;

    // Refused: nothing changes, nothing is called back.
    Json::Value before = GetList("before refused saves");
    std::string good = Msg("good").Server(7000).str();
    auto save = [](const char* id, TIMConvType type, const char* json) {
        return TIMMsgSaveMsg(id, type, json, kOnResult, kRefused);
    };
    ExpectRefused("save(conv_id NULL)", save(nullptr, kC2C, good.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(conv_id \"\")", save("", kC2C, good.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(129-byte conv_id)", save(std::string(129, 's').c_str(), kC2C, good.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(conv_id not UTF-8)", save((std::string("ms") + "\xff").c_str(), kC2C, good.c_str()),
                  TIM_ERR_PARAM);
    ExpectRefused("save(conv_type 3)", save("ms1", kSystem, good.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(conv_type 0)", save("ms1", kInvalidType, good.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(message NULL)", save("ms1", kC2C, nullptr), TIM_ERR_PARAM);
    ExpectRefused("save(message not UTF-8)", save("ms1", kC2C, RawMsg("\"k\":\"\xff\"").c_str()), TIM_ERR_PARAM);
    std::string huge = RawMsg("\"pad\":\"" + std::string(256 * 1024, 'p') + "\"");
    ExpectRefused("save(message over 256 KiB)", save("ms1", kC2C, huge.c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(\"\")", save("ms1", kC2C, ""), TIM_ERR_JSON);
    ExpectRefused("save(\"{\")", save("ms1", kC2C, "{"), TIM_ERR_JSON);
    ExpectRefused("save([])", save("ms1", kC2C, "[]"), TIM_ERR_JSON);
    ExpectRefused("save([message])", save("ms1", kC2C, ("[" + good + "]").c_str()), TIM_ERR_JSON);
    for (const auto& b : BadMessages())
        ExpectRefused("save(" + b.first + ")", save("ms1", kC2C, b.second.c_str()), TIM_ERR_JSON);
    ExpectRefused("save(message_conv_id of another conversation)",
                  save("ms1", kC2C, RawMsg("\"message_conv_id\":\"someone\"").c_str()), TIM_ERR_PARAM);
    ExpectRefused("save(message_conv_type 2 into C2C)", save("ms1", kC2C, RawMsg("\"message_conv_type\":2").c_str()),
                  TIM_ERR_PARAM);
    ExpectRefused("save(conv_id NULL, bad JSON): arguments first", save(nullptr, kC2C, "{"), TIM_ERR_PARAM);
    ExpectRefused("save(conv_type 3, bad JSON): arguments first", save("ms1", kSystem, "{"), TIM_ERR_PARAM);
    ExpectRefused("save(bad JSON into a new conversation)", save("ms_new", kC2C, "{"), TIM_ERR_JSON);
    Json::Value after = GetList("after refused saves");
    EXPECT(after == before, "refused saves changed nothing (the list is the same, no ms_new)");
}

void TestImportRefused() {
    Json::Value before = GetList("before refused imports");
    std::string good = Msg("good").Server(8000).str();
    auto import = [](const char* id, TIMConvType type, const std::string& json) {
        return TIMMsgImportMsgList(id, type, json.c_str(), kOnResult, kRefused);
    };
    for (const auto& b : BadMessages()) {
        std::string arr = "[" + good + "," + b.second + "]";
        ExpectRefused("import([good, " + b.first + "]) into mu1", import("mu1", kC2C, arr), TIM_ERR_JSON);
        ExpectRefused("import([good, " + b.first + "]) into a new one", import("mi_new", kC2C, arr), TIM_ERR_JSON);
    }
    ExpectRefused("import([good, message_conv_id of another]) into mu1",
                  import("mu1", kC2C, "[" + good + "," + RawMsg("\"message_conv_id\":\"someone\"") + "]"),
                  TIM_ERR_PARAM);
    ExpectRefused("import([good, message_conv_type 1]) into a group",
                  import("mg1", kGroup, "[" + good + "," + RawMsg("\"message_conv_type\":1") + "]"), TIM_ERR_PARAM);
    ExpectRefused("import(\"\")", import("mu1", kC2C, ""), TIM_ERR_JSON);
    ExpectRefused("import(\"[\")", import("mu1", kC2C, "["), TIM_ERR_JSON);
    ExpectRefused("import(a message, not an array)", import("mu1", kC2C, good), TIM_ERR_JSON);
    ExpectRefused("import({})", import("mu1", kC2C, "{}"), TIM_ERR_JSON);
    ExpectRefused("import([5])", import("mu1", kC2C, "[5]"), TIM_ERR_JSON);
    ExpectRefused("import([null])", import("mu1", kC2C, "[null]"), TIM_ERR_JSON);
    ExpectRefused("import([[message]])", import("mu1", kC2C, "[[" + good + "]]"), TIM_ERR_JSON);
    ExpectRefused("import([good] trailing garbage)", import("mu1", kC2C, "[" + good + "] x"), TIM_ERR_JSON);
    ExpectRefused("import([]): empty", import("mu1", kC2C, "[]"), TIM_ERR_PARAM);
    ExpectRefused("import(conv_id NULL)", import(nullptr, kC2C, "[" + good + "]"), TIM_ERR_PARAM);
    ExpectRefused("import(conv_id \"\")", import("", kC2C, "[" + good + "]"), TIM_ERR_PARAM);
    ExpectRefused("import(129-byte conv_id)", import(std::string(129, 'i').c_str(), kC2C, "[" + good + "]"),
                  TIM_ERR_PARAM);
    ExpectRefused("import(conv_id not UTF-8)", import((std::string("mi") + "\xc3").c_str(), kC2C, "[" + good + "]"),
                  TIM_ERR_PARAM);
    ExpectRefused("import(conv_type 3)", import("mu1", kSystem, "[" + good + "]"), TIM_ERR_PARAM);
    ExpectRefused("import(conv_type 0)", import("mu1", kInvalidType, "[" + good + "]"), TIM_ERR_PARAM);
    ExpectRefused("import(array NULL)", TIMMsgImportMsgList("mu1", kC2C, nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("import(array not UTF-8)", import("mu1", kC2C, "[" + RawMsg("\"k\":\"\xfe\"") + "]"),
                  TIM_ERR_PARAM);
    ExpectRefused("import(conv_type 3, bad JSON): arguments first", import("mu1", kSystem, "["), TIM_ERR_PARAM);
    {
        // Over 8 MiB: refused; a valid array of that size would otherwise be accepted.
        std::string big = "[" + RawMsg("\"pad\":\"" + std::string(8 * 1024 * 1024, 'p') + "\"") + "]";
        ExpectRefused("import(over 8 MiB)", import("mu1", kC2C, big), TIM_ERR_PARAM);
    }
    Json::Value after = GetList("after refused imports");
    EXPECT(after == before, "refused imports changed nothing (the list is the same, no mi_new)");

    // Over 256 KiB (a save's limit) but under 8 MiB: accepted.
    std::vector<Msg> many;
    for (int i = 0; i < 30; ++i) many.push_back(Msg(std::string(10 * 1024, 'a' + i % 26)).Server(100 + i));
    std::string w = "import 30 messages of 10 KiB (300 KiB)";
    Reply r = Import("mbig", kC2C, many, w);
    Json::Value c = InEvent(ExpectEvents(r, {Add({"c2c_mbig"})}, w), "c2c_mbig");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(Unread(c) == 30 && LastText(c) == std::string(10 * 1024, 'a' + 29 % 26), w + ": unread 30, the newest last");
    g_total += 30;
}

// A subscribed filter is told before the app ever asked for the total (and
// the total is not).
void TestFilterBeforeTotal() {
    const std::string f = FilterText(kTIMConversationListFilterConvType, kTIMConv_C2C);
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f.c_str()) == TIM_SUCC, "subscribe c2c before any total");
    Json::Value list = GetList("before any total");
    Json::UInt64 c2c = CountedSum(list, [](const Json::Value& c) { return Get(c, kTIMConvType).asInt() == kTIMConv_C2C; });
    std::string w = "import into mu4 before any total";
    Reply r = Import("mu4", kC2C, {Msg("pre").Server(7)}, w);
    ExpectEvents(r, {Upd({"c2c_mu4"}), Filt(f, c2c + 1)}, w + " (the filter, never the total)");
    ++g_total;
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f.c_str()) == TIM_SUCC, "unsubscribe c2c");
    r = Import("mu4", kC2C, {Msg("pre2").Server(8)}, "import into mu4 after unsubscribing");
    ExpectEvents(r, {Upd({"c2c_mu4"})}, "import into mu4 after unsubscribing (nothing counted is told)");
    ++g_total;
}

// The total: asked for once, then told on every change (never before).
void TestTotal() {
    Json::Value list = GetList("before the first total");
    Json::UInt64 sum = CountedSum(list, [](const Json::Value&) { return true; });
    EXPECT(sum == g_total, "the list adds up to " + std::to_string(g_total) + ", got " + std::to_string(sum));
    long long n = GetTotal("the first TIMConvGetTotalUnreadMessageCount");
    EXPECT(n == static_cast<long long>(g_total), "the total is " + std::to_string(g_total) + ", got " + std::to_string(n));

    std::string w = "import into mu2 after asking";
    Reply r = Import("mu2", kC2C, {Msg("t1").Server(6000)}, w);
    ExpectEvents(r, {Upd({"c2c_mu2"}), Total(++g_total)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "import an already-read message";
    r = Import("mu2", kC2C, {Msg("t2").Server(6001).Read(true)}, w);
    ExpectEvents(r, {Upd({"c2c_mu2"})}, w + " (the total did not change: no callback)");
    w = "import two unread into mu2 and the group mg1";
    r = Import("mu2", kC2C, {Msg("t3").Server(6002), Msg("t4").Server(6003)}, w);
    ExpectEvents(r, {Upd({"c2c_mu2"}), Total(g_total += 2)}, w);
    r = Import("mg1", kGroup, {Msg("t5").Seq(40)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total)}, w);

    // Changes that move no count tell nothing.
    Json::Value draft;
    draft[kTIMDraftMsg] = Msg("draft").json();
    int ret = TIMConvSetDraft("mu2", kC2C, draft.toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, "set draft: TIM_SUCC");
    ExpectEvents(UpToBarrier("set draft"), {Upd({"c2c_mu2"})}, "set draft (no count change)");
    ret = TIMConvCancelDraft("mu2", kC2C);
    EXPECT(ret == TIM_SUCC, "cancel draft: TIM_SUCC");
    ExpectEvents(UpToBarrier("cancel draft"), {Upd({"c2c_mu2"})}, "cancel draft (no count change)");
    uintptr_t tag = NextTag();
    r = Await("pin mu2", TIMConvPinConversation("mu2", kC2C, true, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_mu2"})}, "pin mu2 (no count change)");
    tag = NextTag();
    r = Await("unpin mu2", TIMConvPinConversation("mu2", kC2C, false, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_mu2"})}, "unpin mu2 (no count change)");

    // Deleting a conversation with unread messages lowers the total.
    Json::UInt64 mu3 = Unread(GetOne("mu3", kC2C, "mu3 before delete"));
    EXPECT(mu3 == 6, "mu3 has 6 unread");
    w = "delete mu3 (6 unread)";
    r = Delete("mu3", kC2C, w);
    ExpectEvents(r, {Del({"c2c_mu3"}), Total(g_total -= mu3)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "import into mu3 again";
    r = Import("mu3", kC2C, {Msg("again").Server(10)}, w);
    Json::Value c = InEvent(ExpectEvents(r, {Add({"c2c_mu3"}), Total(++g_total)}, w), "c2c_mu3");
    EXPECT(Unread(c) == 1, w + ": a new conversation: unread 1 (the old messages went)");
    w = "batch-delete mbig (30 unread) and a missing one";
    tag = NextTag();
    r = Await(w, TIMConvDeleteConversationList(IdArray({"c2c_mbig", "c2c_nobody"}).c_str(), true, kOnResult, Tag(tag)),
              tag);
    ExpectEvents(r, {Del({"c2c_mbig"}), Total(g_total -= 30)}, w);
    ExpectCode(r, ERR_SUCC, w);
    w = "read mu3 up to time 10";
    r = ReportReadUpTo("mu3", kC2C, Msg("r").Server(10), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu3"}), Total(--g_total)}, w), "c2c_mu3");
    EXPECT(Unread(c) == 0, w + ": unread 0");

    // The listener cleared: nothing told; set again: told again.
    TIMSetConvTotalUnreadMessageCountChangedCallback(nullptr, nullptr);
    w = "import with the total listener cleared";
    r = Import("mu2", kC2C, {Msg("t6").Server(6004)}, w);
    ExpectEvents(r, {Upd({"c2c_mu2"})}, w);
    ++g_total;
    TIMSetConvTotalUnreadMessageCountChangedCallback(kOnTotal, Tag(kTotalTag));
    w = "import with the total listener set again";
    r = Import("mu2", kC2C, {Msg("t7").Server(6005)}, w);
    ExpectEvents(r, {Upd({"c2c_mu2"}), Total(++g_total)}, w);

    ret = TIMConvGetTotalUnreadMessageCount(nullptr, nullptr);
    EXPECT(ret == TIM_SUCC, "total with cb NULL: TIM_SUCC, got " + std::to_string(ret));
    ExpectNothingPending("total with cb NULL");
    ExpectTotal("after the total tests");
}

// Subscribed filters: told with the filter text as subscribed, whenever
// their count changes (also by marks and conversation groups).
void TestFilters() {
    const std::string f_group = "{ \"conversation_list_filter_conv_type\" : 2 }";
    const std::string f_group_again = "{\"conversation_list_filter_conv_type\":2,\"unknown\":1}";
    const std::string f_unread = "{\"conversation_list_filter_has_unread_count\":true}";
    const std::string f_star = FilterText(kTIMConversationListFilterMarkType, Json::UInt64(kTIMConversationMarkTypeStar));
    const std::string f_cgrp = FilterText(kTIMConversationListFilterConversationGroup, "fgrp");

    Json::Value list = GetList("before filters");
    auto is_group = [](const Json::Value& c) { return Get(c, kTIMConvType).asInt() == kTIMConv_Group; };
    Json::UInt64 groups = CountedSum(list, is_group);
    EXPECT(groups == 2 + 1 + 1, "group unread: mg1 3, msg1 1, got " + std::to_string(groups));

    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_group.c_str()) == TIM_SUCC, "subscribe the group filter");
    ExpectNothingPending("subscribe");
    long long n = CountByFilter(f_group, "count by the group filter (subscribed)");
    EXPECT(n == static_cast<long long>(groups), "group filter count " + std::to_string(groups) + ", got " +
                                                    std::to_string(n));

    std::string w = "import into mg1 with the group filter subscribed";
    Reply r = Import("mg1", kGroup, {Msg("f1").Seq(41)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total), Filt(f_group, ++groups)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "import into mu1 (not selected by the group filter)";
    r = Import("mu1", kC2C, {Msg("f2").Server(6100)}, w);
    ExpectEvents(r, {Upd({"c2c_mu1"}), Total(++g_total)}, w);

    // The same filter, written otherwise: no change (told once, with the first text).
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_group_again.c_str()) == TIM_SUCC,
           "subscribe the same filter written otherwise");
    w = "import into mg1 after subscribing it twice";
    r = Import("mg1", kGroup, {Msg("f3").Seq(42)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total), Filt(f_group, ++groups)}, w);

    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_unread.c_str()) == TIM_SUCC, "subscribe has-unread");
    w = "import into mu1 with two filters";
    r = Import("mu1", kC2C, {Msg("f4").Server(6101)}, w);
    ExpectEvents(r, {Upd({"c2c_mu1"}), Total(++g_total), Filt(f_unread, g_total)}, w);
    w = "import into mg1 with two filters (subscription order)";
    r = Import("mg1", kGroup, {Msg("f5").Seq(43)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total), Filt(f_group, ++groups), Filt(f_unread, g_total)}, w);

    // Marks and conversation groups move a filter's count.
    Json::UInt64 mu1 = Unread(GetOne("mu1", kC2C, "mu1"));
    EXPECT(mu1 == 8, "mu1 has 8 unread, got " + std::to_string(mu1));
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_star.c_str()) == TIM_SUCC, "subscribe star");
    w = "star mu1";
    r = Mark({"c2c_mu1"}, kTIMConversationMarkTypeStar, true, w);
    ExpectEvents(r, {Upd({"c2c_mu1"}), Filt(f_star, mu1)}, w);
    ExpectCode(r, ERR_SUCC, w);
    w = "unstar mu1";
    r = Mark({"c2c_mu1"}, kTIMConversationMarkTypeStar, false, w);
    ExpectEvents(r, {Upd({"c2c_mu1"}), Filt(f_star, 0)}, w);
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_cgrp.c_str()) == TIM_SUCC, "subscribe conversation group");
    Json::UInt64 mg1 = Unread(GetOne("mg1", kGroup, "mg1"));
    w = "put mg1 in conversation group fgrp";
    uintptr_t tag = NextTag();
    r = Await(w, TIMConvCreateConversationGroup("fgrp", IdArray({"group_mg1"}).c_str(), kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_mg1"}), Filt(f_cgrp, mg1)}, w + " (no group listener)");
    tag = NextTag();
    r = Await(w, TIMConvDeleteConversationGroup("fgrp", kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_mg1"}), Filt(f_cgrp, 0)}, "delete fgrp");
    // With the group-created listener: conversation event, group event, then the count.
    TIMSetConvConversationGroupCreatedCallback(kOnGroupCreated, Tag(kGroupTag));
    tag = NextTag();
    r = Await(w, TIMConvCreateConversationGroup("fgrp", IdArray({"group_mg1"}).c_str(), kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_mg1"}), GroupCreated("fgrp"), Filt(f_cgrp, mg1)}, w + " (group listener set)");
    TIMSetConvConversationGroupCreatedCallback(nullptr, nullptr);
    w = "delete conversation group fgrp";
    tag = NextTag();
    r = Await(w, TIMConvDeleteConversationGroup("fgrp", kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_mg1"}), Filt(f_cgrp, 0)}, w);

    // Counts of filters not subscribed.
    list = GetList("filter counts");
    auto is_c2c = [](const Json::Value& c) { return Get(c, kTIMConvType).asInt() == kTIMConv_C2C; };
    auto has_at = [](const Json::Value& c) { return !AtStr(c).empty(); };
    Json::UInt64 at_sum = CountedSum(list, has_at);
    EXPECT(at_sum == mg1 + 1, "unread in conversations with @ entries: mg1 and msg1");
    struct Want {
        std::string filter;
        Json::UInt64 n;
    };
    std::vector<Want> wants = {
        {"{}", g_total},
        {FilterText(kTIMConversationListFilterConvType, kTIMConv_C2C), CountedSum(list, is_c2c)},
        {FilterText(kTIMConversationListFilterHasUnreadCount, false), 0},
        {FilterText(kTIMConversationListFilterHasGroupAtInfo, true), at_sum},
        {FilterText(kTIMConversationListFilterHasGroupAtInfo, false), g_total - at_sum},
        {FilterText(kTIMConversationListFilterConversationGroup, "nope"), 0},
        {f_group, groups},
        {f_unread, g_total},
    };
    for (const Want& x : wants) {
        n = CountByFilter(x.filter, "count by " + x.filter);
        EXPECT(n == static_cast<long long>(x.n),
               "count by " + x.filter + ": " + std::to_string(x.n) + ", got " + std::to_string(n));
    }

    // Unsubscribed: no longer told.
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_star.c_str()) == TIM_SUCC, "unsubscribe star");
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_star.c_str()) == TIM_SUCC, "unsubscribe star again");
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter("{\"conversation_list_filter_mark_type\":8}") == TIM_SUCC,
           "unsubscribe a filter never subscribed");
    ExpectNothingPending("unsubscribe");
    w = "star mu1 after unsubscribing";
    r = Mark({"c2c_mu1"}, kTIMConversationMarkTypeStar, true, w);
    ExpectEvents(r, {Upd({"c2c_mu1"})}, w);
    r = Mark({"c2c_mu1"}, kTIMConversationMarkTypeStar, false, "unstar mu1 after unsubscribing");
    ExpectEvents(r, {Upd({"c2c_mu1"})}, "unstar mu1 after unsubscribing");

    // Refused filters: nothing subscribed, nothing unsubscribed, nothing called back.
    struct Bad {
        std::string what;
        const char* text;
        int code;
    };
    std::string not_utf8 = std::string("{\"conversation_list_filter_conversation_group\":\"") + "\xff" + "\"}";
    std::vector<Bad> bads = {
        {"NULL", nullptr, TIM_ERR_PARAM},
        {"conv_type 0", "{\"conversation_list_filter_conv_type\":0}", TIM_ERR_JSON},
        {"not UTF-8", not_utf8.c_str(), TIM_ERR_PARAM},
        {"\"{\"", "{", TIM_ERR_JSON},
        {"[]", "[]", TIM_ERR_JSON},
        {"\"\"", "", TIM_ERR_JSON},
        {"conv_type 3", "{\"conversation_list_filter_conv_type\":3}", TIM_ERR_JSON},
        {"conv_type a string", "{\"conversation_list_filter_conv_type\":\"2\"}", TIM_ERR_JSON},
        {"has_unread_count a string", "{\"conversation_list_filter_has_unread_count\":\"yes\"}", TIM_ERR_JSON},
        {"has_group_at_info 1", "{\"conversation_list_filter_has_group_at_info\":1}", TIM_ERR_JSON},
        {"mark_type -1", "{\"conversation_list_filter_mark_type\":-1}", TIM_ERR_JSON},
        {"a key twice",
         "{\"conversation_list_filter_conv_type\":1,\"conversation_list_filter_conv_type\":1}", TIM_ERR_JSON},
    };
    for (const Bad& b : bads) {
        ExpectRefused("subscribe(" + b.what + ")", TIMConvSubscribeUnreadMessageCountByFilter(b.text), b.code);
        ExpectRefused("unsubscribe(" + b.what + ")", TIMConvUnsubscribeUnreadMessageCountByFilter(b.text), b.code);
        ExpectRefused("count by filter(" + b.what + ")",
                      TIMConvGetUnreadMessageCountByFilter(b.text, kOnResult, kRefused), b.code);
    }
    // The two kept subscriptions are still there, and no other.
    w = "import into mg1 after the refused filters";
    r = Import("mg1", kGroup, {Msg("f6").Seq(44)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total), Filt(f_group, ++groups), Filt(f_unread, g_total)}, w);

    // Unsubscribing the filter written otherwise ends it; then the other.
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_group_again.c_str()) == TIM_SUCC,
           "unsubscribe the group filter (written otherwise)");
    w = "import into mg1 with has-unread only";
    r = Import("mg1", kGroup, {Msg("f7").Seq(45)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total), Filt(f_unread, g_total)}, w);
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_unread.c_str()) == TIM_SUCC, "unsubscribe has-unread");
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_cgrp.c_str()) == TIM_SUCC, "unsubscribe fgrp");
    w = "import into mg1 with no filter";
    r = Import("mg1", kGroup, {Msg("f8").Seq(46)}, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(++g_total)}, w);
    ExpectTotal("after the filter tests");
}

// At most 100 subscriptions.
void TestSubscriptionLimit() {
    std::vector<std::string> filters;
    for (int i = 0; i < 101; ++i)
        filters.push_back(FilterText(kTIMConversationListFilterConversationGroup, "lim_" + std::to_string(i)));
    int ok = 0;
    for (int i = 0; i < 100; ++i) ok += TIMConvSubscribeUnreadMessageCountByFilter(filters[i].c_str()) == TIM_SUCC;
    EXPECT(ok == 100, "100 subscriptions accepted, got " + std::to_string(ok));
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(filters[100].c_str()) == TIM_ERR_PARAM,
           "the 101st subscription: TIM_ERR_PARAM");
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(filters[0].c_str()) == TIM_SUCC,
           "one already subscribed, at the limit: TIM_SUCC");
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(filters[0].c_str()) == TIM_SUCC, "unsubscribe one");
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(filters[100].c_str()) == TIM_SUCC,
           "then the 101st fits: TIM_SUCC");
    ok = 0;
    for (int i = 0; i < 101; ++i) ok += TIMConvUnsubscribeUnreadMessageCountByFilter(filters[i].c_str()) == TIM_SUCC;
    EXPECT(ok == 101, "all unsubscribed");
    ExpectNothingPending("subscriptions");
    // A subscription whose conversation group gets unread messages is told.
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(filters[7].c_str()) == TIM_SUCC, "subscribe lim_7 again");
    Json::UInt64 mu4 = Unread(GetOne("mu4", kC2C, "mu4"));
    EXPECT(mu4 == 4, "mu4 has 4 unread, got " + std::to_string(mu4));
    std::string w = "put mu4 in lim_7";
    uintptr_t tag = NextTag();
    Reply r = Await(w, TIMConvCreateConversationGroup("lim_7", IdArray({"c2c_mu4"}).c_str(), kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_mu4"}), Filt(filters[7], mu4)}, w);
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(filters[7].c_str()) == TIM_SUCC, "unsubscribe lim_7");
    tag = NextTag();
    r = Await("delete lim_7", TIMConvDeleteConversationGroup("lim_7", kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_mu4"})}, "delete lim_7 (unsubscribed)");
    w = "import into mu4 with no subscription left";
    r = Import("mu4", kC2C, {Msg("x").Server(6)}, w);
    ExpectEvents(r, {Upd({"c2c_mu4"}), Total(++g_total)}, w);
}

void TestRecvOpts() {
    const std::string f_c2c = FilterText(kTIMConversationListFilterConvType, kTIMConv_C2C);
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_c2c.c_str()) == TIM_SUCC, "subscribe c2c");
    Json::Value list = GetList("before receive options");
    auto is_c2c = [](const Json::Value& c) { return Get(c, kTIMConvType).asInt() == kTIMConv_C2C; };
    Json::UInt64 c2c = CountedSum(list, is_c2c);
    Json::UInt64 mu1 = Unread(ByKey(list, "c2c_mu1"));
    EXPECT(mu1 == 8, "mu1: 8 unread");

    std::string w = "set Not_Notify for mu1 and ro_nobody";
    Reply r = SetC2COpt({"mu1", "ro_nobody"}, kTIMRecvMsgOpt_Not_Notify, w);
    std::vector<Json::Value> ev =
        ExpectEvents(r, {Upd({"c2c_mu1"}), Total(g_total -= mu1), Filt(f_c2c, c2c -= mu1)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    Json::Value c = InEvent(ev, "c2c_mu1");
    EXPECT(RecvOpt(c) == kTIMRecvMsgOpt_Not_Notify && Unread(c) == mu1, w + ": conv_recv_opt 2, unread kept");
    std::vector<std::string> opts = GetC2COpts({"ro_nobody", "mu1", "ro_never", "mu1"}, "get options");
    EXPECT(opts == (std::vector<std::string>{"ro_nobody=2", "mu1=2", "ro_never=0", "mu1=2"}),
           "get options: in request order: " + Join(opts));
    EXPECT(GetC2COpts({"mg1"}, "get the option of a group id") == (std::vector<std::string>{"mg1=0"}),
           "a group id's option is not a user's");

    w = "import into muted mu1";
    r = Import("mu1", kC2C, {Msg("muted").Server(6200)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w + " (muted: no count moves)"), "c2c_mu1");
    EXPECT(Unread(c) == ++mu1, w + ": conv_unread_num still rises: " + std::to_string(Unread(c)));
    w = "set Not_Notify again";
    r = SetC2COpt({"mu1"}, kTIMRecvMsgOpt_Not_Notify, w);
    ExpectEvents(r, {}, w + " (no change)");
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "set Not_Notify_Except_At";
    r = SetC2COpt({"mu1"}, kTIMRecvMsgOpt_Not_Notify_Except_At, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w + " (still muted)"), "c2c_mu1");
    EXPECT(RecvOpt(c) == 3, w + ": conv_recv_opt 3");
    w = "set Not_Receive";
    r = SetC2COpt({"mu1"}, kTIMRecvMsgOpt_Not_Receive, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w + " (still muted)"), "c2c_mu1");
    EXPECT(RecvOpt(c) == 1, w + ": conv_recv_opt 1");
    w = "set Not_Receive_Except_At (counted)";
    r = SetC2COpt({"mu1"}, kTIMRecvMsgOpt_Not_Receive_Except_At, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"}), Total(g_total += mu1), Filt(f_c2c, c2c += mu1)}, w), "c2c_mu1");
    EXPECT(RecvOpt(c) == 4, w + ": conv_recv_opt 4");
    w = "set Receive";
    r = SetC2COpt({"mu1"}, kTIMRecvMsgOpt_Receive, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_mu1"})}, w + " (counted before and after)"), "c2c_mu1");
    EXPECT(RecvOpt(c) == 0, w + ": conv_recv_opt 0");

    // Two existing conversations in one call: one Update listing both.
    Json::UInt64 mu2 = Unread(GetOne("mu2", kC2C, "mu2"));
    Json::UInt64 mu4 = Unread(GetOne("mu4", kC2C, "mu4"));
    w = "mute mu2 and mu4";
    r = SetC2COpt({"mu2", "mu4", "ro_nobody"}, kTIMRecvMsgOpt_Not_Notify, w);
    ExpectEvents(r, {Upd({"c2c_mu2", "c2c_mu4"}), Total(g_total -= mu2 + mu4), Filt(f_c2c, c2c -= mu2 + mu4)}, w);
    long long n = CountByFilter("{\"conversation_list_filter_has_unread_count\":true}", "count has-unread (muted)");
    EXPECT(n == static_cast<long long>(g_total), "count by has-unread leaves the muted out: " + std::to_string(n));
    n = CountByFilter(f_c2c, "count c2c (muted)");
    EXPECT(n == static_cast<long long>(c2c), "count by c2c (subscribed) leaves the muted out: " + std::to_string(n));
    std::vector<std::string> listed =
        WalkPages(FilterText(kTIMConversationListFilterHasUnreadCount, true), 100, "has-unread list (muted)");
    EXPECT(std::find(listed.begin(), listed.end(), "c2c_mu2") != listed.end(),
           "a muted conversation with unread messages is still listed by has_unread_count true");
    w = "unmute mu2 and mu4";
    r = SetC2COpt({"mu2", "mu4"}, kTIMRecvMsgOpt_Receive, w);
    ExpectEvents(r, {Upd({"c2c_mu2", "c2c_mu4"}), Total(g_total += mu2 + mu4), Filt(f_c2c, c2c += mu2 + mu4)}, w);

    // Kept for users without a conversation, shown when one is created, kept over a delete.
    w = "create ro_nobody";
    r = Create("ro_nobody", kC2C, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_ro_nobody"})}, w), "c2c_ro_nobody");
    EXPECT(RecvOpt(c) == 2, w + ": conv_recv_opt 2 (set before it existed)");
    r = Delete("ro_nobody", kC2C, "delete ro_nobody");
    ExpectEvents(r, {Del({"c2c_ro_nobody"})}, "delete ro_nobody");
    w = "import into ro_nobody after its delete";
    r = Import("ro_nobody", kC2C, {Msg("back").Server(1)}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_ro_nobody"})}, w + " (muted: no count moves)"), "c2c_ro_nobody");
    EXPECT(RecvOpt(c) == 2 && Unread(c) == 1, w + ": conv_recv_opt 2 survived the delete; unread 1");
    EXPECT(GetC2COpts({"ro_nobody"}, "get ro_nobody") == (std::vector<std::string>{"ro_nobody=2"}), "still 2");
    w = "unmute ro_nobody";
    r = SetC2COpt({"ro_nobody"}, kTIMRecvMsgOpt_Receive, w);
    ExpectEvents(r, {Upd({"c2c_ro_nobody"}), Total(++g_total), Filt(f_c2c, ++c2c)}, w);

    // Exactly 30 ids; 31: 6017, nothing applied; 128-byte ids.
    std::vector<std::string> thirty, thirty_one;
    for (int i = 0; i < 31; ++i) {
        if (i < 30) thirty.push_back("ro_a" + std::to_string(i));
        thirty_one.push_back("ro_b" + std::to_string(i));
    }
    thirty.back() = std::string(128, 'r');
    w = "set 30 ids";
    r = SetC2COpt(thirty, kTIMRecvMsgOpt_Not_Receive, w);
    ExpectEvents(r, {}, w + " (no conversation)");
    ExpectEmptyReply(r, ERR_SUCC, w);
    opts = GetC2COpts(thirty, "get 30");
    EXPECT(opts.size() == 30 && opts[0] == "ro_a0=1" && opts[29] == std::string(128, 'r') + "=1",
           "the 30 are set, the 128-byte one too");
    w = "set 31 ids";
    r = SetC2COpt(thirty_one, kTIMRecvMsgOpt_Not_Receive, w);
    ExpectEvents(r, {}, w);
    ExpectCode(r, ERR_INVALID_PARAMETERS, w);
    opts = GetC2COpts(thirty_one, "get the 31");
    EXPECT(opts.size() == 31 && std::count(opts.begin(), opts.end(), "ro_b0=0") == 1 &&
               opts[30] == "ro_b30=0",
           "31 ids: nothing applied: " + opts[0]);

    // Groups.
    Json::UInt64 mg1 = Unread(GetOne("mg1", kGroup, "mg1"));
    w = "set Not_Receive for group mg1";
    r = SetGroupOpt("mg1", kTIMRecvMsgOpt_Not_Receive, w);
    c = InEvent(ExpectEvents(r, {Upd({"group_mg1"}), Total(g_total -= mg1)}, w), "group_mg1");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(RecvOpt(c) == 1 && Unread(c) == mg1, w + ": conv_recv_opt 1");
    r = SetGroupOpt("mg1", kTIMRecvMsgOpt_Not_Receive, "set it again");
    ExpectEvents(r, {}, "set the group option again (no change)");
    ExpectEmptyReply(r, ERR_SUCC, "set the group option again");
    w = "set a group option for a group without a conversation";
    r = SetGroupOpt("ro_g", kTIMRecvMsgOpt_Not_Notify_Except_At, w);
    ExpectEvents(r, {}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "import into group ro_g";
    r = Import("ro_g", kGroup, {Msg("g").Seq(1).At({kAtAll})}, w);
    c = InEvent(ExpectEvents(r, {Add({"group_ro_g"})}, w + " (muted)"), "group_ro_g");
    EXPECT(RecvOpt(c) == 3 && Unread(c) == 1 && AtStr(c) == "2@1", w + ": conv_recv_opt 3, unread 1, @all");
    EXPECT(GetC2COpts({"ro_g"}, "get ro_g as a user") == (std::vector<std::string>{"ro_g=0"}),
           "a group's option is not a user's");
    w = "unmute mg1";
    r = SetGroupOpt("mg1", kTIMRecvMsgOpt_Receive, w);
    ExpectEvents(r, {Upd({"group_mg1"}), Total(g_total += mg1)}, w);

    // Refused.
    auto set = [](const char* json, TIMReceiveMessageOpt opt) {
        return TIMMsgSetC2CReceiveMessageOpt(json, opt, kOnResult, kRefused);
    };
    const TIMReceiveMessageOpt opt5 = static_cast<TIMReceiveMessageOpt>(5);
    const TIMReceiveMessageOpt opt7 = static_cast<TIMReceiveMessageOpt>(7);
    ExpectRefused("set c2c option(NULL)", set(nullptr, kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set c2c option(not UTF-8)", set((std::string("[\"") + "\xff" + "\"]").c_str(),
                                                    kTIMRecvMsgOpt_Not_Notify),
                  TIM_ERR_PARAM);
    ExpectRefused("set c2c option(opt 5)", set("[\"mu1\"]", opt5), TIM_ERR_PARAM);
    ExpectRefused("set c2c option(opt 7)", set("[\"mu1\"]", opt7), TIM_ERR_PARAM);
    ExpectRefused("set c2c option([])", set("[]", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set c2c option([\"\"])", set("[\"\"]", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set c2c option(129-byte id)",
                  set(IdArray({"mu1", std::string(129, 'r')}).c_str(), kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set c2c option(\"{\")", set("{", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_JSON);
    ExpectRefused("set c2c option({})", set("{}", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_JSON);
    ExpectRefused("set c2c option(\"mu1\")", set("\"mu1\"", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_JSON);
    ExpectRefused("set c2c option([1])", set("[1]", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_JSON);
    ExpectRefused("set c2c option([null])", set("[null]", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_JSON);
    ExpectRefused("set c2c option(\"{\", opt 5): arguments first", set("{", opt5), TIM_ERR_PARAM);
    auto get = [](const char* json) { return TIMMsgGetC2CReceiveMessageOpt(json, kOnResult, kRefused); };
    ExpectRefused("get c2c option(NULL)", get(nullptr), TIM_ERR_PARAM);
    ExpectRefused("get c2c option([])", get("[]"), TIM_ERR_PARAM);
    ExpectRefused("get c2c option([\"\"])", get("[\"\"]"), TIM_ERR_PARAM);
    ExpectRefused("get c2c option(\"{\")", get("{"), TIM_ERR_JSON);
    ExpectRefused("get c2c option([1])", get("[1]"), TIM_ERR_JSON);
    auto set_group = [](const char* id, TIMReceiveMessageOpt opt) {
        return TIMMsgSetGroupReceiveMessageOpt(id, opt, kOnResult, kRefused);
    };
    ExpectRefused("set group option(NULL)", set_group(nullptr, kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set group option(\"\")", set_group("", kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set group option(129 bytes)",
                  set_group(std::string(129, 'g').c_str(), kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set group option(not UTF-8)",
                  set_group((std::string("mg") + "\xff").c_str(), kTIMRecvMsgOpt_Not_Notify), TIM_ERR_PARAM);
    ExpectRefused("set group option(opt 5)", set_group("mg1", opt5), TIM_ERR_PARAM);
    ExpectRefused("set group option(opt 7)", set_group("mg1", opt7), TIM_ERR_PARAM);
    EXPECT(GetC2COpts({"mu1"}, "mu1 after refusals") == (std::vector<std::string>{"mu1=0"}),
           "refused calls set nothing");
    EXPECT(RecvOpt(GetOne("mg1", kGroup, "mg1 after refusals")) == 0, "mg1 still 0");

    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_c2c.c_str()) == TIM_SUCC, "unsubscribe c2c");
    ExpectTotal("after the receive options");
}

void TestReportRead() {
    ReadEverything("read everything before the read reports", true);
    std::string w = "import 5 into rd1";
    Reply r = Import("rd1", kC2C,
                     {Msg("1").Server(100), Msg("2").Server(200), Msg("3").Server(300), Msg("4").Server(400),
                      Msg("5").Server(400)},
                     w);
    ExpectEvents(r, {Add({"c2c_rd1"}), Total(g_total += 5)}, w);
    Json::Value list = GetList("before reading rd1");
    Json::UInt64 t = ActiveTime(ByKey(list, "c2c_rd1"));
    r = Create("rd_top", kC2C, "create rd_top");  // above rd1: reading must not move rd1 back up
    ExpectEvents(r, {Add({"c2c_rd_top"})}, "create rd_top");

    w = "read rd1 up to time 200";
    r = ReportReadUpTo("rd1", kC2C, Msg("r").Server(200), w);
    Json::Value c = InEvent(ExpectEvents(r, {Upd({"c2c_rd1"}), Total(g_total -= 2)}, w), "c2c_rd1");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(Unread(c) == 3 && ActiveTime(c) == t, w + ": unread 3, not moved");
    r = ReportReadUpTo("rd1", kC2C, Msg("r").Server(200), w + " again");
    ExpectEvents(r, {}, w + " again (no change)");
    ExpectEmptyReply(r, ERR_SUCC, w + " again");
    w = "read rd1 up to client time 300";
    r = ReportReadUpTo("rd1", kC2C, Msg("r").Client(300), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_rd1"}), Total(--g_total)}, w), "c2c_rd1");
    EXPECT(Unread(c) == 2, w + ": unread 2");
    w = "read rd1 up to time 400 (two messages at 400)";
    r = ReportReadUpTo("rd1", kC2C, Msg("r").Server(400), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_rd1"}), Total(g_total -= 2)}, w), "c2c_rd1");
    EXPECT(Unread(c) == 0, w + ": unread 0");
    EXPECT(Keys(GetList(w)).at(0) == "c2c_rd_top", w + ": rd1 did not move above rd_top");

    r = Import("rd1", kC2C, {Msg("6").Server(500)}, "import 6");
    ExpectEvents(r, {Upd({"c2c_rd1"}), Total(++g_total)}, "import 6");
    w = "read rd1 (message NULL)";
    r = ReportRead("rd1", kC2C, nullptr, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_rd1"}), Total(--g_total)}, w), "c2c_rd1");
    EXPECT(Unread(c) == 0, w + ": everything read");
    r = Import("rd1", kC2C, {Msg("7").Server(600)}, "import 7");
    ExpectEvents(r, {Upd({"c2c_rd1"}), Total(++g_total)}, "import 7");
    w = "read rd1 (message \"\")";
    r = ReportRead("rd1", kC2C, "", w);
    ExpectEvents(r, {Upd({"c2c_rd1"}), Total(--g_total)}, w);

    // A C2C message without a time reads up to the time of the call.
    w = "import a past and a future message into rd5";
    r = Import("rd5", kC2C, {Msg("past").Server(100), Msg("future").Server(4000000000ULL)}, w);
    ExpectEvents(r, {Add({"c2c_rd5"}), Total(g_total += 2)}, w);
    w = "read rd5 with a message without a time";
    r = ReportReadUpTo("rd5", kC2C, Msg("r"), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_rd5"}), Total(--g_total)}, w), "c2c_rd5");
    EXPECT(Unread(c) == 1, w + ": read up to now: the future one is left");
    r = ReportRead("rd5", kC2C, nullptr, "read rd5");
    ExpectEvents(r, {Upd({"c2c_rd5"}), Total(--g_total)}, "read rd5");

    // Groups: by message_seq; a message without one reads everything.
    w = "import 3 into group rd2";
    r = Import("rd2", kGroup, {Msg("1").Seq(1), Msg("2").Seq(2).At({kAtAll}), Msg("3").Seq(3)}, w);
    ExpectEvents(r, {Add({"group_rd2"}), Total(g_total += 3)}, w);
    w = "read rd2 with a message without message_seq";
    r = ReportReadUpTo("rd2", kGroup, Msg("r").Server(1), w);
    c = InEvent(ExpectEvents(r, {Upd({"group_rd2"}), Total(g_total -= 3)}, w), "group_rd2");
    EXPECT(Unread(c) == 0 && AtStr(c).empty(), w + ": everything read, @ entry gone");

    // Every conversation of a type: conv_id NULL or "".
    r = Import("rd2", kGroup, {Msg("10").Seq(10), Msg("11").Seq(11)}, "import into rd2");
    ExpectEvents(r, {Upd({"group_rd2"}), Total(g_total += 2)}, "import into rd2");
    r = Import("rd3", kGroup, {Msg("1").Seq(1).At({kAtAll}).ExclUnread(true)}, "import @all into rd3");
    ExpectEvents(r, {Add({"group_rd3"})}, "import @all (not counted) into rd3");
    r = Import("rd1", kC2C, {Msg("8").Server(700)}, "import into rd1");
    ExpectEvents(r, {Upd({"c2c_rd1"}), Total(++g_total)}, "import into rd1");
    uintptr_t tag = NextTag();
    r = Await("pin rd2", TIMConvPinConversation("rd2", kGroup, true, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_rd2"})}, "pin rd2");
    w = "read every group (conv_id NULL)";
    r = ReportRead(nullptr, kGroup, nullptr, w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Upd({"group_rd2", "group_rd3"}), Total(g_total -= 2)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(!ev.empty() && !HasUnreadState(ByKey(ev[0], "group_rd2")) && !HasUnreadState(ByKey(ev[0], "group_rd3")),
           w + ": unread 0 and no @ entry in both");
    EXPECT(Unread(GetOne("rd1", kC2C, "rd1 after reading groups")) == 1, w + ": C2C untouched");
    EXPECT(IsTrue(Get(ByKey(ev[0], "group_rd2"), kTIMConvIsPinned)), w + ": rd2 still pinned");
    tag = NextTag();
    r = Await("unpin rd2", TIMConvPinConversation("rd2", kGroup, false, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"group_rd2"})}, "unpin rd2");
    w = "read every C2C (conv_id \"\", a bad message ignored)";
    r = ReportRead("", kC2C, "{not json", w);
    ExpectEvents(r, {Upd({"c2c_rd1"}), Total(--g_total)}, w);
    w = "read every group again";
    r = ReportRead("", kGroup, nullptr, w);
    ExpectEvents(r, {}, w + " (nothing to read)");
    ExpectEmptyReply(r, ERR_SUCC, w);

    w = "read a missing conversation";
    r = ReportRead("rd_missing", kC2C, nullptr, w);
    ExpectEvents(r, {}, w);
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, w);
    r = ReportRead("rd1", kGroup, nullptr, "read group_rd1 (missing)");
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, "read group_rd1 (missing)");
    auto rr = [](const char* id, TIMConvType type, const char* msg) {
        return TIMMsgReportReaded(id, type, msg, kOnResult, kRefused);
    };
    ExpectRefused("read(a missing one, bad JSON): the JSON first", rr("rd_missing", kC2C, "{"), TIM_ERR_JSON);
    ExpectRefused("read(conv_type 3)", rr("rd1", kSystem, nullptr), TIM_ERR_PARAM);
    ExpectRefused("read(conv_id NULL, conv_type 0)", rr(nullptr, kInvalidType, nullptr), TIM_ERR_PARAM);
    ExpectRefused("read(conv_id not UTF-8)", rr((std::string("rd") + "\xff").c_str(), kC2C, nullptr),
                  TIM_ERR_PARAM);
    ExpectRefused("read(129-byte conv_id)", rr(std::string(129, 'd').c_str(), kC2C, nullptr), TIM_ERR_PARAM);
    ExpectRefused("read(message not UTF-8)", rr("rd1", kC2C, RawMsg("\"k\":\"\xff\"").c_str()), TIM_ERR_PARAM);
    ExpectRefused("read(message \"{\")", rr("rd1", kC2C, "{"), TIM_ERR_JSON);
    ExpectRefused("read(message [])", rr("rd1", kC2C, "[]"), TIM_ERR_JSON);
    ExpectRefused("read(message without message_elem_array)", rr("rd1", kC2C, "{\"message_seq\":1}"), TIM_ERR_JSON);
    ExpectRefused("read(message_seq a string)", rr("rd2", kGroup, RawMsg("\"message_seq\":\"1\"").c_str()),
                  TIM_ERR_JSON);
    ExpectRefused("read(message of another conversation)",
                  rr("rd1", kC2C, RawMsg("\"message_conv_id\":\"someone\"").c_str()), TIM_ERR_PARAM);
    ExpectTotal("after the read reports");
}

void TestMarkAll() {
    ReadEverything("read everything before mark-all", true);
    Reply r = Import("ma1", kC2C, {Msg("1").Server(1), Msg("2").Server(2)}, "import into ma1");
    ExpectEvents(r, {Add({"c2c_ma1"}), Total(g_total += 2)}, "import into ma1");
    r = Import("ma2", kGroup, {Msg("1").Seq(1).At({kAtAll})}, "import into ma2");
    ExpectEvents(r, {Add({"group_ma2"}), Total(++g_total)}, "import into ma2");
    r = Import("ma3", kGroup, {Msg("1").Seq(1).At({kAtAll}).ExclUnread(true)}, "import @all only into ma3");
    ExpectEvents(r, {Add({"group_ma3"})}, "import @all only into ma3");
    r = Import("mu1", kC2C, {Msg("1").Server(7000)}, "import into mu1");
    ExpectEvents(r, {Upd({"c2c_mu1"}), Total(++g_total)}, "import into mu1");
    uintptr_t tag = NextTag();
    r = Await("pin ma1", TIMConvPinConversation("ma1", kC2C, true, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_ma1"})}, "pin ma1 (unread 2)");
    std::vector<std::string> unread =
        WalkPages(FilterText(kTIMConversationListFilterHasUnreadCount, true), 1, "has-unread with ma1 pinned");
    EXPECT(unread == (std::vector<std::string>{"c2c_ma1", "c2c_mu1", "group_ma2"}),
           "has-unread with ma1 pinned: pinned first: " + Join(unread));
    Json::Value before = GetList("before mark-all");
    std::string w = "mark all as read";
    r = MarkAll(w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Upd({"c2c_ma1", "group_ma2", "group_ma3", "c2c_mu1"}), Total(0)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    g_total = 0;
    bool all = !ev.empty() && ev[0].size() == 4;
    for (size_t i = 0; all && i < ev[0].size(); ++i) all = !HasUnreadState(At(ev[0], i));
    EXPECT(all, w + ": the four have unread 0 and no @ entry");
    Json::Value after = GetList("after mark-all");
    EXPECT(Keys(after) == Keys(before), w + ": nothing moved");
    EXPECT(WithUnreadState(after, kInvalidType).empty(), w + ": nothing unread left");
    EXPECT(IsTrue(Get(ByKey(after, "c2c_ma1"), kTIMConvIsPinned)) && Keys(after).at(0) == "c2c_ma1",
           w + ": ma1 still pinned, on top");
    tag = NextTag();
    r = Await("unpin ma1", TIMConvPinConversation("ma1", kC2C, false, kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {Upd({"c2c_ma1"})}, "unpin ma1");
    r = MarkAll(w + " again");
    ExpectEvents(r, {}, w + " again (nothing to read)");
    ExpectEmptyReply(r, ERR_SUCC, w + " again");
    EXPECT(TIMMsgMarkAllMessageAsRead(nullptr, nullptr) == TIM_SUCC, "mark all with cb NULL: TIM_SUCC");
    ExpectNothingPending("mark all with cb NULL (nothing to read)");
    ExpectTotal("after mark-all");
}

void TestClean() {
    ReadEverything("read everything before the cleans", true);
    Reply r = Import("cl1", kC2C, {Msg("1").Server(100), Msg("2").Server(200)}, "import into cl1");
    ExpectEvents(r, {Add({"c2c_cl1"}), Total(g_total += 2)}, "import into cl1");
    r = Import("cl2", kC2C, {Msg("1").Server(100)}, "import into cl2");
    ExpectEvents(r, {Add({"c2c_cl2"}), Total(++g_total)}, "import into cl2");
    r = Import("cg1", kGroup, {Msg("1").Seq(1), Msg("2").Seq(2).At({kAtAll}), Msg("3").Seq(3)}, "import into cg1");
    ExpectEvents(r, {Add({"group_cg1"}), Total(g_total += 3)}, "import into cg1");
    r = Import("cg2", kGroup, {Msg("1").Seq(1)}, "import into cg2");
    ExpectEvents(r, {Add({"group_cg2"}), Total(++g_total)}, "import into cg2");

    std::string w = "clean c2c_cl1 up to time 150";
    r = Clean("c2c_cl1", 150, 0, w);
    Json::Value c = InEvent(ExpectEvents(r, {Upd({"c2c_cl1"}), Total(--g_total)}, w), "c2c_cl1");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(Unread(c) == 1, w + ": unread 1");
    r = Clean("c2c_cl1", 150, 0, w + " again");
    ExpectEvents(r, {}, w + " again (no change)");
    ExpectEmptyReply(r, ERR_SUCC, w + " again");
    w = "clean group_cg1 up to seq 2";
    r = Clean("group_cg1", 0, 2, w);
    c = InEvent(ExpectEvents(r, {Upd({"group_cg1"}), Total(g_total -= 2)}, w), "group_cg1");
    EXPECT(Unread(c) == 1 && AtStr(c).empty(), w + ": unread 1, @ entry 2 gone");
    w = "clean group_cg1 with clean_timestamp 999, clean_sequence 0 (a group: everything)";
    r = Clean("group_cg1", 999, 0, w);
    c = InEvent(ExpectEvents(r, {Upd({"group_cg1"}), Total(--g_total)}, w), "group_cg1");
    EXPECT(Unread(c) == 0, w + ": unread 0");

    r = Import("cg1", kGroup, {Msg("4").Seq(4)}, "import into cg1");
    ExpectEvents(r, {Upd({"group_cg1"}), Total(++g_total)}, "import into cg1");
    w = "clean \"c2c\"";
    r = Clean("c2c", 0, 0, w);
    ExpectEvents(r, {Upd({"c2c_cl1", "c2c_cl2"}), Total(g_total -= 2)}, w);
    ExpectEmptyReply(r, ERR_SUCC, w);
    w = "clean \"group\"";
    r = Clean("group", 0, 0, w);
    ExpectEvents(r, {Upd({"group_cg1", "group_cg2"}), Total(g_total -= 2)}, w);
    r = Clean("group", 0, 0, w + " again");
    ExpectEvents(r, {}, w + " again (nothing to read)");

    for (int i = 0; i < 2; ++i) {
        r = Import("cl1", kC2C, {Msg("x").Server(300)}, "import into cl1");
        ExpectEvents(r, {Upd({"c2c_cl1"}), Total(++g_total)}, "import into cl1");
        r = Import("cg2", kGroup, {Msg("x").Seq(5)}, "import into cg2");
        ExpectEvents(r, {Upd({"group_cg2"}), Total(++g_total)}, "import into cg2");
        w = i == 0 ? "clean NULL (everything)" : "clean \"\" (everything)";
        r = Clean(i == 0 ? nullptr : "", 0, 0, w);
        ExpectEvents(r, {Upd({"c2c_cl1", "group_cg2"}), Total(g_total -= 2)}, w);
        ExpectEmptyReply(r, ERR_SUCC, w);
    }
    r = Import("cl1", kC2C, {Msg("a").Server(1000), Msg("b").Server(2000)}, "import into cl1");
    ExpectEvents(r, {Upd({"c2c_cl1"}), Total(g_total += 2)}, "import into cl1");
    r = Import("cg1", kGroup, {Msg("a").Seq(10), Msg("b").Seq(20)}, "import into cg1");
    ExpectEvents(r, {Upd({"group_cg1"}), Total(g_total += 2)}, "import into cg1");
    w = "clean everything up to time 1500 / seq 15";
    r = Clean("", 1500, 15, w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Upd({"c2c_cl1", "group_cg1"}), Total(g_total -= 2)}, w);
    EXPECT(!ev.empty() && Unread(ByKey(ev[0], "c2c_cl1")) == 1 && Unread(ByKey(ev[0], "group_cg1")) == 1,
           w + ": one left in each");
    w = "clean NULL up to time and seq UINT64_MAX";
    r = Clean(nullptr, UINT64_MAX, UINT64_MAX, w);
    ev = ExpectEvents(r, {Upd({"c2c_cl1", "group_cg1"}), Total(g_total -= 2)}, w);
    EXPECT(!ev.empty() && Unread(ByKey(ev[0], "c2c_cl1")) == 0 && Unread(ByKey(ev[0], "group_cg1")) == 0,
           w + ": everything read");

    w = "clean c2c_cl_missing";
    r = Clean("c2c_cl_missing", 0, 0, w);
    ExpectEvents(r, {}, w);
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, w);
    r = Clean("group_cl1", 0, 0, "clean group_cl1 (missing)");
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, "clean group_cl1 (missing)");
    auto clean = [](const std::string& id) {
        return TIMConvCleanConversationUnreadMessageCount(id.c_str(), 0, 0, kOnResult, kRefused);
    };
    for (const std::string& bad :
         {std::string("cl1"), std::string("c2c_"), std::string("group_"), std::string("C2C_cl1"),
          std::string("c2c "), std::string("groups"), std::string("GROUP"), std::string("c2c_") + std::string(129, 'x'),
          std::string("c2c_cl") + "\xff", std::string("\xff")})
        ExpectRefused("clean(\"" + bad + "\")", clean(bad), TIM_ERR_PARAM);
    ExpectTotal("after the cleans");
}

void TestClearHistory() {
    ReadEverything("read everything before clearing history", true);
    Reply r = Import("h1", kC2C, {Msg("1").Server(100).Sender("bob"), Msg("2").Server(200)}, "import into h1");
    ExpectEvents(r, {Add({"c2c_h1"}), Total(g_total += 2)}, "import into h1");
    r = Import("h2", kGroup, {Msg("1").Seq(1).At({kAtAll}), Msg("2").Seq(2)}, "import into h2");
    ExpectEvents(r, {Add({"group_h2"}), Total(g_total += 2)}, "import into h2");
    r = Import("h3", kC2C, {Msg("read").Server(5).Read(true)}, "import a read message into h3");
    ExpectEvents(r, {Add({"c2c_h3"})}, "import a read message into h3");
    Json::Value list = GetList("before clearing");
    Json::UInt64 t1 = ActiveTime(ByKey(list, "c2c_h1"));
    Json::UInt64 t2 = ActiveTime(ByKey(list, "group_h2"));

    std::string w = "clear h1";
    r = ClearHistory("h1", kC2C, w);
    Json::Value c = InEvent(ExpectEvents(r, {Upd({"c2c_h1"}), Total(g_total -= 2)}, w), "c2c_h1");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(IsFalse(Get(c, kTIMConvIsHasLastMsg)) && Get(c, kTIMConvLastMsg).isNull(),
           w + ": conv_is_has_lastmsg false, no conv_last_msg: " + c.toStyledString());
    EXPECT(Unread(c) == 0 && AtStr(c).empty() && ActiveTime(c) == t1, w + ": unread 0, its place kept");
    r = ClearHistory("h1", kC2C, w + " again");
    ExpectEvents(r, {}, w + " again (no change)");
    ExpectEmptyReply(r, ERR_SUCC, w + " again");
    w = "clear h2";
    r = ClearHistory("h2", kGroup, w);
    c = InEvent(ExpectEvents(r, {Upd({"group_h2"}), Total(g_total -= 2)}, w), "group_h2");
    EXPECT(LastText(c) == "<none>" && Unread(c) == 0 && AtStr(c).empty() && ActiveTime(c) == t2,
           w + ": no last message, unread 0, no @ entry, its place kept");
    w = "clear h3 (a last message only)";
    r = ClearHistory("h3", kC2C, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_h3"})}, w + " (no count moves)"), "c2c_h3");
    EXPECT(LastText(c) == "<none>", w + ": no last message");
    EXPECT(Keys(GetList("after clearing")) == Keys(list), "clearing moved nothing");

    // A message older than the cleared one is the last message again, and moves it up.
    w = "import an old message into the cleared h1";
    r = Import("h1", kC2C, {Msg("old").Server(50)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_h1"}), Total(++g_total)}, w), "c2c_h1");
    EXPECT(LastText(c) == "old" && Unread(c) == 1, w + ": the last message, unread 1");
    EXPECT(Keys(GetList(w)).at(0) == "c2c_h1", w + ": h1 on top");

    // A new last message moves a pinned conversation to the top of the pinned
    // ones, an unpinned one to the top of the unpinned ones.
    r = Create("pa", kC2C, "create pa");
    ExpectEvents(r, {Add({"c2c_pa"})}, "create pa");
    r = Create("pb", kC2C, "create pb");
    ExpectEvents(r, {Add({"c2c_pb"})}, "create pb");
    for (const char* id : {"pa", "pb"}) {
        uintptr_t tag = NextTag();
        r = Await(std::string("pin ") + id, TIMConvPinConversation(id, kC2C, true, kOnResult, Tag(tag)), tag);
        ExpectEvents(r, {Upd({std::string("c2c_") + id})}, std::string("pin ") + id);
    }
    std::vector<std::string> top = Keys(GetList("pinned pa, pb"));
    EXPECT(top.size() > 3 && top[0] == "c2c_pb" && top[1] == "c2c_pa" && top[2] == "c2c_h1",
           "pinned pb, pa, then h1: " + Join(top));
    w = "import into pinned pa";
    r = Import("pa", kC2C, {Msg("p").Server(1).Read(true)}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_pa"})}, w), "c2c_pa");
    EXPECT((ActiveTime(c) & 0x4000000000000000ULL) != 0, w + ": conv_active_time keeps bit 62");
    w = "import into unpinned h3";
    r = Import("h3", kC2C, {Msg("p").Server(1).Read(true)}, w);
    ExpectEvents(r, {Upd({"c2c_h3"})}, w);
    top = Keys(GetList("after the imports"));
    EXPECT(top.size() > 3 && top[0] == "c2c_pa" && top[1] == "c2c_pb" && top[2] == "c2c_h3",
           "pa to the top of the pinned, h3 to the top of the unpinned: " + Join(top));
    for (const char* id : {"pa", "pb"}) {
        r = Delete(id, kC2C, std::string("delete ") + id);
        ExpectEvents(r, {Del({std::string("c2c_") + id})}, std::string("delete ") + id);
    }

    r = Create("h4", kC2C, "create h4");
    ExpectEvents(r, {Add({"c2c_h4"})}, "create h4");
    r = ClearHistory("h4", kC2C, "clear h4 (nothing to clear)");
    ExpectEvents(r, {}, "clear h4 (nothing to clear)");
    ExpectEmptyReply(r, ERR_SUCC, "clear h4");
    r = ClearHistory("h_missing", kC2C, "clear a missing one");
    ExpectEvents(r, {}, "clear a missing one");
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, "clear a missing one");
    r = ClearHistory("h1", kGroup, "clear group_h1 (missing)");
    ExpectEmptyReply(r, ERR_INVALID_CONVERSATION, "clear group_h1 (missing)");
    auto clear = [](const char* id, TIMConvType type) {
        return TIMMsgClearHistoryMessage(id, type, kOnResult, kRefused);
    };
    ExpectRefused("clear(NULL)", clear(nullptr, kC2C), TIM_ERR_PARAM);
    ExpectRefused("clear(\"\")", clear("", kC2C), TIM_ERR_PARAM);
    ExpectRefused("clear(129 bytes)", clear(std::string(129, 'h').c_str(), kC2C), TIM_ERR_PARAM);
    ExpectRefused("clear(not UTF-8)", clear((std::string("h") + "\xff").c_str(), kC2C), TIM_ERR_PARAM);
    ExpectRefused("clear(conv_type 3)", clear("h1", kSystem), TIM_ERR_PARAM);
    ExpectRefused("clear(conv_type 0)", clear("h1", kInvalidType), TIM_ERR_PARAM);
    EXPECT(Unread(GetOne("h1", kC2C, "h1 after refusals")) == 1, "refused clears changed nothing");
    ExpectTotal("after clearing history");
}

// The has_unread_count / has_group_at_info keys of the filtered list.
void TestListFilterKeys() {
    ReadEverything("read everything before the list filters", true);
    Reply r = Import("lf1", kC2C, {Msg("1").Server(1), Msg("2").Server(2)}, "import into lf1");
    ExpectEvents(r, {Add({"c2c_lf1"}), Total(g_total += 2)}, "import into lf1");
    r = Import("lf2", kGroup, {Msg("1").Seq(1).At({kAtAll})}, "import into lf2");
    ExpectEvents(r, {Add({"group_lf2"}), Total(++g_total)}, "import into lf2");
    r = Import("lf3", kGroup, {Msg("1").Seq(1).At({kAtAll}).ExclUnread(true)}, "import @all only into lf3");
    ExpectEvents(r, {Add({"group_lf3"})}, "import @all only into lf3");
    r = Create("lf4", kC2C, "create lf4");
    ExpectEvents(r, {Add({"c2c_lf4"})}, "create lf4");
    Json::Value list = GetList("list filters");
    std::vector<std::string> all = Keys(list);
    EXPECT(all.size() > 4 && std::vector<std::string>(all.begin(), all.begin() + 4) ==
                                 (std::vector<std::string>{"c2c_lf4", "group_lf3", "group_lf2", "c2c_lf1"}),
           "the four on top, newest first: " + Join(all));
    auto except = [&all](const std::vector<std::string>& out) {
        std::vector<std::string> keep;
        for (const std::string& k : all)
            if (std::find(out.begin(), out.end(), k) == out.end()) keep.push_back(k);
        return keep;
    };
    struct Case {
        std::string what;
        Json::Value filter;
        std::vector<std::string> want;
    };
    std::vector<Case> cases;
    auto add = [&cases](const std::string& what, const std::vector<std::pair<const char*, Json::Value>>& keys,
                        const std::vector<std::string>& want) {
        Json::Value f(Json::objectValue);
        for (const auto& k : keys) f[k.first] = k.second;
        cases.push_back(Case{what, f, want});
    };
    add("has unread", {{kTIMConversationListFilterHasUnreadCount, true}}, {"group_lf2", "c2c_lf1"});
    add("has no unread", {{kTIMConversationListFilterHasUnreadCount, false}}, except({"group_lf2", "c2c_lf1"}));
    add("has @", {{kTIMConversationListFilterHasGroupAtInfo, true}}, {"group_lf3", "group_lf2"});
    add("has no @", {{kTIMConversationListFilterHasGroupAtInfo, false}}, except({"group_lf3", "group_lf2"}));
    add("group, has unread",
        {{kTIMConversationListFilterConvType, kTIMConv_Group}, {kTIMConversationListFilterHasUnreadCount, true}},
        {"group_lf2"});
    add("c2c, has @", {{kTIMConversationListFilterConvType, kTIMConv_C2C}, {kTIMConversationListFilterHasGroupAtInfo, true}},
        {});
    add("has unread, has no @",
        {{kTIMConversationListFilterHasUnreadCount, true}, {kTIMConversationListFilterHasGroupAtInfo, false}},
        {"c2c_lf1"});
    add("has no unread, has @",
        {{kTIMConversationListFilterHasUnreadCount, false}, {kTIMConversationListFilterHasGroupAtInfo, true}},
        {"group_lf3"});
    for (const Case& k : cases) {
        std::string f = k.filter.toStyledString();
        for (uint32_t per : {1u, 2u, 100u}) {
            std::vector<std::string> got = WalkPages(f, per, "filter " + k.what);
            EXPECT(got == k.want, "filter " + k.what + " (pages of " + std::to_string(per) + "): " + Join(k.want) +
                                      ", got " + Join(got));
        }
    }
    long long n = CountByFilter(FilterText(kTIMConversationListFilterHasGroupAtInfo, true), "count by has @");
    EXPECT(n == 1, "count by has @: lf2's 1 (lf3's @ is not counted), got " + std::to_string(n));

    std::string w = "read lf1";
    r = ReportRead("lf1", kC2C, nullptr, w);
    ExpectEvents(r, {Upd({"c2c_lf1"}), Total(g_total -= 2)}, w);
    std::vector<std::string> got = WalkPages(FilterText(kTIMConversationListFilterHasUnreadCount, true), 2, w);
    EXPECT(got == (std::vector<std::string>{"group_lf2"}), w + ": it leaves has-unread: " + Join(got));
    w = "clean lf3";
    r = Clean("group_lf3", 0, 0, w);
    ExpectEvents(r, {Upd({"group_lf3"})}, w + " (its @ entry only)");
    got = WalkPages(FilterText(kTIMConversationListFilterHasGroupAtInfo, true), 2, w);
    EXPECT(got == (std::vector<std::string>{"group_lf2"}), w + ": it leaves has-@: " + Join(got));

    // A subscribed has-@ filter's count moves when a conversation gains an @
    // entry, though no unread count does.
    r = Import("lf5", kGroup, {Msg("1").Seq(1), Msg("2").Seq(2)}, "import 2 into lf5");
    ExpectEvents(r, {Add({"group_lf5"}), Total(g_total += 2)}, "import 2 into lf5");
    const std::string f_at = FilterText(kTIMConversationListFilterHasGroupAtInfo, true);
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_at.c_str()) == TIM_SUCC, "subscribe has-@");
    w = "import an @all not counted into lf5";
    r = Import("lf5", kGroup, {Msg("3").Seq(3).At({kAtAll}).ExclUnread(true)}, w);
    ExpectEvents(r, {Upd({"group_lf5"}), Filt(f_at, 1 + 2)}, w + " (lf5 joins has-@ with its 2 unread)");
    w = "read lf5 up to seq 3";
    r = ReportReadUpTo("lf5", kGroup, Msg("r").Seq(3), w);
    ExpectEvents(r, {Upd({"group_lf5"}), Total(g_total -= 2), Filt(f_at, 1)}, w);
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_at.c_str()) == TIM_SUCC, "unsubscribe has-@");
    ExpectTotal("after the list filters");
}

// ---------------------------------------------------------------------------
// TIMInit + TIMLogin("me"): messages from self, @me.

Reply Login(const std::string& user) {
    uintptr_t tag = NextTag();
    return Await("login " + user, TIMLogin(user.c_str(), "sig", kOnResult, Tag(tag)), tag);
}

void ExpectAllNotLoggedIn(const std::string& when) {
    std::string msgs = MsgArray({Msg("x")});
    std::string one = Msg("x").str();
    struct Call {
        const char* name;
        int ret;
    };
    std::vector<Call> calls = {
        {"TIMMsgImportMsgList", TIMMsgImportMsgList("u", kC2C, msgs.c_str(), kOnResult, kRefused)},
        {"TIMMsgImportMsgList(NULL)", TIMMsgImportMsgList(nullptr, kSystem, nullptr, kOnResult, kRefused)},
        {"TIMMsgSaveMsg", TIMMsgSaveMsg("u", kC2C, one.c_str(), kOnResult, kRefused)},
        {"TIMMsgReportReaded", TIMMsgReportReaded("u", kC2C, nullptr, kOnResult, kRefused)},
        {"TIMMsgMarkAllMessageAsRead", TIMMsgMarkAllMessageAsRead(kOnResult, kRefused)},
        {"TIMConvCleanConversationUnreadMessageCount",
         TIMConvCleanConversationUnreadMessageCount("bad", 0, 0, kOnResult, kRefused)},
        {"TIMMsgClearHistoryMessage", TIMMsgClearHistoryMessage("u", kC2C, kOnResult, kRefused)},
        {"TIMMsgSetC2CReceiveMessageOpt",
         TIMMsgSetC2CReceiveMessageOpt("[\"u\"]", kTIMRecvMsgOpt_Not_Notify, kOnResult, kRefused)},
        {"TIMMsgGetC2CReceiveMessageOpt", TIMMsgGetC2CReceiveMessageOpt("[\"u\"]", kOnResult, kRefused)},
        {"TIMMsgSetGroupReceiveMessageOpt",
         TIMMsgSetGroupReceiveMessageOpt("g", kTIMRecvMsgOpt_Not_Notify, kOnResult, kRefused)},
        {"TIMConvGetTotalUnreadMessageCount", TIMConvGetTotalUnreadMessageCount(kOnResult, kRefused)},
        {"TIMConvGetUnreadMessageCountByFilter", TIMConvGetUnreadMessageCountByFilter("{}", kOnResult, kRefused)},
        {"TIMConvSubscribeUnreadMessageCountByFilter", TIMConvSubscribeUnreadMessageCountByFilter("{}")},
        {"TIMConvUnsubscribeUnreadMessageCountByFilter", TIMConvUnsubscribeUnreadMessageCountByFilter(nullptr)},
        {"TIMConvGetConversationListByFilter",
         TIMConvGetConversationListByFilter("{\"conversation_list_filter_has_unread_count\":true}", 0, 10, kOnResult,
                                            kRefused)},
    };
    for (const Call& c : calls)
        EXPECT(c.ret == TIM_ERR_NOTLOGIN,
               when + ": " + c.name + " -> TIM_ERR_NOTLOGIN, got " + std::to_string(c.ret));
}

void TestLoggedIn() {
    int ret = TIMInit(1400000000, Json::Value(Json::objectValue).toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, "TIMInit: TIM_SUCC, got " + std::to_string(ret));
    ExpectAllNotLoggedIn("after TIMInit, before TIMLogin");
    Reply r = Login("me");
    ExpectEvents(r, {}, "login me (the refused calls called nothing back)");
    ExpectEmptyReply(r, ERR_SUCC, "login me");
    EXPECT(GetList("me").empty(), "me: no conversations (TIMInit dropped the embedded store)");
    long long n = GetTotal("me: total");
    EXPECT(n == 0, "me: total 0, got " + std::to_string(n));

    std::string w = "me: import 9 into group lg";
    r = Import("lg", kGroup,
               {Msg("1").Seq(1).Sender("me").At({"me"}), Msg("2").Seq(2).Sender("bob").At({"me"}),
                Msg("3").Seq(3).Sender("bob").At({kAtAll}), Msg("4").Seq(4).Sender("bob").At({"me", kAtAll}),
                Msg("5").Seq(5).Sender("bob").At({"carol"}), Msg("6").Seq(6).Sender("me").Self(false).At({"me"}),
                Msg("7").Seq(7).Sender("bob").Self(true).At({kAtAll}), Msg("8").Seq(8).Sender("bob").Read(true).At({"me"}),
                Msg("9").Seq(9).Sender("me").At({kAtAll})},
               w);
    Json::Value c = InEvent(ExpectEvents(r, {Add({"group_lg"}), Total(5)}, w), "group_lg");
    ExpectEmptyReply(r, ERR_SUCC, w);
    EXPECT(Unread(c) == 5, w + ": 2, 3, 4, 5 and 6 unread (1 and 9 from me, 7 from self, 8 read): " +
                               std::to_string(Unread(c)));
    EXPECT(AtStr(c) == "1@2 2@3 3@4 1@6", w + ": @me 2, @all 3, @all+@me 4, @me 6: got \"" + AtStr(c) + "\"");
    EXPECT(LastText(c) == "9" && IsTrue(Get(Get(c, kTIMConvLastMsg), kTIMMsgIsFormSelf)),
           w + ": the last message is 9, message_is_from_self true (filled in: the sender is me)");

    w = "me: import from me and from peer into c2c peer";
    r = Import("peer", kC2C, {Msg("mine").Server(10).Sender("me"), Msg("theirs").Server(20).Sender("peer")}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_peer"}), Total(6)}, w), "c2c_peer");
    EXPECT(Unread(c) == 1 && LastText(c) == "theirs" && IsFalse(Get(Get(c, kTIMConvLastMsg), kTIMMsgIsFormSelf)),
           w + ": unread 1, last theirs, message_is_from_self false");
    w = "me: save a message from me";
    r = Save("peer", kC2C, Msg("saved mine").Server(30).Sender("me"), w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_peer"})}, w + " (not unread: no total)"), "c2c_peer");
    Json::Value kept = r.arrived ? ParseObject(r.reply.json, w) : Json::Value();
    EXPECT(IsTrue(Get(kept, kTIMMsgIsFormSelf)), w + ": the reply has message_is_from_self true: " + r.reply.json);
    EXPECT(Unread(c) == 1 && LastText(c) == "saved mine", w + ": unread 1, the last message");
    w = "me: @me in a C2C conversation";
    r = Import("peer", kC2C, {Msg("at me").Server(40).Sender("peer").At({"me"})}, w);
    c = InEvent(ExpectEvents(r, {Upd({"c2c_peer"}), Total(7)}, w), "c2c_peer");
    EXPECT(AtStr(c).empty() && Unread(c) == 2, w + ": no @ entry, unread 2");
    w = "me: only from me into a new conversation";
    r = Import("selfonly", kC2C, {Msg("a").Sender("me"), Msg("b").Sender("me").Server(5)}, w);
    c = InEvent(ExpectEvents(r, {Add({"c2c_selfonly"})}, w + " (no total)"), "c2c_selfonly");
    EXPECT(Unread(c) == 0, w + ": unread 0");

    std::vector<std::string> got = WalkPages(FilterText(kTIMConversationListFilterHasGroupAtInfo, true), 10, "me: has @");
    EXPECT(got == (std::vector<std::string>{"group_lg"}), "me: has @ lists lg: " + Join(got));
    got = WalkPages(FilterText(kTIMConversationListFilterHasUnreadCount, false), 10, "me: has no unread");
    EXPECT(got == (std::vector<std::string>{"c2c_selfonly"}), "me: has no unread lists selfonly: " + Join(got));
    const std::string f_at = "{\"conversation_list_filter_has_group_at_info\": true}";
    n = CountByFilter(f_at, "me: count by has @");
    EXPECT(n == 5, "me: count by has @ is lg's 5, got " + std::to_string(n));
    EXPECT(TIMConvSubscribeUnreadMessageCountByFilter(f_at.c_str()) == TIM_SUCC, "me: subscribe has @");

    w = "me: read lg up to seq 3";
    r = ReportReadUpTo("lg", kGroup, Msg("r").Seq(3), w);
    c = InEvent(ExpectEvents(r, {Upd({"group_lg"}), Total(5), Filt(f_at, 3)}, w), "group_lg");
    EXPECT(AtStr(c) == "3@4 1@6" && Unread(c) == 3, w + ": entries 2 and 3 gone, unread 3: \"" + AtStr(c) + "\"");
    w = "me: clean group_lg up to seq 4";
    r = Clean("group_lg", 0, 4, w);
    c = InEvent(ExpectEvents(r, {Upd({"group_lg"}), Total(4), Filt(f_at, 2)}, w), "group_lg");
    EXPECT(AtStr(c) == "1@6" && Unread(c) == 2, w + ": entry 4 gone, unread 2");
    w = "me: mark all as read";
    r = MarkAll(w);
    std::vector<Json::Value> ev = ExpectEvents(r, {Upd({"group_lg", "c2c_peer"}), Total(0), Filt(f_at, 0)}, w);
    EXPECT(!ev.empty() && AtStr(ByKey(ev[0], "group_lg")).empty(), w + ": no @ entry left");
    EXPECT(TIMConvUnsubscribeUnreadMessageCountByFilter(f_at.c_str()) == TIM_SUCC, "me: unsubscribe has @");

    uintptr_t tag = NextTag();
    r = Await("logout me", TIMLogout(kOnResult, Tag(tag)), tag);
    ExpectEvents(r, {}, "logout me");
    ExpectCode(r, ERR_SUCC, "logout me");
    ExpectAllNotLoggedIn("after TIMLogout");
    ret = TIMUninit();
    EXPECT(ret == TIM_SUCC, "TIMUninit: TIM_SUCC, got " + std::to_string(ret));
    EXPECT(Pending() == 0, "TIMUninit: the refused calls called nothing back");
    EXPECT(GetList("after TIMUninit").empty(), "after TIMUninit: the embedded default, empty");
}

}  // namespace

int main() {
    g_main_thread = std::this_thread::get_id();
    TestSetUp();
    TestImportC2C();
    TestImportGroup();
    TestSave();
    TestImportRefused();
    TestFilterBeforeTotal();
    TestTotal();
    TestFilters();
    TestSubscriptionLimit();
    TestRecvOpts();
    TestReportRead();
    TestMarkAll();
    TestClean();
    TestClearHistory();
    TestListFilterKeys();
    TestLoggedIn();

    TIMSetConvEventCallback(nullptr, nullptr);
    TIMSetConvTotalUnreadMessageCountChangedCallback(nullptr, nullptr);
    TIMSetConvUnreadMessageCountChangedByFilterCallback(nullptr, nullptr);
    EXPECT(Pending() == 0, "nothing left unread");
    std::printf("messages: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
