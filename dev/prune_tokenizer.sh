#!/bin/bash
# prune_tokenizer.sh: leaves out of the bundled model's tokenizer, and of
# models/tokenizer.gguf (which training reads), the merges that the model's
# training data never makes (`llmfuse tokenizer prune --min 1`; docs/MODEL.md
# "A pruned tokenizer"). The corpus is 600 episodes of oracle data, half
# drawn as the default generator processes of training draw them, half as
# the heavy ones, encoded as training encodes them. A second run leaves out
# nothing more.
#   bash dev/prune_tokenizer.sh [LLMFUSE]
set -euo pipefail
cd "$(dirname "$0")/.."
L=$(realpath "${1:-build/llmfuse}")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
W=mkdir=14,touch=12,write=24,read=10,rm=10,rmdir=10,chmod=8,chown=8,ls=8,readlink=6,truncate=20,rename=12,symlink=6,append=12,cp=6,rmr=3,pwrite=16,hole=14
"$L" gen --oracle --seed 999 --episodes 300 --steps 64 --out "$T/d.jsonl" --no-progress > /dev/null
"$L" gen --oracle --seed 998 --episodes 300 --steps 64 --weights "$W" --nonempty 50 \
    --out "$T/h.jsonl" --no-progress > /dev/null
"$L" tokenizer prune --model models/llmfuse.gguf --data "$T/d.jsonl,$T/h.jsonl" --min 1 \
    --out models/llmfuse.gguf
"$L" tokenizer prune --model models/tokenizer.gguf --content-bytes --data "$T/d.jsonl,$T/h.jsonl" \
    --min 1 --out models/tokenizer.gguf
