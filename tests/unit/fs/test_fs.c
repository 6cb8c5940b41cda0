/* test_fs.c: the mount's pure logic (src/fs/check.c: shape checks of
 * answers, the errno table, names, excerpts) and its engine (src/fs/mount.c)
 * with the oracle and with a scripted backend that answers wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "fs/check.h"
#include "fs/mount.h"
#include "state/apply.h"
#include "util/file.h"

#define D(p, n) "<directory path=\"" p "\" name=\"" n "\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\""
#define F(p, n, sz) "<file path=\"" p "\" name=\"" n "\" mode=\"644\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"" sz "\""

static const char *BASE =
    "<filesystem>" D("/", "/") ">" D("a", "a") ">" F("a/f", "f", "5") "><body>hello</body></file>"
    "</directory>" D("e", "e") " />"
    "<symlink path=\"l\" name=\"l\" mode=\"777\" owner=\"root\" group=\"root\" "
    "mtime=\"2025-01-01T00:00:00\" target=\"a/f\" /></directory></filesystem>";

static lf_state *parse(const char *xml)
{
    lf_state *st = NULL;
    lf_err err;
    int rc = lf_state_parse(xml, strlen(xml), LF_PARSE_STRICT, &st, NULL, &err);
    if (rc < 0)
        fprintf(stderr, "parse: %s\n", err.msg);
    assert_int_equal(rc, 0);
    return st;
}

typedef struct op_case {
    lf_op_kind kind;
    const char *path, *new_path, *target, *data;
    unsigned mode;
    long long uid, gid;
    uint64_t offset, length;
} op_case;

/* Every <W> op kind, on BASE, each one that succeeds. */
static const op_case W_CASES[] = {
    {.kind = LF_OP_MKDIR, .path = "/b", .mode = 040750},
    {.kind = LF_OP_MKDIR, .path = "/a/sub", .mode = 040755},
    {.kind = LF_OP_CREATE, .path = "/a/g", .mode = 0100600},
    {.kind = LF_OP_WRITE, .path = "/a/f", .data = "XY", .offset = 3},
    {.kind = LF_OP_WRITE, .path = "/a/f", .data = "Z", .offset = 10},
    {.kind = LF_OP_WRITE, .path = "/a/f", .data = "</body><END_FS>", .offset = 0},
    {.kind = LF_OP_TRUNCATE, .path = "/a/f", .length = 2},
    {.kind = LF_OP_TRUNCATE, .path = "/a/f", .length = 9},
    {.kind = LF_OP_UNLINK, .path = "/a/f"},
    {.kind = LF_OP_UNLINK, .path = "/l"},
    {.kind = LF_OP_RMDIR, .path = "/e"},
    {.kind = LF_OP_RENAME, .path = "/a/f", .new_path = "/e/g"},
    {.kind = LF_OP_RENAME, .path = "/a", .new_path = "/e"},
    {.kind = LF_OP_RENAME, .path = "/a", .new_path = "/z"},
    {.kind = LF_OP_RENAME, .path = "/l", .new_path = "/a/f"},
    {.kind = LF_OP_CHMOD, .path = "/a/f", .mode = 0100600},
    {.kind = LF_OP_CHMOD, .path = "/", .mode = 040700},
    {.kind = LF_OP_CHOWN, .path = "/a/f", .uid = 1000, .gid = -1},
    {.kind = LF_OP_CHOWN, .path = "/a", .uid = 5, .gid = 6},
    {.kind = LF_OP_SYMLINK, .path = "/e/s", .target = "../a/f"},
};

static void make_op(const op_case *c, lf_op *op)
{
    memset(op, 0, sizeof *op);
    op->kind = c->kind;
    op->path = strdup(c->path);
    op->new_path = c->new_path ? strdup(c->new_path) : NULL;
    op->link_target = c->target ? strdup(c->target) : NULL;
    op->mode = c->mode;
    op->uid = c->uid;
    op->gid = c->gid;
    op->offset = c->offset;
    op->length = c->length;
    op->fh = -1;
    if (c->data) {
        op->data_len = strlen(c->data);
        op->data = (unsigned char *)strdup(c->data);
    }
}

/* The oracle's state after op. */
static lf_state *oracle_after(const lf_state *old, const lf_op *op)
{
    lf_state *nw = lf_state_clone(old);
    assert_non_null(nw);
    assert_int_equal(lf_state_apply(nw, op, NULL), 0);
    return nw;
}

static void test_check_accepts_oracle(void **s)
{
    (void)s;
    lf_state *old = parse(BASE);
    for (size_t i = 0; i < sizeof W_CASES / sizeof W_CASES[0]; i++) {
        lf_op op;
        make_op(&W_CASES[i], &op);
        lf_state *nw = oracle_after(old, &op);
        lf_err err;
        lf_err_clear(&err);
        int rc = lf_fs_check_state(&op, old, nw, &err);
        if (rc)
            fprintf(stderr, "case %zu (%s): %s\n", i, lf_op_name(op.kind), err.msg);
        assert_int_equal(rc, 0);
        lf_state_free(nw);
        lf_op_free(&op);
    }
    lf_state_free(old);
}

static void test_check_refuses_stale(void **s)
{
    (void)s;
    lf_state *old = parse(BASE);
    for (size_t i = 0; i < sizeof W_CASES / sizeof W_CASES[0]; i++) {
        lf_op op;
        make_op(&W_CASES[i], &op);
        lf_err err;
        assert_int_equal(lf_fs_check_state(&op, old, old, &err), -EIO);
        assert_true(strlen(err.msg) > 10);
        lf_op_free(&op);
    }
    lf_state_free(old);
}

/* lf_fs_judge on raw text: the oracle's rendered answer and an ERROR pass;
 * the old state again, text that does not parse, a non-state and a bad
 * listing are refused with -EIO, the reason in err and *ans left empty. */
static void test_judge(void **s)
{
    (void)s;
    lf_state *old = parse(BASE);
    for (size_t i = 0; i < sizeof W_CASES / sizeof W_CASES[0]; i++) {
        lf_op op;
        make_op(&W_CASES[i], &op);
        lf_answer oa = {0}, got;
        lf_buf text, stale;
        lf_buf_init(&text, 0);
        lf_buf_init(&stale, 0);
        assert_int_equal(lf_oracle_answer(old, &op, &oa), 0);
        assert_int_equal(lf_completion_render(&op, &oa, &text), 0);
        lf_err err;
        lf_err_clear(&err);
        assert_int_equal(lf_fs_judge(&op, old, text.data, text.len, &got, &err), 0);
        assert_int_equal(got.kind, oa.kind);
        lf_answer_free(&got);
        /* the unchanged state: parses, but does not reflect the op */
        lf_answer same = {.kind = LF_ANS_STATE, .state = old};
        assert_int_equal(lf_completion_render(&op, &same, &stale), 0);
        assert_int_equal(lf_fs_judge(&op, old, stale.data, stale.len, &got, &err), -EIO);
        assert_non_null(strstr(err.msg, "does not reflect"));
        assert_int_equal(got.kind, 0);
        assert_null(got.state);
        /* cut short: does not parse */
        assert_int_equal(lf_fs_judge(&op, old, text.data, text.len / 2, &got, &err), -EIO);
        assert_non_null(strstr(err.msg, "does not parse"));
        assert_int_equal(lf_fs_judge(&op, old, "ERROR: ENOENT", 13, &got, &err), 0);
        assert_int_equal(got.kind, LF_ANS_ERROR);
        lf_answer_free(&got);
        lf_answer_free(&oa);
        lf_buf_free(&text);
        lf_buf_free(&stale);
        lf_op_free(&op);
    }
    lf_op rd = {.kind = LF_OP_READDIR, .path = "/"};
    lf_answer got;
    lf_err err;
    assert_int_equal(lf_fs_judge(&rd, old, "[\".\",\"..\",\"a\"]", 14, &got, &err), 0);
    lf_answer_free(&got);
    assert_int_equal(lf_fs_judge(&rd, old, "[\".\",\"a/b\"]", 13, &got, &err), -EIO);
    assert_int_equal(lf_fs_judge(&rd, old, "ERROR: ENOENT", 13, &got, &err), -EIO);
    lf_state_free(old);
}

/* The oracle's answer plus a stray file somewhere else: refused. */
static void test_check_refuses_other_changes(void **s)
{
    (void)s;
    lf_state *old = parse(BASE);
    for (size_t i = 0; i < sizeof W_CASES / sizeof W_CASES[0]; i++) {
        lf_op op;
        make_op(&W_CASES[i], &op);
        lf_state *nw = oracle_after(old, &op);
        lf_node *stray = lf_node_new(LF_NODE_FILE, "zz-stray", 0644, "root", "root");
        assert_non_null(stray);
        assert_int_equal(lf_node_add_child(nw->root, stray), 0);
        lf_err err;
        lf_err_clear(&err);
        int rc = lf_fs_check_state(&op, old, nw, &err);
        if (rc != -EIO)
            fprintf(stderr, "case %zu (%s) accepted a stray file\n", i, lf_op_name(op.kind));
        assert_int_equal(rc, -EIO);
        lf_state_free(nw);
        lf_op_free(&op);
    }
    lf_state_free(old);
}

static void test_check_details(void **s)
{
    (void)s;
    lf_state *old = parse(BASE);
    lf_err err;
    lf_op op;

    /* write: one wrong byte in the written range */
    make_op(&W_CASES[3], &op);
    lf_state *nw = oracle_after(old, &op);
    lf_node *f = lf_state_lookup(nw, "/a/f", NULL);
    f->data[4] = 'q';
    assert_int_equal(lf_fs_check_state(&op, old, nw, &err), -EIO);
    assert_non_null(strstr(err.msg, "written bytes differ"));
    lf_state_free(nw);
    lf_op_free(&op);

    /* write past the end: the gap must be zeros */
    make_op(&W_CASES[4], &op);
    nw = oracle_after(old, &op);
    f = lf_state_lookup(nw, "/a/f", NULL);
    assert_int_equal(f->size, 11);
    f->data[7] = ' ';
    assert_int_equal(lf_fs_check_state(&op, old, nw, &err), -EIO);
    assert_non_null(strstr(err.msg, "zero"));
    lf_state_free(nw);
    lf_op_free(&op);

    /* mkdir with the wrong mode */
    make_op(&W_CASES[0], &op);
    nw = oracle_after(old, &op);
    lf_state_lookup(nw, "/b", NULL)->mode = 0755;
    assert_int_equal(lf_fs_check_state(&op, old, nw, &err), -EIO);
    assert_non_null(strstr(err.msg, "mode"));
    lf_state_free(nw);
    lf_op_free(&op);

    /* rename that copies instead of moving */
    make_op(&W_CASES[11], &op);
    nw = oracle_after(old, &op);
    lf_node *back = lf_node_new(LF_NODE_FILE, "f", 0644, "root", "root");
    assert_int_equal(lf_node_set_data(back, "hello", 5), 0);
    assert_int_equal(lf_node_add_child(lf_state_lookup(nw, "/a", NULL), back), 0);
    assert_int_equal(lf_fs_check_state(&op, old, nw, &err), -EIO);
    assert_non_null(strstr(err.msg, "still"));
    lf_state_free(nw);
    lf_op_free(&op);

    /* success claimed where the op must fail: rmdir of a non-empty dir */
    op_case rm = {.kind = LF_OP_RMDIR, .path = "/a"};
    make_op(&rm, &op);
    nw = lf_state_clone(old);
    lf_node *an = lf_state_lookup(nw, "/a", NULL);
    lf_node_detach(an);
    lf_node_free(an);
    assert_int_equal(lf_fs_check_state(&op, old, nw, &err), -EIO);
    assert_non_null(strstr(err.msg, "not empty"));
    lf_state_free(nw);
    lf_op_free(&op);

    /* a query is not a <W> op */
    op_case rd = {.kind = LF_OP_READ, .path = "/a/f"};
    make_op(&rd, &op);
    assert_int_equal(lf_fs_check_state(&op, old, old, &err), -EINVAL);
    lf_op_free(&op);
    lf_state_free(old);
}

static void test_query_checks(void **s)
{
    (void)s;
    lf_state *st = parse(BASE);
    static const struct {
        lf_op_kind kind;
        const char *path;
        int want;
    } cases[] = {
        {LF_OP_READ, "/a/f", 0},        {LF_OP_READ, "/a", -EISDIR},
        {LF_OP_READ, "/l", -EINVAL},    {LF_OP_READ, "/nope", -ENOENT},
        {LF_OP_READDIR, "/", 0},        {LF_OP_READDIR, "/a/f", -ENOTDIR},
        {LF_OP_READDIR, "/x/y", -ENOENT}, {LF_OP_READLINK, "/l", 0},
        {LF_OP_READLINK, "/a/f", -EINVAL}, {LF_OP_READLINK, "/q", -ENOENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_op op = {.kind = cases[i].kind, .path = (char *)cases[i].path};
        assert_int_equal(lf_fs_query_precheck(&op, st), cases[i].want);
    }
    lf_err err;
    lf_op op = {.kind = LF_OP_READDIR, .path = "/"};
    char *bad[] = {"ok", "a/b"}, *good[] = {".", "..", "a", "e"};
    lf_answer a = {.kind = LF_ANS_LIST, .names = bad, .nnames = 2};
    assert_int_equal(lf_fs_check_query(&op, &a, &err), -EIO);
    a.names = good;
    a.nnames = 4;
    assert_int_equal(lf_fs_check_query(&op, &a, &err), 0);
    lf_answer e = {.kind = LF_ANS_ERROR, .err = ENOENT};
    assert_int_equal(lf_fs_check_query(&op, &e, &err), -EIO);
    lf_answer bytes = {.kind = LF_ANS_BYTES, .bytes = (unsigned char *)"x", .nbytes = 1};
    assert_int_equal(lf_fs_check_query(&op, &bytes, &err), -EIO);
    op.kind = LF_OP_READLINK;
    bytes.nbytes = 0;
    assert_int_equal(lf_fs_check_query(&op, &bytes, &err), -EIO);
    lf_state_free(st);
}

static void test_errno_table(void **s)
{
    (void)s;
    static const struct { int in, want; } model[] = {
        {ENOENT, -ENOENT}, {EEXIST, -EEXIST}, {ENOTEMPTY, -ENOTEMPTY}, {ENOTDIR, -ENOTDIR},
        {EISDIR, -EISDIR}, {EINVAL, -EINVAL}, {EBUSY, -EBUSY}, {EPERM, -EPERM},
        {EIO, -EIO}, {EFAULT, -EIO}, {ENOMEM, -EIO}, {ETIMEDOUT, -EIO}, {0, -EIO},
    };
    for (size_t i = 0; i < sizeof model / sizeof model[0]; i++)
        assert_int_equal(lf_fs_errno_from_model(model[i].in), model[i].want);
    static const struct { int in, want; } backend[] = {
        {-ETIMEDOUT, -EIO}, {-ECONNREFUSED, -EIO}, {-EBADMSG, -EIO}, {-E2BIG, -EIO},
        {-ENOSPC, -ENOSPC}, {-ENOMEM, -ENOMEM}, {-EPROTO, -EIO},
    };
    for (size_t i = 0; i < sizeof backend / sizeof backend[0]; i++)
        assert_int_equal(lf_fs_errno_from_backend(backend[i].in), backend[i].want);
}

static void test_names_and_excerpts(void **s)
{
    (void)s;
    assert_true(lf_fs_path_ok("/"));
    assert_true(lf_fs_path_ok("/a/b c/\xc3\xa9"));
    assert_false(lf_fs_path_ok("/a/\x01"));
    assert_false(lf_fs_path_ok("/a/\xff"));
    assert_false(lf_fs_path_ok("/a//b"));
    assert_false(lf_fs_path_ok("/a/"));
    assert_false(lf_fs_path_ok("a"));
    char longname[300];
    longname[0] = '/';
    memset(longname + 1, 'x', 256);
    longname[257] = 0;
    assert_false(lf_fs_path_ok(longname));
    longname[256] = 0;
    assert_true(lf_fs_path_ok(longname));
    lf_op sl = {.kind = LF_OP_SYMLINK, .path = "/l", .link_target = "../a b/\xc3\xa9\t"};
    assert_int_equal(lf_fs_op_names_check(&sl), 0);
    sl.link_target = "a\x01";
    assert_int_equal(lf_fs_op_names_check(&sl), -EINVAL);
    sl.link_target = "";
    assert_int_equal(lf_fs_op_names_check(&sl), -EINVAL);
    lf_op rn = {.kind = LF_OP_RENAME, .path = "/a", .new_path = "/b/\x7f"};
    assert_int_equal(lf_fs_op_names_check(&rn), -EINVAL);
    rn.new_path = "/b/c";
    assert_int_equal(lf_fs_op_names_check(&rn), 0);
    rn.new_path = longname; /* 256 bytes: '/' + 255 */
    assert_int_equal(lf_fs_op_names_check(&rn), 0);
    longname[256] = 'x';
    assert_int_equal(lf_fs_op_names_check(&rn), -ENAMETOOLONG);

    lf_buf b;
    lf_buf_init(&b, 0);
    lf_fs_diff_excerpt("abcdef", 6, "abcXef", 6, &b);
    assert_string_equal(b.data, "at byte 3: expected 'abcdef' got 'abcXef'");
    lf_buf_reset(&b);
    lf_fs_diff_excerpt("abc", 3, "abc\n", 4, &b);
    assert_string_equal(b.data, "at byte 3: expected 'abc' got 'abc\\n'");
    lf_buf_reset(&b);
    lf_fs_diff_excerpt("same", 4, "same", 4, &b);
    assert_string_equal(b.data, "identical");
    lf_buf_reset(&b);
    lf_fs_excerpt("a\x01\\", 3, 10, &b);
    assert_string_equal(b.data, "a\\x01\\\\");
    lf_buf_free(&b);
}

/* ---- the engine ---- */

/* A backend that answers every request with the text in `script`. */
static const char *script;
static int script_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                           lf_backend_stats *stats, lf_err *err)
{
    (void)b, (void)req, (void)stats, (void)err;
    return lf_buf_puts(out, script);
}
static long script_count(lf_backend *b, const char *t, size_t n)
{
    (void)b, (void)t;
    return (long)n / 4 + 1;
}
static void script_free(lf_backend *b) { free(b); }
static const lf_backend_vt script_vt = {"script", script_complete, script_count, script_free};

static lf_mount *new_mount_opts(const char *path, lf_backend *b, bool verify, bool strict)
{
    lf_mount_opts o = {.state_path = path, .verify = verify, .strict = strict,
                       .owner = "root", .group = "root"};
    lf_mount *m = NULL;
    lf_err err;
    assert_int_equal(lf_mount_new(&o, &m, &err), 0);
    lf_mount_set_backend(m, b);
    return m;
}

static lf_mount *new_mount(const char *path, lf_backend *b, bool verify)
{
    return new_mount_opts(path, b, verify, false);
}

static void test_engine(void **s)
{
    (void)s;
    char path[] = "/tmp/lf-test-fs-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);

    /* the oracle: accepted, saved */
    lf_backend *b = NULL;
    lf_backend_opts bo = {.contract = -1};
    assert_int_equal(lf_backend_new("oracle", &bo, &b, NULL), 0);
    lf_mount *m = new_mount(path, b, true);
    /* the state file is locked while mounted */
    lf_mount_opts o2 = {.state_path = path, .owner = "root", .group = "root"};
    lf_mount *m3 = NULL;
    lf_err err3;
    assert_int_equal(lf_mount_new(&o2, &m3, &err3), -EBUSY);
    assert_non_null(strstr(err3.msg, "in use"));
    lf_op op = {.kind = LF_OP_MKDIR, .path = "/d", .mode = 040755, .fh = -1};
    assert_int_equal(lf_mount_write(m, &op, 0), 0);
    assert_int_equal(lf_mount_write(m, &op, 0), -EEXIST);
    lf_op mk = {.kind = LF_OP_CREATE, .path = "/d/f", .mode = 0100644, .fh = -1};
    assert_int_equal(lf_mount_write(m, &mk, 0), 0);
    lf_op wr = {.kind = LF_OP_WRITE, .path = "/d/f", .data = (unsigned char *)"abc",
                .data_len = 3, .fh = 4};
    assert_int_equal(lf_mount_write(m, &wr, 0), 0);
    assert_int_equal(lf_mount_write(m, &wr, LF_MOUNT_APPEND), 0);
    lf_op rd = {.kind = LF_OP_READ, .path = "/d/f", .size = 4096, .fh = 4};
    lf_answer ans;
    assert_int_equal(lf_mount_query(m, &rd, &ans), 0);
    assert_int_equal(ans.nbytes, 6);
    assert_memory_equal(ans.bytes, "abcabc", 6);
    lf_answer_free(&ans);
    rd.path = "/d";
    assert_int_equal(lf_mount_query(m, &rd, &ans), -EISDIR);
    lf_op rn = {.kind = LF_OP_RENAME, .path = "/d", .new_path = "/d", .fh = -1};
    assert_int_equal(lf_mount_write(m, &rn, LF_MOUNT_NOREPLACE), -EEXIST);
    lf_op bad = {.kind = LF_OP_MKDIR, .path = "/x\x01", .mode = 040755, .fh = -1};
    assert_int_equal(lf_mount_write(m, &bad, 0), -EINVAL);
    lf_op ctl = {.kind = LF_OP_MKDIR, .path = "/.llmfuse", .mode = 040755, .fh = -1};
    assert_int_equal(lf_mount_write(m, &ctl, 0), -EPERM);
    lf_snap *sn = lf_mount_snap(m);
    assert_int_equal(sn->gen, 4);
    lf_buf disk;
    lf_buf_init(&disk, 0);
    assert_int_equal(lf_file_read(path, 1 << 20, &disk, NULL), 0);
    assert_int_equal(disk.len, sn->xml_len);
    assert_memory_equal(disk.data, sn->xml, sn->xml_len);
    lf_snap_put(sn);
    lf_buf st;
    lf_buf_init(&st, 0);
    assert_int_equal(lf_mount_stats_json(m, &st), 0);
    assert_non_null(strstr(st.data, "\"divergences\":0,"));
    assert_non_null(strstr(st.data, "\"mkdir\":{\"calls\":4,\"errors\":3,"));
    lf_buf_free(&st);
    lf_mount_free(m);

    /* remount: resumes; a scripted backend that answers wrong changes nothing */
    lf_backend *sb = calloc(1, sizeof *sb);
    sb->vt = &script_vt;
    m = new_mount(path, sb, true);
    static const struct { const char *text; int want; } wrong[] = {
        {"not a state", -EIO},
        {"<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\" /></filesystem>\n<END_FS>", -EIO},
        {"ERROR: ENOTEMPTY", -ENOTEMPTY},
        {"ERROR: EFAULT", -EIO},
        {"ERROR: something went wrong", -EIO},
    };
    lf_op mk2 = {.kind = LF_OP_MKDIR, .path = "/d/e", .mode = 040755, .fh = -1};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        script = wrong[i].text;
        assert_int_equal(lf_mount_write(m, &mk2, 0), wrong[i].want);
    }
    sn = lf_mount_snap(m);
    assert_int_equal(sn->gen, 0);
    assert_int_equal(disk.len, sn->xml_len);
    assert_memory_equal(disk.data, sn->xml, sn->xml_len);
    lf_snap_put(sn);
    lf_buf after;
    lf_buf_init(&after, 0);
    assert_int_equal(lf_file_read(path, 1 << 20, &after, NULL), 0);
    assert_int_equal(after.len, disk.len);
    assert_memory_equal(after.data, disk.data, disk.len);
    lf_buf_free(&after);
    /* a read answered with an error the state contradicts: EIO */
    script = "ERROR: ENOENT";
    rd.path = "/d/f";
    assert_int_equal(lf_mount_query(m, &rd, &ans), -EIO);
    lf_buf_init(&st, 0);
    assert_int_equal(lf_mount_stats_json(m, &st), 0);
    assert_non_null(strstr(st.data, "\"divergences\":6,"));
    assert_non_null(strstr(st.data, "\"refusals\":3,"));
    lf_buf_free(&st);
    /* a listing naming what the state lacks: those names are dropped */
    script = "[\".\",\"..\",\"d\",\"ghost\",\"d\"]";
    lf_op ls = {.kind = LF_OP_READDIR, .path = "/", .fh = 0};
    assert_int_equal(lf_mount_query(m, &ls, &ans), 0);
    assert_int_equal(ans.nnames, 1);
    assert_string_equal(ans.names[0], "d");
    lf_answer_free(&ans);
    script = "[\"a/b\"]";
    assert_int_equal(lf_mount_query(m, &ls, &ans), -EIO);
    /* a read's whole-file answer is kept per handle for reads at offset > 0 */
    static const struct { const char *script; long long fh; uint64_t off; const char *want; } rc_cases[] = {
        {"hello world", 7, 0, "hello world"}, /* asks */
        {"CHANGED", 7, 5, " world"},          /* cached */
        {"CHANGED", 8, 5, "ED"},              /* another handle asks */
        {"AGAIN", 7, 0, "AGAIN"},             /* offset 0 always asks */
        {"LATER", 7, 2, "AIN"},               /* cached again */
    };
    for (size_t i = 0; i < sizeof rc_cases / sizeof rc_cases[0]; i++) {
        script = rc_cases[i].script;
        lf_op r = {.kind = LF_OP_READ, .path = "/d/f", .size = 4096, .offset = rc_cases[i].off,
                   .fh = rc_cases[i].fh};
        assert_int_equal(lf_mount_query(m, &r, &ans), 0);
        size_t wl = strlen(rc_cases[i].want);
        assert_true(ans.nbytes >= r.offset);
        assert_int_equal(ans.nbytes - r.offset, wl);
        assert_memory_equal(ans.bytes + r.offset, rc_cases[i].want, wl);
        lf_answer_free(&ans);
    }
    lf_mount_forget(m, 7);
    script = "FORGOTTEN";
    lf_op r7 = {.kind = LF_OP_READ, .path = "/d/f", .size = 4096, .offset = 3, .fh = 7};
    assert_int_equal(lf_mount_query(m, &r7, &ans), 0);
    assert_memory_equal(ans.bytes, "FORGOTTEN", 9);
    lf_answer_free(&ans);
    lf_mount_free(m);

    /* a corrupt file: refused, untouched */
    assert_int_equal(lf_file_write_atomic(path, "<filesystem>", 12, NULL), 0);
    lf_mount_opts o = {.state_path = path, .owner = "root", .group = "root"};
    lf_mount *m2 = NULL;
    lf_err err;
    assert_int_equal(lf_mount_new(&o, &m2, &err), -EINVAL);
    assert_null(m2);
    assert_non_null(strstr(err.msg, "is not a valid state"));
    lf_buf_reset(&disk);
    assert_int_equal(lf_file_read(path, 1 << 20, &disk, NULL), 0);
    assert_int_equal(disk.len, 12);
    lf_buf_free(&disk);
    unlink(path);
    char lock[64];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
}

/* --strict: answers the oracle disagrees with are refused, whatever kind. */
static void test_strict(void **s)
{
    (void)s;
    lf_backend *sb = calloc(1, sizeof *sb);
    sb->vt = &script_vt;
    lf_mount *m = new_mount_opts(NULL, sb, false, true);
    static const char *ok_state =
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\">"
        "<file path=\"f\" name=\"f\" mode=\"644\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"0\"><body /></file>"
        "</directory></filesystem>\n<END_FS>";
    lf_op mk = {.kind = LF_OP_CREATE, .path = "/f", .mode = 0100644, .fh = -1};
    script = "ERROR: ENOENT"; /* wrong: the create succeeds */
    assert_int_equal(lf_mount_write(m, &mk, 0), -EIO);
    script = ok_state;
    assert_int_equal(lf_mount_write(m, &mk, 0), 0);
    script = "ERROR: EEXIST"; /* right */
    assert_int_equal(lf_mount_write(m, &mk, 0), -EEXIST);
    lf_op rd = {.kind = LF_OP_READ, .path = "/f", .size = 10, .fh = 4};
    lf_answer ans;
    script = "not empty"; /* wrong content */
    assert_int_equal(lf_mount_query(m, &rd, &ans), -EIO);
    script = "";
    assert_int_equal(lf_mount_query(m, &rd, &ans), 0);
    assert_int_equal(ans.nbytes, 0);
    lf_answer_free(&ans);
    lf_op ls = {.kind = LF_OP_READDIR, .path = "/", .fh = 0};
    script = "[\".\",\"..\"]"; /* misses f */
    assert_int_equal(lf_mount_query(m, &ls, &ans), -EIO);
    script = "[\".\",\"..\",\"f\"]";
    assert_int_equal(lf_mount_query(m, &ls, &ans), 0);
    lf_answer_free(&ans);
    lf_mount_free(m);
}

/* The room reported for a backend with a context window. */
static void test_room(void **s)
{
    (void)s;
    lf_backend *sb = calloc(1, sizeof *sb);
    sb->vt = &script_vt;
    sb->context_tokens = 8192;
    lf_mount *m = new_mount(NULL, sb, false);
    uint64_t total, avail;
    lf_mount_room(m, &total, &avail);
    /* script_count: ~4 bytes a token; (8192 - 256) / 2.1 = 3779 tokens */
    assert_true(total > 14000 && total < 15200);
    assert_true(avail < total && avail > total - 200);
    lf_mount_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_accepts_oracle),
        cmocka_unit_test(test_check_refuses_stale),
        cmocka_unit_test(test_check_refuses_other_changes),
        cmocka_unit_test(test_check_details),
        cmocka_unit_test(test_query_checks),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_errno_table),
        cmocka_unit_test(test_names_and_excerpts),
        cmocka_unit_test(test_engine),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
