/* lm_fixture.h: tiny random-weight Qwen3 models for the engine's tests,
 * written with the GGUF writer into a temp file. */
#ifndef LF_TEST_LM_FIXTURE_H
#define LF_TEST_LM_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lm/model_random.h"

/* 2 layers, dim 64, 4 heads (2 kv, head_dim 16), ffn 96 (vocab >= 258). */
static inline lf_random_spec fx_spec(lf_ggml_type type, bool tied, int vocab, uint64_t seed)
{
    lf_random_spec s = {
        .cfg = {.n_layer = 2, .n_ctx = 4096, .dim = 64, .n_ff = 96, .n_head = 4, .n_kv_head = 2,
                .head_dim = 16, .v_head_dim = 16, .vocab = vocab, .rope_theta = 10000.0f,
                .eps = 1e-6f},
        .type = type, .tied = tied, .seed = seed, .ours = true, .contract = "none",
    };
    return s;
}

/* Writes a model to a fresh temp path (caller unlinks and frees it). */
static inline char *fx_write(const lf_random_spec *s)
{
    char tmpl[] = "/tmp/lf_test_model_XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    close(fd);
    lf_err err = {0};
    if (lf_model_write_random(tmpl, s, &err)) {
        fprintf(stderr, "fx_write: %s\n", err.msg);
        unlink(tmpl);
        return NULL;
    }
    return strdup(tmpl);
}

#endif
