/* proto.h: the llmfuse protocol, version 1 (docs/PROTOCOL.md), in one place.
 *
 * Operation lines, base prompts, contract wrapper profiles and completions
 * are rendered and parsed here and nowhere else: the mount, the generator,
 * the evaluator, the trainer and the server all call this module.
 * All functions are pure (thread-safe); outputs are owned by the caller.
 */
#ifndef LF_PROTO_PROTO_H
#define LF_PROTO_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"
#include "util/buf.h"
#include "util/err.h"

#define LF_PROTOCOL_VERSION 1

typedef enum {
    LF_OP_MKDIR, LF_OP_CREATE, LF_OP_WRITE, LF_OP_TRUNCATE, LF_OP_UNLINK,
    LF_OP_RMDIR, LF_OP_RENAME, LF_OP_CHMOD, LF_OP_CHOWN, LF_OP_SYMLINK,
    LF_OP_READDIR, LF_OP_READ, LF_OP_READLINK,
    LF_OP__COUNT
} lf_op_kind;

/* One operation (PROTOCOL.md §2). Which fields matter depends on kind. */
typedef struct lf_op {
    lf_op_kind kind;
    char *path;            /* absolute path ("/a/b"); for SYMLINK the link's own path */
    char *new_path;        /* RENAME: destination (absolute) */
    char *link_target;     /* SYMLINK: the link's content (first argument) */
    unsigned mode;         /* MKDIR/CREATE/CHMOD: st_mode as the kernel passed it */
    long long uid, gid;    /* CHOWN: -1 = unchanged */
    unsigned char *data;   /* WRITE: the bytes */
    size_t data_len;
    uint64_t offset;       /* WRITE, READ */
    uint64_t size;         /* READ: requested size */
    uint64_t length;       /* TRUNCATE */
    long long fh;          /* WRITE/TRUNCATE/READ/READDIR: handle, -1 = None */
} lf_op;

/* Frees the op's strings and data (not the struct); NULL is fine. */
void lf_op_free(lf_op *op);
/* Deep copy of src into dst. */
int lf_op_copy(lf_op *dst, const lf_op *src);
/* "mkdir", "write", ...; NULL for an invalid kind. */
const char *lf_op_name(lf_op_kind k);
/* Kind from a name, or -1. */
int lf_op_from_name(const char *name, size_t len);
/* True for the <W> (state-changing) operations. */
bool lf_op_is_write(lf_op_kind k);

/* Appends the operation line (§2). */
int lf_op_render(const lf_op *op, lf_buf *out);
/* Parses one operation line (which may span lines for write data).
 * op is filled (free with lf_op_free). -EINVAL with a message on error. */
int lf_op_parse(const char *line, size_t len, lf_op *op, lf_err *err);

/* Appends the base prompt "<TAG>\n<op line>\n---\n<state>" (§1). */
int lf_prompt_render(const lf_op *op, const lf_state *st, lf_buf *out);
/* Splits a base prompt into its operation and state. The state is parsed
 * with the given mode (LF_PARSE_STRICT / LF_PARSE_LENIENT); warnings as in
 * lf_state_parse. On success caller owns *op contents and *st. */
int lf_prompt_parse(const char *text, size_t len, int mode, lf_op *op,
                    lf_state **st, int *warnings, lf_err *err);

/* Contract wrapper profiles (§5). */
typedef enum { LF_CONTRACT_NONE = 0, LF_CONTRACT_SEED = 1 } lf_contract;
/* Profile from its name ("none", "seed"), or -1. */
int lf_contract_from_name(const char *name);
const char *lf_contract_name(lf_contract c);
/* Appends the wrapped prompt HEADER + CONTRACT + "\n\n" + base (or just base). */
int lf_contract_wrap(lf_contract c, const char *base, size_t len, lf_buf *out);

/* A parsed completion (§4). */
typedef enum {
    LF_ANS_STATE,   /* <W> success: the next state */
    LF_ANS_ERROR,   /* ERROR: ENAME */
    LF_ANS_LIST,    /* readdir: names (without "." and "..") */
    LF_ANS_BYTES,   /* read: file content; readlink: link content */
} lf_answer_kind;

typedef struct lf_answer {
    lf_answer_kind kind;
    int err;               /* ERROR: positive errno (EIO for free text) */
    lf_state *state;       /* STATE */
    char **names;          /* LIST: n names, NUL-terminated */
    size_t nnames;
    unsigned char *bytes;  /* BYTES */
    size_t nbytes;
} lf_answer;

/* Frees the answer's contents (not the struct); NULL is fine. */
void lf_answer_free(lf_answer *a);

/* Appends the completion text for an answer to op, as the training data has
 * it (a <W> state ends with "\n<END_FS>"). For a read the bytes are written
 * raw, or as base64 text when they need a base64 body (§3, §4). */
int lf_completion_render(const lf_op *op, const lf_answer *ans, lf_buf *out);

/* Parses a raw model answer for op. cur is the state the prompt carried (a
 * read of a base64-bodied file is decoded by it). A <W> answer is cut at the
 * first <END_FS> and its state parsed strictly. Returns -EBADMSG with a
 * message when the answer does not parse. */
int lf_completion_parse(const lf_op *op, const lf_state *cur, const char *text,
                        size_t len, lf_answer *out, lf_err *err);

/* The §4 cut: the offset of the first "<END_FS>" in a raw <W> answer, or len
 * when there is none. Nothing else is stripped. */
size_t lf_completion_cut(const char *text, size_t len);

/* Recognises the contract wrapper in front of a received prompt (§5): sets
 * *profile (LF_CONTRACT_NONE when text is a bare base prompt) and *base_off,
 * the offset of the base prompt in text. Returns 0, or -EINVAL with err set
 * when text is neither a base prompt nor a seed-wrapped one. (unwrap.c) */
int lf_contract_unwrap(const char *text, size_t len, lf_contract *profile,
                       size_t *base_off, lf_err *err);

#endif
