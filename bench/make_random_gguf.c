/* make_random_gguf.c: writes a random-weight Qwen3 GGUF for the engine
 * benchmarks (bench/lm_bench.sh): presets "10m" (8 layers, dim 256, 4 heads,
 * 2 kv heads, ffn 1024, vocab 8192) and "0.6b" (Qwen3-0.6B's shape: 28
 * layers, dim 1024, 16 heads, 8 kv heads, head_dim 128, ffn 3072, vocab
 * 151936), in F16, BF16, Q8_0 or F32; the synthetic tokenizer metadata
 * loads in llama.cpp too.
 *   make_random_gguf PRESET TYPE OUT.gguf */
#include <stdio.h>
#include <string.h>

#include "lm/model_random.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: make_random_gguf 10m|0.6b f16|bf16|q8_0|f32 OUT.gguf\n");
        return 2;
    }
    lf_random_spec s = {.tied = true, .seed = 1, .ours = true, .contract = "none"};
    if (!strcmp(argv[1], "10m"))
        s.cfg = (lf_model_cfg){.n_layer = 8, .n_ctx = 2048, .dim = 256, .n_ff = 1024, .n_head = 4,
                               .n_kv_head = 2, .head_dim = 64, .v_head_dim = 64, .vocab = 8192,
                               .rope_theta = 1e6f, .eps = 1e-6f};
    else if (!strcmp(argv[1], "0.6b"))
        s.cfg = (lf_model_cfg){.n_layer = 28, .n_ctx = 4096, .dim = 1024, .n_ff = 3072,
                               .n_head = 16, .n_kv_head = 8, .head_dim = 128, .v_head_dim = 128,
                               .vocab = 151936, .rope_theta = 1e6f, .eps = 1e-6f};
    else {
        fprintf(stderr, "make_random_gguf: unknown preset %s\n", argv[1]);
        return 2;
    }
    if (!strcmp(argv[2], "f16"))
        s.type = LF_GGML_F16;
    else if (!strcmp(argv[2], "bf16"))
        s.type = LF_GGML_BF16;
    else if (!strcmp(argv[2], "q8_0"))
        s.type = LF_GGML_Q8_0;
    else if (!strcmp(argv[2], "f32"))
        s.type = LF_GGML_F32;
    else {
        fprintf(stderr, "make_random_gguf: unknown type %s\n", argv[2]);
        return 2;
    }
    lf_err err = {0};
    if (lf_model_write_random(argv[3], &s, &err)) {
        fprintf(stderr, "make_random_gguf: %s\n", err.msg);
        return 1;
    }
    return 0;
}
