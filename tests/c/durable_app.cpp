// The durable store (sdk_config_config_file_path) used the way a vendor C++
// app lives with it: across process restarts.
//
//   durable_app                          the whole flow (what run.sh runs): a
//                                        fresh folder under /tmp, and for each
//                                        of three endings of phase 1 a
//                                        "write" process, then a "check"
//                                        process, each this program again
//                                        (fork + exec of /proc/self/exe)
//   durable_app write FOLDER ENDING      phase 1; ENDING: uninit | exit | kill
//   durable_app check FOLDER ENDING      phase 2, a new process
//   durable_app contend FOLDER PID       a second process logging in the same
//                                        user: PID holds it (7501 expected),
//                                        or 0: nobody does (code 0 expected)
//
// Phase 1 (write): TIMInit with the folder, TIMLogin, then conversations
// created (one created and deleted again), messages imported (unread
// counts, @ entries, last messages), drafts, a pin (and a pin undone),
// marks set and cleared (one with a NULL callback, which commits at once),
// custom data set and cleared, conversation groups (created, one deleted,
// one renamed), C2C and group receive options (also for a user without a
// conversation). Then it checks the state it made, and writes it (the
// conversation list, the group list, lookups, filtered pages, receive
// options and the unread total, as the SDK gave them) to FOLDER/expected.json.
// Then it ends, one way per run:
//   uninit  TIMUninit, then returns from main;
//   exit    returns from main without TIMLogout or TIMUninit (every
//           callback delivered);
//   kill    cancels a draft (synchronous: on disk when it returns), sets
//           custom data and, inside that call's own callback, writes the
//           expected state (patched with the ConvInfo of the Update events)
//           and sends itself SIGKILL: the change must be on disk before its
//           callback runs.
// Phase 2 (check), a new process: TIMLogin finds everything as it was:
// each part of the state equals what phase 1 wrote (parsed JSON equality,
// differences listed field by field), the content checks pass again, the
// files have their modes (folders 0700, files 0600); while it holds the
// user, another process's TIMLogin of the same user is refused with 7501
// naming the lock file and this pid, and leaves no descriptor of the
// store open; after a restart the order key and the group order continue
// (a new conversation goes above every restored one; a new group comes
// last) and read reports use the restored unread points; after TIMLogout
// the lock is free (another process logs in), and logging in again in the
// same process gives the same state. A separate user whose conv.db (at
// <folder>/imsdk-conv/<app id>/u<base32 of the id>/conv.db) is overwritten
// with garbage is refused with 7010, a desc naming the file and a log
// error line, the file left byte for byte as it was, nobody logged in;
// a folder where the file should be is refused with 6022.
//
// C++11, jsoncpp (strict mode), captureless lambdas as callbacks, the
// kTIM... key macros. Every wait has a timeout (a child process too): a
// wait that times out is a failure, never a hang. Each process prints its
// own "durable_app <mode> ...: N passed, M failed" line; the whole flow
// adds them up and prints "durable_app: N passed, M failed" as its last
// line, and exits 1 on failure (the folder is then kept, for a look).

#include <json/json.h>

#include <TIMCloud.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

#include "expect.h"
#include "json_check.h"

const std::chrono::seconds kTimeout(30);  // generous: valgrind is slow
const int kChildTimeoutSeconds = 600;     // one child process, valgrind included
const uint64_t kAppId = 1400000000;
const char* const kUser = "durable_user";
// A user id with a slash, dots and non-ASCII bytes: its folder name is
// the base32 of its bytes.
const char* const kDamagedUser = "damaged/../\xc3\xbc";
const char* const kFolderUser = "folder_in_the_way";
const char* const kKillCustom = "set just before kill -9";
const char* const kCountsEnv = "DURABLE_APP_COUNTS";
const TIMConvType kC2C = kTIMConv_C2C;
const TIMConvType kGroup = kTIMConv_Group;
const uint64_t kStar = kTIMConversationMarkTypeStar;
const uint64_t kUnreadMark = kTIMConversationMarkTypeUnread;
const uint64_t kFold = kTIMConversationMarkTypeFold;
const uint64_t kBit40 = 1ULL << 40;
const Json::UInt64 kPinnedBit = 0x4000000000000000ULL;

std::string g_exe;    // this program, for the child processes
std::string g_label;  // "write uninit", "check kill", ...

// ---------------------------------------------------------------------------
// Callbacks.

enum Kind { kReply, kConvEvent, kGroupCreated };

// One callback invocation, copied inside the callback.
struct Answer {
    Answer() : kind(kReply), code(0), tag(0) {}
    Answer(Kind k, int c, const void* user_data, const char* d, const char* j)
        : kind(k),
          code(c),
          tag(reinterpret_cast<uintptr_t>(user_data)),
          desc(d ? d : "(null)"),
          json(j ? j : "(null)"),
          thread(std::this_thread::get_id()) {}
    Kind kind;
    int code;          // reply code, or the TIMConvEvent
    uintptr_t tag;     // user_data
    std::string desc;  // reply: desc; group created: the group's name
    std::string json;  // reply json_params, or the event's ConvInfo array
    std::thread::id thread;
};

struct LogLine {
    int level;
    std::string text;
};

std::mutex g_mutex;
std::condition_variable g_cond;
std::deque<Answer> g_answers;
std::vector<Answer> g_conv_events;  // every conversation event, kept (Await takes them off g_answers)
std::vector<LogLine> g_logs;
std::thread::id g_main_thread;

const uintptr_t kEventTag = 9001;
const void* Tag(uintptr_t n) { return reinterpret_cast<const void*>(n); }
uintptr_t g_next_tag = 1000;
uintptr_t NextTag() { return ++g_next_tag; }

void Push(const Answer& a) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_answers.push_back(a);
    g_cond.notify_all();
}

const TIMCommCallback kOnResult = [](int32_t code, const char* desc, const char* json_params,
                                     const void* user_data) {
    Push(Answer(kReply, code, user_data, desc, json_params));
};

const TIMConvEventCallback kOnConvEvent = [](TIMConvEvent conv_event, const char* json_conv_array,
                                             const void* user_data) {
    Answer a(kConvEvent, conv_event, user_data, "", json_conv_array);
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        g_conv_events.push_back(a);
    }
    Push(a);
};

const TIMConvConversationGroupCreatedCallback kOnGroupCreated = [](const char* group_name,
                                                                   const char* conversation_array,
                                                                   const void* user_data) {
    Push(Answer(kGroupCreated, 0, user_data, group_name, conversation_array));
};

const TIMLogCallback kOnLog = [](TIMLogLevel level, const char* log, const void*) {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_logs.push_back(LogLine{level, log ? log : "(null)"});
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
    static const char* const kNames[] = {"reply", "conv event", "group created"};
    std::string s = std::string(kNames[a.kind]) + " code " + std::to_string(a.code) + " tag " + std::to_string(a.tag);
    if (!a.desc.empty()) s += " \"" + a.desc + "\"";
    std::string j = a.json.size() > 300 ? a.json.substr(0, 300) + "..." : a.json;
    return s + " json " + j;
}

// An accepted call's answers: what was delivered before its own callback,
// then the callback.
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

void ExpectCode(const Reply& r, int code, const std::string& what) {
    EXPECT(r.arrived && r.reply.code == code,
           what + ": callback code " + std::to_string(code) + ", got " + Describe(r.reply));
}

void ExpectNoEvents(const Reply& r, const std::string& what) {
    std::string seen;
    for (const Answer& a : r.events) seen += "\n      " + Describe(a);
    EXPECT(r.events.empty(), what + ": nothing delivered before its callback, got" + seen);
}

// The conversation events among r.events, as "<event>:<key>" strings.
std::vector<std::string> EventKeys(const Reply& r) {
    std::vector<std::string> got;
    for (const Answer& a : r.events) {
        if (a.kind != kConvEvent) continue;
        Json::Value arr;
        ParseStrict(a.json, &arr);
        for (const std::string& k : Keys(arr)) got.push_back(std::to_string(a.code) + ":" + k);
    }
    return got;
}

// ---------------------------------------------------------------------------
// Files, paths and processes.

std::string Compact(const Json::Value& v) {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    return Json::writeString(b, v);
}

bool ReadFile(const std::string& path, std::string* out) {
    std::ifstream in(path.c_str(), std::ios::binary);
    if (!in) return false;
    std::ostringstream s;
    s << in.rdbuf();
    *out = s.str();
    return true;
}

bool WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path.c_str(), std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    return !out.fail();
}

bool SaveJson(const std::string& path, const Json::Value& v) {
    Json::StreamWriterBuilder b;
    b["indentation"] = "  ";
    return WriteFile(path, Json::writeString(b, v) + "\n");
}

std::string Base32(const std::string& bytes) {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += kAlphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0) out += kAlphabet[(acc << (5 - bits)) & 31];
    return out;
}

std::string UserDir(const std::string& folder, const std::string& user) {
    return folder + "/imsdk-conv/" + std::to_string(kAppId) + "/u" + Base32(user);
}

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The mode bits of a path, or -1 if it does not exist.
int Mode(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? int(st.st_mode & 07777) : -1;
}

std::string Octal(int mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode < 0 ? 0 : mode);
    return mode < 0 ? "missing" : buf;
}

// This process's descriptors that name something under `folder`.
std::vector<std::string> OpenUnder(const std::string& folder) {
    std::vector<std::string> found;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return {"(cannot list /proc/self/fd)"};
    while (struct dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string link = std::string("/proc/self/fd/") + e->d_name;
        char target[4096];
        ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (Contains(target, folder)) found.push_back(std::string(e->d_name) + " -> " + target);
    }
    closedir(d);
    return found;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }

// Starts this program again with `args` (argv[1..]).
pid_t Spawn(const std::vector<std::string>& args) {
    std::vector<std::string> all(1, g_exe);
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        // Only async-signal-safe calls here: the parent may have threads.
        execv(g_exe.c_str(), argv.data());
        _exit(127);
    }
    EXPECT(pid > 0, "fork: " + std::string(std::strerror(errno)));
    return pid;
}

std::string StatusText(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

// Waits for a child, at most kChildTimeoutSeconds (then kills it).
bool WaitChild(pid_t pid, int* status, const std::string& what) {
    if (pid <= 0) return false;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(kChildTimeoutSeconds);
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return true;
        if (r < 0 && errno != EINTR) {
            EXPECT(false, what + ": waitpid: " + std::strerror(errno));
            return false;
        }
        if (std::chrono::steady_clock::now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            EXPECT(false, what + ": ended within " + std::to_string(kChildTimeoutSeconds) + " s (killed)");
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// Runs this program with `args` and checks how it ended.
void RunChild(const std::vector<std::string>& args, bool killed) {
    std::string what = "durable_app " + Join(args);
    int status = 0;
    if (!WaitChild(Spawn(args), &status, what)) return;
    if (killed)
        EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
               what + ": ends by SIGKILL (sent from its callback), got " + StatusText(status));
    else
        EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, what + ": exit status 0, got " + StatusText(status));
}

// Adds this process's counts to the file the whole flow sums up.
void ReportCounts() {
    const char* path = getenv(kCountsEnv);
    if (!path) return;
    std::string line = std::to_string(g_pass) + " " + std::to_string(g_fail) + "\n";
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ssize_t n = write(fd, line.data(), line.size());
    (void)n;
    close(fd);
}

int Finish() {
    EXPECT(Pending() == 0, g_label + ": nothing left unread");
    ReportCounts();
    std::printf("durable_app %s: %d passed, %d failed\n", g_label.c_str(), g_pass, g_fail);
    std::fflush(stdout);
    return g_fail ? 1 : 0;
}

// Every difference between two JSON values, as "path: saved X, now Y".
void Diff(const Json::Value& a, const Json::Value& b, const std::string& path, std::vector<std::string>* out) {
    if (a == b) return;
    if (a.isObject() && b.isObject()) {
        std::vector<std::string> names = a.getMemberNames();
        for (const std::string& n : b.getMemberNames())
            if (!a.isMember(n)) names.push_back(n);
        for (const std::string& n : names) Diff(a[n], b[n], path + "." + n, out);
    } else if (a.isArray() && b.isArray() && a.size() == b.size()) {
        for (Json::ArrayIndex i = 0; i < a.size(); ++i)
            Diff(a[i], b[i], path + "[" + std::to_string(i) + "]", out);
    } else {
        std::string sa = a.isNull() ? "(absent)" : Compact(a);
        std::string sb = b.isNull() ? "(absent)" : Compact(b);
        out->push_back(path + ": saved " + sa.substr(0, 200) + ", now " + sb.substr(0, 200));
    }
}

void ExpectSame(const Json::Value& saved, const Json::Value& now, const std::string& what) {
    std::vector<std::string> diffs;
    Diff(saved, now, "", &diffs);
    std::string shown;
    for (size_t i = 0; i < diffs.size() && i < 20; ++i) shown += "\n      " + diffs[i];
    if (diffs.size() > 20) shown += "\n      ... " + std::to_string(diffs.size() - 20) + " more";
    EXPECT(saved == now, what + ": equal, field for field; differences:" + shown);
}

// Replaces every ConvInfo of `info`'s conversation inside `v` by `info`.
void Patch(Json::Value* v, const Json::Value& info) {
    if (v->isObject()) {
        if (v->isMember(kTIMConvActiveTime) && Key(*v) == Key(info)) {
            *v = info;
            return;
        }
        for (const std::string& n : v->getMemberNames()) Patch(&(*v)[n], info);
    } else if (v->isArray()) {
        for (Json::ArrayIndex i = 0; i < v->size(); ++i) Patch(&(*v)[i], info);
    }
}

// Patches `state` with every ConvInfo of the Update events among `events`.
void PatchWithUpdates(Json::Value* state, const std::vector<Answer>& events) {
    for (const Answer& a : events) {
        if (a.kind != kConvEvent || a.code != kTIMConvEvent_Update) continue;
        Json::Value arr;
        if (!ParseStrict(a.json, &arr) || !arr.isArray()) continue;
        for (Json::ArrayIndex i = 0; i < arr.size(); ++i) Patch(state, arr[i]);
    }
}

// ---------------------------------------------------------------------------
// The SDK calls, vendor style.

void SetUp(const std::string& folder) {
    TIMSetConvEventCallback(kOnConvEvent, Tag(kEventTag));
    TIMSetConvConversationGroupCreatedCallback(kOnGroupCreated, Tag(kEventTag));
    TIMSetLogCallback(kOnLog, nullptr);
    Json::Value config;
    config[kTIMSdkConfigConfigFilePath] = folder;
    int ret = TIMInit(kAppId, config.toStyledString().c_str());
    EXPECT(ret == TIM_SUCC, g_label + ": TIMInit returns TIM_SUCC, got " + std::to_string(ret));
}

void TearDown() {
    int ret = TIMUninit();
    EXPECT(ret == TIM_SUCC, g_label + ": TIMUninit returns TIM_SUCC, got " + std::to_string(ret));
    TIMSetConvEventCallback(nullptr, nullptr);
    TIMSetConvConversationGroupCreatedCallback(nullptr, nullptr);
    TIMSetLogCallback(nullptr, nullptr);
}

Reply LoginReply(const std::string& user, const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what, TIMLogin(user.c_str(), ("sig-of-" + user).c_str(), kOnResult, Tag(tag)), tag);
    ExpectNoEvents(r, what);
    return r;
}

void Login(const std::string& user, const std::string& what) {
    Reply r = LoginReply(user, what);
    EXPECT(r.arrived && r.reply.code == ERR_SUCC && r.reply.desc.empty(),
           what + ": code 0, desc \"\", got " + Describe(r.reply));
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_Logined, what + ": kTIMLoginStatus_Logined");
}

void Logout(const std::string& what) {
    uintptr_t tag = NextTag();
    Reply r = Await(what, TIMLogout(kOnResult, Tag(tag)), tag);
    ExpectCode(r, ERR_SUCC, what);
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, what + ": kTIMLoginStatus_UnLogined");
}

std::string IdArray(const std::vector<std::string>& ids) {
    Json::Value a(Json::arrayValue);
    for (const std::string& id : ids) a.append(id);
    return a.toStyledString();
}

// A call whose callback must be code 0; returns what came with it.
Reply Ok(const std::string& what, int ret, uintptr_t tag) {
    Reply r = Await(what, ret, tag);
    ExpectCode(r, ERR_SUCC, what);
    return r;
}

// Each TIMConversationOperationResult of a batch call says code 0.
void ExpectItemsOk(const Reply& r, size_t n, const std::string& what) {
    Json::Value items = r.arrived ? ParseArray(r.reply.json, what) : Json::Value(Json::arrayValue);
    bool all = items.size() == n;
    for (Json::ArrayIndex i = 0; all && i < items.size(); ++i)
        all = Get(items[i], kTIMConversationOperationResultResultCode).isInt() &&
              Get(items[i], kTIMConversationOperationResultResultCode).asInt() == 0;
    EXPECT(all, what + ": " + std::to_string(n) + " results, each code 0, got " + r.reply.json.substr(0, 300));
}

void Create(const std::string& id, TIMConvType type) {
    std::string what = "create " + KeyOf(type, id);
    uintptr_t tag = NextTag();
    Reply r = Ok(what, TIMConvCreate(id.c_str(), type, kOnResult, Tag(tag)), tag);
    std::vector<std::string> want = {std::to_string(kTIMConvEvent_Add) + ":" + KeyOf(type, id)};
    EXPECT(EventKeys(r) == want, what + ": kTIMConvEvent_Add first, got " + Join(EventKeys(r)));
}

void Delete(const std::string& id, TIMConvType type) {
    uintptr_t tag = NextTag();
    Ok("delete " + KeyOf(type, id), TIMConvDelete(id.c_str(), type, kOnResult, Tag(tag)), tag);
}

// A text message as vendor apps build it.
Json::Value Message(const std::string& text, const std::string& sender, Json::UInt64 time, Json::UInt64 seq) {
    Json::Value elem;
    elem[kTIMElemType] = kTIMElem_Text;
    elem[kTIMTextElemContent] = text;
    Json::Value msg;
    msg[kTIMMsgElemArray].append(elem);
    msg[kTIMMsgSender] = sender;
    msg[kTIMMsgServerTime] = time;
    msg[kTIMMsgClientTime] = time;
    msg[kTIMMsgSeq] = seq;
    msg[kTIMMsgMsgId] = "msg-" + sender + "-" + std::to_string(seq);
    msg[kTIMMsgIsFormSelf] = sender == kUser;
    return msg;
}

void Import(const std::string& id, TIMConvType type, const Json::Value& msgs) {
    uintptr_t tag = NextTag();
    Ok("import into " + KeyOf(type, id),
       TIMMsgImportMsgList(id.c_str(), type, msgs.toStyledString().c_str(), kOnResult, Tag(tag)), tag);
}

// The vendor's draft sample, built with Json::Value and the key macros.
std::string MakeDraft(const std::string& text, const std::string& user_define, Json::UInt64 edit_time) {
    Json::Value json_value_text;
    json_value_text[kTIMElemType] = kTIMElem_Text;
    json_value_text[kTIMTextElemContent] = text;
    Json::Value json_value_msg;
    json_value_msg[kTIMMsgElemArray].append(json_value_text);
    Json::Value json_value_draft;
    json_value_draft[kTIMDraftMsg] = json_value_msg;
    json_value_draft[kTIMDraftUserDefine] = user_define;
    json_value_draft[kTIMDraftEditTime] = edit_time;
    return json_value_draft.toStyledString();
}

// A synchronous call that fires one Update event for `key`: the event.
Answer AwaitUpdate(const std::string& key, const std::string& what) {
    Answer a;
    if (!TakeOne(&a)) {
        EXPECT(false, what + ": its kTIMConvEvent_Update arrived");
        return a;
    }
    Json::Value arr;
    EXPECT(a.kind == kConvEvent && a.code == kTIMConvEvent_Update && ParseStrict(a.json, &arr) &&
               Keys(arr) == std::vector<std::string>{key},
           what + ": kTIMConvEvent_Update of " + key + ", got " + Describe(a));
    return a;
}

void SetDraft(const std::string& id, const std::string& text, const std::string& user_define) {
    std::string what = "draft on c2c_" + id;
    int ret = TIMConvSetDraft(id.c_str(), kC2C, MakeDraft(text, user_define, 1700000100).c_str());
    EXPECT(ret == TIM_SUCC, what + ": TIMConvSetDraft returns TIM_SUCC, got " + std::to_string(ret));
    if (ret == TIM_SUCC) AwaitUpdate("c2c_" + id, what);
}

void Pin(const std::string& id, TIMConvType type, bool pinned) {
    uintptr_t tag = NextTag();
    Ok(std::string(pinned ? "pin " : "unpin ") + KeyOf(type, id),
       TIMConvPinConversation(id.c_str(), type, pinned, kOnResult, Tag(tag)), tag);
}

void Mark(const std::vector<std::string>& keys, uint64_t mark, bool enable) {
    std::string what = "mark " + Join(keys) + " " + std::to_string(mark) + (enable ? " on" : " off");
    uintptr_t tag = NextTag();
    Reply r = Ok(what, TIMConvMarkConversation(IdArray(keys).c_str(), mark, enable, kOnResult, Tag(tag)), tag);
    ExpectItemsOk(r, keys.size(), what);
}

void Custom(const std::vector<std::string>& keys, const std::string& data) {
    std::string what = "custom data \"" + data + "\" on " + Join(keys);
    uintptr_t tag = NextTag();
    Reply r = Ok(what, TIMConvSetConversationCustomData(IdArray(keys).c_str(), data.c_str(), kOnResult, Tag(tag)),
                 tag);
    ExpectItemsOk(r, keys.size(), what);
}

void CreateGroup(const std::string& name, const std::vector<std::string>& keys) {
    std::string what = "conversation group " + name;
    uintptr_t tag = NextTag();
    Reply r = Ok(what, TIMConvCreateConversationGroup(name.c_str(), IdArray(keys).c_str(), kOnResult, Tag(tag)),
                 tag);
    ExpectItemsOk(r, keys.size(), what);
    bool created = false;
    for (const Answer& a : r.events) created = created || (a.kind == kGroupCreated && a.desc == name);
    EXPECT(created, what + ": the group-created listener heard it");
}

// One answer of a query (no events), parsed.
Json::Value Query(const std::string& what, int ret, uintptr_t tag) {
    Reply r = Ok(what, ret, tag);
    ExpectNoEvents(r, what);
    Json::Value v;
    EXPECT(r.arrived && ParseStrict(r.reply.json, &v), what + ": JSON, got " + r.reply.json.substr(0, 300));
    return v;
}

Json::Value ConvList(const std::string& what) {
    uintptr_t tag = NextTag();
    Json::Value v = Query(what + ": TIMConvGetConvList", TIMConvGetConvList(kOnResult, Tag(tag)), tag);
    EXPECT(v.isArray(), what + ": the list is an array");
    return v.isArray() ? v : Json::Value(Json::arrayValue);
}

Json::Value ByFilter(const char* key, const Json::Value& value, const std::string& what) {
    Json::Value filter;
    filter[key] = value;
    uintptr_t tag = NextTag();
    return Query(what,
                 TIMConvGetConversationListByFilter(filter.toStyledString().c_str(), 0, 100, kOnResult, Tag(tag)),
                 tag);
}

// Everything an app reads back: what phase 1 writes out and phase 2 compares.
Json::Value ReadState(const std::string& what) {
    Json::Value s;
    s["conv_list"] = ConvList(what);
    uintptr_t tag = NextTag();
    s["group_list"] = Query(what + ": TIMConvGetConversationGroupList",
                            TIMConvGetConversationGroupList(kOnResult, Tag(tag)), tag);
    Json::Value param(Json::arrayValue);
    const std::vector<std::pair<std::string, TIMConvType>> lookups = {
        {"alice", kC2C}, {"team", kGroup}, {"gone", kC2C}, {"nobody", kGroup}, {"carol", kC2C}};
    for (const auto& l : lookups) {
        Json::Value p;
        p[kTIMGetConversationListParamConvId] = l.first;
        p[kTIMGetConversationListParamConvType] = l.second;
        param.append(p);
    }
    tag = NextTag();
    s["conv_info"] = Query(what + ": TIMConvGetConvInfo",
                           TIMConvGetConvInfo(param.toStyledString().c_str(), kOnResult, Tag(tag)), tag);
    s["by_group_work"] = ByFilter(kTIMConversationListFilterConversationGroup, "work", what + ": filter group work");
    s["by_mark_star"] = ByFilter(kTIMConversationListFilterMarkType, Json::UInt64(kStar), what + ": filter star");
    s["with_unread"] = ByFilter(kTIMConversationListFilterHasUnreadCount, true, what + ": filter unread");
    tag = NextTag();
    s["c2c_recv_opt"] = Query(what + ": TIMMsgGetC2CReceiveMessageOpt",
                              TIMMsgGetC2CReceiveMessageOpt(IdArray({"alice", "bob", "dave", "erin"}).c_str(),
                                                            kOnResult, Tag(tag)),
                              tag);
    tag = NextTag();
    s["total_unread"] = Query(what + ": TIMConvGetTotalUnreadMessageCount",
                              TIMConvGetTotalUnreadMessageCount(kOnResult, Tag(tag)), tag);
    return s;
}

// ---------------------------------------------------------------------------
// What phase 1 makes, checked in the state (phase 1, and phase 2 again).

uint64_t MarkBits(const Json::Value& c) {
    uint64_t bits = 0;
    const Json::Value& a = Get(c, kTIMConvMarkArray);
    for (Json::ArrayIndex i = 0; a.isArray() && i < a.size(); ++i) bits |= U64(a[i]);
    return bits;
}

std::vector<std::string> Groups(const Json::Value& c) {
    std::vector<std::string> groups;
    const Json::Value& a = Get(c, kTIMConvConversationGroupArray);
    for (Json::ArrayIndex i = 0; a.isArray() && i < a.size(); ++i) groups.push_back(Text(a[i]));
    return groups;
}

std::string LastText(const Json::Value& c) {
    if (!IsTrue(Get(c, kTIMConvIsHasLastMsg))) return "<none>";
    return Text(Get(At(Get(Get(c, kTIMConvLastMsg), kTIMMsgElemArray), 0), kTIMTextElemContent));
}

std::string DraftText(const Json::Value& c) {
    if (!IsTrue(Get(c, kTIMConvIsHasDraft))) return "<none>";
    const Json::Value& d = Get(c, kTIMConvDraft);
    return Text(Get(At(Get(Get(d, kTIMDraftMsg), kTIMMsgElemArray), 0), kTIMTextElemContent)) + " / " +
           Text(Get(d, kTIMDraftUserDefine)) + " / " + std::to_string(U64(Get(d, kTIMDraftEditTime)));
}

unsigned RecvOpt(const Json::Value& c) {
    const Json::Value& v = Get(c, kTIMConvRecvOpt);
    return v.isUInt() ? v.asUInt() : 99;
}

std::string AtInfo(const Json::Value& c) {
    const Json::Value& a = Get(c, kTIMConvGroupAtInfoArray);
    std::string s;
    for (Json::ArrayIndex i = 0; a.isArray() && i < a.size(); ++i)
        s += (i ? " " : "") + std::to_string(U64(Get(a[i], kTIMGroupAtInfoAtType))) + "@" +
             std::to_string(U64(Get(a[i], kTIMGroupAtInfoSeq)));
    return s;
}

struct Expected {
    Expected(const std::string& k, bool p, Json::UInt64 u, uint64_t m, const std::string& cd, const std::string& d,
             const std::string& l, unsigned o, std::vector<std::string> g, const std::string& at)
        : key(k), pinned(p), unread(u), marks(m), custom(cd), draft(d), last(l), recv_opt(o), groups(g), at_info(at) {}
    std::string key;
    bool pinned;
    Json::UInt64 unread;
    uint64_t marks;
    std::string custom;
    std::string draft;
    std::string last;
    unsigned recv_opt;
    std::vector<std::string> groups;
    std::string at_info;
};

// `killed`: the state after the kill ending's last two changes (carol's
// draft cancelled, alice's custom data set). `after_reads`: after phase 2's
// read reports (alice read up to her second message, team up to seq 2).
void CheckContent(const Json::Value& state, bool killed, bool after_reads, const std::string& what) {
    const Json::Value& list = Get(state, "conv_list");
    const std::string draft_alice = "see you at 8 / alice-ud / 1700000100";
    const std::vector<Expected> want = {
        Expected("c2c_bob", true, 2, kStar | kBit40, "bob's data", "<none>", "bob 2", 0, {}, ""),
        Expected("c2c_alice", false, after_reads ? 1 : 3, 0, killed ? kKillCustom : "", draft_alice,
                 "from me", kTIMRecvMsgOpt_Not_Notify, {"family"}, ""),
        Expected("c2c_carol", false, 0, kFold, "{\"k\":1}", killed ? "<none>" : "call carol / carol-ud / 1700000100",
                 "<none>", 0, {"work"}, ""),
        Expected("group_team", false, after_reads ? 2 : 4, kUnreadMark, "", "<none>", "team 4", 0, {"work"},
                 after_reads ? "2@3" : "1@2 2@3"),
        Expected("group_news", false, 0, 0, "", "<none>", "news 2", kTIMRecvMsgOpt_Not_Receive, {}, ""),
    };
    std::vector<std::string> keys;
    for (const Expected& e : want) keys.push_back(e.key);
    std::vector<std::string> got = Keys(list);
    if (std::find(got.begin(), got.end(), "c2c_after_restart") != got.end())
        keys.push_back("c2c_after_restart");
    EXPECT(Sorted(got) == Sorted(keys), what + ": the conversations " + Join(Sorted(keys)) + ", got " + Join(got));
    EXPECT(Key(At(list, 0)) == "c2c_bob", what + ": the pinned c2c_bob first, got " + Join(got));
    for (const Expected& e : want) {
        const Json::Value& c = ByKey(list, e.key);
        const std::string w = what + ": " + e.key;
        EXPECT(c.isObject(), w + " listed");
        EXPECT(IsTrue(Get(c, kTIMConvIsPinned)) == e.pinned, w + ": pinned " + (e.pinned ? "yes" : "no"));
        EXPECT(((U64(Get(c, kTIMConvActiveTime)) & kPinnedBit) != 0) == e.pinned,
               w + ": the pinned bit of conv_active_time " + (e.pinned ? "set" : "clear"));
        EXPECT(U64(Get(c, kTIMConvUnReadNum)) == e.unread,
               w + ": unread " + std::to_string(e.unread) + ", got " + Compact(Get(c, kTIMConvUnReadNum)));
        EXPECT(MarkBits(c) == e.marks, w + ": marks " + std::to_string(e.marks) + ", got " +
                                           Compact(Get(c, kTIMConvMarkArray)));
        EXPECT(Text(Get(c, kTIMConvCustomData)) == e.custom,
               w + ": custom data \"" + e.custom + "\", got " + Compact(Get(c, kTIMConvCustomData)));
        EXPECT(DraftText(c) == e.draft, w + ": draft " + e.draft + ", got " + DraftText(c));
        EXPECT(LastText(c) == e.last, w + ": last message " + e.last + ", got " + LastText(c));
        EXPECT(RecvOpt(c) == e.recv_opt, w + ": receive option " + std::to_string(e.recv_opt) + ", got " +
                                             std::to_string(RecvOpt(c)));
        EXPECT(Groups(c) == e.groups, w + ": conversation groups " + Join(e.groups) + ", got " + Join(Groups(c)));
        EXPECT(AtInfo(c) == e.at_info, w + ": @ entries \"" + e.at_info + "\", got \"" + AtInfo(c) + "\"");
    }
    // Unpinned: the most recently activated first.
    bool ordered = true;
    for (Json::ArrayIndex i = 2; i < list.size(); ++i)
        ordered = ordered && U64(Get(list[i - 1], kTIMConvActiveTime)) > U64(Get(list[i], kTIMConvActiveTime));
    EXPECT(ordered, what + ": conv_active_time descending after the pinned one");

    std::vector<std::string> groups;
    const Json::Value& gl = Get(state, "group_list");
    for (Json::ArrayIndex i = 0; gl.isArray() && i < gl.size(); ++i) groups.push_back(Text(gl[i]));
    std::vector<std::string> want_groups = {"work", "family"};
    if (groups.size() == 3) want_groups.push_back("later");
    EXPECT(groups == want_groups, what + ": conversation groups in creation order " + Join(want_groups) + ", got " +
                                      Join(groups));

    std::vector<std::string> infos = Keys(Get(state, "conv_info"));
    EXPECT(infos == (std::vector<std::string>{"c2c_alice", "group_team", "c2c_carol"}),
           what + ": TIMConvGetConvInfo finds alice, team and carol (not the deleted gone), got " + Join(infos));
    std::vector<std::string> work = Keys(Get(Get(state, "by_group_work"), TIMConversationListResultConvList));
    EXPECT(Sorted(work) == (std::vector<std::string>{"c2c_carol", "group_team"}),
           what + ": the group work holds carol and team, got " + Join(work));
    std::vector<std::string> star = Keys(Get(Get(state, "by_mark_star"), TIMConversationListResultConvList));
    EXPECT(star == std::vector<std::string>{"c2c_bob"}, what + ": starred: bob only, got " + Join(star));
    std::vector<std::string> unread = Keys(Get(Get(state, "with_unread"), TIMConversationListResultConvList));
    EXPECT(Sorted(unread) == (std::vector<std::string>{"c2c_alice", "c2c_bob", "group_team"}),
           what + ": with unread messages: alice, bob, team, got " + Join(unread));

    std::string opts;
    const Json::Value& o = Get(state, "c2c_recv_opt");
    for (Json::ArrayIndex i = 0; o.isArray() && i < o.size(); ++i)
        opts += (i ? " " : "") + Text(Get(o[i], kTIMMsgGetC2CRecvMsgOptResultIdentifier)) + "=" +
                std::to_string(U64(Get(o[i], kTIMMsgGetC2CRecvMsgOptResultOpt)));
    EXPECT(opts == "alice=2 bob=0 dave=2 erin=0",
           what + ": C2C receive options alice=2 bob=0 dave=2 (no conversation) erin=0, got " + opts);
    // alice is Not_Notify: left out; news has none.
    Json::UInt64 total = after_reads ? 2 + 2 : 2 + 4;
    const Json::Value& t = Get(Get(state, "total_unread"), kTIMConvGetTotalUnreadMessageCountResultUnreadCount);
    EXPECT(U64(t) == total, what + ": total unread " + std::to_string(total) + ", got " + Compact(t));
}

// ---------------------------------------------------------------------------
// Phase 1.

// The kill ending: the state to expect, written from inside the callback
// of the last change just before SIGKILL (patched with the Update events
// delivered since it was armed, g_conv_events[g_kill_from...]).
Json::Value g_kill_state;
std::string g_kill_path;
size_t g_kill_from = 0;

const TIMCommCallback kKillOnReply = [](int32_t code, const char* desc, const char* json_params,
                                        const void* user_data) {
    if (code == ERR_SUCC) {
        std::vector<Answer> events;
        {
            std::lock_guard<std::mutex> lock(g_mutex);
            events.assign(g_conv_events.begin() + static_cast<std::ptrdiff_t>(g_kill_from), g_conv_events.end());
        }
        Json::Value state = g_kill_state;
        PatchWithUpdates(&state, events);
        bool saved = SaveJson(g_kill_path, state);
        std::printf("durable_app %s: custom data acknowledged; %s; SIGKILL from its callback\n", g_label.c_str(),
                    saved ? "expected state saved" : "COULD NOT SAVE the expected state");
        std::fflush(stdout);
        if (saved) raise(SIGKILL);
    }
    Push(Answer(kReply, code, user_data, desc, json_params));
};

int Write(const std::string& folder, const std::string& ending) {
    SetUp(folder);
    Login(kUser, "login");
    EXPECT(ConvList("fresh user").empty(), "a fresh folder: no conversations");

    Create("gone", kC2C);
    Create("carol", kC2C);
    Create("alice", kC2C);
    Create("bob", kC2C);
    Create("team", kGroup);
    Create("news", kGroup);

    Json::Value msgs(Json::arrayValue);
    msgs.append(Message("gone 1", "gone", 900, 1));
    Import("gone", kC2C, msgs);
    Delete("gone", kC2C);

    msgs = Json::Value(Json::arrayValue);
    msgs.append(Message("alice 1", "alice", 1000, 1));
    msgs.append(Message("alice 2", "alice", 1001, 2));
    msgs.append(Message("alice 3", "alice", 1002, 3));
    msgs.append(Message("from me", kUser, 1003, 4));
    Import("alice", kC2C, msgs);
    msgs = Json::Value(Json::arrayValue);
    msgs.append(Message("bob 1", "bob", 1010, 1));
    msgs.append(Message("bob 2", "bob", 1011, 2));
    Import("bob", kC2C, msgs);
    msgs = Json::Value(Json::arrayValue);
    msgs.append(Message("team 1", "alice", 1020, 1));
    msgs.append(Message("team 2 @me", "bob", 1021, 2));
    msgs[1][kTIMMsgGroupAtUserArray].append(kUser);
    msgs.append(Message("team 3 @all", "bob", 1022, 3));
    msgs[2][kTIMMsgGroupAtUserArray].append(kImSDK_MessageAtALL);
    msgs.append(Message("team 4", "alice", 1023, 4));
    Import("team", kGroup, msgs);
    msgs = Json::Value(Json::arrayValue);
    msgs.append(Message("news 1", "editor", 1030, 1));
    msgs.append(Message("news 2", "editor", 1031, 2));
    msgs[0][kTIMMsgIsRead] = true;
    msgs[1][kTIMMsgIsRead] = true;
    Import("news", kGroup, msgs);

    SetDraft("carol", "call carol", "carol-ud");
    SetDraft("alice", "see you at 8", "alice-ud");

    Pin("bob", kC2C, true);
    Pin("news", kGroup, true);
    Pin("news", kGroup, false);

    Mark({"c2c_bob", "group_team"}, kStar, true);
    Mark({"group_team"}, kStar, false);
    Mark({"group_team"}, kUnreadMark, true);
    Mark({"c2c_bob"}, kBit40, true);
    // A NULL callback: committed at once; its Update event still fires.
    int ret = TIMConvMarkConversation(IdArray({"c2c_carol"}).c_str(), kFold, true, nullptr, nullptr);
    EXPECT(ret == TIM_SUCC, "mark carol (NULL callback): returns TIM_SUCC, got " + std::to_string(ret));
    if (ret == TIM_SUCC) AwaitUpdate("c2c_carol", "mark carol (NULL callback)");

    Custom({"c2c_bob"}, "bob's data");
    Custom({"c2c_carol"}, "{\"k\":1}");
    Custom({"group_news"}, "for a while");
    Custom({"group_news"}, "");

    CreateGroup("work", {"c2c_carol", "group_team"});
    CreateGroup("tmp", {"c2c_bob"});
    CreateGroup("old", {"c2c_alice"});
    uintptr_t tag = NextTag();
    Ok("delete group tmp", TIMConvDeleteConversationGroup("tmp", kOnResult, Tag(tag)), tag);
    tag = NextTag();
    Ok("rename group old", TIMConvRenameConversationGroup("old", "family", kOnResult, Tag(tag)), tag);

    tag = NextTag();
    Ok("C2C receive option",
       TIMMsgSetC2CReceiveMessageOpt(IdArray({"alice", "dave"}).c_str(), kTIMRecvMsgOpt_Not_Notify, kOnResult,
                                     Tag(tag)),
       tag);
    tag = NextTag();
    Ok("group receive option", TIMMsgSetGroupReceiveMessageOpt("news", kTIMRecvMsgOpt_Not_Receive, kOnResult, Tag(tag)),
       tag);

    Json::Value state = ReadState("phase 1");
    CheckContent(state, false, false, "phase 1");
    const std::string path = folder + "/expected.json";
    EXPECT(SaveJson(path, state), "phase 1: " + path + " written");

    if (ending == "uninit") {
        TearDown();
    } else if (ending == "kill") {
        // Synchronous: on disk when it returns.
        ret = TIMConvCancelDraft("carol", kC2C);
        EXPECT(ret == TIM_SUCC, "cancel carol's draft: returns TIM_SUCC, got " + std::to_string(ret));
        if (ret == TIM_SUCC) PatchWithUpdates(&state, {AwaitUpdate("c2c_carol", "cancel carol's draft")});
        EXPECT(SaveJson(path, state), "kill: " + path + " written again");
        // With a callback: on disk before the callback runs, which kills.
        g_kill_state = state;
        g_kill_path = path;
        {
            std::lock_guard<std::mutex> lock(g_mutex);
            g_kill_from = g_conv_events.size();
        }
        std::printf("durable_app %s: %d passed, %d failed before the last change\n", g_label.c_str(), g_pass,
                    g_fail);
        ReportCounts();
        g_pass = 0;
        g_fail = 0;
        tag = NextTag();
        Reply r = Await("custom data on alice, then SIGKILL",
                        TIMConvSetConversationCustomData(IdArray({"c2c_alice"}).c_str(), kKillCustom, kKillOnReply,
                                                         Tag(tag)),
                        tag);
        EXPECT(false, "custom data on alice: acknowledged with code 0 (then SIGKILL), got " + Describe(r.reply));
    }
    // "exit": returns from main with the user logged in, no TIMUninit.
    return Finish();
}

// ---------------------------------------------------------------------------
// Phase 2 and the second process.

void ExpectNoFilesOpen(const std::string& folder, const std::string& what) {
    std::vector<std::string> open = OpenUnder(folder);
    EXPECT(open.empty(), what + ": no descriptor open under the folder, got " + Join(open));
}

void CheckModes(const std::string& folder) {
    const std::string dir = UserDir(folder, kUser);
    const std::vector<std::string> dirs = {folder + "/imsdk-conv", folder + "/imsdk-conv/" + std::to_string(kAppId),
                                           dir};
    for (const std::string& d : dirs)
        EXPECT(Mode(d) == 0700, "folder " + d + ": mode 0700, got " + Octal(Mode(d)));
    for (const std::string& f : {dir + "/conv.db", dir + "/lock"})
        EXPECT(Mode(f) == 0600, "file " + f + ": mode 0600, got " + Octal(Mode(f)));
    if (Mode(dir + "/conv.db-wal") >= 0)
        EXPECT(Mode(dir + "/conv.db-wal") == 0600, "conv.db-wal: mode 0600, got " + Octal(Mode(dir + "/conv.db-wal")));
}

// A login that must be refused with `code`, its desc naming `path`.
void ExpectRefusedLogin(const std::string& user, int code, const std::string& path, const std::string& what) {
    size_t logs_before;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        logs_before = g_logs.size();
    }
    Reply r = LoginReply(user, what);
    EXPECT(r.arrived && r.reply.code == code, what + ": code " + std::to_string(code) + ", got " + Describe(r.reply));
    EXPECT(r.arrived && Contains(r.reply.desc, path), what + ": desc names " + path + ", got \"" + r.reply.desc + "\"");
    EXPECT(r.arrived && r.reply.json.empty(), what + ": json \"\", got " + r.reply.json);
    EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, what + ": nobody logged in");
    char buf[256];
    EXPECT(TIMGetLoginUserID(buf) != TIM_SUCC, what + ": TIMGetLoginUserID refuses");
    int ret = TIMConvGetConvList(kOnResult, Tag(NextTag()));
    EXPECT(ret == TIM_ERR_NOTLOGIN, what + ": TIMConvGetConvList -> TIM_ERR_NOTLOGIN, got " + std::to_string(ret));
    bool logged = false;
    {
        std::lock_guard<std::mutex> lock(g_mutex);
        for (size_t i = logs_before; i < g_logs.size(); ++i)
            logged = logged || (g_logs[i].level == kTIMLog_Error && Contains(g_logs[i].text, path));
    }
    EXPECT(logged, what + ": the log listener hears a kTIMLog_Error line naming the file");
}

void CheckDamaged(const std::string& folder) {
    const std::string dir = UserDir(folder, kDamagedUser);
    const std::string db = dir + "/conv.db";
    Login(kDamagedUser, "login " + std::string(kDamagedUser));
    Create("victim_conv", kC2C);
    Logout("logout " + std::string(kDamagedUser));
    EXPECT(Mode(db) == 0600, "the user's file is at " + db + " (base32 of the id), got " + Octal(Mode(db)));

    // 12 KiB of garbage over it (a generator, so every run is the same).
    std::string garbage(3 * 4096, '\0');
    uint32_t x = 2463534242u;
    for (char& c : garbage) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = char(x & 0xff);
    }
    EXPECT(WriteFile(db, garbage), "garbage written over " + db);
    ExpectRefusedLogin(kDamagedUser, ERR_SDK_COMM_DATABASE_FAILURE, db, "login with a damaged conv.db");
    std::string after;
    EXPECT(ReadFile(db, &after) && after == garbage, "the damaged file is left byte for byte as it was");
    // The refusal released the user's lock: the same answer again, not 7501.
    ExpectRefusedLogin(kDamagedUser, ERR_SDK_COMM_DATABASE_FAILURE, db, "login with a damaged conv.db, again");
    ExpectNoFilesOpen(folder, "after the refused logins");

    // A folder where the file should be.
    const std::string fdir = UserDir(folder, kFolderUser);
    std::string made = folder;
    for (const std::string& part : {std::string("/imsdk-conv"), "/" + std::to_string(kAppId),
                                    "/u" + Base32(kFolderUser), std::string("/conv.db")}) {
        made += part;
        mkdir(made.c_str(), 0700);
    }
    EXPECT(Mode(fdir + "/conv.db") == 0700, "a folder made at " + fdir + "/conv.db");
    ExpectRefusedLogin(kFolderUser, ERR_IO_OPERATION_FAILED, fdir + "/conv.db", "login with a folder for conv.db");
}

int Check(const std::string& folder, const std::string& ending) {
    const bool killed = ending == "kill";
    std::string text;
    Json::Value saved;
    EXPECT(ReadFile(folder + "/expected.json", &text) && ParseStrict(text, &saved) && saved.isObject(),
           "phase 2: " + folder + "/expected.json, as phase 1 wrote it");

    SetUp(folder);
    Login(kUser, "login again, a new process");
    Json::Value state = ReadState("phase 2");
    for (const std::string& part : saved.getMemberNames())
        ExpectSame(saved[part], state[part], "phase 2: " + part + " as phase 1 left it");
    EXPECT(saved.getMemberNames() == state.getMemberNames(), "phase 2: the same parts");
    CheckContent(state, killed, false, "phase 2");
    CheckModes(folder);

    // Another process, the same user, while this one holds it.
    RunChild({"contend", folder, std::to_string(getpid())}, false);
    ExpectSame(state, ReadState("after the refused login"), "the other process's refused login changed nothing");

    // The order key and the group order continue; unread points were kept.
    Create("after_restart", kC2C);
    Json::Value list = ConvList("after a create");
    Json::UInt64 newest = 0;
    for (Json::ArrayIndex i = 0; i < state["conv_list"].size(); ++i)
        if (!IsTrue(Get(state["conv_list"][i], kTIMConvIsPinned)))
            newest = std::max(newest, U64(Get(state["conv_list"][i], kTIMConvActiveTime)));
    const Json::Value& fresh = ByKey(list, "c2c_after_restart");
    EXPECT(Key(At(list, 1)) == "c2c_after_restart", "a conversation created after the restart comes right after the "
                                                    "pinned one, got " + Join(Keys(list)));
    EXPECT(U64(Get(fresh, kTIMConvActiveTime)) > newest,
           "its conv_active_time " + Compact(Get(fresh, kTIMConvActiveTime)) + " continues after the restored " +
               std::to_string(newest));
    CreateGroup("later", {"c2c_after_restart"});
    uintptr_t tag = NextTag();
    Ok("read alice up to her second message",
       TIMMsgReportReaded("alice", kC2C, Message("alice 2", "alice", 1001, 2).toStyledString().c_str(), kOnResult,
                          Tag(tag)),
       tag);
    tag = NextTag();
    Ok("read team up to seq 2",
       TIMMsgReportReaded("team", kGroup, Message("team 2 @me", "bob", 1021, 2).toStyledString().c_str(), kOnResult,
                          Tag(tag)),
       tag);
    Json::Value after = ReadState("after the restart's changes");
    CheckContent(after, killed, true, "after the restart's changes");

    // Logout releases the lock (another process logs in); in again here.
    Logout("logout");
    ExpectNoFilesOpen(folder, "after TIMLogout");
    RunChild({"contend", folder, "0"}, false);
    Login(kUser, "login again, the same process");
    ExpectSame(after, ReadState("login again"), "logged in again in the same process");

    // Damaged files of other users.
    CheckDamaged(folder);
    Login(kUser, "login after the refused users");
    ExpectSame(after, ReadState("after the refused users"), "the refused users changed nothing");
    Logout("last logout");
    TearDown();
    return Finish();
}

// A second process: the same user while `holder` has it (7501), or when
// nobody does (holder 0: code 0).
int Contend(const std::string& folder, const std::string& holder) {
    SetUp(folder);
    ExpectNoFilesOpen(folder, "a new process");
    if (holder != "0") {
        const std::string lock = UserDir(folder, kUser) + "/lock";
        for (const char* what : {"login while another process holds the user", "and again"}) {
            Reply r = LoginReply(kUser, what);
            EXPECT(r.arrived && r.reply.code == ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS,
                   std::string(what) + ": code 7501, got " + Describe(r.reply));
            EXPECT(Contains(r.reply.desc, lock) && Contains(r.reply.desc, "pid " + holder),
                   std::string(what) + ": desc names " + lock + " and pid " + holder + ", got \"" + r.reply.desc +
                       "\"");
            EXPECT(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined, std::string(what) + ": nobody logged in");
            ExpectNoFilesOpen(folder, what);
        }
    } else {
        Login(kUser, "login when nobody holds the user");
        EXPECT(!ConvList("the other process").empty(), "the other process finds the conversations");
        Logout("the other process's logout");
        ExpectNoFilesOpen(folder, "the other process, after TIMLogout");
    }
    TearDown();
    return Finish();
}

// The whole flow: phase 1 with each ending, then phase 2, each a process.
int RunAll() {
    char tmpl[] = "/tmp/durable_app.XXXXXX";
    const char* root = mkdtemp(tmpl);
    if (!root) {
        std::printf("durable_app: mkdtemp failed: %s\ndurable_app: 0 passed, 1 failed\n", std::strerror(errno));
        return 1;
    }
    const std::string counts = std::string(root) + "/counts";
    setenv(kCountsEnv, counts.c_str(), 1);
    for (const char* ending : {"uninit", "exit", "kill"}) {
        const std::string folder = std::string(root) + "/" + ending;
        EXPECT(mkdir(folder.c_str(), 0700) == 0, "mkdir " + folder);
        const auto t0 = std::chrono::steady_clock::now();
        RunChild({"write", folder, ending}, std::string(ending) == "kill");
        RunChild({"check", folder, ending}, false);
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("durable_app: ending \"%s\": phase 1 and phase 2 in %.2f s\n", ending, secs);
    }
    std::string text;
    int lines = 0;
    if (ReadFile(counts, &text)) {
        std::istringstream in(text);
        int p = 0, f = 0;
        while (in >> p >> f) {
            g_pass += p;
            g_fail += f;
            ++lines;
        }
    }
    // write x3 (the kill ending reports before its last change), check x3,
    // contend x6.
    EXPECT(lines == 12, "every process reported its counts (12 reports), got " + std::to_string(lines));
    if (g_fail == 0)
        nftw(root, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
    else
        std::printf("durable_app: the folders are kept in %s\n", root);
    std::printf("durable_app: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    g_main_thread = std::this_thread::get_id();
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    g_exe = n > 0 ? std::string(exe, size_t(n)) : argv[0];
    const std::string mode = argc > 1 ? argv[1] : "";
    if (argc == 1) {
        g_label = "all";
        return RunAll();
    }
    if (argc == 4 && (mode == "write" || mode == "check" || mode == "contend")) {
        const std::string folder = argv[2];
        const std::string arg = argv[3];
        g_label = mode + " " + arg;
        if (mode == "write" && (arg == "uninit" || arg == "exit" || arg == "kill")) return Write(folder, arg);
        if (mode == "check" && (arg == "uninit" || arg == "exit" || arg == "kill")) return Check(folder, arg);
        if (mode == "contend") return Contend(folder, arg);
    }
    std::fprintf(stderr,
                 "usage: %s                      (the whole flow)\n"
                 "       %s write FOLDER uninit|exit|kill\n"
                 "       %s check FOLDER uninit|exit|kill\n"
                 "       %s contend FOLDER PID|0\n",
                 argv[0], argv[0], argv[0], argv[0]);
    return 2;
}
