#!/usr/bin/env bash
# Builds tests/mono/ConvApp.cs with mcs and runs it with mono against the
# libImSDK.so in LIBDIR ([DllImport("ImSDK")], found through LD_LIBRARY_PATH),
# twice: returning from Main, then ending with Environment.Exit. Neither calls
# TIMUninit. Each run is under `timeout 30` and must exit with status 0 within
# 20 s (Mono waits at shutdown for threads that called into managed code, such
# as the library's callback thread). Prints the seconds each run took.
#
# Needs mono-mcs and mono-runtime (Debian). Build output: tests/mono/build/.
#
# Usage: bash tests/mono/run.sh path/to/dir/with/libImSDK.so
set -euo pipefail

LIBDIR=${1:?usage: run.sh LIBDIR (the directory holding libImSDK.so)}
LIBDIR=$(cd "$LIBDIR" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
B=tests/mono/build
MAX_SECS=20

for tool in mcs mono; do
    command -v "$tool" >/dev/null || {
        echo "ERROR: $tool not found. Install it with: apt-get install -y mono-mcs mono-runtime"
        exit 1
    }
done
[ -f "$LIBDIR/libImSDK.so" ] || { echo "ERROR: $LIBDIR/libImSDK.so does not exist"; exit 1; }

mkdir -p "$B"
mcs -nologo -warnaserror+ -out:"$B/ConvApp.exe" tests/mono/ConvApp.cs
echo "   built $B/ConvApp.exe"

now() { date +%s.%N; }
PASS=0
FAIL=0
for mode in return exit; do
    args=()
    [ "$mode" = exit ] && args=(exit)
    t0=$(now)
    rc=0
    LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 30 mono "$B/ConvApp.exe" \
        "${args[@]+"${args[@]}"}" || rc=$?
    secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
    if [ "$rc" -eq 0 ] && awk -v s="$secs" -v m="$MAX_SECS" 'BEGIN { exit !(s <= m) }'; then
        PASS=$((PASS + 1))
        printf '   ok      mono ConvApp.exe (%s): exit status %d, %s s\n' "$mode" "$rc" "$secs"
    else
        FAIL=$((FAIL + 1))
        printf '   FAILED  mono ConvApp.exe (%s): exit status %d, %s s (want 0 within %d s)\n' \
            "$mode" "$rc" "$secs" "$MAX_SECS"
    fi
done

echo "mono runs: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
