"""Interpreter exit with callbacks still queued, from Python through ctypes.

Queues 3,000 TIMConvCreate calls whose callback sleeps 1 ms (so most of them
are still queued when the script ends), then lets the script end:

  exit_test.py LIB          ends without waiting and without TIMUninit: the
                            interpreter finalizes while the library's callback
                            thread is still calling into Python (CPython ends
                            such a thread with pthread_exit); the process must
                            exit with status 0, not abort.
  exit_test.py LIB uninit   calls TIMUninit at the end: it must return 0 after
                            delivering every accepted callback, and nothing may
                            be called back after it returned.

No wrapper: the library's C functions, called as an app in a language with a
C FFI calls them. tests/python/exit_test.sh runs each variant 5 times.
"""
import ctypes
import sys
import threading
import time

if len(sys.argv) < 2 or (len(sys.argv) > 2 and sys.argv[2] != "uninit"):
    sys.exit("usage: exit_test.py path/to/libImSDK.so [uninit]")
LIB = sys.argv[1]
UNINIT = len(sys.argv) > 2
N = 3000
C2C = 1
TIM_SUCC = 0

# typedef void (*TIMCommCallback)(int32_t, const char*, const char*, const void*);
CommCallback = ctypes.CFUNCTYPE(None, ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
# typedef void (*TIMConvEventCallback)(enum TIMConvEvent, const char*, const void*);
ConvEventCallback = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)

sdk = ctypes.CDLL(LIB)
sdk.TIMConvCreate.argtypes = [ctypes.c_char_p, ctypes.c_int, CommCallback, ctypes.c_void_p]
sdk.TIMConvCreate.restype = ctypes.c_int
sdk.TIMSetConvEventCallback.argtypes = [ConvEventCallback, ctypes.c_void_p]
sdk.TIMSetConvEventCallback.restype = None
if UNINIT:
    sdk.TIMUninit.argtypes = []
    sdk.TIMUninit.restype = ctypes.c_int

# Counters, only written on the library's callback thread.
replies = 0
events = 0
bad_codes = 0
counter_lock = threading.Lock()


def on_reply(code, desc, json_params, user_data):
    global replies, bad_codes
    with counter_lock:
        replies += 1
        if code != 0:
            bad_codes += 1
    time.sleep(0.001)  # releases the GIL: the interpreter can finalize meanwhile


def on_event(kind, json_conv_array, user_data):
    global events
    with counter_lock:
        events += 1


# Module globals: the ctypes function objects stay alive while the library
# may call them (until the module is torn down at interpreter exit).
REPLY = CommCallback(on_reply)
EVENT = ConvEventCallback(on_event)

sdk.TIMSetConvEventCallback(EVENT, None)

refused = 0
for i in range(N):
    if sdk.TIMConvCreate(b"exit-%d" % i, C2C, REPLY, i + 1) != TIM_SUCC:
        refused += 1
with counter_lock:
    delivered = replies
print(f"exit_test: {N - refused} of {N} TIMConvCreate calls accepted; {delivered} replies delivered so far",
      flush=True)
if refused:
    print(f"FAILED: {refused} TIMConvCreate calls refused")
    sys.exit(1)

if not UNINIT:
    # End without waiting and without TIMUninit.
    print("exit_test: ending the script with callbacks queued (no TIMUninit)", flush=True)
else:
    failed = 0
    ret = sdk.TIMUninit()
    with counter_lock:
        at_return = (replies, events, bad_codes)
    time.sleep(0.3)
    with counter_lock:
        later = (replies, events, bad_codes)
    checks = [
        (ret == 0, f"TIMUninit returns 0 (got {ret})"),
        (at_return[0] == N, f"every accepted callback delivered before TIMUninit returned ({at_return[0]} of {N})"),
        (at_return[1] == N, f"every Add event delivered before TIMUninit returned ({at_return[1]} of {N})"),
        (at_return[2] == 0, f"every reply has code 0 ({at_return[2]} did not)"),
        (later == at_return, f"nothing called back after TIMUninit returned ({at_return} then {later})"),
    ]
    for ok, what in checks:
        if not ok:
            failed += 1
            print("FAILED:", what)
    print(f"exit_test (uninit): {len(checks) - failed} passed, {failed} failed", flush=True)
    if failed:
        sys.exit(1)
    print("exit_test: ending the script after TIMUninit", flush=True)
