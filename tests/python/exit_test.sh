#!/usr/bin/env bash
# Runs tests/python/exit_test.py 5 times in a row in each variant (ending the
# script with callbacks queued; calling TIMUninit at the end), each run under
# `timeout 60`, and requires exit status 0 from every run (134 would be
# SIGABRT, e.g. a Rust thread aborting when the interpreter ends it with
# pthread_exit; 124 is the timeout). Prints the status and duration of each run.
#
# Usage: bash tests/python/exit_test.sh path/to/libImSDK.so
set -uo pipefail

LIB=${1:?usage: exit_test.sh path/to/libImSDK.so}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=5
PASS=0
FAIL=0

now() { date +%s.%N; }

for variant in exit uninit; do
    args=("$LIB")
    [ "$variant" = uninit ] && args+=(uninit)
    for i in $(seq 1 "$RUNS"); do
        t0=$(now)
        timeout 60 python3 "$HERE/exit_test.py" "${args[@]}"
        rc=$?
        secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
        if [ "$rc" -eq 0 ]; then
            PASS=$((PASS + 1))
            printf '   ok      %s run %d/%d: exit status %d, %s s\n' "$variant" "$i" "$RUNS" "$rc" "$secs"
        else
            FAIL=$((FAIL + 1))
            printf '   FAILED  %s run %d/%d: exit status %d, %s s\n' "$variant" "$i" "$RUNS" "$rc" "$secs"
        fi
    done
done

echo "python exit runs: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
