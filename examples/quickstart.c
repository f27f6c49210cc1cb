/*
 * Quickstart: the five basic conversation functions, and a message that
 * raises an unread count, against libImSDK.so, with no set-up (no init, no
 * login: an in-memory store).
 *
 *   cargo build --release
 *   cc -std=c99 -Wall examples/quickstart.c -I include -L target/release -lImSDK -lpthread -o target/quickstart
 *   LD_LIBRARY_PATH=target/release ./target/quickstart
 *
 * Callbacks run on the library's own thread, so the program waits for each
 * one before going on (a real app would just handle them as they come).
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "TIMCloud.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t answered = PTHREAD_COND_INITIALIZER;
static int pending = 0;

/* Called once per accepted call. The strings are valid only during the call. */
static void on_result(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    pthread_mutex_lock(&lock);
    if (user_data != NULL) /* the barrier below passes NULL: nothing to print */
        printf("  [%s] code=%d desc=\"%s\" json=%s\n", (const char*)user_data, (int)code, desc,
               json_params[0] ? json_params : "\"\"");
    pending--;
    pthread_cond_signal(&answered);
    pthread_mutex_unlock(&lock);
}

/* Global conversation events: Add, Del, Update, each with an array of ConvInfo. */
static void on_conv_event(enum TIMConvEvent event, const char* json_conv_array, const void* user_data) {
    static const char* names[] = {"Add", "Del", "Update", "Start", "Finish"};
    (void)user_data;
    pthread_mutex_lock(&lock);
    printf("  (event %s) %s\n", event >= 0 && event <= 4 ? names[event] : "?", json_conv_array);
    pthread_mutex_unlock(&lock);
}

/* The total unread count, after every change (once the app has asked for it). */
static void on_total_unread(int total, const void* user_data) {
    (void)user_data;
    pthread_mutex_lock(&lock);
    printf("  (total unread) %d\n", total);
    pthread_mutex_unlock(&lock);
}

/* Counts one expected callback if the call was accepted. */
static void expect(int ret, const char* what) {
    if (ret != TIM_SUCC) {
        printf("%s failed: %d\n", what, ret);
        return;
    }
    pthread_mutex_lock(&lock);
    pending++;
    pthread_mutex_unlock(&lock);
}

/* Waits for every callback and event queued so far: callbacks are delivered
 * in order, so once a list call queued last has answered, all earlier ones
 * have run too. */
static void wait_all(void) {
    expect(TIMConvGetConvList(on_result, NULL), "TIMConvGetConvList");
    pthread_mutex_lock(&lock);
    while (pending > 0) pthread_cond_wait(&answered, &lock);
    pthread_mutex_unlock(&lock);
}

int main(void) {
    char draft[256], msgs[256];
    TIMSetConvEventCallback(on_conv_event, NULL);
    TIMSetConvTotalUnreadMessageCountChangedCallback(on_total_unread, NULL);

    printf("Create a C2C conversation with user \"alice\":\n");
    expect(TIMConvCreate("alice", kTIMConv_C2C, on_result, "create alice"), "TIMConvCreate");
    wait_all();

    printf("Create the group conversation \"team-42\":\n");
    expect(TIMConvCreate("team-42", kTIMConv_Group, on_result, "create team-42"), "TIMConvCreate");
    wait_all();

    printf("Set a draft on \"alice\" (moves it to the top):\n");
    snprintf(draft, sizeof draft,
             "{\"%s\":{\"%s\":[{\"%s\":%d,\"%s\":\"see you at 6\"}]},\"%s\":\"my-app-data\",\"%s\":%lld}",
             kTIMDraftMsg, kTIMMsgElemArray, kTIMElemType, kTIMElem_Text, kTIMTextElemContent,
             kTIMDraftUserDefine, kTIMDraftEditTime, (long long)time(NULL));
    printf("  TIMConvSetDraft -> %d\n", TIMConvSetDraft("alice", kTIMConv_C2C, draft));
    wait_all();

    printf("List the conversations:\n");
    expect(TIMConvGetConvList(on_result, "list"), "TIMConvGetConvList");
    wait_all();

    printf("Cancel the draft:\n");
    printf("  TIMConvCancelDraft -> %d\n", TIMConvCancelDraft("alice", kTIMConv_C2C));
    wait_all();

    printf("A message from \"alice\" arrives (last message, unread count, total):\n");
    expect(TIMConvGetTotalUnreadMessageCount(on_result, "total unread"), "TIMConvGetTotalUnreadMessageCount");
    snprintf(msgs, sizeof msgs, "[{\"%s\":[{\"%s\":%d,\"%s\":\"hi!\"}],\"%s\":\"alice\",\"%s\":%lld}]",
             kTIMMsgElemArray, kTIMElemType, kTIMElem_Text, kTIMTextElemContent, kTIMMsgSender,
             kTIMMsgServerTime, (long long)time(NULL));
    expect(TIMMsgImportMsgList("alice", kTIMConv_C2C, msgs, on_result, "import"), "TIMMsgImportMsgList");
    wait_all();

    printf("Read it:\n");
    expect(TIMConvCleanConversationUnreadMessageCount("c2c_alice", 0, 0, on_result, "clean unread"),
           "TIMConvCleanConversationUnreadMessageCount");
    wait_all();

    printf("Delete \"team-42\", then delete it again:\n");
    expect(TIMConvDelete("team-42", kTIMConv_Group, on_result, "delete team-42"), "TIMConvDelete");
    expect(TIMConvDelete("team-42", kTIMConv_Group, on_result, "delete again"), "TIMConvDelete");
    wait_all();

    printf("List again:\n");
    expect(TIMConvGetConvList(on_result, "list"), "TIMConvGetConvList");
    wait_all();

    printf("A bad argument is refused at once: TIMConvCreate(NULL, ...) -> %d\n",
           TIMConvCreate(NULL, kTIMConv_C2C, on_result, "never"));
    return 0;
}
