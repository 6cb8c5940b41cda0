/* gguf.h: GGUF v3 model files: a bounds-checked reader over a read-only
 * memory map (tensor data is used in place, never copied) and a writer.
 *
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 * Every offset and size read from a file is checked against the file's
 * length before use; a malformed file fails with -EINVAL and a message that
 * names the field and byte offset. A reader is immutable after open and safe
 * to share between threads.
 */
#ifndef LF_LM_GGUF_H
#define LF_LM_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Metadata value types (GGUF spec numbering). */
typedef enum {
    LF_GGUF_U8 = 0, LF_GGUF_I8 = 1, LF_GGUF_U16 = 2, LF_GGUF_I16 = 3,
    LF_GGUF_U32 = 4, LF_GGUF_I32 = 5, LF_GGUF_F32 = 6, LF_GGUF_BOOL = 7,
    LF_GGUF_STRING = 8, LF_GGUF_ARRAY = 9, LF_GGUF_U64 = 10, LF_GGUF_I64 = 11,
    LF_GGUF_F64 = 12,
} lf_gguf_vtype;

/* Tensor element types (ggml numbering). */
typedef enum {
    LF_GGML_F32 = 0, LF_GGML_F16 = 1, LF_GGML_Q8_0 = 8, LF_GGML_BF16 = 30,
} lf_ggml_type;

typedef struct lf_gguf_str {
    const char *s;      /* points into the map; NOT NUL-terminated */
    uint64_t len;
} lf_gguf_str;

typedef struct lf_gguf_kv {
    lf_gguf_str key;
    lf_gguf_vtype type;
    lf_gguf_vtype arr_type;   /* ARRAY: element type */
    uint64_t arr_len;         /* ARRAY: element count */
    const uint8_t *arr_data;  /* ARRAY of fixed-size elements: raw data in the map */
    lf_gguf_str *arr_strs;    /* ARRAY of STRING: arr_len entries (owned by the reader) */
    union { uint64_t u; int64_t i; double f; bool b; lf_gguf_str s; } v; /* scalars */
} lf_gguf_kv;

typedef struct lf_gguf_tensor {
    lf_gguf_str name;
    uint32_t n_dims;
    uint64_t ne[4];           /* ne[0] is the fastest-varying (row length) */
    lf_ggml_type type;
    uint64_t offset;          /* relative to the data section */
    const void *data;         /* in the map */
    uint64_t nbytes;
} lf_gguf_tensor;

typedef struct lf_gguf {
    uint32_t version;
    uint64_t n_kv, n_tensors;
    lf_gguf_kv *kv;
    lf_gguf_tensor *tensors;
    uint64_t alignment;
    const uint8_t *map;       /* the whole file, read-only */
    size_t map_len;
    int fd;
} lf_gguf;

/* Opens and validates a GGUF file (mmap). Caller frees with lf_gguf_close. */
int lf_gguf_open(const char *path, lf_gguf **out, lf_err *err);
/* Validates a GGUF image already in memory (not copied; must outlive the reader). */
int lf_gguf_open_mem(const void *data, size_t len, lf_gguf **out, lf_err *err);
void lf_gguf_close(lf_gguf *g);   /* NULL is fine */

const lf_gguf_kv *lf_gguf_find(const lf_gguf *g, const char *key);
/* Typed getters: 0 on success, -ENOENT if missing, -EINVAL on a type mismatch.
 * Integer getters accept any integer type whose value fits. */
int lf_gguf_get_u64(const lf_gguf *g, const char *key, uint64_t *out);
int lf_gguf_get_f32(const lf_gguf *g, const char *key, float *out);
/* String value copied into a new NUL-terminated string (caller frees). */
int lf_gguf_get_str(const lf_gguf *g, const char *key, char **out);
const lf_gguf_tensor *lf_gguf_tensor_find(const lf_gguf *g, const char *name);

/* Typed access beyond the getters above (added by the gguf implementation):
 * the boolean value of key; an array kv of the given element type (any
 * element type if want is LF_GGUF_ARRAY); the i-th element of an integer
 * array as int64 (u64 values above INT64_MAX fail with -ERANGE) or of a
 * float array as double. Same return codes as the getters. */
int lf_gguf_get_bool(const lf_gguf *g, const char *key, bool *out);
int lf_gguf_get_arr(const lf_gguf *g, const char *key, lf_gguf_vtype want,
                    const lf_gguf_kv **out);
int lf_gguf_arr_int(const lf_gguf_kv *kv, uint64_t i, int64_t *out);
int lf_gguf_arr_float(const lf_gguf_kv *kv, uint64_t i, double *out);
/* Size in bytes of one value of a fixed-size type (0 for STRING/ARRAY/invalid). */
size_t lf_gguf_vtype_size(lf_gguf_vtype t);
/* "u8", "i32", "f32", "str", "arr", ... or "?" */
const char *lf_gguf_vtype_name(lf_gguf_vtype t);

/* Bytes per row of n elements of type t (Q8_0 needs n % 32 == 0); 0 if invalid. */
size_t lf_ggml_row_size(lf_ggml_type t, uint64_t n);
const char *lf_ggml_type_name(lf_ggml_type t);

/* Writer: collect metadata and tensors, then write the file in one go. */
typedef struct lf_gguf_writer lf_gguf_writer;
lf_gguf_writer *lf_gguf_writer_new(void);
void lf_gguf_writer_free(lf_gguf_writer *w);
int lf_gguf_set_u32(lf_gguf_writer *w, const char *key, uint32_t v);
int lf_gguf_set_i32(lf_gguf_writer *w, const char *key, int32_t v);
int lf_gguf_set_u64(lf_gguf_writer *w, const char *key, uint64_t v);
int lf_gguf_set_f32(lf_gguf_writer *w, const char *key, float v);
int lf_gguf_set_bool(lf_gguf_writer *w, const char *key, bool v);
int lf_gguf_set_str(lf_gguf_writer *w, const char *key, const char *v);
/* Arrays: strings (n of them, each NUL-terminated unless lens given), i32, f32. */
int lf_gguf_set_arr_str(lf_gguf_writer *w, const char *key, const char *const *v,
                        const size_t *lens, size_t n);
int lf_gguf_set_arr_i32(lf_gguf_writer *w, const char *key, const int32_t *v, size_t n);
int lf_gguf_set_arr_f32(lf_gguf_writer *w, const char *key, const float *v, size_t n);
/* Scalars of any fixed-size type (value given as its little-endian bytes)
 * and arrays of any fixed-size element type: n elements at data. */
int lf_gguf_set_raw(lf_gguf_writer *w, const char *key, lf_gguf_vtype type, const void *v);
int lf_gguf_set_arr_raw(lf_gguf_writer *w, const char *key, lf_gguf_vtype elem_type,
                        const void *data, size_t n);
/* Copies one key/value read from another file (e.g. tokenizer metadata into
 * a model); lf_gguf_copy_kvs copies every kv whose key starts with prefix. */
int lf_gguf_set_kv(lf_gguf_writer *w, const lf_gguf_kv *kv);
int lf_gguf_copy_kvs(lf_gguf_writer *w, const lf_gguf *g, const char *prefix);
/* All setters return 0, -EEXIST for a key already set, -EINVAL for a bad
 * value (general.alignment must be a power of two), -ENOMEM. */
/* Adds a tensor; data (nbytes by type and shape) is copied. ne as in the reader. */
int lf_gguf_add_tensor(lf_gguf_writer *w, const char *name, lf_ggml_type type,
                       uint32_t n_dims, const uint64_t *ne, const void *data);
/* Writes the file (crash-safe replace). */
int lf_gguf_write(lf_gguf_writer *w, const char *path, lf_err *err);

#endif
