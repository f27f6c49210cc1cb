// The SDK's lifecycle used the way a vendor C++ app starts and stops it:
// listeners first (log, network status, kicked offline, user-sig expired, new
// messages, conversation events), callExperimentalAPI(set_ui_platform),
// TIMInit with a jsoncpp-built config, kTIMConnected, TIMLogin, the
// conversation functions, switching users, a function this library does not
// offer (ERR_SDK_INTERFACE_NOT_SUPPORT), TIMLogout and TIMUninit.
//
// C++11, jsoncpp, captureless lambdas as callbacks. Every wait has a timeout:
// a wait that times out is a failure, never a hang. Prints
// "lifecycle_app: N passed, M failed" as its last line; exits 1 on failure.

#include <json/json.h>

#include <TIMCloud.h>

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

#include "expect.h"

const std::chrono::seconds kTimeout(30);  // generous: valgrind is slow

// One per-call callback or conversation event, copied inside the callback.
struct Answer {
    bool is_event;
    int code;        // callback code, or the TIMConvEvent
    uintptr_t tag;   // user_data of the call (0 for events)
    std::string desc;
    std::string json;
    std::thread::id thread;
};

struct NetStatus {
    int status;
    int code;
    std::string desc;
    std::thread::id thread;
};

struct LogLine {
    int level;
    std::string text;
    std::thread::id thread;
};

// Everything the callbacks report, under one lock.
std::mutex g_mutex;
std::condition_variable g_cond;
std::deque<Answer> g_answers;
std::vector<NetStatus> g_net;
std::vector<LogLine> g_logs;
int g_kicked = 0;
int g_sig_expired = 0;
int g_new_msgs = 0;
std::atomic<int> g_callbacks(0);  // every invocation of any callback
std::thread::id g_main_thread;

const void* Tag(uintptr_t n) { return reinterpret_cast<const void*>(n); }

template <class Pred>
bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> lock(g_mutex);
    return g_cond.wait_for(lock, kTimeout, pred);
}

// Callbacks as captureless lambdas converted to the C function pointer types.
const TIMCommCallback kOnResult = [](int32_t code, const char* desc, const char* json_params,
                                     const void* user_data) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_answers.push_back(Answer{false, code, reinterpret_cast<uintptr_t>(user_data), desc ? desc : "(null)",
                               json_params ? json_params : "(null)", std::this_thread::get_id()});
    g_cond.notify_all();
};

const TIMConvEventCallback kOnConvEvent = [](TIMConvEvent conv_event, const char* json_conv_array,
                                             const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_answers.push_back(Answer{true, conv_event, 0, "", json_conv_array ? json_conv_array : "(null)",
                               std::this_thread::get_id()});
    g_cond.notify_all();
};

const TIMNetworkStatusListenerCallback kOnNetwork = [](TIMNetworkStatus status, int32_t code, const char* desc,
                                                       const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_net.push_back(NetStatus{status, code, desc ? desc : "(null)", std::this_thread::get_id()});
    g_cond.notify_all();
};

const TIMLogCallback kOnLog = [](TIMLogLevel level, const char* log, const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    g_logs.push_back(LogLine{level, log ? log : "(null)", std::this_thread::get_id()});
    g_cond.notify_all();
};

const TIMKickedOfflineCallback kOnKicked = [](const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    ++g_kicked;
};

const TIMUserSigExpiredCallback kOnSigExpired = [](const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    ++g_sig_expired;
};

const TIMRecvNewMsgCallback kOnNewMsg = [](const char*, const void*) {
    ++g_callbacks;
    std::lock_guard<std::mutex> lock(g_mutex);
    ++g_new_msgs;
};

// Waits for `n` answers (events and per-call callbacks) and takes them.
bool Take(size_t n, std::vector<Answer>* out) {
    std::unique_lock<std::mutex> lock(g_mutex);
    bool ok = g_cond.wait_for(lock, kTimeout, [&] { return g_answers.size() >= n; });
    out->clear();
    if (!ok) return false;
    out->assign(g_answers.begin(), g_answers.begin() + static_cast<std::ptrdiff_t>(n));
    g_answers.erase(g_answers.begin(), g_answers.begin() + static_cast<std::ptrdiff_t>(n));
    return true;
}

size_t Pending() {
    std::lock_guard<std::mutex> lock(g_mutex);
    return g_answers.size();
}

std::string Describe(const Answer& a) {
    return std::string(a.is_event ? "event " : "callback ") + std::to_string(a.code) + " tag " +
           std::to_string(a.tag) + " desc \"" + a.desc + "\" json " + a.json;
}

// Takes the one answer a call is expected to produce: its own callback.
bool TakeReply(uintptr_t tag, const std::string& what, Answer* out) {
    std::vector<Answer> got;
    if (!Take(1, &got)) {
        EXPECT(false, what + ": callback arrived");
        return false;
    }
    *out = got[0];
    EXPECT(!out->is_event && out->tag == tag, what + ": its own callback comes next, got " + Describe(*out));
    EXPECT(out->thread != g_main_thread, what + ": callback not on the calling thread");
    return !out->is_event && out->tag == tag;
}

bool Parse(const std::string& text, Json::Value* out) {
    Json::Reader reader;  // the classic API the vendor samples use
    return reader.parse(text, *out, false);
}

uintptr_t g_next_tag = 1000;

// Asks for the list and returns it parsed (nothing else must be pending).
Json::Value GetConvList(const std::string& what) {
    Json::Value list;
    uintptr_t tag = ++g_next_tag;
    int ret = TIMConvGetConvList(kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, what + ": TIMConvGetConvList returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret != TIM_SUCC || !TakeReply(tag, what + ": list", &a)) return list;
    EXPECT(a.code == ERR_SUCC, what + ": list callback code ERR_SUCC, got " + std::to_string(a.code));
    EXPECT(Parse(a.json, &list) && list.isArray(), what + ": list is a JSON array: " + a.json);
    return list;
}

std::vector<std::string> Ids(const Json::Value& list) {
    std::vector<std::string> ids;
    for (Json::ArrayIndex i = 0; list.isArray() && i < list.size(); ++i)
        ids.push_back(list[i][kTIMConvId].asString() + "/" + list[i][kTIMConvType].asString());
    return ids;
}

std::string Join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + "]";
}

// Creates a new conversation: the Add event, then the callback with its ConvInfo.
void Create(const std::string& id, TIMConvType type) {
    uintptr_t tag = ++g_next_tag;
    int ret = TIMConvCreate(id.c_str(), type, kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "TIMConvCreate(" + id + ") returns TIM_SUCC, got " + std::to_string(ret));
    if (ret != TIM_SUCC) return;
    std::vector<Answer> got;
    if (!Take(2, &got)) {
        EXPECT(false, "create " + id + ": Add event and callback arrived");
        return;
    }
    Json::Value events, info;
    EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Add,
           "create " + id + ": kTIMConvEvent_Add first, got " + Describe(got[0]));
    EXPECT(Parse(got[0].json, &events) && events.isArray() && events.size() == 1 &&
               events[0][kTIMConvId].asString() == id,
           "create " + id + ": the Add event carries its ConvInfo");
    EXPECT(!got[1].is_event && got[1].tag == tag && got[1].code == ERR_SUCC && got[1].desc.empty(),
           "create " + id + ": then its callback, ERR_SUCC, got " + Describe(got[1]));
    EXPECT(Parse(got[1].json, &info) && info[kTIMConvId].asString() == id && info[kTIMConvType].asInt() == type,
           "create " + id + ": the callback carries its ConvInfo");
    EXPECT(got[0].thread != g_main_thread && got[1].thread != g_main_thread,
           "create " + id + ": answers not on the calling thread");
}

void Delete(const std::string& id, TIMConvType type) {
    uintptr_t tag = ++g_next_tag;
    int ret = TIMConvDelete(id.c_str(), type, kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "TIMConvDelete(" + id + ") returns TIM_SUCC, got " + std::to_string(ret));
    if (ret != TIM_SUCC) return;
    std::vector<Answer> got;
    if (!Take(2, &got)) {
        EXPECT(false, "delete " + id + ": Del event and callback arrived");
        return;
    }
    Json::Value events;
    EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Del,
           "delete " + id + ": kTIMConvEvent_Del first, got " + Describe(got[0]));
    EXPECT(Parse(got[0].json, &events) && events.isArray() && events.size() == 1 &&
               events[0][kTIMConvId].asString() == id,
           "delete " + id + ": the Del event carries its ConvInfo");
    EXPECT(!got[1].is_event && got[1].tag == tag && got[1].code == ERR_SUCC && got[1].json.empty(),
           "delete " + id + ": then its callback, ERR_SUCC with \"\", got " + Describe(got[1]));
}

// The vendor's draft sample, built with Json::Value and the key macros.
std::string MakeDraft(const std::string& text) {
    Json::Value json_value_text;
    json_value_text[kTIMElemType] = kTIMElem_Text;
    json_value_text[kTIMTextElemContent] = text;
    Json::Value json_value_msg;
    json_value_msg[kTIMMsgElemArray].append(json_value_text);
    Json::Value json_value_draft;
    json_value_draft[kTIMDraftMsg] = json_value_msg;
    json_value_draft[kTIMDraftUserDefine] = "lifecycle";
    json_value_draft[kTIMDraftEditTime] = Json::UInt64(1700000000);
    return json_value_draft.toStyledString();
}

void Login(const std::string& user) {
    uintptr_t tag = ++g_next_tag;
    int ret = TIMLogin(user.c_str(), ("sig-of-" + user).c_str(), kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "TIMLogin(" + user + ") returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret == TIM_SUCC && TakeReply(tag, "login " + user, &a))
        EXPECT(a.code == ERR_SUCC && a.desc.empty() && a.json.empty(),
               "login " + user + ": code 0, desc \"\", json \"\", got " + Describe(a));
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_Logined, "after TIMLogin: kTIMLoginStatus_Logined");
    char buf[128];
    std::memset(buf, 'x', sizeof buf);
    ret = TIMGetLoginUserID(buf);
    EXPECT(ret == TIM_SUCC, "TIMGetLoginUserID returns TIM_SUCC");
    EXPECT(std::memchr(buf, 0, sizeof buf) != nullptr && std::string(buf) == user,
           "TIMGetLoginUserID writes " + user);
}

void Logout(const std::string& who) {
    uintptr_t tag = ++g_next_tag;
    int ret = TIMLogout(kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "TIMLogout (" + who + ") returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret == TIM_SUCC && TakeReply(tag, "logout " + who, &a))
        EXPECT(a.code == ERR_SUCC, "logout " + who + ": code 0, got " + Describe(a));
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, "after TIMLogout: kTIMLoginStatus_UnLogined");
}

// Every conversation function refuses with TIM_ERR_NOTLOGIN and calls nothing back.
void ExpectNotLoggedIn(const std::string& when) {
    std::string draft = MakeDraft("not logged in");
    int r1 = TIMConvCreate("nobody", kTIMConv_C2C, kOnResult, Tag(1));
    int r2 = TIMConvDelete("nobody", kTIMConv_C2C, kOnResult, Tag(2));
    int r3 = TIMConvGetConvList(kOnResult, Tag(3));
    int r4 = TIMConvSetDraft("nobody", kTIMConv_C2C, draft.c_str());
    int r5 = TIMConvCancelDraft("nobody", kTIMConv_C2C);
    EXPECT(r1 == TIM_ERR_NOTLOGIN, when + ": TIMConvCreate -> TIM_ERR_NOTLOGIN, got " + std::to_string(r1));
    EXPECT(r2 == TIM_ERR_NOTLOGIN, when + ": TIMConvDelete -> TIM_ERR_NOTLOGIN, got " + std::to_string(r2));
    EXPECT(r3 == TIM_ERR_NOTLOGIN, when + ": TIMConvGetConvList -> TIM_ERR_NOTLOGIN, got " + std::to_string(r3));
    EXPECT(r4 == TIM_ERR_NOTLOGIN, when + ": TIMConvSetDraft -> TIM_ERR_NOTLOGIN, got " + std::to_string(r4));
    EXPECT(r5 == TIM_ERR_NOTLOGIN, when + ": TIMConvCancelDraft -> TIM_ERR_NOTLOGIN, got " + std::to_string(r5));
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, when + ": kTIMLoginStatus_UnLogined");
    // Nothing came back (the next login's callback must be the next answer).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT(Pending() == 0, when + ": refused calls called nothing back");
}

// A function this library does not offer: TIM_SUCC, then exactly one
// callback with ERR_SDK_INTERFACE_NOT_SUPPORT naming the function.
template <class F>
void ExpectNotSupported(const std::string& name, F call) {
    uintptr_t tag = ++g_next_tag;
    int ret = call(Tag(tag));
    EXPECT(ret == TIM_SUCC, name + " returns TIM_SUCC, got " + std::to_string(ret));
    if (ret != TIM_SUCC) return;
    Answer a;
    if (TakeReply(tag, name, &a)) {
        EXPECT(a.code == ERR_SDK_INTERFACE_NOT_SUPPORT,
               name + ": code ERR_SDK_INTERFACE_NOT_SUPPORT (7013), got " + Describe(a));
        EXPECT(a.desc.find(name) != std::string::npos, name + ": desc names the function: \"" + a.desc + "\"");
        EXPECT(a.json.empty() || a.json == "{}" || a.json == "[]", name + ": no result JSON, got " + a.json);
    }
    // A later list is a barrier: a second callback for the call would come before it.
    GetConvList(name + " barrier");
    EXPECT(Pending() == 0, name + ": called back exactly once");
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }

void TestStartUp(const std::string& dir) {
    // Listeners first, as the vendor's apps do; none of them fires yet.
    TIMSetLogCallback(kOnLog, nullptr);
    TIMSetNetworkStatusListenerCallback(kOnNetwork, nullptr);
    TIMSetKickedOfflineCallback(kOnKicked, nullptr);
    TIMSetUserSigExpiredCallback(kOnSigExpired, nullptr);
    TIMAddRecvNewMsgCallback(kOnNewMsg, nullptr);
    TIMSetConvEventCallback(kOnConvEvent, nullptr);
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, "before TIMInit: kTIMLoginStatus_UnLogined");

    // The UI kits announce their platform before TIMInit.
    Json::Value platform;
    platform["request_internal_operation"] = "internal_operation_set_ui_platform";
    platform["request_set_ui_platform_param"] = 27;
    uintptr_t tag = ++g_next_tag;
    int ret = callExperimentalAPI(platform.toStyledString().c_str(), kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "callExperimentalAPI(set_ui_platform) returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret == TIM_SUCC && TakeReply(tag, "set_ui_platform", &a))
        EXPECT(a.code == ERR_SUCC, "set_ui_platform: code 0, got " + Describe(a));

    // Refused configurations: no state change, no network status.
    EXPECT(TIMInit(0, "{}") != TIM_SUCC, "TIMInit(app id 0) is refused");
    EXPECT(TIMInit(1400000000, "[1, 2]") != TIM_SUCC, "TIMInit(config not an object) is refused");
    EXPECT(TIMInit(1400000000, "{") != TIM_SUCC, "TIMInit(config not JSON) is refused");

    Json::Value config;
    config[kTIMSdkConfigConfigFilePath] = dir;
    config[kTIMSdkConfigLogFilePath] = dir;
    ret = TIMInit(1400000000, config.toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, "TIMInit returns TIM_SUCC, got " + std::to_string(ret));
    bool connected = WaitFor([] {
        for (const NetStatus& s : g_net)
            if (s.status == kTIMConnected) return true;
        return false;
    });
    EXPECT(connected, "network status kTIMConnected arrives after TIMInit");
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        std::string seen;
        for (const NetStatus& s : g_net) seen += std::to_string(s.status) + " ";
        EXPECT(g_net.size() == 2 && g_net[0].status == kTIMConnecting && g_net[1].status == kTIMConnected,
               "network statuses: kTIMConnecting then kTIMConnected, got " + seen);
        for (const NetStatus& s : g_net) {
            EXPECT(s.code == 0 && s.desc.empty(), "network status: code 0, desc \"\"");
            EXPECT(s.thread != g_main_thread, "network status not on the calling thread");
        }
    }
    bool logged = WaitFor([] { return !g_logs.empty(); });
    EXPECT(logged, "the log listener receives a line after TIMInit");
    EXPECT(Pending() == 0, "TIMInit fires no conversation event");
}

void TestConversations() {
    EXPECT(GetConvList("first login").empty(), "fresh user: no conversations");
    Create("a_first", kTIMConv_C2C);
    Create("a_group", kTIMConv_Group);
    Create("a_last", kTIMConv_C2C);

    int ret = TIMConvSetDraft("a_first", kTIMConv_C2C, MakeDraft("a draft").c_str());
    EXPECT(ret == TIM_SUCC, "TIMConvSetDraft returns TIM_SUCC, got " + std::to_string(ret));
    std::vector<Answer> got;
    if (ret == TIM_SUCC && Take(1, &got)) {
        Json::Value events;
        EXPECT(got[0].is_event && got[0].code == kTIMConvEvent_Update,
               "SetDraft: kTIMConvEvent_Update, got " + Describe(got[0]));
        EXPECT(Parse(got[0].json, &events) && events.size() == 1 && events[0][kTIMConvId].asString() == "a_first" &&
                   events[0][kTIMConvIsHasDraft].asBool(),
               "SetDraft: the Update carries the drafted ConvInfo");
    } else {
        EXPECT(false, "SetDraft: Update event arrived");
    }

    Json::Value list = GetConvList("after draft");
    std::vector<std::string> want = {"a_first/1", "a_last/1", "a_group/2"};
    EXPECT(Ids(list) == want, "list order (draft activates a_first): " + Join(Ids(list)));
    EXPECT(list.size() == 3 && list[0][kTIMConvDraft][kTIMDraftMsg][kTIMMsgElemArray][0][kTIMTextElemContent]
                                       .asString() == "a draft",
           "listed draft text");

    Delete("a_group", kTIMConv_Group);
    list = GetConvList("after delete");
    want = {"a_first/1", "a_last/1"};
    EXPECT(Ids(list) == want, "after delete: " + Join(Ids(list)));
}

void TestSwitchUsers() {
    Logout("user_a");
    ExpectNotLoggedIn("after TIMLogout");

    Login("user_b");
    Json::Value list = GetConvList("user_b");
    EXPECT(list.isArray() && list.empty(), "user_b sees none of user_a's conversations: " + Join(Ids(list)));
    Create("b_only", kTIMConv_C2C);
    Logout("user_b");

    Login("user_a");
    list = GetConvList("user_a again");
    std::vector<std::string> want = {"a_first/1", "a_last/1"};
    EXPECT(Ids(list) == want, "user_a's conversations are back (and not user_b's): " + Join(Ids(list)));
    EXPECT(list.size() == 2 && list[0][kTIMConvIsHasDraft].asBool() &&
               list[0][kTIMConvDraft][kTIMDraftUserDefine].asString() == "lifecycle",
           "user_a's draft is back");

    Logout("user_a");
    Login("user_b");
    want = {"b_only/1"};
    EXPECT(Ids(GetConvList("user_b again")) == want, "user_b's conversation is back");
    Logout("user_b");
    Login("user_a");
}

void TestNotSupported() {
    Json::Value group;
    group[kTIMCreateGroupParamGroupId] = "lifecycle_group";
    group[kTIMCreateGroupParamGroupType] = kTIMGroup_Public;
    group[kTIMCreateGroupParamGroupName] = "lifecycle group";
    const std::string param = group.toStyledString();
    ExpectNotSupported("TIMGroupCreate",
                       [&](const void* ud) { return TIMGroupCreate(param.c_str(), kOnResult, ud); });
    ExpectNotSupported("TIMFriendshipGetFriendProfileList",
                       [](const void* ud) { return TIMFriendshipGetFriendProfileList(kOnResult, ud); });

    uintptr_t tag = ++g_next_tag;
    int ret = callExperimentalAPI("{\"request_internal_operation\":\"internal_operation_no_such_thing\"}",
                                  kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "callExperimentalAPI(unknown) returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret == TIM_SUCC && TakeReply(tag, "callExperimentalAPI(unknown)", &a))
        EXPECT(a.code == ERR_SDK_INTERFACE_NOT_SUPPORT, "callExperimentalAPI(unknown): 7013, got " + Describe(a));
}

void TestShutDown() {
    // Callbacks accepted but not yet delivered when TIMUninit is called are
    // delivered before it returns: queue some, log out without waiting, and
    // call TIMUninit at once.
    const uintptr_t kQueued = 50;
    const uintptr_t kFirst = 5000;
    const uintptr_t logout_tag = kFirst + kQueued;
    uintptr_t accepted = 0;
    for (uintptr_t i = 0; i < kQueued; ++i)
        if (TIMFriendshipGetFriendProfileList(kOnResult, Tag(kFirst + i)) == TIM_SUCC) ++accepted;
    EXPECT(accepted == kQueued, "queued calls accepted before TIMUninit");
    int ret = TIMLogout(kOnResult, Tag(logout_tag));
    EXPECT(ret == TIM_SUCC, "last TIMLogout returns TIM_SUCC, got " + std::to_string(ret));

    ret = TIMUninit();
    EXPECT(ret == TIM_SUCC, "TIMUninit returns TIM_SUCC, got " + std::to_string(ret));
    int at_return = g_callbacks.load();
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        bool all = g_answers.size() == kQueued + 1;
        for (size_t i = 0; all && i < kQueued; ++i)
            all = !g_answers[i].is_event && g_answers[i].tag == kFirst + i &&
                  g_answers[i].code == ERR_SDK_INTERFACE_NOT_SUPPORT;
        all = all && !g_answers[kQueued].is_event && g_answers[kQueued].tag == logout_tag &&
              g_answers[kQueued].code == ERR_SUCC;
        EXPECT(all, "TIMUninit delivered every accepted callback (50 queued + the logout), in order, before "
                    "returning: got " + std::to_string(g_answers.size()) + " answers");
        g_answers.clear();
        size_t info = 0;
        for (const LogLine& l : g_logs) {
            if (l.level == kTIMLog_Info) ++info;
            EXPECT(!l.text.empty() && l.thread != g_main_thread, "log line: text, not on the calling thread");
        }
        EXPECT(info >= 1, "info lines logged: " + std::to_string(info) + " of " + std::to_string(g_logs.size()));
        EXPECT(g_kicked == 0 && g_sig_expired == 0 && g_new_msgs == 0,
               "kicked-offline, user-sig-expired and new-message listeners never fired");
    }

    // After TIMUninit returned, nothing runs.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int later = g_callbacks.load();
    EXPECT(later == at_return, "no callback after TIMUninit returned (" + std::to_string(at_return) + " then " +
                                   std::to_string(later) + ")");
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, "after TIMUninit: kTIMLoginStatus_UnLogined");

    // Back to the embedded default: the conversation functions work again
    // without TIMInit (the callback thread starts again on demand).
    uintptr_t tag = ++g_next_tag;
    ret = TIMConvGetConvList(kOnResult, Tag(tag));
    EXPECT(ret == TIM_SUCC, "after TIMUninit: TIMConvGetConvList returns TIM_SUCC, got " + std::to_string(ret));
    Answer a;
    if (ret == TIM_SUCC && TakeReply(tag, "list after TIMUninit", &a)) {
        Json::Value list;
        EXPECT(a.code == ERR_SUCC && Parse(a.json, &list) && list.isArray(),
               "after TIMUninit: the list answers, code 0, an array: " + Describe(a));
    }

    TIMRemoveRecvNewMsgCallback(kOnNewMsg);
    TIMSetConvEventCallback(nullptr, nullptr);
    TIMSetNetworkStatusListenerCallback(nullptr, nullptr);
    TIMSetLogCallback(nullptr, nullptr);
}

}  // namespace

int main() {
    g_main_thread = std::this_thread::get_id();
    char dir_template[] = "/tmp/lifecycle_app.XXXXXX";
    const char* dir = mkdtemp(dir_template);
    EXPECT(dir != nullptr, "mkdtemp");
    if (!dir) dir = "/tmp";

    TestStartUp(dir);
    ExpectNotLoggedIn("after TIMInit, before TIMLogin");
    Login("user_a");
    TestConversations();
    TestSwitchUsers();
    TestNotSupported();
    TestShutDown();
    EXPECT(Pending() == 0, "nothing left unread");

    if (std::string(dir) != "/tmp") nftw(dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
    std::printf("lifecycle_app: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
