// The conversation module beyond create, list and drafts, used the way a
// vendor C++ app writes it: lookups (TIMConvGetConvInfo), pins, marks,
// custom data, batch deletes, filtered pages, and conversation groups with
// their five listeners. Embedded default: no TIMInit.
//
// Every function is called with valid input and with invalid input; every
// JSON payload is parsed with jsoncpp (strict mode). Refused calls are
// checked to call nothing back: a TIMConvGetConversationGroupList issued
// after them is a barrier (callbacks run in order), and nothing may arrive
// before its answer. Every wait has a timeout: a wait that times out is a
// failure, never a hang.
//
// C++11, jsoncpp, captureless lambdas as callbacks, the kTIM... key macros.
// Prints "conv_module: N passed, M failed" as its last line; exits 1 on
// failure.

#include <json/json.h>

#include <TIMCloud.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

#include "expect.h"
#include "json_check.h"

const std::chrono::seconds kTimeout(30);  // generous: valgrind is slow
const Json::UInt64 kPinnedBit = 0x4000000000000000ULL;
const uint64_t kStar = kTIMConversationMarkTypeStar;
const uint64_t kUnread = kTIMConversationMarkTypeUnread;
const uint64_t kFold = kTIMConversationMarkTypeFold;
const uint64_t kHide = kTIMConversationMarkTypeHide;
const uint64_t kBit40 = 1ULL << 40;
const uint64_t kBit63 = 1ULL << 63;
const uint64_t kAllMarkBits = 0xffffffff0000000fULL;

// What delivered an answer.
enum Kind { kReply, kConvEvent, kGroupCreated, kGroupDeleted, kGroupRenamed, kAddedToGroup, kDeletedFromGroup };

// One callback invocation, copied inside the callback.
struct Answer {
    Answer() : kind(kReply), code(0), tag(0), reason(0) {}
    Answer(Kind k, int c, const void* user_data, const char* n, const char* n2, const char* j, uint32_t r)
        : kind(k),
          code(c),
          tag(reinterpret_cast<uintptr_t>(user_data)),
          name(n ? n : "(null)"),
          name2(n2 ? n2 : "(null)"),
          json(j ? j : "(null)"),
          reason(r),
          thread(std::this_thread::get_id()) {}
    Kind kind;
    int code;           // reply code, or the TIMConvEvent
    uintptr_t tag;      // user_data
    std::string name;   // reply: desc; group callbacks: the group (a rename: the old name)
    std::string name2;  // a rename: the new name
    std::string json;
    uint32_t reason;    // deleted-from-group
    std::thread::id thread;
};

std::mutex g_mutex;
std::condition_variable g_cond;
std::deque<Answer> g_answers;
std::thread::id g_main_thread;

// user_data of the listeners (per-call tags count up from 1000).
const uintptr_t kEventTag = 9001;
uintptr_t g_group_tag = 9100;  // the group listeners get g_group_tag + 1 .. + 5
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
    Push(Answer(kReply, code, user_data, desc, "", json_params, 0));
};

const TIMConvEventCallback kOnConvEvent = [](TIMConvEvent conv_event, const char* json_conv_array,
                                             const void* user_data) {
    Push(Answer(kConvEvent, conv_event, user_data, "", "", json_conv_array, 0));
};

const TIMConvConversationGroupCreatedCallback kOnGroupCreated = [](const char* group_name,
                                                                   const char* conversation_array,
                                                                   const void* user_data) {
    Push(Answer(kGroupCreated, 0, user_data, group_name, "", conversation_array, 0));
};

const TIMConvConversationGroupDeletedCallback kOnGroupDeleted = [](const char* group_name, const void* user_data) {
    Push(Answer(kGroupDeleted, 0, user_data, group_name, "", "", 0));
};

const TIMConvConversationGroupNameChangedCallback kOnGroupRenamed = [](const char* old_name, const char* new_name,
                                                                       const void* user_data) {
    Push(Answer(kGroupRenamed, 0, user_data, old_name, new_name, "", 0));
};

const TIMConvConversationsAddedToGroupCallback kOnAddedToGroup = [](const char* group_name,
                                                                    const char* conversation_array,
                                                                    const void* user_data) {
    Push(Answer(kAddedToGroup, 0, user_data, group_name, "", conversation_array, 0));
};

const TIMConvConversationsDeletedFromGroupCallback kOnDeletedFromGroup =
    [](const char* group_name, const char* conversation_array, uint32_t reason, const void* user_data) {
        Push(Answer(kDeletedFromGroup, 0, user_data, group_name, "", conversation_array, reason));
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
    static const char* const kNames[] = {"reply",         "conv event",         "group created",
                                         "group deleted", "group renamed",      "added to group",
                                         "deleted from group"};
    std::string s = std::string(kNames[a.kind]) + " code " + std::to_string(a.code) + " tag " + std::to_string(a.tag);
    if (!a.name.empty()) s += " \"" + a.name + "\"";
    if (!a.name2.empty()) s += " -> \"" + a.name2 + "\"";
    if (a.kind == kDeletedFromGroup) s += " reason " + std::to_string(a.reason);
    std::string j = a.json.size() > 300 ? a.json.substr(0, 300) + "..." : a.json;
    return s + " json " + j;
}

std::vector<Json::UInt64> Marks(const Json::Value& c) {
    std::vector<Json::UInt64> marks;
    const Json::Value& a = Get(c, kTIMConvMarkArray);
    for (size_t i = 0; a.isArray() && i < a.size(); ++i)
        marks.push_back(At(a, i).isUInt64() ? At(a, i).asUInt64() : 0xdeadULL);
    return marks;
}

uint64_t MarkBits(const Json::Value& c) {
    uint64_t bits = 0;
    for (Json::UInt64 m : Marks(c)) bits |= m;
    return bits;
}

std::vector<std::string> Groups(const Json::Value& c) {
    std::vector<std::string> groups;
    const Json::Value& a = Get(c, kTIMConvConversationGroupArray);
    for (size_t i = 0; a.isArray() && i < a.size(); ++i) groups.push_back(Text(At(a, i)));
    return groups;
}

bool InGroup(const Json::Value& c, const std::string& group) {
    std::vector<std::string> g = Groups(c);
    return std::find(g.begin(), g.end(), group) != g.end();
}

std::string IdArray(const std::vector<std::string>& ids) {
    Json::Value a(Json::arrayValue);
    for (const std::string& id : ids) a.append(id);
    return a.toStyledString();
}

// n ids of which none exists (more than a request may hold, when n > 100).
std::vector<std::string> Missing(size_t n) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back("c2c_cm_missing_" + std::to_string(i));
    return ids;
}

// ---------------------------------------------------------------------------
// Calls and their answers.

// An accepted call's answers: what was delivered before its own callback
// (events, and any stray reply), then the callback.
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

void ExpectNoEvents(const Reply& r, const std::string& what) {
    std::string seen;
    for (const Answer& a : r.events) seen += "\n      " + Describe(a);
    EXPECT(r.events.empty(), what + ": nothing delivered before its callback, got" + seen);
}

void ExpectCode(const Reply& r, int code, const std::string& what) {
    EXPECT(r.arrived && r.reply.code == code,
           what + ": callback code " + std::to_string(code) + ", got " + Describe(r.reply));
}

// The barrier: a group-list call; nothing may come before its answer.
void ExpectNothingPending(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what + " (barrier)", TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
    ExpectNoEvents(r, what + ": nothing called back");
}

// A call refused synchronously: the code, and nothing called back.
void ExpectRefused(const std::string& what, int ret, int want) {
    EXPECT(ret == want, what + ": returns " + std::to_string(want) + ", got " + std::to_string(ret));
    ExpectNothingPending(what);
}

// `a` is the conversation event `kind` listing exactly `keys` (in any
// order); returns its array of ConvInfo.
Json::Value ExpectConvEvent(const Answer& a, int kind, const std::vector<std::string>& keys,
                            const std::string& what) {
    EXPECT(a.kind == kConvEvent && a.code == kind && a.tag == kEventTag,
           what + ": conversation event " + std::to_string(kind) + ", got " + Describe(a));
    if (a.kind != kConvEvent) return Json::Value(Json::arrayValue);
    Json::Value arr = ParseArray(a.json, what + ": event");
    EXPECT(Sorted(Keys(arr)) == Sorted(keys), what + ": event lists " + Join(keys) + ", got " + Join(Keys(arr)));
    return arr;
}

// Exactly one conversation event, `kind`, listing `keys`.
Json::Value ExpectOneEvent(const Reply& r, int kind, const std::vector<std::string>& keys, const std::string& what) {
    EXPECT(r.events.size() == 1, what + ": one event before the callback, got " + std::to_string(r.events.size()));
    if (r.events.empty()) return Json::Value(Json::arrayValue);
    return ExpectConvEvent(r.events[0], kind, keys, what);
}

struct Item {
    std::string id;
    int code;
};

// A batch callback: code 0 and one TIMConversationOperationResult per id, in order.
void ExpectResults(const Reply& r, const std::vector<Item>& want, const std::string& what) {
    if (!r.arrived) return;
    EXPECT(r.reply.code == ERR_SUCC, what + ": callback code 0, got " + Describe(r.reply));
    Json::Value res = ParseArray(r.reply.json, what + ": results");
    EXPECT(res.size() == want.size(), what + ": " + std::to_string(want.size()) + " results, got " +
                                          std::to_string(res.size()));
    for (size_t i = 0; i < want.size() && i < res.size(); ++i) {
        const Json::Value& o = At(res, i);
        const Json::Value& code = Get(o, kTIMConversationOperationResultResultCode);
        std::string n = what + ": result " + std::to_string(i);
        EXPECT(Text(Get(o, kTIMConversationOperationResultConversationID)) == want[i].id,
               n + " names " + want[i].id + ", got " + o.toStyledString());
        EXPECT(code.isInt() && code.asInt() == want[i].code,
               n + " (" + want[i].id + ") code " + std::to_string(want[i].code) + ", got " + o.toStyledString());
        EXPECT(Get(o, kTIMConversationOperationResultResultInfo).isString(), n + ": result_info is a string");
    }
}

std::vector<Item> AllOk(const std::vector<std::string>& ids) {
    std::vector<Item> items;
    for (const std::string& id : ids) items.push_back(Item{id, 0});
    return items;
}

Json::Value GetList(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what + ": list", TIMConvGetConvList(kOnResult, Tag(tag)), tag);
    ExpectNoEvents(r, what + ": list");
    ExpectCode(r, ERR_SUCC, what + ": list");
    return r.arrived ? ParseArray(r.reply.json, what + ": list") : Json::Value(Json::arrayValue);
}

// Pinned first, bit 62 exactly on the pinned, conv_active_time strictly decreasing.
void ExpectListOrder(const Json::Value& list, const std::string& what) {
    bool unpinned_seen = false;
    for (size_t i = 0; i < list.size(); ++i) {
        const Json::Value& c = At(list, i);
        bool pinned = IsTrue(Get(c, kTIMConvIsPinned));
        Json::UInt64 t = U64(Get(c, kTIMConvActiveTime));
        EXPECT(Get(c, kTIMConvIsPinned).isBool() && Get(c, kTIMConvActiveTime).isUInt64(),
               what + ": conv_is_pinned bool, conv_active_time uint64");
        EXPECT(pinned == ((t & kPinnedBit) != 0), what + ": bit 62 of conv_active_time iff pinned: " + Key(c));
        EXPECT(!(pinned && unpinned_seen), what + ": pinned ones first: " + Key(c));
        if (!pinned) unpinned_seen = true;
        if (i > 0)
            EXPECT(U64(Get(At(list, i - 1), kTIMConvActiveTime)) > t,
                   what + ": conv_active_time decreasing along the list at " + Key(c));
    }
}

// Creates a new conversation: the Add event, then its ConvInfo.
Json::Value Create(const std::string& id, TIMConvType type) {
    uintptr_t tag = NextTag();
    std::string what = "create " + KeyOf(type, id);
    Reply r = Await(what, TIMConvCreate(id.c_str(), type, kOnResult, Tag(tag)), tag);
    ExpectOneEvent(r, kTIMConvEvent_Add, {KeyOf(type, id)}, what);
    ExpectCode(r, ERR_SUCC, what);
    return r.arrived ? ParseObject(r.reply.json, what) : Json::Value();
}

// Creates n C2C conversations prefix0000.. with no callback; returns their keys.
std::vector<std::string> CreateMany(const std::string& prefix, size_t n) {
    std::vector<std::string> keys;
    size_t accepted = 0;
    for (size_t i = 0; i < n; ++i) {
        char num[16];
        std::snprintf(num, sizeof num, "%04u", static_cast<unsigned>(i));
        std::string id = prefix + num;
        keys.push_back(KeyOf(kTIMConv_C2C, id));
        if (TIMConvCreate(id.c_str(), kTIMConv_C2C, nullptr, nullptr) == TIM_SUCC) ++accepted;
    }
    EXPECT(accepted == n, "create " + std::to_string(n) + " " + prefix + "*: all accepted");
    uintptr_t tag = NextTag();
    Reply r = Await("create " + prefix + "* (barrier)", TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
    EXPECT(r.events.size() == n, "create " + prefix + "*: one Add event each, got " + std::to_string(r.events.size()));
    bool all = r.events.size() == n;
    for (size_t i = 0; all && i < n; ++i) {
        Json::Value arr;
        all = r.events[i].kind == kConvEvent && r.events[i].code == kTIMConvEvent_Add &&
              ParseStrict(r.events[i].json, &arr) && Keys(arr) == std::vector<std::string>{keys[i]};
    }
    EXPECT(all, "create " + prefix + "*: the Add events list them one by one, in order");
    return keys;
}

std::vector<std::string> Slice(const std::vector<std::string>& v, size_t from, size_t to) {
    return std::vector<std::string>(v.begin() + static_cast<std::ptrdiff_t>(from),
                                    v.begin() + static_cast<std::ptrdiff_t>(to));
}

Reply Pin(const std::string& id, TIMConvType type, bool pinned, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvPinConversation(id.c_str(), type, pinned, kOnResult, Tag(tag)), tag);
}

Reply Mark(const std::vector<std::string>& ids, uint64_t bits, bool enable, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvMarkConversation(IdArray(ids).c_str(), bits, enable, kOnResult, Tag(tag)), tag);
}

Reply SetCustom(const std::vector<std::string>& ids, const std::string& data, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvSetConversationCustomData(IdArray(ids).c_str(), data.c_str(), kOnResult, Tag(tag)),
                 tag);
}

Reply DeleteList(const std::vector<std::string>& ids, bool clear_message, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvDeleteConversationList(IdArray(ids).c_str(), clear_message, kOnResult, Tag(tag)),
                 tag);
}

Reply CreateGroup(const std::string& name, const std::vector<std::string>& ids, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what,
                 TIMConvCreateConversationGroup(name.c_str(), IdArray(ids).c_str(), kOnResult, Tag(tag)), tag);
}

Reply AddToGroup(const std::string& name, const std::vector<std::string>& ids, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what,
                 TIMConvAddConversationsToGroup(name.c_str(), IdArray(ids).c_str(), kOnResult, Tag(tag)), tag);
}

Reply RemoveFromGroup(const std::string& name, const std::vector<std::string>& ids, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what,
                 TIMConvDeleteConversationsFromGroup(name.c_str(), IdArray(ids).c_str(), kOnResult, Tag(tag)),
                 tag);
}

Reply RenameGroup(const std::string& old_name, const std::string& new_name, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvRenameConversationGroup(old_name.c_str(), new_name.c_str(), kOnResult, Tag(tag)),
                 tag);
}

Reply DeleteGroup(const std::string& name, const std::string& what) {
    uintptr_t tag = NextTag();
    return Await(what, TIMConvDeleteConversationGroup(name.c_str(), kOnResult, Tag(tag)), tag);
}

std::vector<std::string> GroupList(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what + ": group list", TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
    ExpectNoEvents(r, what + ": group list");
    ExpectCode(r, ERR_SUCC, what + ": group list");
    std::vector<std::string> names;
    Json::Value arr = r.arrived ? ParseArray(r.reply.json, what + ": group list") : Json::Value();
    for (size_t i = 0; i < arr.size(); ++i) {
        EXPECT(At(arr, i).isString(), what + ": group names are strings");
        names.push_back(Text(At(arr, i)));
    }
    return names;
}

// TIMConvGetConvInfo for C2C/Group keys: the ConvInfo array.
Json::Value GetInfo(const std::vector<std::pair<std::string, TIMConvType>>& wanted, const std::string& what) {
    Json::Value param(Json::arrayValue);
    for (const auto& w : wanted) {
        Json::Value p;
        p[kTIMGetConversationListParamConvId] = w.first;
        p[kTIMGetConversationListParamConvType] = w.second;
        param.append(p);
    }
    uintptr_t tag = NextTag();
    Reply r = Await(what, TIMConvGetConvInfo(param.toStyledString().c_str(), kOnResult, Tag(tag)), tag);
    ExpectNoEvents(r, what);
    ExpectCode(r, ERR_SUCC, what);
    return r.arrived ? ParseArray(r.reply.json, what) : Json::Value(Json::arrayValue);
}

Json::Value GetOne(const std::string& id, TIMConvType type, const std::string& what) {
    Json::Value arr = GetInfo({{id, type}}, what);
    EXPECT(arr.size() == 1, what + ": one ConvInfo");
    return At(arr, 0);
}

void SetGroupListeners(uintptr_t base) {
    g_group_tag = base;
    TIMSetConvConversationGroupCreatedCallback(kOnGroupCreated, Tag(base + 1));
    TIMSetConvConversationGroupDeletedCallback(kOnGroupDeleted, Tag(base + 2));
    TIMSetConvConversationGroupNameChangedCallback(kOnGroupRenamed, Tag(base + 3));
    TIMSetConvConversationsAddedToGroupCallback(kOnAddedToGroup, Tag(base + 4));
    TIMSetConvConversationsDeletedFromGroupCallback(kOnDeletedFromGroup, Tag(base + 5));
}

// A group listener's answer: its kind, its user_data, its group name; for
// those with a ConvInfo array, the keys listed (any order). Returns the array.
Json::Value ExpectGroupEvent(const Answer& a, Kind kind, const std::string& name,
                             const std::vector<std::string>& keys, const std::string& what) {
    EXPECT(a.kind == kind, what + ": group listener " + std::to_string(kind) + ", got " + Describe(a));
    if (a.kind != kind) return Json::Value(Json::arrayValue);
    EXPECT(a.tag == g_group_tag + static_cast<uintptr_t>(kind - kConvEvent),
           what + ": the listener's user_data, got " + std::to_string(a.tag));
    EXPECT(a.name == name, what + ": group name \"" + name + "\", got \"" + a.name + "\"");
    if (kind != kGroupCreated && kind != kAddedToGroup && kind != kDeletedFromGroup) return Json::Value();
    Json::Value arr = ParseArray(a.json, what + ": listener's conversation array");
    EXPECT(Sorted(Keys(arr)) == Sorted(keys), what + ": listener lists " + Join(keys) + ", got " + Join(Keys(arr)));
    return arr;
}

// ---------------------------------------------------------------------------
// The tests.

void TestSetUp() {
    TIMSetConvEventCallback(kOnConvEvent, Tag(kEventTag));
    SetGroupListeners(9100);
    EXPECT(GetList("fresh process").empty(), "fresh process: no conversations");
    // Created in this order, so listed newest first: g2, u3, g1, u2, u1, u4.
    Create("cm_u4", kTIMConv_C2C);
    Create("cm_u1", kTIMConv_C2C);
    Create("cm_u2", kTIMConv_C2C);
    Create("cm_g1", kTIMConv_Group);
    Create("cm_u3", kTIMConv_C2C);
    Create("cm_g2", kTIMConv_Group);
    Json::Value list = GetList("set-up");
    std::vector<std::string> want = {"group_cm_g2", "c2c_cm_u3", "group_cm_g1", "c2c_cm_u2", "c2c_cm_u1", "c2c_cm_u4"};
    EXPECT(Keys(list) == want, "set-up: list " + Join(Keys(list)));
    ExpectListOrder(list, "set-up");
}

void TestGetConvInfo() {
    Json::Value list = GetList("before GetConvInfo");
    Json::Value got = GetInfo({{"cm_g1", kTIMConv_Group},
                               {"cm_nobody", kTIMConv_C2C},
                               {"cm_u1", kTIMConv_C2C},
                               {"cm_u1", kTIMConv_Group}},  // cm_u1 exists as C2C only
                              "GetConvInfo");
    std::vector<std::string> want = {"group_cm_g1", "c2c_cm_u1"};
    EXPECT(Keys(got) == want, "GetConvInfo: those that exist, in request order: " + Join(Keys(got)));
    EXPECT(At(got, 0) == ByKey(list, "group_cm_g1") && At(got, 1) == ByKey(list, "c2c_cm_u1"),
           "GetConvInfo: the same ConvInfo as the list");
    EXPECT(GetInfo({}, "GetConvInfo([])").empty(), "GetConvInfo([]): []");
    Json::Value after = GetList("after GetConvInfo");
    EXPECT(Keys(after) == Keys(list), "GetConvInfo created nothing: " + Join(Keys(after)));

    ExpectRefused("GetConvInfo(NULL)", TIMConvGetConvInfo(nullptr, kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("GetConvInfo(\"[{\")", TIMConvGetConvInfo("[{", kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("GetConvInfo({})", TIMConvGetConvInfo("{}", kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("GetConvInfo(no conv type)",
                  TIMConvGetConvInfo("[{\"get_conversation_list_param_conv_id\":\"cm_u1\"}]", kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("GetConvInfo(conv type a string)",
                  TIMConvGetConvInfo("[{\"get_conversation_list_param_conv_id\":\"cm_u1\","
                                     "\"get_conversation_list_param_conv_type\":\"1\"}]",
                                     kOnResult, kRefused),
                  TIM_ERR_JSON);
}

void TestPin() {
    Json::Value before = GetList("before pins");
    Json::UInt64 t_u1 = U64(Get(ByKey(before, "c2c_cm_u1"), kTIMConvActiveTime));
    Json::UInt64 t_u2 = U64(Get(ByKey(before, "c2c_cm_u2"), kTIMConvActiveTime));

    Reply r = Pin("cm_u2", kTIMConv_C2C, true, "pin cm_u2");
    Json::Value ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u2"}, "pin cm_u2");
    EXPECT(IsTrue(Get(At(ev, 0), kTIMConvIsPinned)), "pin cm_u2: conv_is_pinned true in the Update");
    EXPECT(U64(Get(At(ev, 0), kTIMConvActiveTime)) == (t_u2 | kPinnedBit),
           "pin cm_u2: conv_active_time gains bit 62, nothing else");
    ExpectCode(r, ERR_SUCC, "pin cm_u2");
    EXPECT(r.reply.json.empty(), "pin cm_u2: json_params \"\", got " + r.reply.json);

    r = Pin("cm_u1", kTIMConv_C2C, true, "pin cm_u1");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "pin cm_u1");
    EXPECT(U64(Get(At(ev, 0), kTIMConvActiveTime)) == (t_u1 | kPinnedBit), "pin cm_u1: bit 62");
    ExpectCode(r, ERR_SUCC, "pin cm_u1");

    Json::Value list = GetList("after pins");
    std::vector<std::string> want = {"c2c_cm_u2", "c2c_cm_u1", "group_cm_g2", "c2c_cm_u3", "group_cm_g1", "c2c_cm_u4"};
    EXPECT(Keys(list) == want, "pinned first, keeping their relative order: " + Join(Keys(list)));
    ExpectListOrder(list, "after pins");

    r = Pin("cm_u1", kTIMConv_C2C, true, "pin cm_u1 again");
    ExpectNoEvents(r, "pin cm_u1 again (no change)");
    ExpectCode(r, ERR_SUCC, "pin cm_u1 again");

    r = Pin("cm_nobody", kTIMConv_C2C, true, "pin a missing conversation");
    ExpectNoEvents(r, "pin a missing conversation");
    ExpectCode(r, ERR_INVALID_CONVERSATION, "pin a missing conversation");
    r = Pin("cm_u1", kTIMConv_Group, true, "pin group_cm_u1 (missing)");
    ExpectCode(r, ERR_INVALID_CONVERSATION, "pin group_cm_u1 (missing)");

    r = Pin("cm_u1", kTIMConv_C2C, false, "unpin cm_u1");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "unpin cm_u1");
    EXPECT(Get(At(ev, 0), kTIMConvIsPinned).isBool() && !IsTrue(Get(At(ev, 0), kTIMConvIsPinned)),
           "unpin cm_u1: conv_is_pinned false");
    EXPECT(U64(Get(At(ev, 0), kTIMConvActiveTime)) == t_u1, "unpin cm_u1: conv_active_time back as before");
    ExpectCode(r, ERR_SUCC, "unpin cm_u1");
    r = Pin("cm_u1", kTIMConv_C2C, false, "unpin cm_u1 again");
    ExpectNoEvents(r, "unpin cm_u1 again (no change)");
    ExpectCode(r, ERR_SUCC, "unpin cm_u1 again");

    list = GetList("after unpin");
    want = {"c2c_cm_u2", "group_cm_g2", "c2c_cm_u3", "group_cm_g1", "c2c_cm_u1", "c2c_cm_u4"};
    EXPECT(Keys(list) == want, "unpinned goes back to its place: " + Join(Keys(list)));
    ExpectListOrder(list, "after unpin");

    ExpectRefused("pin(NULL)", TIMConvPinConversation(nullptr, kTIMConv_C2C, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("pin(\"\")", TIMConvPinConversation("", kTIMConv_C2C, true, kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("pin(kTIMConv_Invalid)",
                  TIMConvPinConversation("cm_u1", TIMConvType::kTIMConv_Invalid, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("pin(type 99)",
                  TIMConvPinConversation("cm_u1", static_cast<TIMConvType>(99), true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("pin(129-byte id)",
                  TIMConvPinConversation(std::string(129, 'p').c_str(), kTIMConv_C2C, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
}

void TestPinLimit() {
    // cm_u2 is pinned: 49 more make 50; the 51st is refused with 7014.
    std::vector<std::string> keys = CreateMany("cm_p", 50);
    int ok = 0;
    for (size_t i = 0; i < 49; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "cm_p%04u", static_cast<unsigned>(i));
        Reply r = Pin(id, kTIMConv_C2C, true, std::string("pin ") + id);
        if (r.arrived && r.reply.code == ERR_SUCC && r.events.size() == 1) ++ok;
    }
    EXPECT(ok == 49, "49 more pins: each an Update and code 0, got " + std::to_string(ok));
    Reply r = Pin("cm_p0049", kTIMConv_C2C, true, "the 51st pin");
    ExpectNoEvents(r, "the 51st pin");
    ExpectCode(r, ERR_SDK_INVALID_OPERATION, "the 51st pin");
    EXPECT(!IsTrue(Get(GetOne("cm_p0049", kTIMConv_C2C, "the 51st after refusal"), kTIMConvIsPinned)),
           "the 51st is not pinned");
    r = Pin("cm_p0000", kTIMConv_C2C, true, "pin a pinned one at the limit");
    ExpectNoEvents(r, "pin a pinned one at the limit");
    ExpectCode(r, ERR_SUCC, "pin a pinned one at the limit (no change)");
    r = Pin("cm_p0000", kTIMConv_C2C, false, "unpin one at the limit");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_p0000"}, "unpin one at the limit");
    r = Pin("cm_p0049", kTIMConv_C2C, true, "pin after making room");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_p0049"}, "pin after making room");
    ExpectCode(r, ERR_SUCC, "pin after making room");

    Json::Value list = GetList("50 pinned");
    size_t pinned = 0;
    for (size_t i = 0; i < list.size(); ++i) pinned += IsTrue(Get(At(list, i), kTIMConvIsPinned)) ? 1 : 0;
    EXPECT(pinned == 50, "50 pinned, got " + std::to_string(pinned));
    ExpectListOrder(list, "50 pinned");

    // One batch delete of the 50: one Del event listing them all.
    r = DeleteList(keys, true, "delete the 50 cm_p*");
    ExpectOneEvent(r, kTIMConvEvent_Del, keys, "delete the 50 cm_p*");
    ExpectResults(r, AllOk(keys), "delete the 50 cm_p*");
    // Deleting pinned ones made room again.
    r = Pin("cm_u1", kTIMConv_C2C, true, "pin after deleting the pinned");
    ExpectCode(r, ERR_SUCC, "pin after deleting the pinned");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "pin after deleting the pinned");
    r = Pin("cm_u1", kTIMConv_C2C, false, "unpin cm_u1");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "unpin cm_u1");
}

void TestMarkLimit() {
    // Nothing is marked yet: 1000 marked conversations is the limit.
    std::vector<std::string> keys = CreateMany("cm_m", 1000);
    int batches = 0;
    for (size_t b = 0; b < 10; ++b) {
        std::vector<std::string> part = Slice(keys, b * 100, b * 100 + 100);
        std::string what = "mark cm_m* batch " + std::to_string(b);
        Reply r = Mark(part, kStar, true, what);
        ExpectOneEvent(r, kTIMConvEvent_Update, part, what);
        ExpectResults(r, AllOk(part), what);
        if (r.arrived && r.events.size() == 1) ++batches;
    }
    EXPECT(batches == 10, "1000 conversations marked in 10 batches of 100");

    Reply r = Mark({"c2c_cm_u1", keys[0]}, kUnread, true, "mark the 1001st");
    Json::Value ev = ExpectOneEvent(r, kTIMConvEvent_Update, {keys[0]}, "mark the 1001st");
    EXPECT(Marks(ByKey(ev, keys[0])) == (std::vector<Json::UInt64>{kStar, kUnread}),
           "an already marked one takes another bit: [1, 2]");
    ExpectResults(r, {{"c2c_cm_u1", ERR_SVR_CONV_CONV_MARK_TOTAL_COUNT_EXCEED_LIMIT}, {keys[0], 0}},
                  "mark the 1001st");
    EXPECT(Marks(GetOne("cm_u1", kTIMConv_C2C, "cm_u1 after the limit")).empty(), "cm_u1 stays unmarked");

    for (size_t b = 0; b < 10; ++b) {
        std::vector<std::string> part = Slice(keys, b * 100, b * 100 + 100);
        std::string what = "delete cm_m* batch " + std::to_string(b);
        r = DeleteList(part, false, what);
        ExpectOneEvent(r, kTIMConvEvent_Del, part, what);
        ExpectResults(r, AllOk(part), what);
    }
    // Deleted marked conversations no longer count.
    r = Mark({"c2c_cm_u1"}, kStar, true, "mark after deleting the marked");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "mark after deleting the marked");
    ExpectResults(r, {{"c2c_cm_u1", 0}}, "mark after deleting the marked");
    r = Mark({"c2c_cm_u1"}, kStar, false, "unmark cm_u1");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u1"}, "unmark cm_u1");
    EXPECT(Get(At(ev, 0), kTIMConvMarkArray).isArray() && Marks(At(ev, 0)).empty(),
           "unmark cm_u1: conv_mark_array []");
}

void TestMark() {
    Reply r = Mark({"c2c_cm_u2", "group_cm_g1", "c2c_cm_nobody", "bogus", "c2c_"}, kStar | kBit40, true,
                   "mark star|bit40");
    Json::Value ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u2", "group_cm_g1"}, "mark star|bit40");
    std::vector<Json::UInt64> want = {kStar, kBit40};
    EXPECT(Marks(ByKey(ev, "c2c_cm_u2")) == want && Marks(ByKey(ev, "group_cm_g1")) == want,
           "mark star|bit40: conv_mark_array [1, 2^40] on both");
    ExpectResults(r,
                  {{"c2c_cm_u2", 0},
                   {"group_cm_g1", 0},
                   {"c2c_cm_nobody", ERR_INVALID_CONVERSATION},
                   {"bogus", ERR_INVALID_PARAMETERS},
                   {"c2c_", ERR_INVALID_PARAMETERS}},
                  "mark star|bit40");

    r = Mark({"c2c_cm_u2"}, kBit63 | kHide, true, "mark bit63|hide");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u2"}, "mark bit63|hide");
    want = {kStar, kHide, kBit40, kBit63};
    EXPECT(Marks(At(ev, 0)) == want, "mark bit63|hide: [1, 8, 2^40, 2^63], ascending, 64-bit exact");
    ExpectResults(r, {{"c2c_cm_u2", 0}}, "mark bit63|hide");

    r = Mark({"c2c_cm_u2", "group_cm_g1"}, kStar, true, "mark star again");
    ExpectNoEvents(r, "mark star again (no change)");
    ExpectResults(r, {{"c2c_cm_u2", 0}, {"group_cm_g1", 0}}, "mark star again");

    r = Mark({"c2c_cm_u2", "group_cm_g1"}, kStar | kBit63, false, "unmark star|bit63");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u2", "group_cm_g1"}, "unmark star|bit63");
    EXPECT(Marks(ByKey(ev, "c2c_cm_u2")) == (std::vector<Json::UInt64>{kHide, kBit40}),
           "unmark: cm_u2 keeps [8, 2^40]");
    EXPECT(Marks(ByKey(ev, "group_cm_g1")) == (std::vector<Json::UInt64>{kBit40}), "unmark: cm_g1 keeps [2^40]");
    ExpectResults(r, {{"c2c_cm_u2", 0}, {"group_cm_g1", 0}}, "unmark star|bit63");
    EXPECT(Marks(GetOne("cm_u2", kTIMConv_C2C, "cm_u2 marks")) == (std::vector<Json::UInt64>{kHide, kBit40}),
           "GetConvInfo agrees: [8, 2^40]");

    std::vector<std::string> hundred = Missing(100);
    r = Mark(hundred, kFold, true, "mark 100 missing");
    ExpectNoEvents(r, "mark 100 missing");
    std::vector<Item> all_missing;
    for (const std::string& id : hundred) all_missing.push_back(Item{id, ERR_INVALID_CONVERSATION});
    ExpectResults(r, all_missing, "mark 100 missing");
    std::vector<std::string> too_many = Missing(100);
    too_many.insert(too_many.begin(), "c2c_cm_u1");
    r = Mark(too_many, kFold, true, "mark 101");
    ExpectNoEvents(r, "mark 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "mark 101");
    EXPECT(Marks(GetOne("cm_u1", kTIMConv_C2C, "cm_u1 after mark 101")).empty(), "mark 101 changed nothing");

    const std::string ids = IdArray({"c2c_cm_u1"});
    ExpectRefused("mark(mark_type 0)", TIMConvMarkConversation(ids.c_str(), 0, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("mark(bit 4)", TIMConvMarkConversation(ids.c_str(), 0x10, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("mark(star|bit 4)", TIMConvMarkConversation(ids.c_str(), kStar | 0x10, true, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("mark(bit 31)", TIMConvMarkConversation(ids.c_str(), 1ULL << 31, false, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("mark(NULL)", TIMConvMarkConversation(nullptr, kStar, true, kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("mark(\"[\")", TIMConvMarkConversation("[", kStar, true, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("mark({})", TIMConvMarkConversation("{}", kStar, true, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("mark([1])", TIMConvMarkConversation("[1]", kStar, true, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("mark(a bare string)",
                  TIMConvMarkConversation("\"c2c_cm_u1\"", kStar, true, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("mark(\"[\", mark_type 0): arguments in order",
                  TIMConvMarkConversation("[", 0, true, kOnResult, kRefused), TIM_ERR_PARAM);
    EXPECT(Marks(GetOne("cm_u1", kTIMConv_C2C, "cm_u1 after refusals")).empty(), "refused marks changed nothing");
}

void TestCustomData() {
    const std::string data = u8"custom \u81ea\u5b9a\u4e49 \"data\"";
    Reply r = SetCustom({"group_cm_g2", "c2c_cm_u3", "group_cm_nobody", "nope"}, data, "custom data");
    Json::Value ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"group_cm_g2", "c2c_cm_u3"}, "custom data");
    EXPECT(Text(Get(ByKey(ev, "group_cm_g2"), kTIMConvCustomData)) == data &&
               Text(Get(ByKey(ev, "c2c_cm_u3"), kTIMConvCustomData)) == data,
           "custom data: conv_custom_data in the Update");
    ExpectResults(r,
                  {{"group_cm_g2", 0},
                   {"c2c_cm_u3", 0},
                   {"group_cm_nobody", ERR_INVALID_CONVERSATION},
                   {"nope", ERR_INVALID_PARAMETERS}},
                  "custom data");
    EXPECT(Text(Get(GetOne("cm_g2", kTIMConv_Group, "cm_g2 custom data"), kTIMConvCustomData)) == data,
           "GetConvInfo shows the custom data");

    const std::string max(256, 'x');
    r = SetCustom({"c2c_cm_u3"}, max, "custom data of 256 bytes");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u3"}, "custom data of 256 bytes");
    EXPECT(Text(Get(At(ev, 0), kTIMConvCustomData)) == max, "256 bytes stored");
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "custom data of 256 bytes");
    r = SetCustom({"c2c_cm_u3"}, max, "the same custom data again");
    ExpectNoEvents(r, "the same custom data again (no change)");
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "the same custom data again");

    r = SetCustom({"c2c_cm_u3", "group_cm_g2"}, std::string(257, 'y'), "custom data of 257 bytes");
    ExpectNoEvents(r, "custom data of 257 bytes");
    ExpectCode(r, ERR_INVALID_PARAMETERS, "custom data of 257 bytes");
    EXPECT(Text(Get(GetOne("cm_u3", kTIMConv_C2C, "cm_u3 after 257"), kTIMConvCustomData)) == max,
           "257 bytes changed nothing");

    r = SetCustom({"c2c_cm_u3"}, "", "clear custom data");
    ev = ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u3"}, "clear custom data");
    EXPECT(Get(At(ev, 0), kTIMConvCustomData).isString() && Text(Get(At(ev, 0), kTIMConvCustomData)).empty(),
           "cleared: conv_custom_data \"\"");
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "clear custom data");

    r = SetCustom(Missing(101), "z", "custom data on 101");
    ExpectNoEvents(r, "custom data on 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "custom data on 101");

    const std::string ids = IdArray({"c2c_cm_u3"});
    ExpectRefused("custom data(NULL ids)", TIMConvSetConversationCustomData(nullptr, "a", kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("custom data(NULL data)", TIMConvSetConversationCustomData(ids.c_str(), nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("custom data(not UTF-8)",
                  TIMConvSetConversationCustomData(ids.c_str(), "\xff\xfe", kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("custom data(\"[\\\"c2c_cm_u3\\\"\")",
                  TIMConvSetConversationCustomData("[\"c2c_cm_u3\"", "a", kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("custom data({\"a\":1})",
                  TIMConvSetConversationCustomData("{\"a\":1}", "a", kOnResult, kRefused), TIM_ERR_JSON);
    EXPECT(Text(Get(GetOne("cm_u3", kTIMConv_C2C, "cm_u3 after refusals"), kTIMConvCustomData)).empty(),
           "refused custom data changed nothing");
}

void TestDeleteList() {
    Create("cm_d1", kTIMConv_C2C);
    Create("cm_d2", kTIMConv_Group);
    Reply r = DeleteList({"c2c_cm_d1", "group_cm_d2", "c2c_cm_d1", "group_", "x"}, false, "delete list");
    ExpectOneEvent(r, kTIMConvEvent_Del, {"c2c_cm_d1", "group_cm_d2"}, "delete list");
    ExpectResults(r,
                  {{"c2c_cm_d1", 0},
                   {"group_cm_d2", 0},
                   {"c2c_cm_d1", ERR_INVALID_CONVERSATION},
                   {"group_", ERR_INVALID_PARAMETERS},
                   {"x", ERR_INVALID_PARAMETERS}},
                  "delete list");
    Json::Value list = GetList("after delete list");
    EXPECT(ByKey(list, "c2c_cm_d1").isNull() && ByKey(list, "group_cm_d2").isNull(), "deleted ones are gone");
    EXPECT(list.size() == 6, "the other six remain, got " + std::to_string(list.size()));
    EXPECT(GetInfo({{"cm_d1", kTIMConv_C2C}}, "GetConvInfo(deleted)").empty(), "GetConvInfo: deleted is missing");

    r = DeleteList({"c2c_cm_d1"}, true, "delete a missing one");
    ExpectNoEvents(r, "delete a missing one");
    ExpectResults(r, {{"c2c_cm_d1", ERR_INVALID_CONVERSATION}}, "delete a missing one");

    std::vector<std::string> too_many = Missing(100);
    too_many.push_back("c2c_cm_u1");
    r = DeleteList(too_many, false, "delete 101");
    ExpectNoEvents(r, "delete 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "delete 101");

    ExpectRefused("delete list(NULL)", TIMConvDeleteConversationList(nullptr, false, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("delete list(unterminated)",
                  TIMConvDeleteConversationList("[\"c2c_cm_u1\"", false, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("delete list([null])", TIMConvDeleteConversationList("[null]", true, kOnResult, kRefused),
                  TIM_ERR_JSON);
    EXPECT(GetList("after refused deletes").size() == 6, "refused deletes deleted nothing");
}

void TestGroups() {
    EXPECT(GroupList("no groups yet").empty(), "no conversation groups yet");

    Reply r = CreateGroup("cm_work", {"c2c_cm_u1", "group_cm_g1", "c2c_cm_nobody", "junk"}, "create cm_work");
    EXPECT(r.events.size() == 2, "create cm_work: an Update then the group-created listener, got " +
                                     std::to_string(r.events.size()) + " answers");
    if (r.events.size() == 2) {
        Json::Value ev = ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u1", "group_cm_g1"},
                                         "create cm_work");
        EXPECT(InGroup(ByKey(ev, "c2c_cm_u1"), "cm_work") && InGroup(ByKey(ev, "group_cm_g1"), "cm_work"),
               "create cm_work: the members show the group");
        Json::Value members = ExpectGroupEvent(r.events[1], kGroupCreated, "cm_work", {"c2c_cm_u1", "group_cm_g1"},
                                               "create cm_work");
        EXPECT(InGroup(ByKey(members, "c2c_cm_u1"), "cm_work"), "group-created listener: ConvInfo shows the group");
    }
    ExpectResults(r,
                  {{"c2c_cm_u1", 0},
                   {"group_cm_g1", 0},
                   {"c2c_cm_nobody", ERR_INVALID_CONVERSATION},
                   {"junk", ERR_INVALID_PARAMETERS}},
                  "create cm_work");

    r = CreateGroup("cm_home", {"c2c_cm_u3"}, "create cm_home");
    EXPECT(r.events.size() == 2, "create cm_home: Update then group-created");
    if (r.events.size() == 2) {
        ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u3"}, "create cm_home");
        ExpectGroupEvent(r.events[1], kGroupCreated, "cm_home", {"c2c_cm_u3"}, "create cm_home");
    }
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "create cm_home");
    const std::string name32(32, 'n');
    r = CreateGroup(name32, {"c2c_cm_u4"}, "create a 32-byte name");
    EXPECT(r.events.size() == 2, "create a 32-byte name: Update then group-created");
    ExpectResults(r, {{"c2c_cm_u4", 0}}, "create a 32-byte name");
    EXPECT(GroupList("three groups") == (std::vector<std::string>{"cm_work", "cm_home", name32}),
           "group list in creation order");
    EXPECT(Groups(GetOne("cm_u3", kTIMConv_C2C, "cm_u3 groups")) == std::vector<std::string>{"cm_home"},
           "cm_u3: conv_conversation_group_array [cm_home]");

    // Refused by the callback: nothing fires.
    r = CreateGroup("", {"c2c_cm_u2"}, "create \"\"");
    ExpectNoEvents(r, "create \"\"");
    ExpectCode(r, ERR_INVALID_PARAMETERS, "create \"\"");
    r = CreateGroup("cm_work", {"c2c_cm_u2"}, "create an existing name");
    ExpectNoEvents(r, "create an existing name");
    ExpectCode(r, ERR_INVALID_PARAMETERS, "create an existing name");
    r = CreateGroup(std::string(33, 'n'), {"c2c_cm_u2"}, "create a 33-byte name");
    ExpectNoEvents(r, "create a 33-byte name");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH, "create a 33-byte name");
    r = CreateGroup("cm_empty", {}, "create with no conversation");
    ExpectNoEvents(r, "create with no conversation");
    EXPECT(r.arrived && r.reply.code != ERR_SUCC, "create with no conversation (1 to 100): an error code, got " +
                                                      Describe(r.reply));
    r = CreateGroup("cm_big", Missing(101), "create with 101");
    ExpectNoEvents(r, "create with 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "create with 101");
    EXPECT(GroupList("after refused creates").size() == 3, "refused creates created nothing");

    const std::string ids = IdArray({"c2c_cm_u2"});
    ExpectRefused("create group(NULL name)", TIMConvCreateConversationGroup(nullptr, ids.c_str(), kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("create group(NULL ids)", TIMConvCreateConversationGroup("cm_x", nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("create group(name not UTF-8)",
                  TIMConvCreateConversationGroup("cm_\xc3", ids.c_str(), kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("create group(\"[\")", TIMConvCreateConversationGroup("cm_x", "[", kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("create group({})", TIMConvCreateConversationGroup("cm_x", "{}", kOnResult, kRefused), TIM_ERR_JSON);

    // Add.
    r = AddToGroup("cm_work", {"c2c_cm_u2", "c2c_cm_u1", "group_cm_nobody", "c2c_"}, "add to cm_work");
    EXPECT(r.events.size() == 2, "add to cm_work: an Update then the added-to-group listener");
    if (r.events.size() == 2) {
        Json::Value ev = ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u2"}, "add to cm_work");
        EXPECT(InGroup(At(ev, 0), "cm_work"), "add to cm_work: cm_u2 shows the group");
        ExpectGroupEvent(r.events[1], kAddedToGroup, "cm_work", {"c2c_cm_u2"}, "add to cm_work");
    }
    ExpectResults(r,
                  {{"c2c_cm_u2", 0},
                   {"c2c_cm_u1", 0},
                   {"group_cm_nobody", ERR_INVALID_CONVERSATION},
                   {"c2c_", ERR_INVALID_PARAMETERS}},
                  "add to cm_work");
    r = AddToGroup("cm_work", {"c2c_cm_u2", "group_cm_g1"}, "add members again");
    ExpectNoEvents(r, "add members again (no change)");
    ExpectResults(r, {{"c2c_cm_u2", 0}, {"group_cm_g1", 0}}, "add members again");
    r = AddToGroup("cm_nope", {"c2c_cm_u2"}, "add to an unknown group");
    ExpectNoEvents(r, "add to an unknown group");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, "add to an unknown group");
    r = AddToGroup("cm_work", Missing(101), "add 101");
    ExpectNoEvents(r, "add 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "add 101");
    ExpectRefused("add(NULL name)", TIMConvAddConversationsToGroup(nullptr, ids.c_str(), kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("add(NULL ids)", TIMConvAddConversationsToGroup("cm_work", nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("add({})", TIMConvAddConversationsToGroup("cm_work", "{}", kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("add([true])", TIMConvAddConversationsToGroup("cm_work", "[true]", kOnResult, kRefused),
                  TIM_ERR_JSON);

    // Remove.
    r = RemoveFromGroup("cm_work", {"c2c_cm_u2", "c2c_cm_u3", "c2c_cm_nobody", "zzz"}, "remove from cm_work");
    EXPECT(r.events.size() == 2, "remove from cm_work: an Update then the deleted-from-group listener");
    if (r.events.size() == 2) {
        Json::Value ev = ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u2"}, "remove from cm_work");
        EXPECT(!InGroup(At(ev, 0), "cm_work"), "remove from cm_work: cm_u2 no longer shows the group");
        ExpectGroupEvent(r.events[1], kDeletedFromGroup, "cm_work", {"c2c_cm_u2"}, "remove from cm_work");
        EXPECT(r.events[1].reason == 0, "remove from cm_work: reason 0 (by the app), got " +
                                            std::to_string(r.events[1].reason));
    }
    ExpectResults(r,
                  {{"c2c_cm_u2", 0},
                   {"c2c_cm_u3", 0},
                   {"c2c_cm_nobody", ERR_INVALID_CONVERSATION},
                   {"zzz", ERR_INVALID_PARAMETERS}},
                  "remove from cm_work");
    r = RemoveFromGroup("cm_work", {"c2c_cm_u3"}, "remove a non-member");
    ExpectNoEvents(r, "remove a non-member (no change)");
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "remove a non-member");
    r = RemoveFromGroup("cm_nope", {"c2c_cm_u1"}, "remove from an unknown group");
    ExpectNoEvents(r, "remove from an unknown group");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, "remove from an unknown group");
    r = RemoveFromGroup("cm_work", Missing(101), "remove 101");
    ExpectNoEvents(r, "remove 101");
    ExpectCode(r, ERR_SVR_CONV_CONV_MARK_REQ_COUNT_EXCEED_LIMIT, "remove 101");
    ExpectRefused("remove(NULL name)", TIMConvDeleteConversationsFromGroup(nullptr, ids.c_str(), kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("remove(NULL ids)", TIMConvDeleteConversationsFromGroup("cm_work", nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("remove(\"[\\\"c2c_cm_u1\\\",]\")",
                  TIMConvDeleteConversationsFromGroup("cm_work", "[\"c2c_cm_u1\",]", kOnResult, kRefused),
                  TIM_ERR_JSON);

    // Rename: the members show the new name.
    r = RenameGroup("cm_work", "cm_job", "rename cm_work");
    EXPECT(r.events.size() == 2, "rename cm_work: an Update of the members then the name-changed listener");
    if (r.events.size() == 2) {
        Json::Value ev =
            ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u1", "group_cm_g1"}, "rename cm_work");
        EXPECT(InGroup(ByKey(ev, "c2c_cm_u1"), "cm_job") && !InGroup(ByKey(ev, "c2c_cm_u1"), "cm_work"),
               "rename: members show the new name only");
        ExpectGroupEvent(r.events[1], kGroupRenamed, "cm_work", {}, "rename cm_work");
        EXPECT(r.events[1].name2 == "cm_job", "rename: new name cm_job, got " + r.events[1].name2);
    }
    ExpectCode(r, ERR_SUCC, "rename cm_work");
    EXPECT(GroupList("after rename") == (std::vector<std::string>{"cm_job", "cm_home", name32}),
           "a renamed group keeps its place");
    r = RenameGroup("cm_work", "cm_again", "rename the old name");
    ExpectNoEvents(r, "rename the old name");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, "rename the old name (gone)");
    r = RenameGroup("cm_job", "cm_home", "rename to an existing name");
    ExpectNoEvents(r, "rename to an existing name");
    ExpectCode(r, ERR_INVALID_PARAMETERS, "rename to an existing name");
    r = RenameGroup("cm_job", "", "rename to \"\"");
    ExpectNoEvents(r, "rename to \"\"");
    ExpectCode(r, ERR_INVALID_PARAMETERS, "rename to \"\"");
    r = RenameGroup("cm_job", std::string(33, 'r'), "rename to 33 bytes");
    ExpectNoEvents(r, "rename to 33 bytes");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NAME_EXCEED_LENGTH, "rename to 33 bytes");
    ExpectRefused("rename(NULL old)", TIMConvRenameConversationGroup(nullptr, "cm_x", kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("rename(NULL new)", TIMConvRenameConversationGroup("cm_job", nullptr, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("rename(new not UTF-8)", TIMConvRenameConversationGroup("cm_job", "\x80", kOnResult, kRefused),
                  TIM_ERR_PARAM);

    // Delete: the members leave it.
    r = DeleteGroup("cm_home", "delete cm_home");
    EXPECT(r.events.size() == 2, "delete cm_home: an Update of the members then the group-deleted listener");
    if (r.events.size() == 2) {
        Json::Value ev = ExpectConvEvent(r.events[0], kTIMConvEvent_Update, {"c2c_cm_u3"}, "delete cm_home");
        EXPECT(Get(At(ev, 0), kTIMConvConversationGroupArray).isArray() && Groups(At(ev, 0)).empty(),
               "delete cm_home: cm_u3 in no group");
        ExpectGroupEvent(r.events[1], kGroupDeleted, "cm_home", {}, "delete cm_home");
    }
    ExpectCode(r, ERR_SUCC, "delete cm_home");
    r = DeleteGroup(name32, "delete the 32-byte group");
    EXPECT(r.events.size() == 2, "delete the 32-byte group: Update then group-deleted");
    ExpectCode(r, ERR_SUCC, "delete the 32-byte group");
    r = DeleteGroup("cm_home", "delete cm_home again");
    ExpectNoEvents(r, "delete cm_home again");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_NOT_EXIST, "delete cm_home again (unknown)");
    ExpectRefused("delete group(NULL)", TIMConvDeleteConversationGroup(nullptr, kOnResult, kRefused), TIM_ERR_PARAM);
    ExpectRefused("delete group(not UTF-8)", TIMConvDeleteConversationGroup("\xff", kOnResult, kRefused),
                  TIM_ERR_PARAM);
    EXPECT(GroupList("after deletes") == std::vector<std::string>{"cm_job"}, "cm_job is left");

    // The group list with a NULL callback: accepted, nothing called back.
    ExpectRefused("group list(NULL cb)", TIMConvGetConversationGroupList(nullptr, kRefused), TIM_SUCC);
}

void TestGroupLimit() {
    size_t existing = GroupList("before the group limit").size();
    std::vector<std::string> names;
    int ok = 0;
    for (size_t i = existing; i < 20; ++i) {
        std::string name = "cm_lim_" + std::to_string(i);
        names.push_back(name);
        Reply r = CreateGroup(name, {"c2c_cm_u4"}, "create " + name);
        if (r.arrived && r.reply.code == ERR_SUCC && r.events.size() == 2 && r.events[1].kind == kGroupCreated) ++ok;
    }
    EXPECT(static_cast<size_t>(ok) == names.size(), "groups up to 20 created");
    EXPECT(GroupList("20 groups").size() == 20, "20 groups");
    Reply r = CreateGroup("cm_lim_over", {"c2c_cm_u4"}, "the 21st group");
    ExpectNoEvents(r, "the 21st group");
    ExpectCode(r, ERR_SVR_CONV_CONV_GROUP_TOTAL_COUNT_EXCEED_LIMIT, "the 21st group");
    EXPECT(Groups(GetOne("cm_u4", kTIMConv_C2C, "cm_u4 in 19 groups")).size() == names.size(),
           "cm_u4 shows every group it is in");
    ok = 0;
    for (const std::string& name : names) {
        r = DeleteGroup(name, "delete " + name);
        if (r.arrived && r.reply.code == ERR_SUCC && r.events.size() == 2 && r.events[1].kind == kGroupDeleted) ++ok;
    }
    EXPECT(static_cast<size_t>(ok) == names.size(), "the limit's groups deleted");
    EXPECT(Groups(GetOne("cm_u4", kTIMConv_C2C, "cm_u4 after")).empty(), "cm_u4 in no group again");
}

// With the group listeners cleared, group operations fire conversation
// events only; set again (new user_data), they fire again.
void TestGroupListenersCleared() {
    TIMSetConvConversationGroupCreatedCallback(nullptr, nullptr);
    TIMSetConvConversationGroupDeletedCallback(nullptr, nullptr);
    TIMSetConvConversationGroupNameChangedCallback(nullptr, nullptr);
    TIMSetConvConversationsAddedToGroupCallback(nullptr, nullptr);
    TIMSetConvConversationsDeletedFromGroupCallback(nullptr, nullptr);

    Reply r = CreateGroup("cm_tmp", {"c2c_cm_u3"}, "create (listeners cleared)");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u3"}, "create (listeners cleared)");
    ExpectResults(r, {{"c2c_cm_u3", 0}}, "create (listeners cleared)");
    r = AddToGroup("cm_tmp", {"c2c_cm_u4"}, "add (listeners cleared)");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u4"}, "add (listeners cleared)");
    r = RemoveFromGroup("cm_tmp", {"c2c_cm_u4"}, "remove (listeners cleared)");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u4"}, "remove (listeners cleared)");
    r = RenameGroup("cm_tmp", "cm_tmp2", "rename (listeners cleared)");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u3"}, "rename (listeners cleared)");
    r = DeleteGroup("cm_tmp2", "delete (listeners cleared)");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u3"}, "delete (listeners cleared)");

    SetGroupListeners(9200);
    r = CreateGroup("cm_tmp", {"c2c_cm_u3"}, "create (listeners set again)");
    EXPECT(r.events.size() == 2, "create (listeners set again): Update then group-created");
    if (r.events.size() == 2) ExpectGroupEvent(r.events[1], kGroupCreated, "cm_tmp", {"c2c_cm_u3"}, "set again");
    r = AddToGroup("cm_tmp", {"c2c_cm_u4"}, "add (listeners set again)");
    if (r.events.size() == 2) ExpectGroupEvent(r.events[1], kAddedToGroup, "cm_tmp", {"c2c_cm_u4"}, "set again");
    EXPECT(r.events.size() == 2, "add (listeners set again): Update then added-to-group");
    r = RemoveFromGroup("cm_tmp", {"c2c_cm_u4"}, "remove (listeners set again)");
    EXPECT(r.events.size() == 2, "remove (listeners set again): Update then deleted-from-group");
    if (r.events.size() == 2)
        ExpectGroupEvent(r.events[1], kDeletedFromGroup, "cm_tmp", {"c2c_cm_u4"}, "set again");
    r = RenameGroup("cm_tmp", "cm_tmp2", "rename (listeners set again)");
    EXPECT(r.events.size() == 2, "rename (listeners set again): Update then name-changed");
    if (r.events.size() == 2) ExpectGroupEvent(r.events[1], kGroupRenamed, "cm_tmp", {}, "set again");
    r = DeleteGroup("cm_tmp2", "delete (listeners set again)");
    EXPECT(r.events.size() == 2, "delete (listeners set again): Update then group-deleted");
    if (r.events.size() == 2) ExpectGroupEvent(r.events[1], kGroupDeleted, "cm_tmp2", {}, "set again");
}

// Walks the filtered list in pages of `per_page`; returns the keys, in order.
std::vector<std::string> WalkPages(const Json::Value& filter, uint32_t per_page, const Json::Value& list,
                                   const std::string& what) {
    const std::string f = filter.toStyledString();
    std::vector<std::string> got;
    Json::UInt64 seq = 0;
    for (int page = 0; page < 100; ++page) {
        uintptr_t tag = NextTag();
        std::string w = what + " page " + std::to_string(page);
        Reply r = Await(w, TIMConvGetConversationListByFilter(f.c_str(), seq, per_page, kOnResult, Tag(tag)), tag);
        ExpectNoEvents(r, w);
        ExpectCode(r, ERR_SUCC, w);
        if (!r.arrived) return got;
        Json::Value res = ParseObject(r.reply.json, w);
        const Json::Value& convs = Get(res, TIMConversationListResultConvList);
        const Json::Value& next = Get(res, TIMConversationListResultNextSeq);
        const Json::Value& finished = Get(res, TIMConversationListResultIsFinished);
        EXPECT(convs.isArray() && next.isUInt64() && finished.isBool(),
               w + ": conv_list array, next_seq uint64, is_finished bool: " + r.reply.json.substr(0, 300));
        EXPECT(convs.size() <= per_page, w + ": at most " + std::to_string(per_page));
        for (size_t i = 0; i < convs.size(); ++i) {
            const Json::Value& c = At(convs, i);
            got.push_back(Key(c));
            EXPECT(c == ByKey(list, Key(c)), w + ": the same ConvInfo as the list: " + Key(c));
        }
        if (IsTrue(finished)) return got;
        if (!next.isUInt64()) return got;
        seq = next.asUInt64();
    }
    EXPECT(false, what + ": is_finished within 100 pages");
    return got;
}

void TestFilter() {
    // A state to filter: types, marks, groups, a pinned one (cm_u2).
    std::vector<std::string> extra = CreateMany("cm_f", 7);
    Reply r = Mark({"c2c_cm_u2", "group_cm_g1"}, kAllMarkBits, false, "clear marks");
    ExpectResults(r, {{"c2c_cm_u2", 0}, {"group_cm_g1", 0}}, "clear marks");
    r = Mark({"c2c_cm_u2", "group_cm_g2", "c2c_cm_u1", extra[2], extra[5]}, kStar, true, "star five");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"c2c_cm_u2", "group_cm_g2", "c2c_cm_u1", extra[2], extra[5]},
                   "star five");
    r = Mark({"group_cm_g1", "c2c_cm_u1", extra[4]}, kUnread, true, "unread three");
    ExpectOneEvent(r, kTIMConvEvent_Update, {"group_cm_g1", "c2c_cm_u1", extra[4]}, "unread three");
    r = AddToGroup("cm_job", {extra[1], extra[2], extra[6], "group_cm_g2"}, "add to cm_job");
    ExpectResults(r, AllOk({extra[1], extra[2], extra[6], "group_cm_g2"}), "add to cm_job");
    r = CreateGroup("cm_side", {extra[2], "c2c_cm_u3"}, "create cm_side");
    ExpectResults(r, AllOk({extra[2], "c2c_cm_u3"}), "create cm_side");

    Json::Value list = GetList("filter state");
    ExpectListOrder(list, "filter state");
    EXPECT(list.size() == 13, "13 conversations to filter, got " + std::to_string(list.size()));

    struct Spec {
        std::string what;
        Json::Value filter;
        std::function<bool(const Json::Value&)> keep;
    };
    std::vector<Spec> specs;
    auto spec = [&](const std::string& what, const char* key, const Json::Value& value,
                    std::function<bool(const Json::Value&)> keep) {
        Json::Value f(Json::objectValue);
        if (key) f[key] = value;
        specs.push_back(Spec{what, f, keep});
    };
    auto type_is = [](int t) {
        return [t](const Json::Value& c) { return Get(c, kTIMConvType).isInt() && Get(c, kTIMConvType).asInt() == t; };
    };
    auto has_mark = [](uint64_t m) { return [m](const Json::Value& c) { return (MarkBits(c) & m) == m; }; };
    auto in_group = [](const std::string& g) { return [g](const Json::Value& c) { return InGroup(c, g); }; };
    spec("filter {}", nullptr, Json::Value(), [](const Json::Value&) { return true; });
    spec("filter c2c", kTIMConversationListFilterConvType, kTIMConv_C2C, type_is(kTIMConv_C2C));
    spec("filter group", kTIMConversationListFilterConvType, kTIMConv_Group, type_is(kTIMConv_Group));
    spec("filter no mark", kTIMConversationListFilterMarkType, Json::UInt64(0),
         [](const Json::Value& c) { return Marks(c).empty(); });
    spec("filter star", kTIMConversationListFilterMarkType, Json::UInt64(kStar), has_mark(kStar));
    spec("filter unread mark", kTIMConversationListFilterMarkType, Json::UInt64(kUnread), has_mark(kUnread));
    spec("filter bit 63 (none)", kTIMConversationListFilterMarkType, Json::UInt64(kBit63), has_mark(kBit63));
    spec("filter group cm_job", kTIMConversationListFilterConversationGroup, "cm_job", in_group("cm_job"));
    spec("filter group cm_side", kTIMConversationListFilterConversationGroup, "cm_side", in_group("cm_side"));
    spec("filter in no group", kTIMConversationListFilterConversationGroup, "",
         [](const Json::Value& c) { return Groups(c).empty(); });
    spec("filter unknown group", kTIMConversationListFilterConversationGroup, "cm_nope", in_group("cm_nope"));
    spec("filter has unread", kTIMConversationListFilterHasUnreadCount, true,
         [](const Json::Value& c) { return U64(Get(c, kTIMConvUnReadNum)) > 0; });
    spec("filter has no unread", kTIMConversationListFilterHasUnreadCount, false,
         [](const Json::Value& c) { return U64(Get(c, kTIMConvUnReadNum)) == 0; });
    spec("filter has @", kTIMConversationListFilterHasGroupAtInfo, true,
         [](const Json::Value& c) { return Get(c, kTIMConvGroupAtInfoArray).size() > 0; });
    spec("filter has no @", kTIMConversationListFilterHasGroupAtInfo, false,
         [](const Json::Value& c) { return Get(c, kTIMConvGroupAtInfoArray).size() == 0; });
    {
        Json::Value f;
        f[kTIMConversationListFilterConvType] = kTIMConv_C2C;
        f[kTIMConversationListFilterMarkType] = Json::UInt64(kStar);
        f[kTIMConversationListFilterConversationGroup] = "cm_job";
        auto c2c = type_is(kTIMConv_C2C);
        specs.push_back(Spec{"filter c2c, star, cm_job", f, [c2c](const Json::Value& c) {
                                 return c2c(c) && (MarkBits(c) & kStar) && InGroup(c, "cm_job");
                             }});
        Json::Value g;
        g[kTIMConversationListFilterConvType] = kTIMConv_Group;
        g[kTIMConversationListFilterConversationGroup] = "";
        g[kTIMConversationListFilterHasUnreadCount] = false;
        auto grp = type_is(kTIMConv_Group);
        specs.push_back(Spec{"filter group, in no group, no unread", g,
                             [grp](const Json::Value& c) { return grp(c) && Groups(c).empty(); }});
        Json::Value h;
        h[kTIMConversationListFilterMarkType] = Json::UInt64(0);
        h[kTIMConversationListFilterConversationGroup] = "";
        specs.push_back(Spec{"filter no mark, in no group", h,
                             [](const Json::Value& c) { return Marks(c).empty() && Groups(c).empty(); }});
    }

    for (const Spec& s : specs) {
        std::vector<std::string> want;
        for (size_t i = 0; i < list.size(); ++i)
            if (s.keep(At(list, i))) want.push_back(Key(At(list, i)));
        std::vector<std::string> got = WalkPages(s.filter, 3, list, s.what);
        EXPECT(got == want, s.what + ": pages of 3 give " + Join(want) + ", got " + Join(got));
    }
    // Sanity of the state: the filters above select something, and not everything.
    EXPECT(WalkPages(specs[4].filter, 3, list, "star again").size() == 5, "five starred");
    std::vector<std::string> all = WalkPages(Json::Value(Json::objectValue), 100, list, "filter {} count 100");
    EXPECT(all == Keys(list), "one page of 100: the whole list in order");
    std::vector<std::string> ones = WalkPages(Json::Value(Json::objectValue), 1, list, "filter {} count 1");
    EXPECT(ones == Keys(list), "pages of 1: the whole list in order");

    ExpectRefused("filter(count 0)", TIMConvGetConversationListByFilter("{}", 0, 0, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("filter(count 101)", TIMConvGetConversationListByFilter("{}", 0, 101, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("filter(NULL)", TIMConvGetConversationListByFilter(nullptr, 0, 3, kOnResult, kRefused),
                  TIM_ERR_PARAM);
    ExpectRefused("filter([])", TIMConvGetConversationListByFilter("[]", 0, 3, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("filter(\"{\")", TIMConvGetConversationListByFilter("{", 0, 3, kOnResult, kRefused), TIM_ERR_JSON);
    ExpectRefused("filter(conv type a string)",
                  TIMConvGetConversationListByFilter("{\"conversation_list_filter_conv_type\":\"c2c\"}", 0, 3,
                                                     kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("filter(mark type -1)",
                  TIMConvGetConversationListByFilter("{\"conversation_list_filter_mark_type\":-1}", 0, 3, kOnResult,
                                                     kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("filter(group a number)",
                  TIMConvGetConversationListByFilter("{\"conversation_list_filter_conversation_group\":5}", 0, 3,
                                                     kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("filter(has unread a string)",
                  TIMConvGetConversationListByFilter("{\"conversation_list_filter_has_unread_count\":\"yes\"}", 0, 3,
                                                     kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("filter(a key twice)",
                  TIMConvGetConversationListByFilter("{\"conversation_list_filter_conv_type\":1,"
                                                     "\"conversation_list_filter_conv_type\":2}",
                                                     0, 3, kOnResult, kRefused),
                  TIM_ERR_JSON);
    ExpectRefused("filter(\"{\", count 0): arguments in order",
                  TIMConvGetConversationListByFilter("{", 0, 0, kOnResult, kRefused), TIM_ERR_PARAM);
}

}  // namespace

int main() {
    g_main_thread = std::this_thread::get_id();
    TestSetUp();
    TestGetConvInfo();
    TestPin();
    TestPinLimit();
    TestMarkLimit();
    TestMark();
    TestCustomData();
    TestDeleteList();
    TestGroups();
    TestGroupLimit();
    TestGroupListenersCleared();
    TestFilter();

    TIMSetConvEventCallback(nullptr, nullptr);
    TIMSetConvConversationGroupCreatedCallback(nullptr, nullptr);
    TIMSetConvConversationGroupDeletedCallback(nullptr, nullptr);
    TIMSetConvConversationGroupNameChangedCallback(nullptr, nullptr);
    TIMSetConvConversationsAddedToGroupCallback(nullptr, nullptr);
    TIMSetConvConversationsDeletedFromGroupCallback(nullptr, nullptr);
    EXPECT(Pending() == 0, "nothing left unread");
    std::printf("conv_module: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
