#!/bin/bash
# model_latency.sh: latency of shell commands through a real mount of the
# bundled model (llmfuse mount DIR, no backend option: models/llmfuse.gguf),
# on a ~2 KB state built through the mount itself; medians of N runs of each
# command (each timed alone, fork+exec of the shell command included) and
# how many succeeded (a refused model answer is EIO), the state size, why
# answers were refused (the mount's log), the mount process's peak RSS
# (VmHWM), and the engine's tokens/s on this machine (llmfuse eval of 40
# kernel-generated rows). Names of new files and directories are in the
# style of the training data (llmfuse gen's vocabularies); written text is
# arbitrary.
#   bench/model_latency.sh [LLMFUSE] [N]
#   LF_MODEL=FILE.gguf: that model instead of the bundled one
#   LF_MOUNT_ARGS="...": more mount options (e.g. "--alternatives 0": no
#   alternatives after a refused answer, the mount before session 9)
set -eu
LLMFUSE=$(realpath "${1:-build/llmfuse}")
N=${2:-7}
cd "$(dirname "$0")/.."
T=$(mktemp -d /tmp/lf-mlat.XXXXXX)
M=$T/m
cleanup() {
    fusermount3 -u -z "$M" 2>/dev/null || true
    [ -n "${pid:-}" ] && wait "$pid" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$M"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
MODEL=()
[ -n "${LF_MODEL:-}" ] && MODEL=(--backend local --model "$(realpath "$LF_MODEL")")
read -r -a MOUNT_ARGS <<< "${LF_MOUNT_ARGS:-}"   # e.g. "--alternatives 0"
"$LLMFUSE" mount "$M" "${MODEL[@]}" "${MOUNT_ARGS[@]}" 2>"$T/mount.log" &
pid=$!
for _ in $(seq 200); do mountpoint -q "$M" && break; sleep 0.1; done
mountpoint -q "$M" || { cat "$T/mount.log" >&2; exit 1; }
head -n 3 "$T/mount.log"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
declare -A LAT
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# a ~2 KB tree, built through the mount, with names in the style of the
# training data (llmfuse gen's vocabularies); each command may fail (EIO when
# the model's answer is refused): failures are counted, not fatal
declare -A OK
timed() { # NAME COMMAND...: run once in the mount, record ms and success
    local name=$1 t0 rc=0; shift
    t0=$(date +%s%N)
    (cd "$M" && bash -c "$*") >/dev/null 2>>"$T/cmd.err" || rc=1
    LAT[$name]="${LAT[$name]:-} $(ms "$t0")"
    [ $rc = 0 ] && OK[$name]=$(( ${OK[$name]:-0} + 1 ))
    return 0
}
for c in 'mkdir -p src/lib docs etc' "echo 'TODO' > src/main.c" 'touch etc/cache.json' \
         'touch src/util_main53.h' 'touch docs/notes_old211.yaml' 'touch src/lib/config814.c' \
         'touch docs/report_client4.json' 'mkdir docs/build_old2' 'mkdir etc/assets1' \
         "echo 'TODO' > docs/log.txt" 'mkdir src/lib/tmp'; do
    timed setup "$c"
done
echo "setup: ${OK[setup]:-0} of 11 commands succeeded"
echo "state before: $(wc -c < "$M/.llmfuse/state.xml") bytes"

for i in $(seq "$N"); do
    timed 'echo >> file (append)' "echo 'line $i' >> docs/log.txt"
    timed 'echo > file (overwrite)' "echo 'port = 54$i' > etc/config.ini"
    # a new file each time (create + write): 7 different prompts, where the
    # rows above repeat one state; removed again, untimed, so the tree stays
    timed 'echo > new file (create + write)' "echo 'note $i: port = 54$i' > docs/new$i.txt"
    (cd "$M" && rm -f "docs/new$i.txt") 2>/dev/null || true
    timed 'mkdir' "mkdir docs/assets$i"
    timed 'touch (create)' "touch src/util$i.c"
    timed 'cat (read)' "cat docs/log.txt"
    timed 'ls (readdir)' "ls src"
    timed 'rm (unlink)' "rm src/util$i.c"
    timed 'rmdir' "rmdir docs/assets$i"
done
echo "state after: $(wc -c < "$M/.llmfuse/state.xml") bytes"
echo "docs/log.txt now: $(head -c 300 "$M/docs/log.txt" 2>&1 | tr '\n' '|')"
echo "ls src docs: $(cd "$M" && ls src docs 2>&1 | tr '\n' ' ')"
[ -s "$T/cmd.err" ] && { echo "command errors (first 5):"; sort "$T/cmd.err" | uniq -c | sort -rn | head -5; }
grep -o '"\(divergences\|refusals\|model_errors\|backend_errors\)": [0-9]*' "$M/.llmfuse/stats" | tr '\n' ' '; echo

printf '\n| command | median ms | succeeded | runs (ms) |\n|---|---|---|---|\n'
for k in 'echo >> file (append)' 'echo > file (overwrite)' 'echo > new file (create + write)' 'mkdir' 'touch (create)' 'cat (read)' 'ls (readdir)' 'rm (unlink)' 'rmdir'; do
    echo "| \`$k\` | $(echo "${LAT[$k]}" | median) | ${OK[$k]:-0}/$N | ${LAT[$k]# } |"
done
echo
echo "refused answers, by operation and reason:"
grep -o 'error: [a-z]*(.*refused (EIO)[^:]*: .*' "$T/mount.log" |
    sed -E "s/^error: ([a-z]*)\(.*refused \(EIO\)(, alternative [0-9]+)?: /\1\2: /; s/; answer .*//; s/[0-9]+/N/g" |
    sort | uniq -c | sort -rn | head -8
echo "mount process: $(grep -E 'VmHWM|VmRSS' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' ')"
fusermount3 -u "$M"; wait "$pid" || true; pid=

# tokens/s of the engine on this machine: 40 kernel-generated rows
"$LLMFUSE" gen --seed 31337 --episodes 1 --steps 40 --out "$T/rows.jsonl" --no-progress >/dev/null 2>&1
"$LLMFUSE" eval "${MODEL[@]}" --data "$T/rows.jsonl" --no-progress 2>&1 | grep -E 'bundled|backend|exact match|latency'
