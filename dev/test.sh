#!/usr/bin/env bash
# Runs every test: the release build's unit, golden and integration tests,
# then the unit tests again under ASan+UBSan and under valgrind.
# Usage: bash dev/test.sh [--quick]   (--quick: the release build only)
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup-debian.sh
SUMMARY=$(mktemp)
trap 'rm -f "$SUMMARY"' EXIT
# mtest ARGS...: meson test, its output kept for the closing count
mtest() { meson test "$@" 2>&1 | tee -a "$SUMMARY"; }
closing() {
  local ok fail skip
  ok=$(awk '/^Ok:/ {s += $2} END {print s + 0}' "$SUMMARY")
  fail=$(awk '/^Fail:|^Timeout:|^Unexpected Pass:/ {s += $NF} END {print s + 0}' "$SUMMARY")
  skip=$(awk '/^Skipped:/ {s += $2} END {print s + 0}' "$SUMMARY")
  echo "$ok passed, $fail failed, $skip skipped"
}
echo "== release build: all tests"
mtest -C build --print-errorlogs --num-processes 2
if [ "${1:-}" = "--quick" ]; then closing; exit 0; fi

echo "== ASan + UBSan build: all tests"
if [ ! -f build-asan/build.ninja ]; then
  CC=clang meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
    -Db_lundef=false -Dfuse=enabled -Dcurl=enabled -Dmicrohttpd=enabled -Dtests=enabled
fi
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  mtest -C build-asan --print-errorlogs --num-processes 2

echo "== valgrind: unit tests"
mtest -C build --suite unit --print-errorlogs --num-processes 2 \
  --wrap='valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99' \
  --timeout-multiplier 10
echo "== CUDA trainer: compile with nvcc, run its tests (they skip without a GPU)"
NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
if [ -x "$NVCC" ]; then
  if [ ! -f build-cuda/build.ninja ]; then
    PATH=$(dirname "$NVCC"):$PATH meson setup build-cuda --buildtype=release -Dcuda=enabled \
      -Dfuse=disabled -Dcurl=disabled -Dmicrohttpd=disabled -Dtests=disabled
  fi
  PATH=$(dirname "$NVCC"):$PATH ninja -C build-cuda
  mtest -C build-cuda --suite cuda --print-errorlogs
else
  echo "nvcc not found: CUDA trainer not compiled"
fi
closing
