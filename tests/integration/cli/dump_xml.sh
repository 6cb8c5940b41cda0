#!/usr/bin/env bash
# dump_xml.sh: `llmfuse dump-xml DIR` on a small real tree: the exact
# canonical line (bodies escaped or base64, a symlink, set-ID modes, children
# sorted bytewise), a FIFO skipped with a warning, error and usage exits, and
# (where python3 is present) byte-equality with ElementTree's own
# serialisation of the parsed output, the original's serialiser.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d="$tmp/root"
mkdir -p "$d/docs/empty"
printf 'hello world\n' > "$d/a.txt"
printf 'a -> <b> & "q"' > "$d/docs/x.rs"
printf '\x00\x01' > "$d/docs/bin"
: > "$d/docs/zero"
ln -s ../a.txt "$d/docs/link"
mkfifo "$d/fifo"
printf 'caf\xc3\xa9' > "$d/Z"
chmod 755 "$d" "$d/docs/empty"; chmod 4755 "$d/docs"
chmod 644 "$d/a.txt" "$d/docs/bin" "$d/docs/zero" "$d/Z"; chmod 600 "$d/docs/x.rs"

u=$(id -un 2>/dev/null || id -u); g=$(id -gn 2>/dev/null || id -g)
og="owner=\"$u\" group=\"$g\""
dm='mtime="2025-01-01T00:00:00"'; fm='mtime="2025-01-01T00:00:01"'
want="<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" $og $dm>\
<file path=\"Z\" name=\"Z\" mode=\"644\" $og $fm size=\"5\"><body>café</body></file>\
<file path=\"a.txt\" name=\"a.txt\" mode=\"644\" $og $fm size=\"12\"><body>hello world
</body></file>\
<directory path=\"docs\" name=\"docs\" mode=\"4755\" $og $dm>\
<file path=\"docs/bin\" name=\"bin\" mode=\"644\" $og $fm size=\"2\"><body encoding=\"base64\">AAE=</body></file>\
<directory path=\"docs/empty\" name=\"empty\" mode=\"755\" $og $dm />\
<symlink path=\"docs/link\" name=\"link\" mode=\"777\" $og $dm target=\"../a.txt\" />\
<file path=\"docs/x.rs\" name=\"x.rs\" mode=\"600\" $og $fm size=\"14\"><body>a -&gt; &lt;b&gt; &amp; \"q\"</body></file>\
<file path=\"docs/zero\" name=\"zero\" mode=\"644\" $og $fm size=\"0\"><body /></file>\
</directory></directory></filesystem>"

"$LLMFUSE" dump-xml "$d" > "$tmp/out" 2> "$tmp/err"
printf '%s\n' "$want" > "$tmp/want"
if ! cmp -s "$tmp/out" "$tmp/want"; then
    echo "FAIL: output differs"; diff "$tmp/want" "$tmp/out" || true; exit 1
fi
grep -q 'skipping fifo' "$tmp/err" || { cat "$tmp/err"; echo "FAIL: no warning for the FIFO"; exit 1; }

# --protocol-ids: the caller's entries carry the root's names too
"$LLMFUSE" dump-xml --protocol-ids "$d" 2>/dev/null | cmp -s - "$tmp/want" || { echo "FAIL: --protocol-ids"; exit 1; }

if command -v python3 > /dev/null; then
    # without the base64 body (a fix of ours) the line must be ElementTree's
    rm "$d/docs/bin"
    "$LLMFUSE" dump-xml "$d" 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
s = sys.stdin.read()[:-1]
t = ET.tostring(ET.fromstring(s), encoding="unicode")
sys.exit(0 if t == s else "FAIL: ElementTree serialises differently:\n%s\n%s" % (s, t))'
fi

rc=0; "$LLMFUSE" dump-xml "$tmp/missing" > /dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: missing dir exit $rc"; exit 1; }
rc=0; "$LLMFUSE" dump-xml > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: usage exit $rc"; exit 1; }
echo ok
