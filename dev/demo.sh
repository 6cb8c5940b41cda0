#!/usr/bin/env bash
# The main job: mounts llmfuse with the bundled model (models/llmfuse.gguf)
# or, without one, the oracle backend, and runs a short shell session on
# it, printing each command, its output and the time it took, then the state
# and any model answers the mount refused.
# Usage: bash dev/demo.sh [extra mount options, e.g. --backend oracle]
set -euo pipefail
cd "$(dirname "$0")/.."
LLMFUSE=${LLMFUSE:-$PWD/build/llmfuse}
[ -x "$LLMFUSE" ] || { echo "build first: bash dev/setup-debian.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/llmfuse-demo.XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
cleanup() {
  fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
  [ -n "${pid:-}" ] && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$LLMFUSE" mount "$mnt" --state "$work/state.xml" "$@" 2>"$work/mount.log" &
pid=$!
for _ in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.1; done
mountpoint -q "$mnt" || { cat "$work/mount.log" >&2; exit 1; }
head -n 3 "$work/mount.log" >&2 || true

cd "$mnt"
run() {
  local t0 t1
  printf '\n$ %s\n' "$*"
  t0=$(date +%s%N)
  bash -c "$*" 2>&1 || true
  t1=$(date +%s%N)
  printf '   [%d ms]\n' $(( (t1 - t0) / 1000000 ))
}
run 'mkdir -p docs/notes'
run 'echo "hello from a model" > docs/hello.txt'
run 'echo "second line" >> docs/hello.txt'
run 'cat docs/hello.txt'
run 'ls -la docs'
run 'mv docs/hello.txt docs/notes/hi.txt'
run 'ln -s notes/hi.txt docs/link && readlink docs/link'
run 'chmod 600 docs/notes/hi.txt && stat -c "%A %s %n" docs/notes/hi.txt'
run 'rmdir docs'
run 'rm docs/link docs/notes/hi.txt && rmdir docs/notes'
run 'ls -la'
cd /
printf '\nstate file after the session:\n'
cat "$work/state.xml"; echo
# a model's answer that is not a valid next state is refused and the model
# asked for alternatives (docs/MOUNT.md); when every one is refused the op
# fails (EIO) and the state is kept: say which, and why (the bundled model's
# limits: docs/MODEL.md)
if grep -q 'refused (EIO)' "$work/mount.log"; then
  printf '\nanswers the mount refused (the state was kept; an op fails with EIO when its\nanswer and every alternative are refused):\n'
  grep -o '[a-z]*(.*refused (EIO)[^:]*: .*' "$work/mount.log" | sed -E 's/; answer .*//' | cut -c1-220
fi
if grep -q 'alternative [0-9]* accepted' "$work/mount.log"; then
  printf '\nalternatives accepted:\n'
  grep -o '[a-z]*(.*alternative [0-9]* accepted' "$work/mount.log" | cut -c1-220
fi
