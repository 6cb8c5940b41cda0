# lib_train.sh: what the train_* tests share (sourced, not a test): a
# temporary folder removed at exit, fail(), and a small BPE tokenizer
# trained on the seed set at $tmp/tok.gguf.
set -uo pipefail
[ -r "${SEED_EVAL:-}" ] || { echo "SKIP: no seed set at ${SEED_EVAL:-(unset)}"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$LLMFUSE" tokenizer train --data "$SEED_EVAL" --vocab 600 --out "$tmp/tok.gguf" >"$tmp/log" 2>&1 ||
    fail "tokenizer train: $(tail -n 3 "$tmp/log")"
