#!/bin/bash
# fs_shell.sh: ordinary shell commands through the mount (oracle backend)
# give the same output, messages and exit status as on a real directory,
# and leave the same tree behind.
. "$(dirname "$0")/lib.sh"
lf_setup
export LC_ALL=C

REF=$T/ref
MNT=$T/mnt
mkdir -p "$REF"
lf_mount "$MNT" --backend oracle --state "$T/state.xml" || fail "mount failed"

n=0
run_in() { cd "$1" && eval "$2"; }
# both CMD: runs CMD in $REF and in $MNT; output (stdout+stderr) and status
# must agree.
both() {
    n=$((n + 1))
    local want got ws gs
    want=$(run_in "$REF" "$1" 2>&1)
    ws=$?
    got=$(run_in "$MNT" "$1" 2>&1)
    gs=$?
    if [ "$want" != "$got" ] || [ "$ws" != "$gs" ]; then
        fail "step $n: '$1': real dir gave status $ws:
$want
--- mount gave status $gs:
$got"
    fi
}

# tree DIR: type, mode, size and path of every entry (directory sizes are
# filesystem-specific), symlink targets.
tree() {
    (cd "$1" && find . -mindepth 1 \( -type d -printf 'd %m - %p\n' \) -o \
        \( -type l -printf 'l - %s %p -> %l\n' \) -o \( -type f -printf 'f %m %s %p\n' \) | sort)
}

same_tree() {
    local a b
    a=$(tree "$REF")
    b=$(tree "$MNT")
    [ "$a" = "$b" ] || fail "trees differ after step $n:
$(diff <(echo "$a") <(echo "$b"))"
    diff -r --no-dereference "$REF" "$MNT" >/dev/null 2>"$T/diff.err" ||
        fail "contents differ after step $n: $(diff -r --no-dereference "$REF" "$MNT" 2>&1 | head -5)"
}

# building
both 'mkdir -p a/b/c'
both 'touch a/f'
both 'echo hello > a/f'
both 'echo world >> a/f'
both 'cat a/f'
both 'printf "x%.0s" $(seq 1 5000) > a/big; wc -c < a/big'
both 'ls a'
both 'ls -1 a/b'
both 'stat -c "%F %s %a %h" a/f; stat -c "%F %a" a/b' # directory sizes and links vary by filesystem
same_tree
both 'mv a/f a/g'
both 'mv a/b d'
both 'cp a/g a/h'
both 'cp -r d e'
both 'chmod 600 a/g; stat -c %a a/g'
both 'chmod 700 d; stat -c %a d'
both 'ln -s g a/lnk; readlink a/lnk; cat a/lnk'
both 'ln -s /nonexistent/x dangling; readlink dangling'
both 'stat -c "%F %s" a/lnk'
both 'chown 1234:5678 a/g; stat -c "%u %g" a/g'
both 'chown :0 a/g; stat -c "%u %g" a/g'
both 'chown 0 a/g; stat -c "%u %g %a" a/g'
both 'for t in -r -w -x -e; do [ $t a/g ] && echo "a/g $t" || echo "a/g not $t"; done'
both 'chmod 755 a/g; [ -x a/g ] && echo x; chmod 600 a/g; [ -x a/g ] || echo nox; [ -x d ] && echo dirx'
both 'truncate -s 2 a/g; cat a/g'
both 'truncate -s 10 a/h; od -c a/h'
both 'echo replaced > a/h; cat a/h'
if fallocate -l 1 "$T/falloc-probe" 2>/dev/null; then # where the real dir's filesystem has it
    both 'fallocate -l 20 a/h; stat -c %s a/h; od -c a/h; fallocate -l 5 a/h; stat -c %s a/h'
fi
both 'mv a/h a/lnk; cat a/lnk'
both 'mkdir x y; mv x y; ls y'
both 'mkdir z; mv -T y/x z; ls z y'
both 'rm a/big'
both 'rmdir d/c'
same_tree

# errors, with the messages coreutils prints
both 'rmdir a'
both 'mkdir a'
both 'cat missing'
both 'cat a'
both 'rm a'
both 'rmdir a/g'
both 'mkdir nope/x'
both 'mkdir a/g/x'
both 'touch nope/f'
both 'ln -s x a/g'
both 'mv missing x'
both 'mv d d/sub'
both 'echo x > a'
both 'ls missing'
both 'rm missing'
both 'readlink a/g'
both 'mkdir -p p/q r/s; mv -T p r'
both 'rmdir .'
both 'cd a/g'
both 'touch $(printf "n%.0s" $(seq 1 300))'
both 'mkdir -p q1/x; touch q2; mv -T q2 q1'
both 'mv -T q1 q2'
both 'rm -r q1 q2'
same_tree

# cleaning up
both 'rm -r e'
both 'rm -rf a d p r y z dangling'
both 'ls -A'
same_tree

# ls -la and stat through the mount
(cd "$MNT" && mkdir dd && echo hi > ff && chmod 640 ff && ln -s ff ll) || fail "setup for ls -la"
out=$(ls -la "$MNT") || fail "ls -la"
echo "$out" | grep -q '^drwxr-xr-x .* dd$' || fail "ls -la: dd: $out"
echo "$out" | grep -q '^-rw-r----- 1 .* 3 .* ff$' || fail "ls -la: ff: $out"
echo "$out" | grep -q '^lrwxrwxrwx 1 .* ll -> ff$' || fail "ls -la: ll: $out"
[ "$(stat -c '%U %G' "$MNT/ff")" = "$(id -un) $(id -gn)" ] || fail "owner is not the mounting user"
[ "$(stat -c '%Y' "$MNT/ff")" = 1735689601 ] || fail "file mtime is not 2025-01-01T00:00:01Z"

# refused locally
ln "$MNT/ff" "$MNT/hard" 2>"$T/err" && fail "hard link succeeded"
grep -q 'Operation not permitted' "$T/err" || fail "link: $(cat "$T/err")"
mkfifo "$MNT/fifo" 2>"$T/err" && fail "mkfifo succeeded"
grep -q 'Operation not permitted' "$T/err" || fail "mknod: $(cat "$T/err")"

# nothing reached the model's state that the filesystem did not acknowledge
grep -q '<file path="ff" name="ff" mode="640"' "$T/state.xml" || fail "state file lacks ff"
lf_umount "$MNT"
echo "ok: $n commands agree with a real directory"
