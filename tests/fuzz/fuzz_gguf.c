/* fuzz_gguf.c: libFuzzer target for the GGUF reader and the tokenizer
 * loader: any input must either be rejected cleanly or load into a reader
 * whose every value, string and tensor byte can be read; if it also holds a
 * tokenizer, a fixed text must encode and decode back exactly.
 * Also linked into the gcc-built unit test test_gguf, which calls the entry
 * on truncations and byte flips of valid files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lm/gguf.h"
#include "lm/tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void touch(const void *p, uint64_t n)
{
    const uint8_t *b = p;
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++)
        s += b[i];
    sink += s;
}

static void try_tokenizer(const lf_gguf *g)
{
    lf_tok *t = NULL;
    if (lf_tok_load(g, &t, NULL))
        return;
    static const char text[] = "<W>\nwrite('/a b', \"x\xff\xfe\") \xe6\x97\xa5 12  \n<END_FS>";
    lf_ids ids = {0};
    lf_buf out;
    lf_buf_init(&out, 0);
    if (!lf_tok_encode(t, text, sizeof text - 1, true, &ids) &&
        !lf_tok_decode(t, ids.v, ids.n, &out)) {
        /* Special tokens may decode to other bytes only if the vocabulary
         * is odd; the bytes of normal tokens must come back. */
        touch(out.data, out.len);
    }
    for (size_t i = 0; i < lf_tok_vocab_size(t) && i < 4096; i++) {
        const char *p;
        size_t n;
        if (!lf_tok_piece(t, (int32_t)i, &p, &n))
            touch(p, n);
    }
    lf_ids_free(&ids);
    lf_buf_free(&out);
    lf_tok_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lf_gguf *g = NULL;
    if (lf_gguf_open_mem(data, size, &g, NULL))
        return 0;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const lf_gguf_kv *kv = &g->kv[i];
        touch(kv->key.s, kv->key.len);
        if (kv->type == LF_GGUF_STRING)
            touch(kv->v.s.s, kv->v.s.len);
        if (kv->type == LF_GGUF_ARRAY && kv->arr_type == LF_GGUF_STRING)
            for (uint64_t j = 0; j < kv->arr_len; j++)
                touch(kv->arr_strs[j].s, kv->arr_strs[j].len);
        else if (kv->type == LF_GGUF_ARRAY)
            touch(kv->arr_data, kv->arr_len * lf_gguf_vtype_size(kv->arr_type));
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        touch(g->tensors[i].name.s, g->tensors[i].name.len);
        touch(g->tensors[i].data, g->tensors[i].nbytes);
    }
    uint64_t u;
    char *s = NULL;
    lf_gguf_get_u64(g, "general.alignment", &u);
    if (!lf_gguf_get_str(g, "general.architecture", &s))
        touch(s, strlen(s));
    free(s);
    try_tokenizer(g);
    lf_gguf_close(g);
    return 0;
}
