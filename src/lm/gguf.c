/* gguf.c: GGUF v3 reader (bounds-checked, over a read-only map) and the
 * small type table shared with the writer (gguf_write.c).
 *
 * Layout (ggml docs/gguf.md): header {magic "GGUF", u32 version, u64
 * n_tensors, u64 n_kv}, n_kv key/values {str key, u32 type, value}, n_tensors
 * tensor infos {str name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset},
 * padding to the alignment, then the data section; tensor offsets are
 * relative to it and multiples of the alignment. All integers little-endian.
 * Every read goes through the cursor below, which checks the remaining length
 * first; counts are bounded by what the remaining bytes could hold, so no
 * allocation is larger than the file justifies.
 */
#include "lm/gguf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_MAGIC 0x46554747u        /* "GGUF" little-endian */
#define GGUF_DEFAULT_ALIGN 32
#define GGUF_MAX_KEY 65535            /* spec: keys at most 2^16-1 bytes */
#define GGUF_MAX_STR ((uint64_t)1 << 30)
#define GGUF_MAX_NAME 256
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_ALIGN ((uint64_t)1 << 20)

/* ---- type tables ---- */

static const struct {
    uint32_t type;
    const char *name;
    uint32_t blck;   /* elements per block */
    uint32_t bytes;  /* bytes per block */
} ggml_types[] = {
    {0, "F32", 1, 4},       {1, "F16", 1, 2},       {2, "Q4_0", 32, 18},
    {3, "Q4_1", 32, 20},    {6, "Q5_0", 32, 22},    {7, "Q5_1", 32, 24},
    {8, "Q8_0", 32, 34},    {9, "Q8_1", 32, 36},    {10, "Q2_K", 256, 84},
    {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210}, {15, "Q8_K", 256, 292}, {24, "I8", 1, 1},
    {25, "I16", 1, 2},      {26, "I32", 1, 4},      {27, "I64", 1, 8},
    {28, "F64", 1, 8},      {30, "BF16", 1, 2},
};

static int ggml_type_idx(uint32_t t)
{
    for (size_t i = 0; i < sizeof ggml_types / sizeof ggml_types[0]; i++)
        if (ggml_types[i].type == t)
            return (int)i;
    return -1;
}

size_t lf_ggml_row_size(lf_ggml_type t, uint64_t n)
{
    int i = ggml_type_idx((uint32_t)t);
    if (i < 0 || n % ggml_types[i].blck)
        return 0;
    uint64_t blocks = n / ggml_types[i].blck;
    if (blocks > SIZE_MAX / ggml_types[i].bytes)
        return 0;
    return (size_t)(blocks * ggml_types[i].bytes);
}

const char *lf_ggml_type_name(lf_ggml_type t)
{
    int i = ggml_type_idx((uint32_t)t);
    return i < 0 ? "?" : ggml_types[i].name;
}

size_t lf_gguf_vtype_size(lf_gguf_vtype t)
{
    switch (t) {
    case LF_GGUF_U8: case LF_GGUF_I8: case LF_GGUF_BOOL: return 1;
    case LF_GGUF_U16: case LF_GGUF_I16: return 2;
    case LF_GGUF_U32: case LF_GGUF_I32: case LF_GGUF_F32: return 4;
    case LF_GGUF_U64: case LF_GGUF_I64: case LF_GGUF_F64: return 8;
    default: return 0;
    }
}

const char *lf_gguf_vtype_name(lf_gguf_vtype t)
{
    static const char *const names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                        "bool", "str", "arr", "u64", "i64", "f64"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* ---- cursor ---- */

typedef struct cur {
    const uint8_t *p;
    size_t len, off;
    lf_err *err;
} cur;

static int need(cur *c, uint64_t n, const char *what)
{
    if (n > c->len - c->off)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: needs %llu bytes, %zu left",
                          c->off, what, (unsigned long long)n, c->len - c->off);
    return 0;
}

static int rd(cur *c, void *out, size_t n, const char *what)
{
    int rc = need(c, n, what);
    if (rc)
        return rc;
    memcpy(out, c->p + c->off, n);
    c->off += n;
    return 0;
}

static int rd_u32(cur *c, uint32_t *v, const char *what) { return rd(c, v, 4, what); }
static int rd_u64(cur *c, uint64_t *v, const char *what) { return rd(c, v, 8, what); }

static int rd_str(cur *c, lf_gguf_str *s, uint64_t cap, const char *what)
{
    size_t at = c->off;
    int rc = rd_u64(c, &s->len, what);
    if (rc)
        return rc;
    if (s->len > cap)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: string length %llu over %llu",
                          at, what, (unsigned long long)s->len, (unsigned long long)cap);
    if ((rc = need(c, s->len, what)))
        return rc;
    s->s = (const char *)c->p + c->off;
    c->off += (size_t)s->len;
    return 0;
}

static bool str_eq(lf_gguf_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && !memcmp(a.s, b, n);
}

static bool str_eq2(lf_gguf_str a, lf_gguf_str b)
{
    return a.len == b.len && !memcmp(a.s, b.s, (size_t)a.len);
}

/* Reads one scalar of fixed-size type t into kv->v. */
static int rd_scalar(cur *c, lf_gguf_kv *kv, lf_gguf_vtype t, const char *what)
{
    size_t at = c->off;
    uint8_t b[8] = {0};
    size_t n = lf_gguf_vtype_size(t);
    int rc = rd(c, b, n, what);
    if (rc)
        return rc;
    switch (t) {
    case LF_GGUF_U8: kv->v.u = b[0]; break;
    case LF_GGUF_I8: kv->v.i = (int8_t)b[0]; break;
    case LF_GGUF_U16: { uint16_t x; memcpy(&x, b, 2); kv->v.u = x; break; }
    case LF_GGUF_I16: { int16_t x; memcpy(&x, b, 2); kv->v.i = x; break; }
    case LF_GGUF_U32: { uint32_t x; memcpy(&x, b, 4); kv->v.u = x; break; }
    case LF_GGUF_I32: { int32_t x; memcpy(&x, b, 4); kv->v.i = x; break; }
    case LF_GGUF_F32: { float x; memcpy(&x, b, 4); kv->v.f = x; break; }
    case LF_GGUF_U64: memcpy(&kv->v.u, b, 8); break;
    case LF_GGUF_I64: memcpy(&kv->v.i, b, 8); break;
    case LF_GGUF_F64: memcpy(&kv->v.f, b, 8); break;
    case LF_GGUF_BOOL:
        if (b[0] > 1)
            return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: bool value %u", at, what,
                              b[0]);
        kv->v.b = b[0];
        break;
    default:
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: bad type", at, what);
    }
    return 0;
}

static int rd_kv(cur *c, lf_gguf_kv *kv, uint64_t idx)
{
    char what[96];
    size_t at = c->off;
    snprintf(what, sizeof what, "kv %llu key", (unsigned long long)idx);
    int rc = rd_str(c, &kv->key, GGUF_MAX_KEY, what);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "kv '%.*s'", (int)(kv->key.len > 60 ? 60 : kv->key.len),
             kv->key.s);
    uint32_t t;
    at = c->off;
    if ((rc = rd_u32(c, &t, what)))
        return rc;
    if (t > LF_GGUF_F64)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: unknown value type %u", at,
                          what, t);
    kv->type = (lf_gguf_vtype)t;
    if (t == LF_GGUF_STRING)
        return rd_str(c, &kv->v.s, GGUF_MAX_STR, what);
    if (t != LF_GGUF_ARRAY)
        return rd_scalar(c, kv, kv->type, what);

    at = c->off;
    uint32_t et;
    if ((rc = rd_u32(c, &et, what)) || (rc = rd_u64(c, &kv->arr_len, what)))
        return rc;
    if (et > LF_GGUF_F64 || et == LF_GGUF_ARRAY)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: bad array element type %u",
                          at, what, et);
    kv->arr_type = (lf_gguf_vtype)et;
    size_t left = c->len - c->off;
    if (et == LF_GGUF_STRING) {
        if (kv->arr_len > left / 8)
            return lf_err_set(c->err, EINVAL,
                              "gguf: offset %zu: %s: %llu strings cannot fit in %zu bytes", at,
                              what, (unsigned long long)kv->arr_len, left);
        kv->arr_strs = calloc(kv->arr_len ? (size_t)kv->arr_len : 1, sizeof *kv->arr_strs);
        if (!kv->arr_strs)
            return lf_err_set(c->err, ENOMEM, "gguf: %s: out of memory", what);
        for (uint64_t i = 0; i < kv->arr_len; i++)
            if ((rc = rd_str(c, &kv->arr_strs[i], GGUF_MAX_STR, what)))
                return rc;
        return 0;
    }
    size_t es = lf_gguf_vtype_size(kv->arr_type);
    if (kv->arr_len > left / es)
        return lf_err_set(c->err, EINVAL,
                          "gguf: offset %zu: %s: %llu elements of %zu bytes exceed the %zu left",
                          at, what, (unsigned long long)kv->arr_len, es, left);
    kv->arr_data = c->p + c->off;
    c->off += (size_t)kv->arr_len * es;
    if (et == LF_GGUF_BOOL)
        for (uint64_t i = 0; i < kv->arr_len; i++)
            if (kv->arr_data[i] > 1)
                return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: bool element %u",
                                  (size_t)(kv->arr_data + i - c->p), what, kv->arr_data[i]);
    return 0;
}

static int rd_tensor(cur *c, lf_gguf_tensor *t, uint64_t idx)
{
    char what[96];
    snprintf(what, sizeof what, "tensor %llu name", (unsigned long long)idx);
    int rc = rd_str(c, &t->name, GGUF_MAX_NAME, what);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "tensor '%.*s'", (int)t->name.len, t->name.s);
    size_t at = c->off;
    if ((rc = rd_u32(c, &t->n_dims, what)))
        return rc;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: n_dims %u not in 1..4", at,
                          what, t->n_dims);
    uint64_t nel = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        at = c->off;
        if ((rc = rd_u64(c, &t->ne[d], what)))
            return rc;
        if (t->ne[d] > ((uint64_t)1 << 62) || (t->ne[d] && nel > ((uint64_t)1 << 62) / t->ne[d]))
            return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: dimension %u = %llu too large",
                              at, what, d, (unsigned long long)t->ne[d]);
        nel *= t->ne[d];
    }
    uint32_t ty;
    at = c->off;
    if ((rc = rd_u32(c, &ty, what)))
        return rc;
    int ti = ggml_type_idx(ty);
    if (ti < 0)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: unsupported tensor type %u", at,
                          what, ty);
    t->type = (lf_ggml_type)ty;
    if (t->ne[0] % ggml_types[ti].blck)
        return lf_err_set(c->err, EINVAL, "gguf: offset %zu: %s: row of %llu not a multiple of "
                          "the %s block (%u)", at, what, (unsigned long long)t->ne[0],
                          ggml_types[ti].name, ggml_types[ti].blck);
    t->nbytes = nel / ggml_types[ti].blck * ggml_types[ti].bytes;   /* nel <= 2^62: no overflow */
    return rd_u64(c, &t->offset, what);
}

static int cmp_tensor_off(const void *a, const void *b)
{
    const lf_gguf_tensor *x = *(lf_gguf_tensor *const *)a, *y = *(lf_gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Checks alignment, bounds and overlap of every tensor's data. */
static int place_tensors(lf_gguf *g, cur *c, size_t hdr_end)
{
    uint64_t a = g->alignment;
    uint64_t data_start = (hdr_end + a - 1) / a * a;
    uint64_t data_len = data_start < g->map_len ? g->map_len - data_start : 0;
    if (!g->n_tensors)
        return 0;
    lf_gguf_tensor **order = malloc((size_t)g->n_tensors * sizeof *order);
    if (!order)
        return lf_err_set(c->err, ENOMEM, "gguf: out of memory");
    int rc = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        lf_gguf_tensor *t = &g->tensors[i];
        order[i] = t;
        if (t->offset % a) {
            rc = lf_err_set(c->err, EINVAL, "gguf: tensor '%.*s': offset %llu not a multiple of "
                            "the alignment %llu", (int)t->name.len, t->name.s,
                            (unsigned long long)t->offset, (unsigned long long)a);
            goto out;
        }
        if (t->offset > data_len || t->nbytes > data_len - t->offset) {
            rc = lf_err_set(c->err, EINVAL, "gguf: tensor '%.*s': data [%llu, +%llu) past the end "
                            "of the file (data section at byte %llu holds %llu bytes)",
                            (int)t->name.len, t->name.s, (unsigned long long)t->offset,
                            (unsigned long long)t->nbytes, (unsigned long long)data_start,
                            (unsigned long long)data_len);
            goto out;
        }
        t->data = g->map + data_start + t->offset;
    }
    qsort(order, (size_t)g->n_tensors, sizeof *order, cmp_tensor_off);
    for (uint64_t i = 1; i < g->n_tensors; i++) {
        const lf_gguf_tensor *p = order[i - 1], *t = order[i];
        if (p->offset + p->nbytes > t->offset) {
            rc = lf_err_set(c->err, EINVAL, "gguf: tensors '%.*s' and '%.*s' overlap (offsets "
                            "%llu+%llu and %llu)", (int)p->name.len, p->name.s, (int)t->name.len,
                            t->name.s, (unsigned long long)p->offset,
                            (unsigned long long)p->nbytes, (unsigned long long)t->offset);
            goto out;
        }
    }
out:
    free(order);
    return rc;
}

static int cmp_strp(const void *a, const void *b)
{
    const lf_gguf_str *x = *(lf_gguf_str *const *)a, *y = *(lf_gguf_str *const *)b;
    size_t n = (size_t)(x->len < y->len ? x->len : y->len);
    int r = memcmp(x->s, y->s, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

/* Fails if two of the n strings at first, first+stride, ... are equal
 * (sorting pointers: O(n log n) even for hostile counts). */
static int check_unique(const uint8_t *base, const lf_gguf_str *first, size_t stride, uint64_t n,
                        const char *what, lf_err *err)
{
    if (n < 2)
        return 0;
    const lf_gguf_str **v = malloc((size_t)n * sizeof *v);
    if (!v)
        return lf_err_set(err, ENOMEM, "gguf: out of memory");
    for (uint64_t i = 0; i < n; i++)
        v[i] = (const lf_gguf_str *)((const char *)first + i * stride);
    qsort(v, (size_t)n, sizeof *v, cmp_strp);
    int rc = 0;
    for (uint64_t i = 1; i < n && !rc; i++)
        if (str_eq2(*v[i - 1], *v[i]))
            rc = lf_err_set(err, EINVAL, "gguf: duplicate %s '%.*s' (at byte %zu)", what,
                            (int)(v[i]->len > 60 ? 60 : v[i]->len), v[i]->s,
                            (size_t)((const uint8_t *)v[i]->s - base) - 8);
    free(v);
    return rc;
}

static int parse(lf_gguf *g, lf_err *err)
{
    cur c = {.p = g->map, .len = g->map_len, .off = 0, .err = err};
    uint32_t magic;
    int rc = rd_u32(&c, &magic, "magic");
    if (rc)
        return rc;
    if (magic != GGUF_MAGIC)
        return lf_err_set(err, EINVAL, "gguf: offset 0: bad magic (not a GGUF file)");
    if ((rc = rd_u32(&c, &g->version, "version")))
        return rc;
    if (g->version != 2 && g->version != 3)
        return lf_err_set(err, EINVAL, "gguf: offset 4: unsupported version %u (want 3)",
                          g->version);
    if ((rc = rd_u64(&c, &g->n_tensors, "tensor count")) ||
        (rc = rd_u64(&c, &g->n_kv, "kv count")))
        return rc;
    size_t left = c.len - c.off;
    if (g->n_kv > left / 12)   /* a kv takes at least 8 + 4 bytes */
        return lf_err_set(err, EINVAL, "gguf: offset 16: kv count %llu cannot fit in the file",
                          (unsigned long long)g->n_kv);
    if (g->n_tensors > left / 24)   /* a tensor info takes at least 8+4+8+4+8 - 8 */
        return lf_err_set(err, EINVAL, "gguf: offset 8: tensor count %llu cannot fit in the file",
                          (unsigned long long)g->n_tensors);
    g->kv = calloc(g->n_kv ? (size_t)g->n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(g->n_tensors ? (size_t)g->n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors)
        return lf_err_set(err, ENOMEM, "gguf: out of memory");
    g->alignment = GGUF_DEFAULT_ALIGN;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        size_t at = c.off;
        lf_gguf_kv *kv = &g->kv[i];
        if ((rc = rd_kv(&c, kv, i)))
            return rc;
        if (str_eq(kv->key, "general.alignment")) {
            if (kv->type != LF_GGUF_U32 || !kv->v.u || kv->v.u > GGUF_MAX_ALIGN ||
                (kv->v.u & (kv->v.u - 1)))
                return lf_err_set(err, EINVAL, "gguf: offset %zu: general.alignment must be a "
                                  "u32 power of two up to 2^20", at);
            g->alignment = kv->v.u;
        }
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        if ((rc = rd_tensor(&c, &g->tensors[i], i)))
            return rc;
    }
    if ((rc = check_unique(g->map, &g->kv[0].key, sizeof g->kv[0], g->n_kv, "key", err)) ||
        (rc = check_unique(g->map, &g->tensors[0].name, sizeof g->tensors[0], g->n_tensors,
                           "tensor", err)))
        return rc;
    return place_tensors(g, &c, c.off);
}

static int open_common(lf_gguf *g, lf_gguf **out, lf_err *err)
{
    int rc = parse(g, err);
    if (rc) {
        lf_gguf_close(g);
        return rc;
    }
    *out = g;
    return 0;
}

int lf_gguf_open_mem(const void *data, size_t len, lf_gguf **out, lf_err *err)
{
    *out = NULL;
    lf_gguf *g = calloc(1, sizeof *g);
    if (!g)
        return lf_err_set(err, ENOMEM, "gguf: out of memory");
    g->fd = -1;
    g->map = data;
    g->map_len = len;
    return open_common(g, out, err);
}

int lf_gguf_open(const char *path, lf_gguf **out, lf_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return lf_err_set(err, e, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 24) {
        close(fd);
        return lf_err_set(err, EINVAL, "%s: gguf: not a regular file of at least 24 bytes", path);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        int e = errno;
        close(fd);
        return lf_err_set(err, e, "%s: mmap: %s", path, strerror(e));
    }
    lf_gguf *g = calloc(1, sizeof *g);
    if (!g) {
        munmap(m, (size_t)st.st_size);
        close(fd);
        return lf_err_set(err, ENOMEM, "gguf: out of memory");
    }
    g->fd = fd;
    g->map = m;
    g->map_len = (size_t)st.st_size;
    int rc = open_common(g, out, err);
    if (rc)
        lf_err_prefix(err, "%s: ", path);
    return rc;
}

void lf_gguf_close(lf_gguf *g)
{
    if (!g)
        return;
    if (g->kv)
        for (uint64_t i = 0; i < g->n_kv; i++)
            free(g->kv[i].arr_strs);
    free(g->kv);
    free(g->tensors);
    if (g->fd >= 0) {
        munmap((void *)g->map, g->map_len);
        close(g->fd);
    }
    free(g);
}

/* ---- lookups ---- */

const lf_gguf_kv *lf_gguf_find(const lf_gguf *g, const char *key)
{
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (str_eq(g->kv[i].key, key))
            return &g->kv[i];
    return NULL;
}

const lf_gguf_tensor *lf_gguf_tensor_find(const lf_gguf *g, const char *name)
{
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (str_eq(g->tensors[i].name, name))
            return &g->tensors[i];
    return NULL;
}

static bool is_signed(lf_gguf_vtype t)
{
    return t == LF_GGUF_I8 || t == LF_GGUF_I16 || t == LF_GGUF_I32 || t == LF_GGUF_I64;
}

static bool is_unsigned(lf_gguf_vtype t)
{
    return t == LF_GGUF_U8 || t == LF_GGUF_U16 || t == LF_GGUF_U32 || t == LF_GGUF_U64;
}

int lf_gguf_get_u64(const lf_gguf *g, const char *key, uint64_t *out)
{
    const lf_gguf_kv *kv = lf_gguf_find(g, key);
    if (!kv)
        return -ENOENT;
    if (is_unsigned(kv->type)) {
        *out = kv->v.u;
        return 0;
    }
    if (is_signed(kv->type) && kv->v.i >= 0) {
        *out = (uint64_t)kv->v.i;
        return 0;
    }
    return -EINVAL;
}

int lf_gguf_get_f32(const lf_gguf *g, const char *key, float *out)
{
    const lf_gguf_kv *kv = lf_gguf_find(g, key);
    if (!kv)
        return -ENOENT;
    if (kv->type != LF_GGUF_F32 && kv->type != LF_GGUF_F64)
        return -EINVAL;
    *out = (float)kv->v.f;
    return 0;
}

int lf_gguf_get_bool(const lf_gguf *g, const char *key, bool *out)
{
    const lf_gguf_kv *kv = lf_gguf_find(g, key);
    if (!kv)
        return -ENOENT;
    if (kv->type != LF_GGUF_BOOL)
        return -EINVAL;
    *out = kv->v.b;
    return 0;
}

int lf_gguf_get_str(const lf_gguf *g, const char *key, char **out)
{
    const lf_gguf_kv *kv = lf_gguf_find(g, key);
    if (!kv)
        return -ENOENT;
    if (kv->type != LF_GGUF_STRING)
        return -EINVAL;
    char *s = malloc((size_t)kv->v.s.len + 1);
    if (!s)
        return -ENOMEM;
    memcpy(s, kv->v.s.s, (size_t)kv->v.s.len);
    s[kv->v.s.len] = 0;
    *out = s;
    return 0;
}

int lf_gguf_get_arr(const lf_gguf *g, const char *key, lf_gguf_vtype want,
                    const lf_gguf_kv **out)
{
    const lf_gguf_kv *kv = lf_gguf_find(g, key);
    if (!kv)
        return -ENOENT;
    if (kv->type != LF_GGUF_ARRAY || (want != LF_GGUF_ARRAY && kv->arr_type != want))
        return -EINVAL;
    *out = kv;
    return 0;
}

int lf_gguf_arr_int(const lf_gguf_kv *kv, uint64_t i, int64_t *out)
{
    if (kv->type != LF_GGUF_ARRAY || i >= kv->arr_len || !kv->arr_data)
        return -EINVAL;
    size_t es = lf_gguf_vtype_size(kv->arr_type);
    const uint8_t *p = kv->arr_data + i * es;
    switch (kv->arr_type) {
    case LF_GGUF_U8: *out = p[0]; return 0;
    case LF_GGUF_I8: *out = (int8_t)p[0]; return 0;
    case LF_GGUF_U16: { uint16_t x; memcpy(&x, p, 2); *out = x; return 0; }
    case LF_GGUF_I16: { int16_t x; memcpy(&x, p, 2); *out = x; return 0; }
    case LF_GGUF_U32: { uint32_t x; memcpy(&x, p, 4); *out = x; return 0; }
    case LF_GGUF_I32: { int32_t x; memcpy(&x, p, 4); *out = x; return 0; }
    case LF_GGUF_I64: memcpy(out, p, 8); return 0;
    case LF_GGUF_U64: {
        uint64_t x;
        memcpy(&x, p, 8);
        if (x > INT64_MAX)
            return -ERANGE;
        *out = (int64_t)x;
        return 0;
    }
    default: return -EINVAL;
    }
}

int lf_gguf_arr_float(const lf_gguf_kv *kv, uint64_t i, double *out)
{
    if (kv->type != LF_GGUF_ARRAY || i >= kv->arr_len || !kv->arr_data)
        return -EINVAL;
    if (kv->arr_type == LF_GGUF_F32) {
        float x;
        memcpy(&x, kv->arr_data + i * 4, 4);
        *out = x;
        return 0;
    }
    if (kv->arr_type == LF_GGUF_F64) {
        memcpy(out, kv->arr_data + i * 8, 8);
        return 0;
    }
    return -EINVAL;
}
