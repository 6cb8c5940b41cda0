#!/bin/bash
# data_ref.sh: `llmfuse ref MOUNT ROOT --log FILE` under ordinary shell
# commands: passthrough (the files land in ROOT), one row per protocol call
# with mount-relative paths, and every row agrees with the oracle.
. "$(dirname "$0")/lib.sh"
need_fuse

mkdir -p "$T/mnt" "$T/root"
"$LLMFUSE" ref "$T/mnt" "$T/root" --log "$T/log.jsonl" 2>"$T/ref.err" &
REF_PID=$!
for i in $(seq 50); do grep -q " $T/mnt fuse" /proc/mounts && break; sleep 0.1; done
grep -q " $T/mnt fuse" /proc/mounts || { cat "$T/ref.err" >&2; fail "ref did not mount"; }

cd "$T/mnt" || fail "cd"
umask 022
mkdir -p a/b
echo hello >a/f.txt
printf 'more\n' >>a/f.txt
cat a/f.txt >/dev/null
ls a >/dev/null
mv a/f.txt a/b/g.txt
ln -s b/g.txt a/link
readlink a/link >/dev/null
chmod 600 a/b/g.txt
truncate -s 3 a/b/g.txt
rmdir a 2>/dev/null && fail "rmdir of a non-empty directory succeeded"
rm a/link
mkdir "$(printf 'bad\001')" 2>/dev/null && fail "an unrepresentable name was accepted"
cd / || fail "cd"
[ "$(cat "$T/root/a/b/g.txt")" = "hel" ] || fail "passthrough: ROOT has the wrong content"

fusermount3 -u "$T/mnt" || fail "unmount failed"
wait "$REF_PID" || fail "llmfuse ref exited with an error"
REF_PID=

log=$T/log.jsonl
for op in mkdir create write read readdir rename symlink readlink chmod truncate rmdir unlink; do
    grep -q "\"op\": \"$op\"" "$log" || fail "no $op row"
done
grep -q '"completion": "ERROR: ENOTEMPTY"' "$log" || fail "no ENOTEMPTY row for rmdir a"
grep -q '"completion": "ERROR: EINVAL"' "$log" || fail "no EINVAL row for the bad name"
grep -qF "$T" "$log" && fail "rows leak the host path"
"$LLMFUSE" oracle <"$log" >"$T/oracle.jsonl" || fail "llmfuse oracle failed"
cmp -s "$log" "$T/oracle.jsonl" || { diff "$log" "$T/oracle.jsonl" | head -c 3000 >&2; fail "oracle disagrees"; }
echo "ok: $(wc -l <"$log") rows"
