#!/usr/bin/env bash
# Builds libImSDK.so and checks it from C and C++:
#   - every header in include/ compiles alone, included twice, as C99 and C++11;
#   - abi_check.c and abi_surface.c (C11 and C++11): the vendor's prototypes,
#     typedefs, enum values, key strings and aliases against the headers;
#   - the exported symbols equal tests/c/exported_symbols.txt;
#   - behaviour.c (C99) and vendor_style.cpp (C++11, jsoncpp) run plain, under
#     ASan+UBSan, and under valgrind;
#   - lifecycle_app.cpp (C++11, jsoncpp: TIMInit, login, users, TIMUninit),
#     conv_module.cpp (C++11, jsoncpp: every conversation-module function),
#     messages.cpp (C++11, jsoncpp: message-fed conversation state: import,
#     save, read reports, cleans, history, receive options, unread totals and
#     subscribed filters, embedded and logged in), exit_queued.cpp (C++11:
#     returning from main with callbacks queued, under `timeout 120`, wall
#     time printed) and durable_app.cpp (C++11, jsoncpp: the durable store
#     across process restarts; it runs itself again as child processes, so
#     valgrind runs it with --trace-children=yes) likewise.
# Build outputs go to tests/c/build/. Needs gcc, g++, binutils (nm), valgrind,
# pkg-config and libjsoncpp-dev.
#
# Usage: bash tests/c/run.sh   (from anywhere)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
B=tests/c/build
LIB=target/release
mkdir -p "$B"

WARN=(-Wall -Wextra -Werror)
STRICT=("${WARN[@]}" -pedantic)
SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
LINK=(-I include -L "$LIB" -lImSDK)
RUN_TIMEOUT=600      # seconds per program run (a deadlock must not hang the script)
VALGRIND_TIMEOUT=1800

PASS=0
FAIL=0
FAILED=()
START=$SECONDS

header() { printf '\n== %s\n' "$*"; }
ok() { PASS=$((PASS + 1)); printf '   ok      %s\n' "$1"; }
ko() { FAIL=$((FAIL + 1)); FAILED+=("$1"); printf '   FAILED  %s\n' "$1"; }
# step NAME COMMAND...: runs the command, counts it.
step() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else ko "$name"; fi
}

# ---------------------------------------------------------------------------
header "build the library (cargo build --release)"
if ! cargo build --release; then
    echo "cargo build --release failed; nothing else can run"
    echo "C tests: $PASS passed, $((FAIL + 1)) failed"
    exit 1
fi
ok "cargo build --release"

# ---------------------------------------------------------------------------
header "each header alone, included twice, as C99 and C++11 (${STRICT[*]})"
compile_header() { # LANG HEADER
    local lang=$1 h=$2 src
    src="$B/hdr_$(basename "$h" .h).$lang"
    printf '#include "%s"\n#include "%s"\nint main(void) { return 0; }\n' "$(basename "$h")" "$(basename "$h")" >"$src"
    if [ "$lang" = c ]; then
        gcc -std=c99 "${STRICT[@]}" -I include -fsyntax-only "$src"
    else
        g++ -std=c++11 "${STRICT[@]}" -I include -fsyntax-only "$src"
    fi
}
for h in include/*.h; do
    step "$(basename "$h") as C99" compile_header c "$h"
    step "$(basename "$h") as C++11" compile_header cpp "$h"
done

# ---------------------------------------------------------------------------
header "ABI check against the vendor's declarations (C11 and C++11)"
abi_check() { # c|cpp
    local out="$B/abi_check_$1"
    if [ "$1" = c ]; then
        gcc -std=c11 "${STRICT[@]}" tests/c/abi_check.c "${LINK[@]}" -o "$out" || return 1
    else
        g++ -std=c++11 "${STRICT[@]}" -x c++ tests/c/abi_check.c -x none "${LINK[@]}" -o "$out" || return 1
    fi
    LD_LIBRARY_PATH="$LIB" "$out"
}
step "abi_check.c as C11" abi_check c
step "abi_check.c as C++11" abi_check cpp
# Every function, callback typedef, enumerator, key and alias of the vendor's
# 8.x headers (generated from them by scripts/vendor_tables.py).
abi_surface() { # c|cpp
    local out="$B/abi_surface_$1"
    if [ "$1" = c ]; then
        gcc -std=c11 "${STRICT[@]}" tests/c/abi_surface.c "${LINK[@]}" -o "$out" || return 1
    else
        g++ -std=c++11 "${STRICT[@]}" -x c++ tests/c/abi_surface.c -x none "${LINK[@]}" -o "$out" || return 1
    fi
    LD_LIBRARY_PATH="$LIB" "$out" | tail -n 1
    [ "${PIPESTATUS[0]}" -eq 0 ]
}
step "abi_surface.c as C11" abi_surface c
step "abi_surface.c as C++11" abi_surface cpp

# ---------------------------------------------------------------------------
header "exported symbols (nm -D --defined-only) vs tests/c/exported_symbols.txt"
check_symbols() {
    nm -D --defined-only "$LIB/libImSDK.so" | awk '{print $3}' | sort >"$B/exported_symbols.actual"
    if diff -u tests/c/exported_symbols.txt "$B/exported_symbols.actual"; then
        echo "   $(wc -l <"$B/exported_symbols.actual") symbols, as expected"
    else
        echo "   exported symbols differ (- expected, + actual)"
        return 1
    fi
}
step "exported symbols" check_symbols

# ---------------------------------------------------------------------------
header "jsoncpp"
JSON_CFLAGS=()
JSON_LIBS=()
HAVE_JSONCPP=0
if command -v pkg-config >/dev/null && pkg-config --exists jsoncpp; then
    read -r -a JSON_CFLAGS <<<"$(pkg-config --cflags jsoncpp)"
    read -r -a JSON_LIBS <<<"$(pkg-config --libs jsoncpp)"
    HAVE_JSONCPP=1
elif [ -f /usr/include/jsoncpp/json/json.h ]; then
    JSON_CFLAGS=(-I/usr/include/jsoncpp)
    JSON_LIBS=(-ljsoncpp)
    HAVE_JSONCPP=1
fi
if [ "$HAVE_JSONCPP" = 1 ]; then
    echo "   using ${JSON_CFLAGS[*]} ${JSON_LIBS[*]}"
else
    echo "   ERROR: jsoncpp not found (needed by tests/c/vendor_style.cpp)."
    echo "   Install it with: apt-get install -y libjsoncpp-dev pkg-config"
    ko "jsoncpp present"
fi

build_behaviour() { # OUT EXTRA-FLAGS...
    local out=$1
    shift
    gcc -std=c99 "${STRICT[@]}" -g "$@" tests/c/behaviour.c "${LINK[@]}" -lpthread -o "$out"
}
build_vendor() { # OUT EXTRA-FLAGS...
    local out=$1
    shift
    [ "$HAVE_JSONCPP" = 1 ] || { echo "   (no jsoncpp: apt-get install -y libjsoncpp-dev pkg-config)"; return 1; }
    g++ -std=c++11 "${STRICT[@]}" -g "$@" "${JSON_CFLAGS[@]}" tests/c/vendor_style.cpp "${LINK[@]}" \
        "${JSON_LIBS[@]}" -lpthread -o "$out"
}
# build_cpp SOURCE OUT EXTRA-FLAGS...: a C++11 program (jsoncpp when present).
build_cpp() {
    local src=$1 out=$2
    shift 2
    if grep -q '#include <json/json.h>' "$src" && [ "$HAVE_JSONCPP" = 0 ]; then
        echo "   (no jsoncpp: apt-get install -y libjsoncpp-dev pkg-config)"
        return 1
    fi
    g++ -std=c++11 "${STRICT[@]}" -g "$@" "${JSON_CFLAGS[@]+"${JSON_CFLAGS[@]}"}" "$src" "${LINK[@]}" \
        "${JSON_LIBS[@]+"${JSON_LIBS[@]}"}" -lpthread -o "$out"
}
run_prog() { # PROGRAM [WRAPPER...]: runs it against the fresh library
    local prog=$1
    shift
    [ -x "$prog" ] || { echo "   $prog was not built"; return 1; }
    LD_LIBRARY_PATH="$LIB" timeout "$RUN_TIMEOUT" "$@" "$prog"
}
# run_checked PROGRAM [WRAPPER...]: run_prog, its output also scanned: a
# sanitizer or valgrind report fails the run even when the exit status is 0
# (a report from another thread while the process exits can lose that race).
run_checked() {
    local log rc=0
    log="$B/$(basename "$1")$([ $# -gt 1 ] && echo "_$(basename "$2")").log"
    run_prog "$@" >"$log" 2>&1 || rc=$?
    cat "$log"
    [ "$rc" -eq 0 ] || return 1
    if grep -E 'Sanitizer|runtime error:|^==[0-9]+== ' "$log" | grep -qvE '^==[0-9]+== Warning: '; then
        echo "   a sanitizer or valgrind report above (exit status was 0)"
        return 1
    fi
}
# run_exit_queued PROGRAM [WRAPPER...]: run_checked under `timeout 120`,
# printing the wall time (the process must end promptly with callbacks still
# queued) and requiring the line printed just before main returns.
run_exit_queued() {
    local t0 rc=0 secs
    t0=$(date +%s.%N)
    RUN_TIMEOUT=120 run_checked "$@" | tee "$B/exit_queued.out" || rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    echo "   exit_queued: exit status $rc, wall time $secs s"
    [ "$rc" -eq 0 ] && grep -qF 'exit_queued: returning from main with callbacks queued' "$B/exit_queued.out"
}
# ---------------------------------------------------------------------------
header "behaviour.c, vendor_style.cpp, lifecycle_app.cpp, conv_module.cpp, messages.cpp, exit_queued.cpp, durable_app.cpp (${WARN[*]} -pedantic)"
step "build behaviour" build_behaviour "$B/behaviour" -O2
step "build vendor_style" build_vendor "$B/vendor_style" -O2
step "run behaviour" run_prog "$B/behaviour"
step "run vendor_style" run_prog "$B/vendor_style"
step "build lifecycle_app" build_cpp tests/c/lifecycle_app.cpp "$B/lifecycle_app" -O2
step "build conv_module" build_cpp tests/c/conv_module.cpp "$B/conv_module" -O2
step "build messages" build_cpp tests/c/messages.cpp "$B/messages" -O2
step "build exit_queued" build_cpp tests/c/exit_queued.cpp "$B/exit_queued" -O2
step "build durable_app" build_cpp tests/c/durable_app.cpp "$B/durable_app" -O2
step "run lifecycle_app" run_checked "$B/lifecycle_app"
step "run conv_module" run_checked "$B/conv_module"
step "run messages" run_checked "$B/messages"
step "run exit_queued" run_exit_queued "$B/exit_queued"
step "run durable_app" run_checked "$B/durable_app"

# ---------------------------------------------------------------------------
header "the same under AddressSanitizer + UndefinedBehaviorSanitizer"
step "build behaviour (asan+ubsan)" build_behaviour "$B/behaviour_san" -O1 "${SAN[@]}"
step "build vendor_style (asan+ubsan)" build_vendor "$B/vendor_style_san" -O1 "${SAN[@]}"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
step "run behaviour (asan+ubsan)" run_prog "$B/behaviour_san"
step "run vendor_style (asan+ubsan)" run_prog "$B/vendor_style_san"
step "build lifecycle_app (asan+ubsan)" build_cpp tests/c/lifecycle_app.cpp "$B/lifecycle_app_san" -O1 "${SAN[@]}"
step "build conv_module (asan+ubsan)" build_cpp tests/c/conv_module.cpp "$B/conv_module_san" -O1 "${SAN[@]}"
step "build messages (asan+ubsan)" build_cpp tests/c/messages.cpp "$B/messages_san" -O1 "${SAN[@]}"
step "build exit_queued (asan+ubsan)" build_cpp tests/c/exit_queued.cpp "$B/exit_queued_san" -O1 "${SAN[@]}"
step "build durable_app (asan+ubsan)" build_cpp tests/c/durable_app.cpp "$B/durable_app_san" -O1 "${SAN[@]}"
step "run lifecycle_app (asan+ubsan)" run_checked "$B/lifecycle_app_san"
step "run conv_module (asan+ubsan)" run_checked "$B/conv_module_san"
step "run messages (asan+ubsan)" run_checked "$B/messages_san"
step "run exit_queued (asan+ubsan)" run_exit_queued "$B/exit_queued_san"
step "run durable_app (asan+ubsan)" run_checked "$B/durable_app_san"
unset ASAN_OPTIONS UBSAN_OPTIONS

# ---------------------------------------------------------------------------
header "the plain builds under valgrind (memcheck, definite leaks are errors)"
if command -v valgrind >/dev/null; then
    # No suppressions file: none is needed.
    VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
        --show-leak-kinds=definite)
    RUN_TIMEOUT=$VALGRIND_TIMEOUT
    step "run behaviour (valgrind)" run_prog "$B/behaviour" "${VG[@]}"
    step "run vendor_style (valgrind)" run_prog "$B/vendor_style" "${VG[@]}"
    step "run lifecycle_app (valgrind)" run_checked "$B/lifecycle_app" "${VG[@]}"
    step "run conv_module (valgrind)" run_checked "$B/conv_module" "${VG[@]}"
    step "run messages (valgrind)" run_checked "$B/messages" "${VG[@]}"
    step "run exit_queued (valgrind)" run_exit_queued "$B/exit_queued" "${VG[@]}"
    # durable_app's phases are child processes (this program again): traced.
    step "run durable_app (valgrind)" run_checked "$B/durable_app" "${VG[@]}" --trace-children=yes
else
    echo "   ERROR: valgrind not found. Install it with: apt-get install -y valgrind"
    ko "valgrind present"
fi

# ---------------------------------------------------------------------------
header "summary ($((SECONDS - START)) s)"
for f in "${FAILED[@]+"${FAILED[@]}"}"; do
    echo "   failed: $f"
done
if [ "$HAVE_JSONCPP" = 0 ]; then
    echo "   jsoncpp is missing: apt-get install -y libjsoncpp-dev pkg-config"
fi
echo "C tests: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
