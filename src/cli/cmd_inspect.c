/* cmd_inspect.c: `llmfuse inspect FILE.gguf`: prints a GGUF file's
 * metadata (arrays summarised: element type, length, first few elements)
 * and tensors (name, type, shape, offset, bytes), then the parameter count.
 * A malformed file fails with the reader's message (field and byte offset).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lm/gguf.h"

#define ARR_SHOW 8
#define STR_SHOW 80

/* Prints a string value, escaped and cut at STR_SHOW bytes. */
static void put_str(lf_gguf_str s)
{
    putchar('"');
    size_t n = (size_t)(s.len > STR_SHOW ? STR_SHOW : s.len);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
    if (s.len > STR_SHOW)
        printf("...(%" PRIu64 " bytes)", s.len);
}

static void put_scalar(const lf_gguf_kv *kv)
{
    switch (kv->type) {
    case LF_GGUF_U8: case LF_GGUF_U16: case LF_GGUF_U32: case LF_GGUF_U64:
        printf("%" PRIu64, kv->v.u);
        break;
    case LF_GGUF_I8: case LF_GGUF_I16: case LF_GGUF_I32: case LF_GGUF_I64:
        printf("%" PRId64, kv->v.i);
        break;
    case LF_GGUF_F32: case LF_GGUF_F64:
        printf("%.9g", kv->v.f);
        break;
    case LF_GGUF_BOOL:
        printf("%s", kv->v.b ? "true" : "false");
        break;
    case LF_GGUF_STRING:
        put_str(kv->v.s);
        break;
    default:
        printf("?");
    }
}

static void put_array(const lf_gguf_kv *kv)
{
    printf("[%s x %" PRIu64 "]", lf_gguf_vtype_name(kv->arr_type), kv->arr_len);
    uint64_t n = kv->arr_len < ARR_SHOW ? kv->arr_len : ARR_SHOW;
    for (uint64_t i = 0; i < n; i++) {
        printf(i ? ", " : " ");
        int64_t iv;
        double fv;
        if (kv->arr_type == LF_GGUF_STRING)
            put_str(kv->arr_strs[i]);
        else if (kv->arr_type == LF_GGUF_BOOL)
            printf("%s", kv->arr_data[i] ? "true" : "false");
        else if (!lf_gguf_arr_int(kv, i, &iv))
            printf("%" PRId64, iv);
        else if (!lf_gguf_arr_float(kv, i, &fv))
            printf("%.9g", fv);
        else
            printf("?");
    }
    if (kv->arr_len > n)
        printf(", ...");
}

int lf_cmd_inspect(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc == 2 ? stdout : stderr, "usage: llmfuse inspect FILE.gguf\n");
        return argc == 2 ? 0 : 2;
    }
    lf_gguf *g = NULL;
    lf_err err = {0};
    if (lf_gguf_open(argv[1], &g, &err)) {
        fprintf(stderr, "llmfuse inspect: %s\n", err.msg);
        return 1;
    }
    printf("%s: GGUF v%u, %zu bytes, alignment %" PRIu64 "\n", argv[1], g->version, g->map_len,
           g->alignment);
    printf("metadata (%" PRIu64 "):\n", g->n_kv);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const lf_gguf_kv *kv = &g->kv[i];
        printf("  %-40.*s %-4s ", (int)kv->key.len, kv->key.s, lf_gguf_vtype_name(kv->type));
        if (kv->type == LF_GGUF_ARRAY)
            put_array(kv);
        else
            put_scalar(kv);
        putchar('\n');
    }
    printf("tensors (%" PRIu64 "):\n", g->n_tensors);
    uint64_t params = 0, bytes = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const lf_gguf_tensor *t = &g->tensors[i];
        char shape[128];
        int k = 0;
        uint64_t nel = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            k += snprintf(shape + k, sizeof shape - (size_t)k, d ? " x %" PRIu64 : "%" PRIu64,
                          t->ne[d]);
            nel *= t->ne[d];
        }
        printf("  %-40.*s %-5s [%s] offset %" PRIu64 " bytes %" PRIu64 "\n", (int)t->name.len,
               t->name.s, lf_ggml_type_name(t->type), shape, t->offset, t->nbytes);
        params += nel;
        bytes += t->nbytes;
    }
    printf("total: %" PRIu64 " parameters, %" PRIu64 " bytes of tensor data\n", params, bytes);
    lf_gguf_close(g);
    return fflush(stdout) ? 1 : 0;
}
