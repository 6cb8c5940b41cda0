/* seed.h: reading the original llmfuse's datasets against our oracle.
 *
 * The original's labels carry known faults (docs/SEED-EVAL.md,
 * seed-reference §5.7, §11): a command of several FUSE calls is labelled with
 * its last call while the completion shows all of them, symlinks are
 * flattened into copies of their targets, control bytes are stripped from
 * bodies while `size` keeps counting them, and symlink lines leak the
 * generator's host paths. lf_seed_check_row compares one row's label with
 * the oracle's answer and, where they differ, finds which of those faults
 * reproduce the label exactly: each fault is modelled as an alternative
 * semantics, and the smallest set of them that yields the label byte for
 * byte (or, for stripped bytes, tree for tree) is the explanation.
 * Pure functions; thread-safe; results are owned by the caller. */
#ifndef LF_PROTO_SEED_H
#define LF_PROTO_SEED_H

#include <stdbool.h>

#include "proto/proto.h"

/* The label faults, as bits of lf_seed_verdict.faults. */
enum {
    LF_SEED_MKDIR_P = 1u << 0,   /* mkdir -p: the parents came from earlier calls */
    LF_SEED_CREATED = 1u << 1,   /* touch / echo > / truncate -s created the path first */
    LF_SEED_O_TRUNC = 1u << 2,   /* echo > / write_text: the open truncated the file first */
    LF_SEED_TRANSIENT = 1u << 3, /* touch X && rm X: created and removed, state unchanged */
    LF_SEED_SYMLINK_FLAT = 1u << 4, /* the link shown as a copy of its target (or dropped) */
    LF_SEED_STRIPPED = 1u << 5,  /* control bytes stripped from bodies, size kept */
    LF_SEED__NFAULTS = 6,
};

/* Short name of one fault bit ("mkdir-p", ...), or NULL. */
const char *lf_seed_fault_name(unsigned bit);

/* Repairs an operation read from the original's data: a symlink's target=
 * that leaked the generator's loopback root ("/tmp/tmpXXXX/fuse_root/a")
 * becomes mount-relative ("/a"). Returns true if it changed something. */
bool lf_seed_op_fixup(lf_op *op);

typedef struct lf_seed_verdict {
    lf_op_kind op;
    bool parsed;        /* the prompt parsed (lenient) */
    bool exact;         /* the oracle's completion equals the label byte for byte */
    bool explained;     /* differing, and `faults` reproduces the label */
    unsigned faults;    /* LF_SEED_* bits of the explanation */
    int prompt_warnings;
    char reason[256];   /* one line: the category, or why it is unexplained */
} lf_seed_verdict;

/* Checks one dataset row. oracle_completion (if non-NULL) receives the
 * oracle's completion text for the row's prompt. Returns 0 with *v filled
 * (an unparsable prompt is a verdict, not an error), or -ENOMEM. */
int lf_seed_check_row(const char *prompt, size_t plen, const char *label, size_t llen,
                      lf_buf *oracle_completion, lf_seed_verdict *v);

/* Writes the verdict's category as one line into out (reset first):
 * "exact", "unexplained: ...", or the fault names joined by '+'. */
int lf_seed_verdict_category(const lf_seed_verdict *v, lf_buf *out);

#endif
