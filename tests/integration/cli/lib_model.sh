# lib_model.sh: what the tests on the bundled model share (sourced, not a
# test): $M, a skip without it, a temporary folder removed at exit, fail().
set -uo pipefail
M="$LF_SOURCE_ROOT/models/llmfuse.gguf"
[ -r "$M" ] || { echo "SKIP: no bundled model"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
