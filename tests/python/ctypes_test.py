"""The five conversation functions from Python through ctypes, the way an app
in a language with a C FFI calls libImSDK.so: no wrapper, no set-up.

Run: python3 tests/python/ctypes_test.py [path/to/libImSDK.so]
"""
import ctypes
import json
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "target", "release", "libImSDK.so")

TIM_SUCC, TIM_ERR_JSON, TIM_ERR_PARAM, TIM_ERR_CONV = 0, -3, -4, -5
C2C, GROUP = 1, 2
EV_ADD, EV_DEL, EV_UPDATE = 0, 1, 2

# typedef void (*TIMCommCallback)(int32_t, const char*, const char*, const void*);
CommCallback = ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
# typedef void (*TIMConvEventCallback)(enum TIMConvEvent, const char*, const void*);
ConvEventCallback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

sdk = ctypes.CDLL(LIB)
for name, args in {
    "TIMConvCreate": [ctypes.c_char_p, ctypes.c_int, CommCallback, ctypes.c_void_p],
    "TIMConvDelete": [ctypes.c_char_p, ctypes.c_int, CommCallback, ctypes.c_void_p],
    "TIMConvGetConvList": [CommCallback, ctypes.c_void_p],
    "TIMConvSetDraft": [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p],
    "TIMConvCancelDraft": [ctypes.c_char_p, ctypes.c_int],
}.items():
    fn = getattr(sdk, name)
    fn.argtypes, fn.restype = args, ctypes.c_int
sdk.TIMSetConvEventCallback.argtypes = [ConvEventCallback, ctypes.c_void_p]
sdk.TIMSetConvEventCallback.restype = None

# Everything delivered, in order: ("event", kind, payload) or ("reply", tag, code, desc, json).
log = []
log_lock = threading.Lock()
callback_threads = set()
arrived = threading.Condition(log_lock)


def on_reply(code, desc, json_params, user_data):
    with arrived:
        callback_threads.add(threading.get_ident())
        log.append(("reply", user_data or 0, code, desc.decode(), json_params.decode()))
        arrived.notify_all()


def on_event(kind, json_conv_array, user_data):
    with arrived:
        log.append(("event", kind, json.loads(json_conv_array.decode())))


# Keep the ctypes function objects alive while the library may call them.
REPLY = CommCallback(on_reply)
EVENT = ConvEventCallback(on_event)

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAILED:", what)


def wait_reply(tag):
    with arrived:
        ok = arrived.wait_for(lambda: any(e[0] == "reply" and e[1] == tag for e in log), timeout=30)
    check(ok, f"reply {tag} arrived")
    return next(e for e in log if e[0] == "reply" and e[1] == tag)


def listed():
    tag = 1000 + len(log)
    check(sdk.TIMConvGetConvList(REPLY, tag) == TIM_SUCC, "list accepted")
    return json.loads(wait_reply(tag)[4])


sdk.TIMSetConvEventCallback(EVENT, None)

# Create: the Add event comes first, then the reply with the same ConvInfo.
check(sdk.TIMConvCreate(b"py-alice", C2C, REPLY, 1) == TIM_SUCC, "create accepted")
r = wait_reply(1)
info = json.loads(r[4])
check(r[2] == 0 and info["conv_id"] == "py-alice" and info["conv_type"] == C2C, "create reply")
first = [e for e in log if e[0] == "event" or e[1] == 1]
check(first[0][0] == "event" and first[0][1] == EV_ADD and first[0][2] == [info], "Add event before the reply")
check(threading.get_ident() not in callback_threads, "callbacks run on the library's thread")

check(sdk.TIMConvCreate("py-群".encode(), GROUP, REPLY, 2) == TIM_SUCC, "create group")
wait_reply(2)

# A draft with a 64-bit edit time comes back exactly; it moves alice to the top.
draft = {"draft_msg": {"message_elem_array": [{"elem_type": 0, "text_elem_content": "from Python"}]},
         "draft_user_define": "ud", "draft_edit_time": 2**63 + 5}
check(sdk.TIMConvSetDraft(b"py-alice", C2C, json.dumps(draft).encode()) == TIM_SUCC, "set draft")
convs = [c for c in listed() if c["conv_id"].startswith("py-")]
check([c["conv_id"] for c in convs] == ["py-alice", "py-群"], "draft activates")
check(convs[0]["conv_draft"] == draft and convs[0]["conv_is_has_draft"] is True, "draft round trip, 64-bit exact")
times = [c["conv_active_time"] for c in convs]
check(times == sorted(times, reverse=True), "conv_active_time gives the order")

# Bad input from an FFI: refused synchronously, nothing called back.
before = listed()
check(sdk.TIMConvCreate(None, C2C, REPLY, 9) == TIM_ERR_PARAM, "NULL id")
check(sdk.TIMConvCreate(b"py-x", 3, REPLY, 9) == TIM_ERR_PARAM, "conv_type 3")
check(sdk.TIMConvCreate(b"\xff\xfe", C2C, REPLY, 9) == TIM_ERR_PARAM, "invalid UTF-8")
check(sdk.TIMConvSetDraft(b"py-alice", C2C, b"{not json") == TIM_ERR_JSON, "bad JSON")
check(sdk.TIMConvSetDraft(b"py-nobody", C2C, json.dumps(draft).encode()) == TIM_ERR_CONV, "missing conversation")
check(listed() == before and not any(e[0] == "reply" and e[1] == 9 for e in log), "refused calls change nothing")

# Cancel and delete.
check(sdk.TIMConvCancelDraft(b"py-alice", C2C) == TIM_SUCC, "cancel draft")
check(sdk.TIMConvDelete("py-群".encode(), GROUP, REPLY, 3) == TIM_SUCC, "delete")
r = wait_reply(3)
check((r[2], r[3], r[4]) == (0, "", ""), "delete reply is empty")
check(sdk.TIMConvDelete("py-群".encode(), GROUP, REPLY, 4) == TIM_SUCC, "delete again")
check(wait_reply(4)[2] == 6004, "missing conversation: 6004")
check([c["conv_id"] for c in listed() if c["conv_id"].startswith("py-")] == ["py-alice"], "deleted")
kinds = [e[1] for e in log if e[0] == "event"]
check(kinds == [EV_ADD, EV_ADD, EV_UPDATE, EV_UPDATE, EV_DEL], f"events in order: {kinds}")

sdk.TIMSetConvEventCallback(ConvEventCallback(), None)  # NULL: no more events
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
