/* gguf_write.c: the GGUF v3 writer. Metadata is serialised as it is set;
 * tensors are copied in; lf_gguf_write lays out header, kvs, tensor infos,
 * padding and aligned tensor data, streaming into a temp file beside the
 * target that is fsynced and renamed over it (the same protocol as
 * lf_file_write_atomic in src/util/file.h, streamed so that a model is not
 * held twice in memory). Not thread-safe; one writer per thread.
 */
#include "lm/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"

typedef struct wtensor {
    char *name;
    lf_ggml_type type;
    uint32_t n_dims;
    uint64_t ne[4];
    void *data;
    size_t nbytes;
    uint64_t offset;
} wtensor;

struct lf_gguf_writer {
    lf_buf kvs;          /* serialised key/values */
    uint64_t n_kv;
    char **keys;         /* for duplicate checks */
    size_t n_keys, cap_keys;
    wtensor *t;
    size_t n_t, cap_t;
    uint64_t alignment;
};

lf_gguf_writer *lf_gguf_writer_new(void)
{
    lf_gguf_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    lf_buf_init(&w->kvs, SIZE_MAX / 2);
    w->alignment = 32;
    return w;
}

void lf_gguf_writer_free(lf_gguf_writer *w)
{
    if (!w)
        return;
    lf_buf_free(&w->kvs);
    for (size_t i = 0; i < w->n_keys; i++)
        free(w->keys[i]);
    free(w->keys);
    for (size_t i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    free(w);
}

static int put_u32(lf_buf *b, uint32_t v) { return lf_buf_append(b, &v, 4); }
static int put_u64(lf_buf *b, uint64_t v) { return lf_buf_append(b, &v, 8); }

static int put_str(lf_buf *b, const char *s, size_t n)
{
    int rc = put_u64(b, n);
    return rc ? rc : lf_buf_append(b, s, n);
}

/* Registers key (rejecting duplicates) and writes it with its type. */
static int begin_kv(lf_gguf_writer *w, const char *key, size_t klen, lf_gguf_vtype type)
{
    if (klen == 0 || klen > 65535)
        return -EINVAL;
    for (size_t i = 0; i < w->n_keys; i++)
        if (strlen(w->keys[i]) == klen && !memcmp(w->keys[i], key, klen))
            return -EEXIST;
    if (w->n_keys == w->cap_keys) {
        size_t nc = w->cap_keys ? 2 * w->cap_keys : 16;
        char **nk = realloc(w->keys, nc * sizeof *nk);
        if (!nk)
            return -ENOMEM;
        w->keys = nk;
        w->cap_keys = nc;
    }
    char *k = strndup(key, klen);
    if (!k)
        return -ENOMEM;
    int rc = put_str(&w->kvs, key, klen);
    if (!rc)
        rc = put_u32(&w->kvs, (uint32_t)type);
    if (rc) {
        free(k);
        return rc;
    }
    w->keys[w->n_keys++] = k;
    w->n_kv++;
    return 0;
}

int lf_gguf_set_raw(lf_gguf_writer *w, const char *key, lf_gguf_vtype type, const void *v)
{
    size_t n = lf_gguf_vtype_size(type);
    if (!n)
        return -EINVAL;
    if (type == LF_GGUF_BOOL && *(const uint8_t *)v > 1)
        return -EINVAL;
    bool is_align = !strcmp(key, "general.alignment");
    uint32_t a = 0;
    if (is_align) {
        if (type != LF_GGUF_U32)
            return -EINVAL;
        memcpy(&a, v, 4);
        if (!a || (a & (a - 1)) || a > (1u << 20))
            return -EINVAL;
    }
    size_t mark = w->kvs.len;
    int rc = begin_kv(w, key, strlen(key), type);
    if (rc)
        return rc;
    if ((rc = lf_buf_append(&w->kvs, v, n))) {
        w->kvs.len = mark;
        free(w->keys[--w->n_keys]);
        w->n_kv--;
        return rc;
    }
    if (is_align)
        w->alignment = a;
    return 0;
}

int lf_gguf_set_u32(lf_gguf_writer *w, const char *key, uint32_t v)
{
    return lf_gguf_set_raw(w, key, LF_GGUF_U32, &v);
}

int lf_gguf_set_i32(lf_gguf_writer *w, const char *key, int32_t v)
{
    return lf_gguf_set_raw(w, key, LF_GGUF_I32, &v);
}

int lf_gguf_set_u64(lf_gguf_writer *w, const char *key, uint64_t v)
{
    return lf_gguf_set_raw(w, key, LF_GGUF_U64, &v);
}

int lf_gguf_set_f32(lf_gguf_writer *w, const char *key, float v)
{
    return lf_gguf_set_raw(w, key, LF_GGUF_F32, &v);
}

int lf_gguf_set_bool(lf_gguf_writer *w, const char *key, bool v)
{
    uint8_t b = v;
    return lf_gguf_set_raw(w, key, LF_GGUF_BOOL, &b);
}

/* Undoes a half-written kv after a failed append. */
static int abort_kv(lf_gguf_writer *w, size_t mark, int rc)
{
    w->kvs.len = mark;
    free(w->keys[--w->n_keys]);
    w->n_kv--;
    return rc;
}

static int set_str_n(lf_gguf_writer *w, const char *key, size_t klen, const char *v, size_t n)
{
    size_t mark = w->kvs.len;
    int rc = begin_kv(w, key, klen, LF_GGUF_STRING);
    if (rc)
        return rc;
    if ((rc = put_str(&w->kvs, v, n)))
        return abort_kv(w, mark, rc);
    return 0;
}

int lf_gguf_set_str(lf_gguf_writer *w, const char *key, const char *v)
{
    return set_str_n(w, key, strlen(key), v, strlen(v));
}

static int set_arr_str_n(lf_gguf_writer *w, const char *key, size_t klen,
                         const char *const *v, const size_t *lens, size_t n)
{
    size_t mark = w->kvs.len;
    int rc = begin_kv(w, key, klen, LF_GGUF_ARRAY);
    if (rc)
        return rc;
    rc = put_u32(&w->kvs, LF_GGUF_STRING);
    if (!rc)
        rc = put_u64(&w->kvs, n);
    for (size_t i = 0; i < n && !rc; i++)
        rc = put_str(&w->kvs, v[i], lens ? lens[i] : strlen(v[i]));
    return rc ? abort_kv(w, mark, rc) : 0;
}

int lf_gguf_set_arr_str(lf_gguf_writer *w, const char *key, const char *const *v,
                        const size_t *lens, size_t n)
{
    return set_arr_str_n(w, key, strlen(key), v, lens, n);
}

static int set_arr_raw_n(lf_gguf_writer *w, const char *key, size_t klen, lf_gguf_vtype et,
                         const void *data, size_t n)
{
    size_t es = lf_gguf_vtype_size(et);
    if (!es || (n && n > SIZE_MAX / es))
        return -EINVAL;
    if (et == LF_GGUF_BOOL)
        for (size_t i = 0; i < n; i++)
            if (((const uint8_t *)data)[i] > 1)
                return -EINVAL;
    size_t mark = w->kvs.len;
    int rc = begin_kv(w, key, klen, LF_GGUF_ARRAY);
    if (rc)
        return rc;
    rc = put_u32(&w->kvs, (uint32_t)et);
    if (!rc)
        rc = put_u64(&w->kvs, n);
    if (!rc && n)
        rc = lf_buf_append(&w->kvs, data, n * es);
    return rc ? abort_kv(w, mark, rc) : 0;
}

int lf_gguf_set_arr_raw(lf_gguf_writer *w, const char *key, lf_gguf_vtype elem_type,
                        const void *data, size_t n)
{
    return set_arr_raw_n(w, key, strlen(key), elem_type, data, n);
}

int lf_gguf_set_arr_i32(lf_gguf_writer *w, const char *key, const int32_t *v, size_t n)
{
    return lf_gguf_set_arr_raw(w, key, LF_GGUF_I32, v, n);
}

int lf_gguf_set_arr_f32(lf_gguf_writer *w, const char *key, const float *v, size_t n)
{
    return lf_gguf_set_arr_raw(w, key, LF_GGUF_F32, v, n);
}

int lf_gguf_set_kv(lf_gguf_writer *w, const lf_gguf_kv *kv)
{
    /* The key is not NUL-terminated in the map: copy it for the checks. */
    char *key = strndup(kv->key.s, (size_t)kv->key.len);
    if (!key)
        return -ENOMEM;
    if (strlen(key) != kv->key.len) {   /* embedded NUL: cannot be a C key */
        free(key);
        return -EINVAL;
    }
    int rc;
    if (kv->type == LF_GGUF_STRING) {
        rc = set_str_n(w, key, strlen(key), kv->v.s.s, (size_t)kv->v.s.len);
    } else if (kv->type == LF_GGUF_ARRAY && kv->arr_type == LF_GGUF_STRING) {
        const char **v = malloc((kv->arr_len ? (size_t)kv->arr_len : 1) * sizeof *v);
        size_t *lens = malloc((kv->arr_len ? (size_t)kv->arr_len : 1) * sizeof *lens);
        rc = -ENOMEM;
        if (v && lens) {
            for (uint64_t i = 0; i < kv->arr_len; i++) {
                v[i] = kv->arr_strs[i].s;
                lens[i] = (size_t)kv->arr_strs[i].len;
            }
            rc = set_arr_str_n(w, key, strlen(key), v, lens, (size_t)kv->arr_len);
        }
        free(v);
        free(lens);
    } else if (kv->type == LF_GGUF_ARRAY) {
        rc = set_arr_raw_n(w, key, strlen(key), kv->arr_type, kv->arr_data, (size_t)kv->arr_len);
    } else {
        uint8_t b[8];
        switch (kv->type) {
        case LF_GGUF_U8: case LF_GGUF_U16: case LF_GGUF_U32: case LF_GGUF_U64:
            memcpy(b, &kv->v.u, 8);   /* little-endian: the low bytes come first */
            break;
        case LF_GGUF_I8: case LF_GGUF_I16: case LF_GGUF_I32: case LF_GGUF_I64:
            memcpy(b, &kv->v.i, 8);
            break;
        case LF_GGUF_F32: {
            float f = (float)kv->v.f;
            memcpy(b, &f, 4);
            break;
        }
        case LF_GGUF_F64: memcpy(b, &kv->v.f, 8); break;
        case LF_GGUF_BOOL: b[0] = kv->v.b; break;
        default:
            free(key);
            return -EINVAL;
        }
        rc = lf_gguf_set_raw(w, key, kv->type, b);
    }
    free(key);
    return rc;
}

int lf_gguf_copy_kvs(lf_gguf_writer *w, const lf_gguf *g, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const lf_gguf_kv *kv = &g->kv[i];
        if (kv->key.len < pl || memcmp(kv->key.s, prefix, pl))
            continue;
        int rc = lf_gguf_set_kv(w, kv);
        if (rc)
            return rc;
    }
    return 0;
}

int lf_gguf_add_tensor(lf_gguf_writer *w, const char *name, lf_ggml_type type,
                       uint32_t n_dims, const uint64_t *ne, const void *data)
{
    size_t nl = strlen(name);
    if (nl == 0 || nl > 256 || n_dims < 1 || n_dims > 4)
        return -EINVAL;
    for (size_t i = 0; i < w->n_t; i++)
        if (!strcmp(w->t[i].name, name))
            return -EEXIST;
    wtensor t = {.type = type, .n_dims = n_dims, .ne = {1, 1, 1, 1}};
    uint64_t rows = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        t.ne[d] = ne[d];
        if (d > 0) {
            if (ne[d] && rows > UINT64_MAX / ne[d])
                return -EINVAL;
            rows *= ne[d];
        }
    }
    size_t row = lf_ggml_row_size(type, ne[0]);
    if (!row && ne[0])
        return -EINVAL;
    if (rows && row > SIZE_MAX / 2 / rows)
        return -EINVAL;
    t.nbytes = row * (size_t)rows;
    if (w->n_t == w->cap_t) {
        size_t nc = w->cap_t ? 2 * w->cap_t : 64;
        wtensor *nt = realloc(w->t, nc * sizeof *nt);
        if (!nt)
            return -ENOMEM;
        w->t = nt;
        w->cap_t = nc;
    }
    t.name = strdup(name);
    t.data = malloc(t.nbytes ? t.nbytes : 1);
    if (!t.name || !t.data) {
        free(t.name);
        free(t.data);
        return -ENOMEM;
    }
    if (t.nbytes)
        memcpy(t.data, data, t.nbytes);
    w->t[w->n_t++] = t;
    return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static const uint8_t zeros[4096];

/* Writes header, kvs and tensor infos, then padded tensor data, to fd. */
static int emit(lf_gguf_writer *w, int fd)
{
    lf_buf h;
    lf_buf_init(&h, SIZE_MAX / 2);
    uint64_t off = 0, a = w->alignment;
    int rc = put_u32(&h, 0x46554747u);
    if (!rc) rc = put_u32(&h, 3);
    if (!rc) rc = put_u64(&h, w->n_t);
    if (!rc) rc = put_u64(&h, w->n_kv);
    if (!rc) rc = lf_buf_append(&h, w->kvs.data ? w->kvs.data : "", w->kvs.len);
    for (size_t i = 0; i < w->n_t && !rc; i++) {
        wtensor *t = &w->t[i];
        t->offset = off;
        rc = put_str(&h, t->name, strlen(t->name));
        if (!rc) rc = put_u32(&h, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims && !rc; d++)
            rc = put_u64(&h, t->ne[d]);
        if (!rc) rc = put_u32(&h, (uint32_t)t->type);
        if (!rc) rc = put_u64(&h, off);
        off += (t->nbytes + a - 1) / a * a;
    }
    size_t pad = (size_t)((a - h.len % a) % a);
    if (!rc && pad)
        rc = lf_buf_append(&h, zeros, pad);
    if (!rc)
        rc = write_all(fd, h.data, h.len);
    lf_buf_free(&h);
    for (size_t i = 0; i < w->n_t && !rc; i++) {
        wtensor *t = &w->t[i];
        rc = write_all(fd, t->data, t->nbytes);
        size_t tp = (size_t)((a - t->nbytes % a) % a);
        while (!rc && tp) {
            size_t k = tp < sizeof zeros ? tp : sizeof zeros;
            rc = write_all(fd, zeros, k);
            tp -= k;
        }
    }
    return rc;
}

int lf_gguf_write(lf_gguf_writer *w, const char *path, lf_err *err)
{
    lf_atomic a;
    int rc = lf_atomic_open(&a, path, 0644, err);
    if (rc)
        return rc;
    if ((rc = emit(w, a.fd))) {
        rc = lf_err_set(err, -rc, "%s: write: %s", a.tmp, strerror(-rc));
        lf_atomic_abort(&a);
        return rc;
    }
    return lf_atomic_commit(&a, err);
}
