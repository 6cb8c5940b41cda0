#!/usr/bin/env bash
# Runs every test: the release build's unit, golden and integration tests,
# then the unit tests again under ASan+UBSan and under valgrind.
# Usage: bash dev/test.sh [--quick]   (--quick: the release build only)
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup-debian.sh
echo "== release build: all tests"
meson test -C build --print-errorlogs --num-processes 2
[ "${1:-}" = "--quick" ] && exit 0

echo "== ASan + UBSan build: all tests"
if [ ! -f build-asan/build.ninja ]; then
  CC=clang meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
    -Db_lundef=false -Dfuse=enabled -Dcurl=enabled -Dmicrohttpd=enabled -Dtests=enabled
fi
ninja -C build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2

echo "== valgrind: unit tests"
meson test -C build --suite unit --print-errorlogs --num-processes 2 \
  --wrap='valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99' \
  --timeout-multiplier 10
echo "all test suites passed"
