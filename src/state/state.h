/* state.h: the filesystem state, an in-memory tree that is the model's
 * world (PROTOCOL.md §3).
 *
 * The tree is the one representation of a state everywhere: the mount keeps
 * the last accepted one, the oracle applies operations to it, the generator
 * snapshots real directories into it, and its canonical serialisation is the
 * <STATE> part of every prompt. mtimes are not stored (they are constants of
 * the format). Names are bytes (NUL-free); children are kept sorted bytewise
 * by name. A tree is not thread-safe: the owner serialises access.
 */
#ifndef LF_STATE_STATE_H
#define LF_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum { LF_NODE_DIR = 0, LF_NODE_FILE = 1, LF_NODE_LINK = 2 } lf_node_kind;

typedef struct lf_node {
    lf_node_kind kind;
    char *name;               /* last component; "/" for the root */
    unsigned mode;            /* permission bits only (07777) */
    char *owner, *group;      /* names as they appear in the XML */
    unsigned char *data;      /* FILE: body bytes (may be NULL when size 0) */
    size_t size;              /* FILE: body length */
    char *target;             /* LINK: the link's content */
    struct lf_node **kids;    /* DIR: children, sorted bytewise by name */
    size_t nkids, capkids;
    struct lf_node *parent;   /* NULL for the root */
} lf_node;

typedef struct lf_state {
    lf_node *root;            /* always a DIR named "/" */
} lf_state;

/* Parse modes (PROTOCOL.md §3, last paragraph). */
enum {
    LF_PARSE_STRICT = 0,      /* model answers: any inconsistency is an error */
    LF_PARSE_LENIENT = 1,     /* the original's data: size/body disagreement and
                                 stripped bytes are warnings; the body wins */
};

/* Creates the state with only a root directory (mode 0755, given owner and
 * group names). Returns NULL on ENOMEM. Caller frees with lf_state_free. */
lf_state *lf_state_new(const char *owner, const char *group);
/* Frees a state; NULL is fine. */
void lf_state_free(lf_state *st);
/* Deep copy; NULL on ENOMEM. */
lf_state *lf_state_clone(const lf_state *st);
/* True if the two trees serialise identically. */
bool lf_state_equal(const lf_state *a, const lf_state *b);

/* Caps on what lf_state_parse accepts (documented limits, not tuning knobs):
 * a document longer than LF_STATE_MAX_XML bytes or with directories nested
 * deeper than LF_STATE_MAX_DEPTH (the root is depth 0) is rejected. A real
 * Linux path (PATH_MAX 4096) nests at most 2048 deep; model states are far
 * smaller than either cap. */
#define LF_STATE_MAX_XML ((size_t)256 << 20)
#define LF_STATE_MAX_DEPTH 1024
/* Longest name accepted (NAME_MAX). */
#define LF_STATE_MAX_NAME 255

/* Parses an XML state document (xml need not be NUL-terminated). On success
 * *out is a new tree (caller frees) and *warnings (if non-NULL) counts what
 * was repaired: in lenient mode, each size/body disagreement (the body wins)
 * and each element whose missing attributes took the defaults of
 * seed-reference.md §3.5 (name from path, mode 755, owner/group root, size
 * from the body); always 0 in strict mode, where all of path, name, mode,
 * owner, group, mtime (any value: times are constants of the format) and
 * size/target are required. Both modes reject malformed XML, unknown
 * elements or attributes, duplicate paths, a path that disagrees with the
 * element's place in the tree, bad modes/sizes/base64, invalid UTF-8, raw
 * control bytes, text outside <body>, trailing content, and the caps above.
 * On failure *out is NULL and it returns -EINVAL with err->msg
 * "state XML: byte N: what" (N: offset into xml), or -ENOMEM.
 * Thread-safe (no shared state). */
int lf_state_parse(const char *xml, size_t len, int mode, lf_state **out,
                   int *warnings, lf_err *err);

/* Appends the canonical serialisation (one line, no trailing newline;
 * PROTOCOL.md §3) to out. Returns 0, -E2BIG past out's cap, -ENOMEM, or
 * -EINVAL when a name, owner, group or target cannot be represented (not
 * UTF-8, or a control byte other than tab/LF/CR); on failure out is left as
 * it was. Reads st only (concurrent serialisations of one tree are fine). */
int lf_state_serialize(const lf_state *st, lf_buf *out);

/* Looks up an absolute path ("/", "/a/b"); components are not followed through
 * symlinks. Returns the node or NULL (and, if parent_out is non-NULL, the
 * deepest existing ancestor's node through it when only the last component is
 * missing, else NULL). Trailing slashes are not accepted. Notes: the parent
 * given through parent_out may be a file or symlink (the caller decides
 * between ENOENT and ENOTDIR); "//", relative paths and components longer
 * than LF_STATE_MAX_NAME give NULL with no parent. */
lf_node *lf_state_lookup(const lf_state *st, const char *path, lf_node **parent_out);

/* Writes the node's relative path as the XML `path` attribute spells it
 * ("docs/a.txt"; "/" for the root) into out (reset first). */
int lf_node_relpath(const lf_node *n, lf_buf *out);

/* Tree edits used by the oracle and the generator. All keep children sorted,
 * so a node's name must not change while it is attached: detach it, rename
 * it, add it back (the rename of PROTOCOL.md §6). lf_node_add_child takes
 * ownership of child on success (-EEXIST on a name clash, -EINVAL when dir
 * is not a directory, -ENOMEM); lf_node_detach leaves n owned by the caller. */
lf_node *lf_node_new(lf_node_kind kind, const char *name, unsigned mode,
                     const char *owner, const char *group);
void lf_node_free(lf_node *n);            /* frees the subtree; NULL is fine */
int lf_node_add_child(lf_node *dir, lf_node *child);   /* -EEXIST on a name clash */
void lf_node_detach(lf_node *n);          /* removes n from its parent */
lf_node *lf_node_find_child(const lf_node *dir, const char *name);
int lf_node_set_data(lf_node *file, const void *data, size_t n); /* copies */
int lf_node_set_str(char **field, const char *s);                /* strdup into a field */

/* Counts nodes in the tree (root included). */
size_t lf_state_count(const lf_state *st);

#endif
