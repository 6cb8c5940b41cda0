/* test_gguf.c: GGUF write -> read round trip of every metadata and tensor
 * type, hand-made malformed files, every truncation and random byte flips
 * of valid files (through the fuzz entry, tests/fuzz/fuzz_gguf.c), and the
 * fp16/bf16/Q8_0 conversions against known values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lm/gguf.h"
#include "lm/quant.h"
#include "util/buf.h"
#include "util/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmpdir[] = "/tmp/lf_test_gguf_XXXXXX";

static int setup(void **st)
{
    (void)st;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static float rndf(void) { return ((float)(rnd() % 20001) - 10000.0f) / 1000.0f; }

/* Builds a file with every metadata type and the four tensor types. */
static void build(lf_gguf_writer *w, uint32_t align, float *f32, uint16_t *f16, uint16_t *bf16,
                  uint8_t *q8)
{
    uint8_t u8 = 200;
    int8_t i8 = -100;
    uint16_t u16 = 60000;
    int16_t i16 = -30000;
    int64_t i64 = -((int64_t)1 << 40);
    double f64 = 3.141592653589793;
    uint8_t b = 1;
    if (align)
        assert_int_equal(lf_gguf_set_u32(w, "general.alignment", align), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.u8", LF_GGUF_U8, &u8), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.i8", LF_GGUF_I8, &i8), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.u16", LF_GGUF_U16, &u16), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.i16", LF_GGUF_I16, &i16), 0);
    assert_int_equal(lf_gguf_set_u32(w, "t.u32", 4000000000u), 0);
    assert_int_equal(lf_gguf_set_i32(w, "t.i32", -2000000000), 0);
    assert_int_equal(lf_gguf_set_f32(w, "t.f32", 1.5f), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.bool", LF_GGUF_BOOL, &b), 0);
    assert_int_equal(lf_gguf_set_str(w, "general.architecture", "qwen3"), 0);
    assert_int_equal(lf_gguf_set_u64(w, "t.u64", UINT64_MAX - 5), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.i64", LF_GGUF_I64, &i64), 0);
    assert_int_equal(lf_gguf_set_raw(w, "t.f64", LF_GGUF_F64, &f64), 0);
    assert_int_equal(lf_gguf_set_bool(w, "t.false", false), 0);
    const char *strs[] = {"a", "", "Ġhello", "日本"};
    assert_int_equal(lf_gguf_set_arr_str(w, "t.astr", strs, NULL, 4), 0);
    size_t lens[] = {3};
    const char *bin[] = {"x\0y"};
    assert_int_equal(lf_gguf_set_arr_str(w, "t.abin", bin, lens, 1), 0);
    int32_t ai[] = {-1, 0, 7, INT32_MAX};
    assert_int_equal(lf_gguf_set_arr_i32(w, "t.ai32", ai, 4), 0);
    float af[] = {0.5f, -2.0f};
    assert_int_equal(lf_gguf_set_arr_f32(w, "t.af32", af, 2), 0);
    for (int t = LF_GGUF_U8; t <= LF_GGUF_F64; t++) {
        if (t == LF_GGUF_STRING || t == LF_GGUF_ARRAY)
            continue;
        uint8_t raw[3 * 8];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = t == LF_GGUF_BOOL ? (uint8_t)(i & 1) : (uint8_t)(i * 7 + (unsigned)t);
        char key[32];
        snprintf(key, sizeof key, "arr.%s", lf_gguf_vtype_name((lf_gguf_vtype)t));
        assert_int_equal(lf_gguf_set_arr_raw(w, key, (lf_gguf_vtype)t, raw, 3), 0);
    }
    assert_int_equal(lf_gguf_set_arr_i32(w, "t.empty", NULL, 0), 0);
    /* duplicates and bad values are refused */
    assert_int_equal(lf_gguf_set_u32(w, "t.u32", 1), -EEXIST);
    assert_int_equal(lf_gguf_set_u32(w, "general.alignment", 48), -EINVAL);
    assert_int_equal(lf_gguf_set_u32(w, "general.alignment", 128), align ? -EEXIST : 0);

    for (int i = 0; i < 3 * 64; i++)
        f32[i] = rndf();
    lf_fp32_to_fp16_row(f32, f16, 3 * 64);
    lf_fp32_to_bf16_row(f32, bf16, 3 * 64);
    assert_int_equal(lf_q8_0_quantize_row(f32, q8, 3 * 64), 0);
    uint64_t ne2[] = {64, 3}, ne1[] = {5}, ne4[] = {64, 1, 3, 1};
    assert_int_equal(lf_gguf_add_tensor(w, "w.f32", LF_GGML_F32, 2, ne2, f32), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "w.f16", LF_GGML_F16, 2, ne2, f16), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "w.small", LF_GGML_F32, 1, ne1, f32), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "w.bf16", LF_GGML_BF16, 4, ne4, bf16), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "w.q8", LF_GGML_Q8_0, 2, ne2, q8), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "w.q8", LF_GGML_F32, 1, ne1, f32), -EEXIST);
    uint64_t bad[] = {33};
    assert_int_equal(lf_gguf_add_tensor(w, "w.badq", LF_GGML_Q8_0, 1, bad, q8), -EINVAL);
}

static void check(const lf_gguf *g, uint32_t align, const float *f32, const uint16_t *f16,
                  const uint16_t *bf16, const uint8_t *q8)
{
    uint64_t u;
    float f;
    bool b;
    char *s;
    const lf_gguf_kv *kv;
    assert_int_equal(g->version, 3);
    assert_int_equal(g->alignment, align ? align : 128);
    assert_int_equal(lf_gguf_get_u64(g, "t.u8", &u), 0);
    assert_int_equal(u, 200);
    assert_int_equal(lf_gguf_find(g, "t.i8")->v.i, -100);
    assert_int_equal(lf_gguf_find(g, "t.u16")->v.u, 60000);
    assert_int_equal(lf_gguf_find(g, "t.i16")->v.i, -30000);
    assert_int_equal(lf_gguf_get_u64(g, "t.u32", &u), 0);
    assert_int_equal(u, 4000000000u);
    assert_int_equal(lf_gguf_get_u64(g, "t.i32", &u), -EINVAL);   /* negative */
    assert_int_equal(lf_gguf_find(g, "t.i32")->v.i, -2000000000);
    assert_int_equal(lf_gguf_get_f32(g, "t.f32", &f), 0);
    assert_true(f == 1.5f);
    assert_int_equal(lf_gguf_get_bool(g, "t.bool", &b), 0);
    assert_true(b);
    assert_int_equal(lf_gguf_get_bool(g, "t.false", &b), 0);
    assert_false(b);
    assert_int_equal(lf_gguf_get_str(g, "general.architecture", &s), 0);
    assert_string_equal(s, "qwen3");
    free(s);
    assert_int_equal(lf_gguf_get_str(g, "t.u8", &s), -EINVAL);
    assert_int_equal(lf_gguf_get_str(g, "nope", &s), -ENOENT);
    assert_int_equal(lf_gguf_get_u64(g, "t.u64", &u), 0);
    assert_true(u == UINT64_MAX - 5);
    assert_true(lf_gguf_find(g, "t.i64")->v.i == -((int64_t)1 << 40));
    assert_int_equal(lf_gguf_get_f32(g, "t.f64", &f), 0);
    assert_true(lf_gguf_find(g, "t.f64")->v.f == 3.141592653589793);
    assert_int_equal(lf_gguf_get_arr(g, "t.astr", LF_GGUF_STRING, &kv), 0);
    assert_int_equal(kv->arr_len, 4);
    assert_int_equal(kv->arr_strs[1].len, 0);
    assert_memory_equal(kv->arr_strs[2].s, "Ġhello", strlen("Ġhello"));
    assert_memory_equal(kv->arr_strs[3].s, "日本", strlen("日本"));
    assert_int_equal(lf_gguf_get_arr(g, "t.abin", LF_GGUF_STRING, &kv), 0);
    assert_int_equal(kv->arr_strs[0].len, 3);
    assert_memory_equal(kv->arr_strs[0].s, "x\0y", 3);
    assert_int_equal(lf_gguf_get_arr(g, "t.ai32", LF_GGUF_I32, &kv), 0);
    int64_t iv;
    assert_int_equal(lf_gguf_arr_int(kv, 0, &iv), 0);
    assert_int_equal(iv, -1);
    assert_int_equal(lf_gguf_arr_int(kv, 3, &iv), 0);
    assert_int_equal(iv, INT32_MAX);
    assert_int_equal(lf_gguf_arr_int(kv, 4, &iv), -EINVAL);
    assert_int_equal(lf_gguf_get_arr(g, "t.af32", LF_GGUF_I32, &kv), -EINVAL);
    assert_int_equal(lf_gguf_get_arr(g, "t.af32", LF_GGUF_F32, &kv), 0);
    double dv;
    assert_int_equal(lf_gguf_arr_float(kv, 1, &dv), 0);
    assert_true(dv == -2.0);
    for (int t = LF_GGUF_U8; t <= LF_GGUF_F64; t++) {
        if (t == LF_GGUF_STRING || t == LF_GGUF_ARRAY)
            continue;
        uint8_t raw[3 * 8];
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = t == LF_GGUF_BOOL ? (uint8_t)(i & 1) : (uint8_t)(i * 7 + (unsigned)t);
        char key[32];
        snprintf(key, sizeof key, "arr.%s", lf_gguf_vtype_name((lf_gguf_vtype)t));
        assert_int_equal(lf_gguf_get_arr(g, key, (lf_gguf_vtype)t, &kv), 0);
        assert_int_equal(kv->arr_len, 3);
        assert_memory_equal(kv->arr_data, raw, 3 * lf_gguf_vtype_size((lf_gguf_vtype)t));
    }
    assert_int_equal(lf_gguf_get_arr(g, "t.empty", LF_GGUF_I32, &kv), 0);
    assert_int_equal(kv->arr_len, 0);

    assert_int_equal(g->n_tensors, 5);
    const lf_gguf_tensor *t = lf_gguf_tensor_find(g, "w.f32");
    assert_non_null(t);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 64);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->nbytes, 3 * 64 * 4);
    assert_memory_equal(t->data, f32, 3 * 64 * 4);
    t = lf_gguf_tensor_find(g, "w.f16");
    assert_int_equal(t->type, LF_GGML_F16);
    assert_memory_equal(t->data, f16, 3 * 64 * 2);
    t = lf_gguf_tensor_find(g, "w.small");
    assert_int_equal(t->nbytes, 20);
    assert_memory_equal(t->data, f32, 20);
    t = lf_gguf_tensor_find(g, "w.bf16");
    assert_int_equal(t->n_dims, 4);
    assert_int_equal(t->ne[2], 3);
    assert_memory_equal(t->data, bf16, 3 * 64 * 2);
    t = lf_gguf_tensor_find(g, "w.q8");
    assert_int_equal(t->type, LF_GGML_Q8_0);
    assert_int_equal(t->nbytes, 3 * 2 * 34);
    assert_memory_equal(t->data, q8, 3 * 2 * 34);
    assert_null(lf_gguf_tensor_find(g, "w.none"));
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        assert_int_equal(g->tensors[i].offset % g->alignment, 0);
        assert_int_equal(((const uint8_t *)g->tensors[i].data - g->map) % g->alignment, 0);
    }
}

static void roundtrip(uint32_t align)
{
    float f32[3 * 64];
    uint16_t f16[3 * 64], bf16[3 * 64];
    uint8_t q8[6 * 34];
    lf_gguf_writer *w = lf_gguf_writer_new();
    assert_non_null(w);
    build(w, align, f32, f16, bf16, q8);
    char path[128];
    snprintf(path, sizeof path, "%s/rt%u.gguf", tmpdir, align);
    lf_err err = {0};
    assert_int_equal(lf_gguf_write(w, "/nonexistent-dir/x.gguf", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.gguf"));
    assert_int_equal(lf_gguf_write(w, path, &err), 0);
    assert_int_equal(lf_gguf_write(w, path, &err), 0);   /* replaces it */
    lf_gguf_writer_free(w);
    lf_gguf *g = NULL;
    assert_int_equal(lf_gguf_open(path, &g, &err), 0);
    check(g, align, f32, f16, bf16, q8);

    /* copy every kv into a second file: it reads back the same */
    w = lf_gguf_writer_new();
    assert_int_equal(lf_gguf_copy_kvs(w, g, ""), 0);
    assert_int_equal(lf_gguf_copy_kvs(w, g, "t."), -EEXIST);
    snprintf(path, sizeof path, "%s/copy%u.gguf", tmpdir, align);
    assert_int_equal(lf_gguf_write(w, path, &err), 0);
    lf_gguf_writer_free(w);
    lf_gguf *g2 = NULL;
    assert_int_equal(lf_gguf_open(path, &g2, &err), 0);
    assert_int_equal(g2->n_kv, g->n_kv);
    assert_int_equal(g2->n_tensors, 0);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const lf_gguf_kv *a = &g->kv[i], *b = &g2->kv[i];
        assert_int_equal(a->key.len, b->key.len);
        assert_memory_equal(a->key.s, b->key.s, a->key.len);
        assert_int_equal(a->type, b->type);
        assert_true(a->v.u == b->v.u || a->type == LF_GGUF_STRING || a->type == LF_GGUF_ARRAY);
    }
    lf_gguf_close(g2);
    lf_gguf_close(g);
}

static void test_roundtrip(void **st)
{
    (void)st;
    roundtrip(0);
    roundtrip(64);
}

/* A valid file image in memory. */
static void valid_image(lf_buf *img, uint32_t align)
{
    float f32[3 * 64];
    uint16_t f16[3 * 64], bf16[3 * 64];
    uint8_t q8[6 * 34];
    lf_gguf_writer *w = lf_gguf_writer_new();
    build(w, align, f32, f16, bf16, q8);
    char path[128];
    snprintf(path, sizeof path, "%s/img.gguf", tmpdir);
    assert_int_equal(lf_gguf_write(w, path, NULL), 0);
    lf_gguf_writer_free(w);
    lf_buf_init(img, 0);
    assert_int_equal(lf_file_read(path, 1 << 20, img, NULL), 0);
}

static void test_truncations(void **st)
{
    (void)st;
    lf_buf img;
    valid_image(&img, 0);
    lf_gguf *g = NULL;
    assert_int_equal(lf_gguf_open_mem(img.data, img.len, &g, NULL), 0);
    size_t data_end = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        size_t e = (size_t)((const uint8_t *)g->tensors[i].data - g->map + g->tensors[i].nbytes);
        data_end = e > data_end ? e : data_end;
    }
    lf_gguf_close(g);
    for (size_t n = 0; n < img.len; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past it */
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, img.data, n);
        lf_err err = {0};
        int rc = lf_gguf_open_mem(p, n, &g, &err);
        if (n < data_end) {
            assert_int_equal(rc, -EINVAL);
            assert_true(strlen(err.msg) > 0);
        }
        lf_gguf_close(g);
        LLVMFuzzerTestOneInput(p, n);
        free(p);
    }
    lf_buf_free(&img);
}

static void test_flips(void **st)
{
    (void)st;
    lf_buf img;
    valid_image(&img, 0);
    uint8_t *p = malloc(img.len);
    int loaded = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(p, img.data, img.len);
        int k = 1 + (int)(rnd() % 4);
        for (int j = 0; j < k; j++) {
            size_t at = rnd() % (round % 2 ? img.len : 400);   /* half in the header */
            p[at] = (uint8_t)(round % 3 ? rnd() : p[at] ^ (1u << (rnd() % 8)));
        }
        lf_gguf *g = NULL;
        if (!lf_gguf_open_mem(p, img.len, &g, NULL))
            loaded++;
        lf_gguf_close(g);
        LLVMFuzzerTestOneInput(p, img.len);
    }
    assert_true(loaded > 0);   /* flips in tensor data still load */
    free(p);
    lf_buf_free(&img);
}

/* Appends little-endian fields to a hand-made image. */
static void u32(lf_buf *b, uint32_t v) { lf_buf_append(b, &v, 4); }
static void u64(lf_buf *b, uint64_t v) { lf_buf_append(b, &v, 8); }
static void str(lf_buf *b, const char *s)
{
    u64(b, strlen(s));
    lf_buf_append(b, s, strlen(s));
}

static void header(lf_buf *b, uint64_t nt, uint64_t nkv)
{
    lf_buf_init(b, 0);
    lf_buf_append(b, "GGUF", 4);
    u32(b, 3);
    u64(b, nt);
    u64(b, nkv);
}

static void tensor_info(lf_buf *b, const char *name, uint64_t ne0, uint32_t type, uint64_t off)
{
    str(b, name);
    u32(b, 1);
    u64(b, ne0);
    u32(b, type);
    u64(b, off);
}

static void pad_to(lf_buf *b, size_t a, size_t extra)
{
    while (b->len % a)
        lf_buf_putc(b, 0);
    for (size_t i = 0; i < extra; i++)
        lf_buf_putc(b, 1);
}

static void expect_bad(lf_buf *b, const char *needle)
{
    lf_gguf *g = NULL;
    lf_err err = {0};
    int rc = lf_gguf_open_mem(b->data, b->len, &g, &err);
    if (rc != -EINVAL || !strstr(err.msg, needle))
        fail_msg("want -EINVAL with '%s', got %d '%s'", needle, rc, err.msg);
    assert_null(g);
    lf_buf_free(b);
}

static void test_malformed(void **st)
{
    (void)st;
    lf_buf b;
    lf_buf_init(&b, 0);
    lf_buf_append(&b, "GGUX\3\0\0\0", 8);
    u64(&b, 0);
    u64(&b, 0);
    expect_bad(&b, "magic");
    header(&b, 0, 0);
    ((uint8_t *)b.data)[4] = 4;
    expect_bad(&b, "version");
    header(&b, 0, UINT64_MAX);
    expect_bad(&b, "kv count");
    header(&b, UINT64_MAX / 2, 0);
    expect_bad(&b, "tensor count");
    header(&b, 0, 1);
    u64(&b, UINT64_MAX);   /* key length */
    u64(&b, 0);
    expect_bad(&b, "kv 0 key");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_STRING);
    u64(&b, 1000);         /* string past the end */
    expect_bad(&b, "kv 'k'");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, 13);
    expect_bad(&b, "unknown value type");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_ARRAY);
    u32(&b, LF_GGUF_ARRAY);
    u64(&b, 0);
    expect_bad(&b, "array element type");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_ARRAY);
    u32(&b, LF_GGUF_U64);
    u64(&b, (UINT64_MAX / 8) + 2);   /* count * 8 overflows */
    expect_bad(&b, "elements");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_ARRAY);
    u32(&b, LF_GGUF_STRING);
    u64(&b, 1u << 30);
    expect_bad(&b, "strings cannot fit");
    header(&b, 0, 2);
    str(&b, "k");
    u32(&b, LF_GGUF_U8);
    lf_buf_putc(&b, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_U8);
    lf_buf_putc(&b, 2);
    expect_bad(&b, "duplicate key 'k'");
    header(&b, 0, 1);
    str(&b, "general.alignment");
    u32(&b, LF_GGUF_U32);
    u32(&b, 48);
    expect_bad(&b, "general.alignment");
    header(&b, 0, 1);
    str(&b, "k");
    u32(&b, LF_GGUF_BOOL);
    lf_buf_putc(&b, 2);
    expect_bad(&b, "bool");
    header(&b, 1, 0);
    str(&b, "t");
    u32(&b, 5);
    u64(&b, 0);
    u64(&b, 0);
    expect_bad(&b, "n_dims 5");
    header(&b, 1, 0);
    tensor_info(&b, "t", 8, 99, 0);
    expect_bad(&b, "unsupported tensor type 99");
    header(&b, 1, 0);
    tensor_info(&b, "t", 33, LF_GGML_Q8_0, 0);
    expect_bad(&b, "multiple");
    header(&b, 1, 0);
    tensor_info(&b, "t", 8, LF_GGML_F32, 16);
    pad_to(&b, 32, 64);
    expect_bad(&b, "alignment");
    header(&b, 1, 0);
    tensor_info(&b, "t", 8, LF_GGML_F32, 0);
    pad_to(&b, 32, 31);   /* needs 32 bytes */
    expect_bad(&b, "past the end");
    header(&b, 1, 0);
    tensor_info(&b, "t", (uint64_t)1 << 61, LF_GGML_F32, 0);
    pad_to(&b, 32, 64);
    expect_bad(&b, "past the end");
    header(&b, 2, 0);
    tensor_info(&b, "a", 16, LF_GGML_F32, 0);
    tensor_info(&b, "b", 16, LF_GGML_F32, 32);
    pad_to(&b, 32, 128);
    expect_bad(&b, "overlap");
    header(&b, 2, 0);
    tensor_info(&b, "a", 8, LF_GGML_F32, 0);
    tensor_info(&b, "a", 8, LF_GGML_F32, 32);
    pad_to(&b, 32, 64);
    expect_bad(&b, "duplicate tensor 'a'");

    /* A minimal valid file and an empty one load. */
    header(&b, 1, 0);
    tensor_info(&b, "a", 8, LF_GGML_F32, 0);
    pad_to(&b, 32, 32);
    lf_gguf *g = NULL;
    assert_int_equal(lf_gguf_open_mem(b.data, b.len, &g, NULL), 0);
    assert_int_equal(g->tensors[0].nbytes, 32);
    lf_gguf_close(g);
    lf_buf_free(&b);
    header(&b, 0, 0);
    assert_int_equal(lf_gguf_open_mem(b.data, b.len, &g, NULL), 0);
    lf_gguf_close(g);
    lf_buf_free(&b);
    lf_err err = {0};
    assert_int_equal(lf_gguf_open("/nonexistent/x.gguf", &g, &err), -ENOENT);
}

static float bits_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void test_fp16(void **st)
{
    (void)st;
    static const struct { float f; uint16_t h; } tab[] = {
        {0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f, 0x3c00}, {-2.0f, 0xc000}, {0.5f, 0x3800},
        {65504.0f, 0x7bff}, {65519.0f, 0x7bff}, {65520.0f, 0x7c00}, {1e6f, 0x7c00},
        {-1e6f, 0xfc00}, {0.1f, 0x2e66}, {1.0f / 3.0f, 0x3555}, {6.103515625e-05f, 0x0400},
        {5.960464477539063e-08f, 0x0001}, {2.98023223876953125e-08f, 0x0000},
        {8.940696716308594e-08f, 0x0002}, /* 1.5 * 2^-24: tie -> even */
        {1.00048828125f, 0x3c00},          /* 1 + 2^-11: tie -> even (down) */
        {1.00146484375f, 0x3c02},          /* 1 + 3 * 2^-11: tie -> even (up) */
        {6.097555160522461e-05f, 0x03ff},  /* largest subnormal */
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (lf_fp32_to_fp16(tab[i].f) != tab[i].h)
            fail_msg("fp16(%.10g) = 0x%04x, want 0x%04x", tab[i].f, lf_fp32_to_fp16(tab[i].f),
                     tab[i].h);
    }
    assert_int_equal(lf_fp32_to_fp16(INFINITY), 0x7c00);
    uint16_t nan = lf_fp32_to_fp16(NAN);
    assert_true((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff));
    assert_true(lf_fp16_to_fp32(0x3c00) == 1.0f);
    assert_true(lf_fp16_to_fp32(0x7bff) == 65504.0f);
    assert_true(lf_fp16_to_fp32(0x0001) == 5.960464477539063e-08f);
    assert_true(lf_fp16_to_fp32(0x03ff) == 6.097555160522461e-05f);
    assert_true(lf_fp16_to_fp32(0x8000) == 0.0f && signbit(lf_fp16_to_fp32(0x8000)));
    assert_true(isinf(lf_fp16_to_fp32(0xfc00)) && lf_fp16_to_fp32(0xfc00) < 0);
    assert_true(isnan(lf_fp16_to_fp32(0x7e00)));
    /* every finite half converts to fp32 and back exactly */
    for (uint32_t h = 0; h < 0x10000; h++)
        if ((h & 0x7c00) != 0x7c00)
            assert_int_equal(lf_fp32_to_fp16(lf_fp16_to_fp32((uint16_t)h)), h);
}

static void test_bf16(void **st)
{
    (void)st;
    assert_int_equal(lf_fp32_to_bf16(1.0f), 0x3f80);
    assert_int_equal(lf_fp32_to_bf16(-2.0f), 0xc000);
    assert_int_equal(lf_fp32_to_bf16(3.14159265f), 0x4049);
    assert_int_equal(lf_fp32_to_bf16(bits_f(0x3f808000)), 0x3f80);   /* tie -> even (down) */
    assert_int_equal(lf_fp32_to_bf16(bits_f(0x3f818000)), 0x3f82);   /* tie -> even (up) */
    assert_int_equal(lf_fp32_to_bf16(bits_f(0x3f808001)), 0x3f81);   /* above the tie */
    assert_int_equal(lf_fp32_to_bf16(bits_f(0x7f7fffff)), 0x7f80);   /* rounds to inf */
    assert_int_equal(lf_fp32_to_bf16(INFINITY), 0x7f80);
    uint16_t nan = lf_fp32_to_bf16(bits_f(0x7f800001));   /* signalling NaN stays NaN */
    assert_true((nan & 0x7f80) == 0x7f80 && (nan & 0x7f));
    assert_true(lf_bf16_to_fp32(0x3f80) == 1.0f);
    assert_true(lf_bf16_to_fp32(0xc049) == -3.140625f);
    for (uint32_t h = 0; h < 0x10000; h++)
        if ((h & 0x7f80) != 0x7f80)
            assert_int_equal(lf_fp32_to_bf16(lf_bf16_to_fp32((uint16_t)h)), h);
}

static void test_q8_0(void **st)
{
    (void)st;
    float x[64], y[64];
    uint8_t q[2 * 34];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16);
    for (int j = 32; j < 64; j++)
        x[j] = 0.0f;
    assert_int_equal(lf_q8_0_quantize_row(x, q, 64), 0);
    uint16_t d;
    memcpy(&d, q, 2);
    assert_int_equal(d, lf_fp32_to_fp16(16.0f / 127.0f));
    assert_int_equal((int8_t)q[2], -127);        /* x = -16 */
    assert_int_equal((int8_t)q[2 + 16], 0);      /* x = 0 */
    assert_int_equal((int8_t)q[2 + 31], 119);    /* x = 15: round(119.06) */
    assert_int_equal((int8_t)q[2 + 17], 8);      /* x = 1: round(7.94) */
    memcpy(&d, q + 34, 2);
    assert_int_equal(d, 0);                      /* all-zero block */
    for (int j = 0; j < 32; j++)
        assert_int_equal(q[34 + 2 + j], 0);
    assert_int_equal(lf_q8_0_dequantize_row(q, y, 64), 0);
    assert_true(y[0] == lf_fp16_to_fp32(lf_fp32_to_fp16(16.0f / 127.0f)) * -127.0f);
    assert_true(y[40] == 0.0f);
    assert_int_equal(lf_q8_0_quantize_row(x, q, 33), -EINVAL);
    /* random rows: error within half a step (plus the fp16 rounding of d) */
    for (int r = 0; r < 100; r++) {
        for (int j = 0; j < 64; j++)
            x[j] = rndf() * (float)(1 + r);
        lf_q8_0_quantize_row(x, q, 64);
        lf_q8_0_dequantize_row(q, y, 64);
        for (int b = 0; b < 2; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++)
                amax = fmaxf(amax, fabsf(x[b * 32 + j]));
            float dd = amax / 127.0f;
            for (int j = 0; j < 32; j++)
                assert_true(fabsf(x[b * 32 + j] - y[b * 32 + j]) <= dd * 0.57f + 1e-6f);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),   cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_flips),       cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_fp16),        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_q8_0),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
