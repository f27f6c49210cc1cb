// Returning from main with callbacks still queued, and no TIMUninit.
//
// Queues 20,000 TIMConvCreate calls whose callbacks (and conversation events)
// touch global objects with destructors (a std::string and a std::vector),
// and returns from main at once. exit() then runs the static destructors
// while the library still has callbacks queued: the library must stop
// delivering first (its atexit hook), so that no callback runs on a destroyed
// object, and the process must exit with status 0, promptly, without a crash
// or a sanitizer report.
//
// C++11. Prints "exit_queued: returning from main with callbacks queued".

#include <TIMCloud.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

const int kCalls = 20000;

// Destroyed last (constructed first): exit() spends 20 ms here after the
// globals below are destroyed, as an app's slow teardown would, so that a
// callback still running then is caught using them (ASan, valgrind).
struct SlowTeardown {
    ~SlowTeardown() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }
} g_slow_teardown;

// Static objects with destructors, touched by every callback.
std::string g_last_json;
std::vector<std::string> g_events;
std::vector<int32_t> g_codes;
std::atomic<int> g_delivered(0);

void OnResult(int32_t code, const char* desc, const char* json_params, const void*) {
    // About 50 us of work on the globals per callback, so that the queue is
    // far from drained when main returns, and a callback that ran while
    // exit() destroys the globals would be caught touching them.
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    do {
        g_last_json.assign(json_params);
        g_last_json += desc;
        g_codes.push_back(code);
        if (g_codes.size() > 4096) g_codes.clear();
    } while (std::chrono::steady_clock::now() < until);
    ++g_delivered;
}

void OnConvEvent(TIMConvEvent, const char* json_conv_array, const void*) {
    g_events.push_back(json_conv_array);
    if (g_events.size() > 64) g_events.erase(g_events.begin(), g_events.begin() + 32);
}

}  // namespace

int main() {
    TIMSetConvEventCallback(OnConvEvent, nullptr);
    int refused = 0;
    for (int i = 0; i < kCalls; ++i) {
        std::string id = "queued_" + std::to_string(i);
        if (TIMConvCreate(id.c_str(), kTIMConv_C2C, OnResult, nullptr) != TIM_SUCC) ++refused;
    }
    if (refused != 0) {
        std::printf("exit_queued: %d of %d TIMConvCreate calls refused\n", refused, kCalls);
        return 1;
    }
    std::printf("exit_queued: %d calls accepted, %d callbacks delivered so far\n", kCalls, g_delivered.load());
    std::printf("exit_queued: returning from main with callbacks queued\n");
    std::fflush(stdout);
    return 0;
}
