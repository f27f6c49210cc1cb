#!/usr/bin/env bash
# Builds libImSDK.so and checks it from C and C++:
#   - every header in include/ compiles alone, included twice, as C99 and C++11;
#   - abi_check.c (C11 and C++11): the vendor's prototypes, typedefs, enum
#     values and key strings against the headers;
#   - the exported symbols equal tests/c/exported_symbols.txt;
#   - behaviour.c (C99) and vendor_style.cpp (C++11, jsoncpp) run plain, under
#     ASan+UBSan, and under valgrind.
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
run_prog() { # PROGRAM [WRAPPER...]: runs it against the fresh library
    local prog=$1
    shift
    [ -x "$prog" ] || { echo "   $prog was not built"; return 1; }
    LD_LIBRARY_PATH="$LIB" timeout "$RUN_TIMEOUT" "$@" "$prog"
}

# ---------------------------------------------------------------------------
header "behaviour.c and vendor_style.cpp (${WARN[*]} -pedantic)"
step "build behaviour" build_behaviour "$B/behaviour" -O2
step "build vendor_style" build_vendor "$B/vendor_style" -O2
step "run behaviour" run_prog "$B/behaviour"
step "run vendor_style" run_prog "$B/vendor_style"

# ---------------------------------------------------------------------------
header "the same under AddressSanitizer + UndefinedBehaviorSanitizer"
step "build behaviour (asan+ubsan)" build_behaviour "$B/behaviour_san" -O1 "${SAN[@]}"
step "build vendor_style (asan+ubsan)" build_vendor "$B/vendor_style_san" -O1 "${SAN[@]}"
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
step "run behaviour (asan+ubsan)" run_prog "$B/behaviour_san"
step "run vendor_style (asan+ubsan)" run_prog "$B/vendor_style_san"
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
