/* test_apply.c: the oracle's semantics (PROTOCOL.md §6) on small hand-made
 * trees: every operation's success and every errno row of the table,
 * zero-filled gaps, rename replacing targets and moving subtrees, symlinks
 * not followed, chown's spelling, new entries' owner, mode masking, names
 * the state cannot hold, and "a failing operation changes nothing". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/apply.h"

/* Builds a state from a spec: space-separated "d:/path", "f:/path=content"
 * ('~' in content is a NUL byte), "l:/path>target", optionally followed by
 * "#mode" (octal). Root owner "alice", group "staff". */
static lf_state *build(const char *spec)
{
    lf_state *st = lf_state_new("alice", "staff");
    assert_non_null(st);
    char *copy = strdup(spec);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char kind = tok[0];
        char *path = tok + 2;
        unsigned mode = kind == 'd' ? 0755 : kind == 'f' ? 0644 : 0777;
        char *hash = strchr(path, '#');
        if (hash) {
            *hash = '\0';
            mode = (unsigned)strtoul(hash + 1, NULL, 8);
        }
        char *content = NULL;
        if (kind == 'f' && (content = strchr(path, '=')))
            *content++ = '\0';
        if (kind == 'l' && (content = strchr(path, '>')))
            *content++ = '\0';
        char *slash = strrchr(path, '/');
        *slash = '\0';
        lf_node *parent = lf_state_lookup(st, path[0] ? path : "/", NULL);
        assert_non_null(parent);
        lf_node *n = lf_node_new(kind == 'd' ? LF_NODE_DIR : kind == 'f' ? LF_NODE_FILE : LF_NODE_LINK,
                                 slash + 1, mode, "alice", "staff");
        assert_non_null(n);
        if (kind == 'f' && content) {
            size_t len = strlen(content);
            for (size_t i = 0; i < len; i++)
                if (content[i] == '~')
                    content[i] = '\0';
            assert_int_equal(lf_node_set_data(n, content, len), 0);
        }
        if (kind == 'l')
            assert_int_equal(lf_node_set_str(&n->target, content ? content : ""), 0);
        assert_int_equal(lf_node_add_child(parent, n), 0);
    }
    free(copy);
    return st;
}

static char *ser(const lf_state *st)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    return lf_buf_steal(&b, NULL);
}

#define BASE "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc l:/l>f"

typedef struct {
    const char *name;
    const char *before;
    lf_op op;
    int err;            /* expected positive errno, 0 for success */
    const char *after;  /* expected tree on success (NULL: unchanged) */
} apply_case;

/* OP() gives defaults (fh/uid/gid = -1) that a case may override. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
#define OP(...) ((lf_op){.fh = -1, .uid = -1, .gid = -1, __VA_ARGS__})
#define WR(p, d, off) OP(.kind = LF_OP_WRITE, .path = p, .data = (unsigned char *)d, \
                         .data_len = sizeof(d) - 1, .offset = off)

static const apply_case cases[] = {
    /* mkdir */
    {"mkdir", BASE, OP(.kind = LF_OP_MKDIR, .path = "/n", .mode = 040755), 0, BASE " d:/n"},
    {"mkdir nested", BASE, OP(.kind = LF_OP_MKDIR, .path = "/a/sub/n", .mode = 0700), 0,
     BASE " d:/a/sub/n#700"},
    {"mkdir sticky", BASE, OP(.kind = LF_OP_MKDIR, .path = "/t", .mode = 041777), 0, BASE " d:/t#1777"},
    {"mkdir exists dir", BASE, OP(.kind = LF_OP_MKDIR, .path = "/a", .mode = 0755), EEXIST, NULL},
    {"mkdir exists file", BASE, OP(.kind = LF_OP_MKDIR, .path = "/f", .mode = 0755), EEXIST, NULL},
    {"mkdir exists link", BASE, OP(.kind = LF_OP_MKDIR, .path = "/l", .mode = 0755), EEXIST, NULL},
    {"mkdir root", BASE, OP(.kind = LF_OP_MKDIR, .path = "/", .mode = 0755), EEXIST, NULL},
    {"mkdir no parent", BASE, OP(.kind = LF_OP_MKDIR, .path = "/zz/n", .mode = 0755), ENOENT, NULL},
    {"mkdir parent file", BASE, OP(.kind = LF_OP_MKDIR, .path = "/f/n", .mode = 0755), ENOTDIR, NULL},
    {"mkdir parent link", BASE, OP(.kind = LF_OP_MKDIR, .path = "/l/n", .mode = 0755), ENOTDIR, NULL},
    {"mkdir control name", BASE, OP(.kind = LF_OP_MKDIR, .path = "/b\x01", .mode = 0755), EINVAL, NULL},
    {"mkdir bad utf8", BASE, OP(.kind = LF_OP_MKDIR, .path = "/b\xff", .mode = 0755), EINVAL, NULL},
    {"mkdir relative", BASE, OP(.kind = LF_OP_MKDIR, .path = "a/n", .mode = 0755), EINVAL, NULL},
    /* create */
    {"create", BASE, OP(.kind = LF_OP_CREATE, .path = "/a/n.txt", .mode = 0100640), 0,
     BASE " f:/a/n.txt#640"},
    {"create utf8", BASE, OP(.kind = LF_OP_CREATE, .path = "/caf\xc3\xa9", .mode = 0100644), 0,
     BASE " f:/caf\xc3\xa9"},
    {"create exists", BASE, OP(.kind = LF_OP_CREATE, .path = "/f", .mode = 0100644), EEXIST, NULL},
    {"create no parent", BASE, OP(.kind = LF_OP_CREATE, .path = "/zz/n", .mode = 0100644), ENOENT, NULL},
    {"create parent file", BASE, OP(.kind = LF_OP_CREATE, .path = "/f/n", .mode = 0100644), ENOTDIR, NULL},
    {"create tab name", BASE, OP(.kind = LF_OP_CREATE, .path = "/t\tb", .mode = 0100644), 0,
     BASE " f:/t\tb"},
    {"create DEL name", BASE, OP(.kind = LF_OP_CREATE, .path = "/t\x7f", .mode = 0100644), EINVAL, NULL},
    /* write */
    {"write inside", BASE, WR("/f", "XY", 1), 0, "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=aXY l:/l>f"},
    {"write extends", BASE, WR("/f", "XYZ", 2), 0, "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abXYZ l:/l>f"},
    {"write past end", BASE, WR("/f", "Z", 5), 0, "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc~~Z l:/l>f"},
    {"write empty past end", BASE, WR("/f", "", 100), 0, NULL},
    {"write dir", BASE, WR("/a", "x", 0), EISDIR, NULL},
    {"write root", BASE, WR("/", "x", 0), EISDIR, NULL},
    {"write missing", BASE, WR("/nope", "x", 0), ENOENT, NULL},
    {"write link", BASE, WR("/l", "x", 0), EINVAL, NULL},
    {"write under file", BASE, WR("/f/x", "x", 0), ENOTDIR, NULL},
    {"write under missing", BASE, WR("/zz/x", "x", 0), ENOENT, NULL},
    /* truncate */
    {"truncate shrink", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/f", .length = 1), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=a l:/l>f"},
    {"truncate zero", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/f", .length = 0), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f l:/l>f"},
    {"truncate grow", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/f", .length = 5), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc~~ l:/l>f"},
    {"truncate same", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/f", .length = 3), 0, NULL},
    {"truncate dir", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/a", .length = 0), EISDIR, NULL},
    {"truncate missing", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/nope", .length = 0), ENOENT, NULL},
    {"truncate link", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/l", .length = 0), EINVAL, NULL},
    {"truncate huge", BASE, OP(.kind = LF_OP_TRUNCATE, .path = "/f", .length = 1ull << 40), EFBIG, NULL},
    /* unlink */
    {"unlink file", BASE, OP(.kind = LF_OP_UNLINK, .path = "/a/x"), 0,
     "d:/a d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc l:/l>f"},
    {"unlink link", BASE, OP(.kind = LF_OP_UNLINK, .path = "/l"), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc"},
    {"unlink dir", BASE, OP(.kind = LF_OP_UNLINK, .path = "/e"), EISDIR, NULL},
    {"unlink root", BASE, OP(.kind = LF_OP_UNLINK, .path = "/"), EISDIR, NULL},
    {"unlink missing", BASE, OP(.kind = LF_OP_UNLINK, .path = "/nope"), ENOENT, NULL},
    {"unlink under file", BASE, OP(.kind = LF_OP_UNLINK, .path = "/f/x"), ENOTDIR, NULL},
    /* rmdir */
    {"rmdir", BASE, OP(.kind = LF_OP_RMDIR, .path = "/e"), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy f:/f=abc l:/l>f"},
    {"rmdir not empty", BASE, OP(.kind = LF_OP_RMDIR, .path = "/a"), ENOTEMPTY, NULL},
    {"rmdir file", BASE, OP(.kind = LF_OP_RMDIR, .path = "/f"), ENOTDIR, NULL},
    {"rmdir link", BASE, OP(.kind = LF_OP_RMDIR, .path = "/l"), ENOTDIR, NULL},
    {"rmdir missing", BASE, OP(.kind = LF_OP_RMDIR, .path = "/nope"), ENOENT, NULL},
    {"rmdir root", BASE, OP(.kind = LF_OP_RMDIR, .path = "/"), EBUSY, NULL},
    {"rmdir under file", BASE, OP(.kind = LF_OP_RMDIR, .path = "/f/x"), ENOTDIR, NULL},
    /* rename */
    {"rename file", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/g"), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/g=abc l:/l>f"},
    {"rename file over file", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/a/x"), 0,
     "d:/a f:/a/x=abc d:/a/sub f:/a/sub/y=yy d:/e l:/l>f"},
    {"rename link over file", BASE, OP(.kind = LF_OP_RENAME, .path = "/l", .new_path = "/f"), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e l:/f>f"},
    {"rename dir over empty dir", BASE, OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/e"), 0,
     "d:/e f:/e/x=hello d:/e/sub f:/e/sub/y=yy f:/f=abc l:/l>f"},
    {"rename dir moves subtree", BASE, OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/e/b"), 0,
     "d:/e d:/e/b f:/e/b/x=hello d:/e/b/sub f:/e/b/sub/y=yy f:/f=abc l:/l>f"},
    {"rename dir over non-empty", BASE, OP(.kind = LF_OP_RENAME, .path = "/e", .new_path = "/a"),
     ENOTEMPTY, NULL},
    {"rename file over dir", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/e"), EISDIR, NULL},
    {"rename dir over file", BASE, OP(.kind = LF_OP_RENAME, .path = "/e", .new_path = "/f"), ENOTDIR, NULL},
    {"rename dir over link", BASE, OP(.kind = LF_OP_RENAME, .path = "/e", .new_path = "/l"), ENOTDIR, NULL},
    {"rename into itself", BASE, OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/a/q"), EINVAL, NULL},
    {"rename into own subdir", BASE, OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/a/sub/q"),
     EINVAL, NULL},
    {"rename onto ancestor", BASE, OP(.kind = LF_OP_RENAME, .path = "/a/sub", .new_path = "/a"),
     ENOTEMPTY, NULL},
    {"rename file onto ancestor", BASE, OP(.kind = LF_OP_RENAME, .path = "/a/x", .new_path = "/a"),
     ENOTEMPTY, NULL},
    {"rename root", BASE, OP(.kind = LF_OP_RENAME, .path = "/", .new_path = "/x"), EBUSY, NULL},
    {"rename onto root", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/"), EBUSY, NULL},
    {"rename same path", BASE, OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/a"), 0, NULL},
    {"rename missing", BASE, OP(.kind = LF_OP_RENAME, .path = "/nope", .new_path = "/x"), ENOENT, NULL},
    {"rename no new parent", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/zz/x"),
     ENOENT, NULL},
    {"rename new parent file", BASE, OP(.kind = LF_OP_RENAME, .path = "/a/x", .new_path = "/f/x"),
     ENOTDIR, NULL},
    {"rename bad name", BASE, OP(.kind = LF_OP_RENAME, .path = "/f", .new_path = "/g\x1b"), EINVAL, NULL},
    /* chmod / chown */
    {"chmod file", BASE, OP(.kind = LF_OP_CHMOD, .path = "/f", .mode = 0104755), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc#4755 l:/l>f"},
    {"chmod dir", BASE, OP(.kind = LF_OP_CHMOD, .path = "/e", .mode = 040700), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e#700 f:/f=abc l:/l>f"},
    {"chmod link node", BASE, OP(.kind = LF_OP_CHMOD, .path = "/l", .mode = 0120700), 0,
     "d:/a f:/a/x=hello d:/a/sub f:/a/sub/y=yy d:/e f:/f=abc l:/l>f#700"},
    {"chmod missing", BASE, OP(.kind = LF_OP_CHMOD, .path = "/nope", .mode = 0644), ENOENT, NULL},
    {"chown missing", BASE, OP(.kind = LF_OP_CHOWN, .path = "/nope", .uid = 0, .gid = 0), ENOENT, NULL},
    {"chown unchanged", BASE, OP(.kind = LF_OP_CHOWN, .path = "/f", .uid = -1, .gid = -1), 0, NULL},
    /* symlink */
    {"symlink", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/a/m", .link_target = "../f"), 0,
     BASE " l:/a/m>../f"},
    {"symlink dangling", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/m", .link_target = "nowhere"), 0,
     BASE " l:/m>nowhere"},
    {"symlink exists", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/f", .link_target = "x"), EEXIST, NULL},
    {"symlink no parent", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/zz/m", .link_target = "x"), ENOENT, NULL},
    {"symlink parent file", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/f/m", .link_target = "x"), ENOTDIR, NULL},
    {"symlink control target", BASE, OP(.kind = LF_OP_SYMLINK, .path = "/m", .link_target = "a\x02"),
     EINVAL, NULL},
    /* queries change nothing */
    {"readdir missing", BASE, OP(.kind = LF_OP_READDIR, .path = "/nope"), ENOENT, NULL},
    {"readdir file", BASE, OP(.kind = LF_OP_READDIR, .path = "/f"), ENOTDIR, NULL},
    {"readdir link", BASE, OP(.kind = LF_OP_READDIR, .path = "/l"), ENOTDIR, NULL},
    {"read dir", BASE, OP(.kind = LF_OP_READ, .path = "/a"), EISDIR, NULL},
    {"read missing", BASE, OP(.kind = LF_OP_READ, .path = "/nope"), ENOENT, NULL},
    {"read link", BASE, OP(.kind = LF_OP_READ, .path = "/l"), EINVAL, NULL},
    {"readlink file", BASE, OP(.kind = LF_OP_READLINK, .path = "/f"), EINVAL, NULL},
    {"readlink dir", BASE, OP(.kind = LF_OP_READLINK, .path = "/a"), EINVAL, NULL},
    {"readlink missing", BASE, OP(.kind = LF_OP_READLINK, .path = "/nope"), ENOENT, NULL},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const apply_case *c = &cases[i];
        lf_state *st = build(c->before);
        char *before = ser(st);
        lf_answer ans = {0};
        int rc = lf_state_apply(st, &c->op, &ans);
        if (rc != c->err)
            fail_msg("%s: got %d (%s), want %d", c->name, rc, lf_errno_name(rc) ? lf_errno_name(rc) : "?",
                     c->err);
        char *after = ser(st);
        lf_state *want = build(c->after && rc == 0 ? c->after : c->before);
        char *wants = ser(want);
        if (strcmp(after, wants) != 0)
            fail_msg("%s:\n got  %s\n want %s", c->name, after, wants);
        if (rc != 0 && strcmp(before, after) != 0)
            fail_msg("%s: a failing operation changed the state", c->name);
        lf_answer_free(&ans);
        free(before);
        free(after);
        free(wants);
        lf_state_free(st);
        lf_state_free(want);
    }
}

static void test_owner_and_chown(void **state)
{
    (void)state;
    lf_state *st = build(BASE);
    lf_op mk = OP(.kind = LF_OP_MKDIR, .path = "/n", .mode = 0755);
    assert_int_equal(lf_state_apply(st, &mk, NULL), 0);
    lf_node *n = lf_state_lookup(st, "/n", NULL);
    assert_string_equal(n->owner, "alice");
    assert_string_equal(n->group, "staff");
    lf_op ch = OP(.kind = LF_OP_CHOWN, .path = "/n", .uid = 0, .gid = 1000);
    assert_int_equal(lf_state_apply(st, &ch, NULL), 0);
    assert_string_equal(n->owner, "root");
    assert_string_equal(n->group, "1000");
    ch = OP(.kind = LF_OP_CHOWN, .path = "/n", .uid = 42, .gid = 0xFFFFFFFFLL); /* (gid_t)-1 */
    assert_int_equal(lf_state_apply(st, &ch, NULL), 0);
    assert_string_equal(n->owner, "42");
    assert_string_equal(n->group, "1000");
    ch = OP(.kind = LF_OP_CHOWN, .path = "/l", .uid = 0, .gid = 0);
    assert_int_equal(lf_state_apply(st, &ch, NULL), 0);
    lf_node *l = lf_state_lookup(st, "/l", NULL);
    assert_string_equal(l->owner, "root");
    assert_string_equal(lf_state_lookup(st, "/f", NULL)->owner, "alice"); /* not followed */
    ch = OP(.kind = LF_OP_CHOWN, .path = "/", .uid = 7, .gid = 0);
    assert_int_equal(lf_state_apply(st, &ch, NULL), 0);
    assert_string_equal(st->root->owner, "7");
    assert_string_equal(st->root->group, "root");
    /* after a rename every descendant's path follows */
    lf_op rn = OP(.kind = LF_OP_RENAME, .path = "/a", .new_path = "/n/b");
    assert_int_equal(lf_state_apply(st, &rn, NULL), 0);
    lf_node *y = lf_state_lookup(st, "/n/b/sub/y", NULL);
    assert_non_null(y);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_node_relpath(y, &b), 0);
    assert_string_equal(b.data, "n/b/sub/y");
    lf_buf_free(&b);
    assert_null(lf_state_lookup(st, "/a", NULL));
    lf_state_free(st);
}

static void test_queries(void **state)
{
    (void)state;
    lf_state *st = build(BASE " f:/z=~\xff");
    char *before = ser(st);
    lf_answer a;
    lf_op rd = OP(.kind = LF_OP_READDIR, .path = "/", .fh = 0);
    assert_int_equal(lf_oracle_answer(st, &rd, &a), 0);
    assert_int_equal(a.kind, LF_ANS_LIST);
    assert_int_equal(a.nnames, 5);
    const char *want[] = {"a", "e", "f", "l", "z"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(a.names[i], want[i]);
    lf_answer_free(&a);
    lf_op re = OP(.kind = LF_OP_READDIR, .path = "/e");
    assert_int_equal(lf_oracle_answer(st, &re, &a), 0);
    assert_int_equal(a.kind, LF_ANS_LIST);
    assert_int_equal(a.nnames, 0);
    lf_answer_free(&a);
    lf_op rf = OP(.kind = LF_OP_READ, .path = "/z", .size = 1, .offset = 1);
    assert_int_equal(lf_oracle_answer(st, &rf, &a), 0);
    assert_int_equal(a.kind, LF_ANS_BYTES);
    assert_int_equal(a.nbytes, 2); /* whole content, whatever size/offset say */
    assert_memory_equal(a.bytes, "\0\xff", 2);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_completion_render(&rf, &a, &b), 0);
    assert_string_equal(b.data, "AP8=");
    lf_buf_free(&b);
    lf_answer_free(&a);
    lf_op rl = OP(.kind = LF_OP_READLINK, .path = "/l");
    assert_int_equal(lf_oracle_answer(st, &rl, &a), 0);
    assert_int_equal(a.kind, LF_ANS_BYTES);
    assert_int_equal(a.nbytes, 1);
    assert_memory_equal(a.bytes, "f", 1);
    lf_answer_free(&a);
    lf_op bad = OP(.kind = LF_OP_READ, .path = "/a");
    assert_int_equal(lf_oracle_answer(st, &bad, &a), 0);
    assert_int_equal(a.kind, LF_ANS_ERROR);
    assert_int_equal(a.err, EISDIR);
    lf_answer_free(&a);
    /* a <W> answer is a new state; the input is untouched */
    lf_op mk = OP(.kind = LF_OP_MKDIR, .path = "/n", .mode = 0755);
    assert_int_equal(lf_oracle_answer(st, &mk, &a), 0);
    assert_int_equal(a.kind, LF_ANS_STATE);
    assert_non_null(lf_state_lookup(a.state, "/n", NULL));
    lf_answer_free(&a);
    lf_op rm = OP(.kind = LF_OP_RMDIR, .path = "/a");
    assert_int_equal(lf_oracle_answer(st, &rm, &a), 0);
    assert_int_equal(a.kind, LF_ANS_ERROR);
    assert_int_equal(a.err, ENOTEMPTY);
    lf_answer_free(&a);
    char *after = ser(st);
    assert_string_equal(before, after);
    free(before);
    free(after);
    lf_state_free(st);
}

/* Random operations on a small name space: apply never fails internally, a
 * failing operation leaves the state byte-identical, and every state reached
 * serialises to a document that parses strictly back to the same tree. */
static uint64_t rng = 0x853C49E6748FEA9Bull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_random_ops(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/", "/a", "/b", "/a/b", "/a/c", "/b/a", "/l", "/a/l", "/x/y", "/a/b/c", "/a/b/c/d",
    };
    static const char *const targets[] = {"a", "../b", "/a/b", "nowhere", "l"};
    static unsigned char bytes[] = {'h', 'i', 0, '\n', 0xff, '<', '&'};
    lf_state *st = build("d:/a f:/b=xyz");
    int ok = 0, failed = 0;
    for (int i = 0; i < 4000; i++) {
        lf_op op = OP(.kind = (lf_op_kind)(next_rand() % LF_OP__COUNT));
        op.path = (char *)paths[next_rand() % (sizeof paths / sizeof paths[0])];
        op.new_path = (char *)paths[next_rand() % (sizeof paths / sizeof paths[0])];
        op.link_target = (char *)targets[next_rand() % (sizeof targets / sizeof targets[0])];
        op.mode = (unsigned)(next_rand() % 010000) | (next_rand() % 2 ? 0100000 : 040000);
        op.data = bytes + next_rand() % 4;
        op.data_len = (size_t)(next_rand() % 4);
        op.offset = next_rand() % 6;
        op.length = next_rand() % 8;
        op.uid = (long long)(next_rand() % 3) - 1;
        op.gid = (long long)(next_rand() % 3) - 1;
        char *before = ser(st);
        lf_answer ans = {0};
        int rc = lf_state_apply(st, &op, &ans);
        assert_true(rc >= 0);
        char *after = ser(st);
        if (rc > 0) {
            assert_string_equal(before, after);
            failed++;
        } else {
            ok++;
        }
        if (!lf_op_is_write(op.kind))
            assert_string_equal(before, after);
        lf_state *back = NULL;
        lf_err err;
        if (lf_state_parse(after, strlen(after), LF_PARSE_STRICT, &back, NULL, &err) != 0)
            fail_msg("op %d (%s %s): state does not parse back: %s", i, lf_op_name(op.kind),
                     op.path, err.msg);
        assert_true(lf_state_equal(st, back));
        lf_state_free(back);
        lf_answer_free(&ans);
        free(before);
        free(after);
    }
    assert_true(ok > 500 && failed > 500);
    lf_state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_owner_and_chown),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_random_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
