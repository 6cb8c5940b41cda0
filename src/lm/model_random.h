/* model_random.h: Qwen3 GGUF files with random weights (uniform, scaled so
 * activations keep unit size; norm weights around 1; nothing zero) and a
 * synthetic byte-level BPE vocabulary that our tokenizer and llama.cpp both
 * load. For tests and benchmarks only. */
#ifndef LF_LM_MODEL_RANDOM_H
#define LF_LM_MODEL_RANDOM_H

#include <stdbool.h>
#include <stdint.h>

#include "lm/model.h"
#include "util/err.h"

typedef struct lf_random_spec {
    lf_model_cfg cfg;      /* every field used; vocab >= 258 */
    lf_ggml_type type;     /* matrices: F32, F16, BF16 or Q8_0 (norms are F32) */
    bool tied;             /* no output.weight */
    uint64_t seed;
    bool ours;             /* write llmfuse.protocol = 1 and llmfuse.contract */
    const char *contract;  /* with ours: "none" (default) or "seed" */
} lf_random_spec;

/* Writes the model to path (crash-safe replace). Returns 0 or a negative
 * errno with err set. */
int lf_model_write_random(const char *path, const lf_random_spec *s, lf_err *err);

#endif
