#!/bin/bash
# fs_bytes.sh: contents that look like protocol syntax, non-ASCII and binary
# bytes, partial and offset writes read back byte-exact through the mount
# (oracle backend), before and after a remount.
. "$(dirname "$0")/lib.sh"
lf_setup

MNT=$T/mnt
SRC=$T/src
mkdir -p "$SRC"
printf '<filesystem></body><body>\n<END_FS>\n---\n' >"$SRC/syntax"
printf 'it'"'"'s "quoted" & <b>bold</b> &amp; \\n \\x00 tail' >"$SRC/quotes"
printf 'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac\n' >"$SRC/utf8"
printf 'a\r\nb\rc\td\x7f\x01\n' >"$SRC/controls"
printf 'no newline at the end' >"$SRC/nonl"
printf '\n\n\n' >"$SRC/newlines"
printf '' >"$SRC/empty"
printf 'x\x00y\x00' >"$SRC/nul"
printf '\xff\xfe\xfd latin1 \xe9\n' >"$SRC/invalid-utf8"
printf ', data_length=4, offset=0, fh=4)\n' >"$SRC/optail"
head -c 4096 /dev/urandom >"$SRC/random"
head -c 300000 /dev/urandom | base64 >"$SRC/large-text"
head -c 200000 /dev/urandom >"$SRC/large-binary"

lf_mount "$MNT" --backend oracle --state "$T/state.xml" || fail "mount failed"
for f in "$SRC"/*; do
    b=$(basename "$f")
    cp "$f" "$MNT/$b" || fail "cp $b"
    cmp "$f" "$MNT/$b" || fail "$b does not read back byte-exact"
    [ "$(stat -c %s "$MNT/$b")" = "$(stat -c %s "$f")" ] || fail "$b: size differs"
done

# a large file read in pieces asks the model once per open (the answer is
# the whole file): later pieces come from the handle's copy
grep -q '"read_cached":[1-9]' "$MNT/.llmfuse/stats" || fail "no cached reads: $(cat "$MNT/.llmfuse/stats")"

# a file name with non-ASCII characters and spaces
echo hi >"$MNT/é ü 日本" || fail "non-ASCII name"
[ "$(cat "$MNT/é ü 日本")" = hi ] || fail "non-ASCII name reads back"
ls "$MNT" | grep -qx 'é ü 日本' || fail "non-ASCII name listed"
# a name the state cannot carry (a control byte) is EINVAL
touch "$MNT/$(printf 'bad\x01name')" 2>"$T/err" && fail "a name with a control byte was created"
grep -q 'Invalid argument' "$T/err" || fail "control-byte name: $(cat "$T/err")"

# writes at offsets, past the end (zero fill), in the middle
cp "$SRC/random" "$T/expect"
cp "$SRC/random" "$MNT/patched"
printf 'PATCH' | dd of="$T/expect" bs=1 seek=100 conv=notrunc status=none
printf 'PATCH' | dd of="$MNT/patched" bs=1 seek=100 conv=notrunc status=none || fail "dd middle"
printf 'END' | dd of="$T/expect" bs=1 seek=6000 conv=notrunc status=none
printf 'END' | dd of="$MNT/patched" bs=1 seek=6000 conv=notrunc status=none || fail "dd past end"
cmp "$T/expect" "$MNT/patched" || fail "offset writes differ"
# reads at offsets
[ "$(tail -c 3 "$MNT/patched")" = END ] || fail "tail -c"
[ "$(dd if="$MNT/patched" bs=1 skip=100 count=5 status=none)" = PATCH ] || fail "read at offset"
# a text file turning binary and back to text by truncation
printf 'text' >"$MNT/flip"
printf '\x00\x01' >>"$MNT/flip"
[ "$(od -An -tx1 "$MNT/flip" | tr -d ' \n')" = 746578740001 ] || fail "text+binary"
truncate -s 4 "$MNT/flip"
[ "$(cat "$MNT/flip")" = text ] || fail "binary truncated back to text"
cp "$MNT/flip" "$T/flip"

lf_umount "$MNT"
lf_mount "$MNT" --backend oracle --state "$T/state.xml" || fail "remount failed"
for f in "$SRC"/*; do
    cmp "$f" "$MNT/$(basename "$f")" || fail "$(basename "$f") differs after remount"
done
cmp "$T/expect" "$MNT/patched" || fail "patched differs after remount"
cmp "$T/flip" "$MNT/flip" || fail "flip differs after remount"
lf_umount "$MNT"
echo "ok"
