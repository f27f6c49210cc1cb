#!/usr/bin/env bash
# Runs every test: formatting, lints, the Rust tests (through the exported C
# functions), the C and C++ programs (plain, under ASan+UBSan and under
# valgrind), Python through ctypes (including interpreter exit with callbacks
# queued), C# on Mono through P/Invoke, the quickstart example, and a smoke run
# of the benchmark.
#
# Needs: the Rust toolchain with rustfmt and clippy, gcc/g++, valgrind,
# python3, pkg-config, libjsoncpp-dev, mono-mcs and mono-runtime; it installs
# whichever are missing first (as root, with apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

# Install what a fresh machine lacks (Debian's packages, as root), so that
# this one command runs every test there.
missing=()
pkg-config --exists jsoncpp 2>/dev/null || missing+=(libjsoncpp-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
command -v mcs >/dev/null || missing+=(mono-mcs)
command -v mono >/dev/null || missing+=(mono-runtime)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing: ${missing[*]}; install them (apt-get install ${missing[*]}) or run this as root" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi

steps=0
# Each step that starts has passed the one before (set -e stops at a failure).
step() { steps=$((steps + 1)); printf '\n==> %s\n' "$*"; }

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "lints (cargo clippy, warnings are errors)"
cargo clippy --all-targets --all-features -- -D warnings

step "Rust tests (cargo test --all-features)"
cargo test --all-features

step "C and C++ programs against include/ and libImSDK.so"
bash tests/c/run.sh

step "Python through ctypes (an FFI caller, no wrapper)"
python3 tests/python/ctypes_test.py target/release/libImSDK.so

step "Python interpreter exit with callbacks queued (5 runs without TIMUninit, 5 with)"
bash tests/python/exit_test.sh target/release/libImSDK.so

step "C# on Mono through P/Invoke (init, login, conversations, exit without TIMUninit)"
bash tests/mono/run.sh target/release

step "quickstart example"
cargo build --release
mkdir -p target/examples
cc -std=c99 -Wall -Wextra -Werror examples/quickstart.c -I include -L target/release -lImSDK -lpthread \
    -o target/examples/quickstart
out=$(LD_LIBRARY_PATH=target/release ./target/examples/quickstart)
for want in '[create alice] code=0' '[delete again] code=6004' '"conv_draft":{"draft_msg"' '"conv_unread_num":1' '(total unread) 1' '(total unread) 0' 'TIMConvCreate(NULL, ...) -> -4'; do
    grep -qF -- "$want" <<<"$out" || { echo "quickstart output lacks: $want"; exit 1; }
done
echo "quickstart: ok"

if [ -f benches/bench.rs ]; then
    step "benchmark smoke run (tiny sizes; figures are not checked)"
    BENCH_SMOKE=1 cargo bench --bench bench
    step "durable-store benchmark smoke run (tiny sizes; figures are not checked)"
    BENCH_SMOKE=1 cargo bench --bench durable
fi

printf '\nall tests passed\nsteps: %d passed, 0 failed\n' "$steps"
