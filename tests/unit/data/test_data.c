/* test_data.c: the dataset generator's pure parts: contents by path and
 * extension, names, handle numbers, weights, command planning, the ops of
 * calls, and oracle-mode generation (determinism, the row cap, the state cap,
 * the error share). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/content.h"
#include "data/gen.h"
#include "data/gen_int.h"
#include "util/rng.h"
#include "data/workload.h"
#include "state/apply.h"
#include "util/text.h"

static void test_rng(void **st)
{
    (void)st;
    lf_rng a, b;
    lf_rng_seed(&a, 42);
    lf_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(lf_rng_next(&a) == lf_rng_next(&b));
    lf_rng_seed(&b, 43);
    assert_false(lf_rng_next(&a) == lf_rng_next(&b));
    unsigned hist[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t x = lf_rng_below(&a, 7);
        assert_true(x < 7);
        hist[x]++;
    }
    for (int i = 0; i < 7; i++)
        assert_in_range(hist[i], 800, 1200);
    assert_int_equal(lf_rng_below(&a, 0), 0);
    /* a stable hash: these values are part of every dataset */
    assert_true(lf_hash64("a", 1, 0) == lf_hash64("a", 1, 0));
    assert_false(lf_hash64("a", 1, 0) == lf_hash64("a", 1, 1));
}

static void test_templates(void **st)
{
    (void)st;
    static const struct { const char *path; lf_tpl tpl; } cases[] = {
        {"/a/x.py", LF_TPL_PYTHON}, {"y.js", LF_TPL_JS}, {"y.ts", LF_TPL_JS},
        {"/s.sh", LF_TPL_SHELL}, {"m.go", LF_TPL_GO}, {"m.rs", LF_TPL_RUST},
        {"m.c", LF_TPL_C}, {"m.h", LF_TPL_C}, {"c.json", LF_TPL_JSON},
        {"c.yaml", LF_TPL_YAML}, {"c.yml", LF_TPL_YAML}, {"c.cfg", LF_TPL_INI},
        {"c.conf", LF_TPL_INI}, {"/d/.env", LF_TPL_ENV}, {"a.xml", LF_TPL_XML},
        {"a.csv", LF_TPL_CSV}, {"a.log", LF_TPL_LOG}, {"a.md", LF_TPL_MARKDOWN},
        {"a.txt", LF_TPL_ARTICLE}, {"a.bin", LF_TPL_BINARY}, {"a.bat", LF_TPL_BATCH},
        {"/dir.py/readme.json", LF_TPL_JSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(lf_content_template(cases[i].path), cases[i].tpl);
    /* no known extension: some text template, the same every time */
    lf_tpl t = lf_content_template("/Makefile");
    assert_true(t == LF_TPL_ARTICLE || t == LF_TPL_TODO || t == LF_TPL_LOG || t == LF_TPL_MARKDOWN);
    assert_int_equal(lf_content_template("/Makefile"), t);
}

static void test_content(void **st)
{
    (void)st;
    static const char *const paths[] = {
        "/a.py", "/b/c.json", "/x.txt", "/y.log", "/z.bin", "/w.bat", "/q.rs", "/r.yaml",
        "/s.c", "/t.md", "/u.csv", "/v.xml", "/README", "/p.sh", "/n.go", "/m.env",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (unsigned v = 0; v < 5; v++) {
            lf_buf a, b;
            lf_buf_init(&a, 0);
            lf_buf_init(&b, 0);
            assert_int_equal(lf_content_make(paths[i], v, 0, &a), 0);
            assert_int_equal(lf_content_make(paths[i], v, 0, &b), 0);
            assert_true(a.len > 0 && a.len <= LF_CONTENT_MAX);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
            lf_tpl t = lf_content_template(paths[i]);
            if (t != LF_TPL_BINARY)      /* text stays text, cut or not */
                assert_true(lf_utf8_valid(a.data, a.len));
            if (t == LF_TPL_PYTHON)
                assert_non_null(strstr(a.data, "def "));
            if (t == LF_TPL_JSON)
                assert_true(a.data[0] == '{');
            if (t == LF_TPL_BATCH)
                assert_non_null(strstr(a.data, "\r\n"));
            /* a short cap is honoured, at a character boundary */
            lf_buf_reset(&b);
            assert_int_equal(lf_content_make(paths[i], v, 37, &b), 0);
            assert_true(b.len <= 37);
            if (t != LF_TPL_BINARY)
                assert_true(lf_utf8_valid(b.data, b.len));
            lf_buf_free(&a);
            lf_buf_free(&b);
        }
    }
    /* variants and paths change the content */
    lf_buf a, b;
    lf_buf_init(&a, 0);
    lf_buf_init(&b, 0);
    lf_content_make("/a.py", 0, 0, &a);
    lf_content_make("/a.py", 1, 0, &b);
    assert_false(a.len == b.len && !memcmp(a.data, b.data, a.len));
    lf_buf_reset(&b);
    lf_content_make("/b.py", 0, 0, &b);
    assert_false(a.len == b.len && !memcmp(a.data, b.data, a.len));
    /* binary templates make bytes that need a base64 body (PROTOCOL §3) */
    int binary = 0;
    for (int i = 0; i < 20; i++) {
        char p[32];
        snprintf(p, sizeof p, "/f%d.bin", i);
        lf_buf_reset(&a);
        lf_content_make(p, 0, 0, &a);
        binary += lf_text_needs_base64(a.data, a.len);
    }
    assert_true(binary >= 18);
    lf_buf_free(&a);
    lf_buf_free(&b);
}

static void test_names(void **st)
{
    (void)st;
    lf_rng r;
    lf_rng_seed(&r, 1);
    int odd = 0;
    for (int i = 0; i < 2000; i++) {
        lf_buf b;
        lf_buf_init(&b, 0);
        assert_int_equal(lf_wl_file_name(&r, &b), 0);
        assert_true(b.len > 0 && b.len < 64);
        assert_null(strchr(b.data, '/'));
        assert_false(lf_text_needs_base64(b.data, b.len));   /* all representable */
        odd += !strchr(b.data, '.') || strchr(b.data, ' ') || (unsigned char)b.data[0] >= 0x80 ||
               b.data[0] == '.';
        lf_buf_reset(&b);
        assert_int_equal(lf_wl_dir_name(&r, &b), 0);
        assert_true(b.len > 0 && strcmp(b.data, ".") && strcmp(b.data, ".."));
        assert_null(strchr(b.data, '/'));
        lf_buf_free(&b);
    }
    assert_in_range(odd, 20, 400);   /* some variety beyond the original's shapes */
}

/* The wide name mix: every class occurs, every name is representable (valid
 * UTF-8, no control bytes, no '/', not "." or "..", under NAME_MAX), and
 * the mix holds random, real-world and non-ASCII names. */
static void test_name_mix(void **st)
{
    (void)st;
    lf_workload w;
    lf_workload_init(&w, 5, 6000);
    for (int c = 0; c < LF_NAME__COUNT; c++)
        assert_true(w.name_mix[c] > 0);    /* the default draws every class */
    int nonascii = 0, space = 0, noext = 0, real = 0, longish = 0, upper = 0;
    for (int i = 0; i < 20000; i++) {
        lf_buf b;
        lf_buf_init(&b, 0);
        bool dir = i % 3 == 0;
        assert_int_equal(lf_wl_name(&w, dir, &b), 0);
        assert_true(b.len > 0 && b.len <= 255);
        assert_null(strchr(b.data, '/'));
        assert_int_equal(strlen(b.data), b.len);
        assert_true(strcmp(b.data, ".") && strcmp(b.data, ".."));
        assert_false(lf_text_needs_base64(b.data, b.len));
        for (size_t k = 0; k < b.len; k++) {
            unsigned char ch = (unsigned char)b.data[k];
            nonascii += ch >= 0x80 && (k == 0 || (unsigned char)b.data[k - 1] < 0x80);
            upper += ch >= 'A' && ch <= 'Z';
        }
        space += strchr(b.data, ' ') != NULL;
        noext += !dir && !strchr(b.data, '.');
        real += !strcmp(b.data, "README.md") || !strcmp(b.data, "d1") || !strcmp(b.data, "hello.txt");
        longish += b.len >= 17 && !strchr(b.data, '.');
        lf_buf_free(&b);
    }
    assert_true(nonascii > 500);
    assert_true(space > 300);
    assert_true(noext > 1000);
    assert_true(real > 5);
    assert_true(longish > 100);
    assert_true(upper > 1000);
    /* each class on its own, and the seed class is the old generator */
    for (int c = 0; c < LF_NAME__COUNT; c++) {
        lf_rng r1, r2;
        lf_rng_seed(&r1, 9);
        lf_rng_seed(&r2, 9);
        for (int i = 0; i < 500; i++) {
            lf_buf a, b;
            lf_buf_init(&a, 0);
            lf_buf_init(&b, 0);
            assert_int_equal(lf_wl_name_of(&r1, (lf_name_class)c, i & 1, &a), 0);
            assert_false(lf_text_needs_base64(a.data, a.len));
            assert_true(a.len > 0 && !strchr(a.data, '/'));
            if (c == LF_NAME_SEED) {
                assert_int_equal((i & 1 ? lf_wl_dir_name : lf_wl_file_name)(&r2, &b), 0);
                assert_string_equal(a.data, b.data);
            }
            lf_buf_free(&a);
            lf_buf_free(&b);
        }
    }
    /* --names seed draws no class: the old rng stream */
    lf_workload s;
    lf_workload_init(&s, 5, 6000);
    lf_err e;
    assert_int_equal(lf_workload_set_mix(&s, false, "seed", &e), 0);
    lf_rng r;
    lf_rng_seed(&r, 5);
    for (int i = 0; i < 200; i++) {
        lf_buf a, b;
        lf_buf_init(&a, 0);
        lf_buf_init(&b, 0);
        assert_int_equal(lf_wl_name(&s, false, &a), 0);
        assert_int_equal(lf_wl_file_name(&r, &b), 0);
        assert_string_equal(a.data, b.data);
        lf_buf_free(&a);
        lf_buf_free(&b);
    }
    assert_int_equal(lf_workload_set_mix(&s, false, "random=1,odd=2", &e), 0);
    assert_int_equal(s.name_mix[LF_NAME_SEED], 0);
    assert_int_equal(s.name_mix[LF_NAME_ODD], 2);
    assert_int_equal(lf_workload_set_mix(&s, false, "bogus=1", &e), -EINVAL);
    assert_int_equal(lf_workload_set_mix(&s, true, "seed=0", &e), -EINVAL);
    assert_int_equal(lf_workload_set_mix(&s, true, "mix", &e), 0);
    assert_false(lf_workload_seed_content(&s));
    assert_int_equal(lf_workload_set_mix(&s, true, "seed", &e), 0);
    assert_true(lf_workload_seed_content(&s));
}

/* The content mix: every class is drawn; bodies respect max; text never
 * cuts UTF-8 and needs no base64 unless binary; binary bodies mostly do. */
static void test_body_mix(void **st)
{
    (void)st;
    lf_workload w;
    lf_workload_init(&w, 6, 6000);
    unsigned seen[LF_BODY__COUNT] = {0};
    for (int i = 0; i < 4000; i++)
        seen[lf_wl_body_class(&w)]++;
    for (int c = 0; c < LF_BODY__COUNT; c++)
        assert_true(seen[c] > 100);
    lf_rng r;
    lf_rng_seed(&r, 3);
    int bin_b64 = 0, nonascii = 0, multiline = 0, no_nl = 0, hello = 0, longb = 0, shortb = 0;
    for (int i = 0; i < 3000; i++) {
        lf_body_class c = (lf_body_class)(1 + i % 3);
        size_t max = i % 7 == 0 ? (size_t)(1 + i % 40) : LF_CONTENT_MAX;
        lf_buf b;
        lf_buf_init(&b, 0);
        assert_int_equal(lf_wl_body_of(&r, c, max, &b), 0);
        assert_true(b.len <= max);
        bool b64 = lf_text_needs_base64(b.data, b.len);
        if (c != LF_BODY_BINARY) {
            assert_false(b64);   /* valid UTF-8, no control bytes but tab/LF/CR */
            for (size_t k = 0; k < b.len; k++)
                nonascii += (unsigned char)b.data[k] >= 0x80;
            multiline += b.len && memchr(b.data, '\n', b.len - 1) != NULL;
            no_nl += b.len && b.data[b.len - 1] != '\n';
            hello += b.len >= 5 && !memcmp(b.data, "hello", 5);
            longb += b.len > 250;
            shortb += b.len > 0 && b.len < 20;
        } else {
            bin_b64 += b64;
        }
        lf_buf_free(&b);
    }
    assert_true(bin_b64 > 300);
    assert_true(nonascii > 100);
    assert_true(multiline > 200);
    assert_true(no_nl > 100);
    assert_true(hello > 10);
    assert_true(longb > 50);
    assert_true(shortb > 100);
}

static void test_fh_alloc(void **st)
{
    (void)st;
    long long held[LF_WL_SLOTS] = {-1, -1, -1, -1};
    assert_int_equal(lf_wl_fh_alloc(held), 3);
    held[2] = 3;
    assert_int_equal(lf_wl_fh_alloc(held), 4);
    held[0] = 4;
    held[1] = 6;
    assert_int_equal(lf_wl_fh_alloc(held), 5);
    held[2] = -1;
    assert_int_equal(lf_wl_fh_alloc(held), 3);
}

static void test_weights(void **st)
{
    (void)st;
    lf_workload w;
    lf_workload_init(&w, 1, 6000);
    assert_int_equal(w.weights[LF_WL_MKDIR], 14);
    assert_int_equal(w.weights[LF_WL_CHMOD], 8);
    assert_int_equal(w.weights[LF_WL_PWRITE], 0);   /* off by default */
    assert_int_equal(w.weights[LF_WL_HOLE], 0);
    lf_err e;
    assert_int_equal(lf_workload_set_weights(&w, "mkdir=3,rmr=0,cp=7", &e), 0);
    assert_int_equal(w.weights[LF_WL_MKDIR], 3);
    assert_int_equal(w.weights[LF_WL_RMR], 0);
    assert_int_equal(w.weights[LF_WL_CP], 7);
    assert_int_equal(lf_workload_set_weights(&w, "nope=1", &e), -EINVAL);
    assert_int_equal(lf_workload_set_weights(&w, "mkdir", &e), -EINVAL);
    assert_int_equal(lf_workload_set_weights(&w, "mkdir=x", &e), -EINVAL);
    const char *names = "mkdir touch write read rm rmdir chmod chown ls readlink truncate "
                        "rename symlink append cp rmr pwrite hole";
    for (int i = 0; i < LF_WL__COUNT; i++)
        assert_non_null(strstr(names, lf_wl_label_name((lf_wl_label)i)));
}

static void test_call_op(void **st)
{
    (void)st;
    lf_call c;
    memset(&c, 0, sizeof c);
    c.copy_from = -1;
    c.path = "/a/f.txt";
    lf_op op;
    c.kind = LF_CALL_OPEN;
    c.flags = O_WRONLY | O_CREAT | O_EXCL;
    c.mode = 0644;
    assert_int_equal(lf_call_op(&c, 0, &op), 0);
    assert_int_equal(op.kind, LF_OP_CREATE);
    assert_int_equal(op.mode, S_IFREG | 0644);
    lf_op_free(&op);
    c.flags = O_RDONLY;
    c.size = 4096;
    assert_int_equal(lf_call_op(&c, 0, &op), 0);
    assert_int_equal(op.kind, LF_OP_READ);
    assert_int_equal(op.size, 4096);
    assert_true(op.fh == -1);
    lf_op_free(&op);
    c.kind = LF_CALL_MKDIR;
    c.mode = 0755;
    assert_int_equal(lf_call_op(&c, S_IFDIR, &op), 0);
    assert_int_equal(op.mode, 0755);    /* the kernel passes no type bits for mkdir */
    lf_op_free(&op);
    c.kind = LF_CALL_CHMOD;
    c.mode = 0600;
    assert_int_equal(lf_call_op(&c, S_IFREG, &op), 0);
    assert_int_equal(op.mode, S_IFREG | 0600);
    lf_op_free(&op);
    c.kind = LF_CALL_READDIR;
    assert_int_equal(lf_call_op(&c, 0, &op), 0);
    assert_true(op.fh == 0);
    lf_op_free(&op);
    c.kind = LF_CALL_RENAME;
    c.path2 = "/b";
    assert_int_equal(lf_call_op(&c, 0, &op), 0);
    assert_string_equal(op.new_path, "/b");
    lf_op_free(&op);
    c.kind = LF_CALL_SYMLINK;
    c.path2 = "f.txt";
    assert_int_equal(lf_call_op(&c, 0, &op), 0);
    assert_string_equal(op.link_target, "f.txt");
    assert_string_equal(op.path, "/a/f.txt");
    lf_op_free(&op);
    c.kind = LF_CALL_CLOSE;
    assert_int_equal(lf_call_op(&c, 0, &op), -EINVAL);
}

/* Rows to nowhere, in episode 0: what lf_oexec_run writes during a test. */
static lf_rows *null_rows(void)
{
    lf_rows_opts ro = {.out = "/dev/null"};
    lf_rows *rows;
    assert_int_equal(lf_rows_open(&ro, &rows, NULL), 0);
    lf_rows_episode(rows, 0);
    return rows;
}

/* The workload's next command on state s. */
static void next_cmd(lf_workload *w, const lf_state *s, lf_cmd *c)
{
    lf_buf x;
    lf_buf_init(&x, 0);
    lf_state_serialize(s, &x);
    assert_int_equal(lf_workload_next(w, s, x.len, c), 0);
    lf_buf_free(&x);
}

/* Plans commands on an oracle-driven tree: determinism, well-formed calls. */
static void test_plan(void **st)
{
    (void)st;
    lf_workload a, b;
    lf_workload_init(&a, 77, 6000);
    lf_workload_init(&b, 77, 6000);
    lf_state *s = lf_state_new("root", "root");
    lf_rows *rows = null_rows();
    unsigned seen[LF_WL__COUNT + 1] = {0};
    int fails = 0;
    for (int i = 0; i < 600; i++) {
        lf_cmd ca = {0}, cb = {0};
        lf_buf x;
        lf_buf_init(&x, 0);
        lf_state_serialize(s, &x);
        assert_int_equal(lf_workload_next(&a, s, x.len, &ca), 0);
        assert_int_equal(lf_workload_next(&b, s, x.len, &cb), 0);
        assert_int_equal(ca.n, cb.n);
        assert_int_equal(ca.label, cb.label);
        assert_true(ca.n > 0);
        for (size_t k = 0; k < ca.n; k++) {
            assert_int_equal(ca.calls[k].kind, cb.calls[k].kind);
            assert_string_equal(ca.calls[k].path, cb.calls[k].path);
            if (ca.calls[k].kind != LF_CALL_CLOSE && ca.calls[k].kind != LF_CALL_WRITE)
                assert_true(ca.calls[k].path[0] == '/');
            assert_true(ca.calls[k].slot >= 0 && ca.calls[k].slot < LF_WL_SLOTS);
        }
        seen[ca.fail ? LF_WL__COUNT : ca.label]++;
        fails += ca.fail;
        assert_int_equal(lf_oexec_run(&s, &ca, rows), 0);
        uint64_t er, ee;
        lf_rows_counts(rows, &er, &ee);
        a.rows = b.rows = er;
        a.err_rows = b.err_rows = ee;
        lf_cmd_free(&ca);
        lf_cmd_free(&cb);
        lf_buf_free(&x);
    }
    for (int l = 0; l < LF_WL__COUNT; l++)   /* every label with a default weight ran */
        assert_true(lf_wl_default_weights[l] == 0 ? seen[l] == 0 : seen[l] > 0);
    assert_true(fails > 10);
    uint64_t er, ee;
    lf_rows_counts(rows, &er, &ee);
    /* about one row in eight fails */
    assert_in_range(ee * 1000 / er, 90, 170);
    lf_rows_close(rows, NULL);
    lf_state_free(s);
}

/* Whether any file under n has content. */
static bool any_content(const lf_node *n)
{
    if (n->kind == LF_NODE_FILE)
        return n->size > 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (any_content(n->kids[i]))
            return true;
    return false;
}

/* --nonempty 100: every truncate picks a file with content when the tree
 * has one; at 0, some truncates hit empty files although one with content
 * exists (so the check can tell the two apart). */
static void test_nonempty(void **st)
{
    (void)st;
    for (unsigned pct = 0; pct <= 100; pct += 100) {
        lf_workload w;
        lf_workload_init(&w, 91, 6000);
        assert_int_equal(lf_workload_set_weights(&w, "mkdir=2,touch=12,write=8,read=0,rm=2,rmdir=0,chmod=0,chown=0,ls=0,readlink=0,truncate=16,rename=0,symlink=0,append=4,cp=0,rmr=0", NULL), 0);
        w.nonempty_pct = pct;
        w.fail_per_mille = 0;
        lf_state *s = lf_state_new("root", "root");
        lf_rows *rows = null_rows();
        int on_content = 0, on_empty = 0;
        for (int i = 0; i < 400; i++) {
            lf_cmd c = {0};
            next_cmd(&w, s, &c);
            if (c.label == LF_WL_TRUNCATE && !c.fail && any_content(s->root)) {
                const char *path = c.calls[0].path;
                lf_node *f = lf_state_lookup(s, path, NULL);
                assert_non_null(f);
                if (f->size)
                    on_content++;
                else
                    on_empty++;
            }
            assert_int_equal(lf_oexec_run(&s, &c, rows), 0);
            lf_cmd_free(&c);
        }
        printf("nonempty %u%%: truncates on files with content %d, on empty files %d\n", pct,
               on_content, on_empty);
        assert_true(on_content > 20);
        if (pct == 100)
            assert_int_equal(on_empty, 0);
        else
            assert_true(on_empty > 5);
        lf_rows_close(rows, NULL);
        lf_state_free(s);
    }
}

/* --weights pwrite=N: writes at an offset strictly inside a file with
 * content; the bytes before the offset are kept, and after the data too
 * when it ends before the old end. */
static void test_pwrite(void **st)
{
    (void)st;
    lf_workload w;
    lf_workload_init(&w, 93, 6000);
    assert_int_equal(lf_workload_set_weights(&w, "mkdir=2,touch=4,write=8,read=0,rm=1,rmdir=0,chmod=0,chown=0,ls=0,readlink=0,truncate=0,rename=0,symlink=0,append=0,cp=0,rmr=0,pwrite=20", NULL), 0);
    w.fail_per_mille = 0;
    lf_state *s = lf_state_new("root", "root");
    lf_rows *rows = null_rows();
    int n = 0, tail_kept = 0;
    for (int i = 0; i < 300; i++) {
        lf_cmd c = {0};
        next_cmd(&w, s, &c);
        unsigned char *old = NULL;
        size_t old_size = 0;
        const lf_call *wr = NULL;
        if (c.label == LF_WL_PWRITE) {
            for (size_t k = 0; k < c.n; k++)
                if (c.calls[k].kind == LF_CALL_WRITE)
                    wr = &c.calls[k];
        }
        if (wr) {   /* none when the content came out empty (never sent) */
            const char *path = c.calls[0].path;   /* the open */
            lf_node *f = lf_state_lookup(s, path, NULL);
            assert_non_null(f);
            assert_true(f->size > 0);
            assert_true(wr->offset >= (f->size > 1 ? 1 : 0) && (size_t)wr->offset < f->size);
            old_size = f->size;
            old = malloc(old_size);
            memcpy(old, f->data, old_size);
            n++;
        }
        assert_int_equal(lf_oexec_run(&s, &c, rows), 0);
        if (wr) {
            lf_node *f = lf_state_lookup(s, c.calls[0].path, NULL);
            size_t off = (size_t)wr->offset, end = off + wr->len;
            assert_non_null(f);
            assert_int_equal(f->size, end > old_size ? end : old_size);
            assert_memory_equal(f->data, old, off);                 /* before: kept */
            assert_memory_equal(f->data + off, wr->data, wr->len);  /* the data */
            if (end < old_size) {
                assert_memory_equal(f->data + end, old + end, old_size - end);   /* after: kept */
                tail_kept++;
            }
            free(old);
        }
        lf_cmd_free(&c);
    }
    printf("pwrite: %d writes inside files, %d of them keeping a tail\n", n, tail_kept);
    assert_true(n > 50);
    assert_true(tail_kept > 10);
    lf_rows_close(rows, NULL);
    lf_state_free(s);
}

/* --weights hole=N: a pwrite past a file's end or a truncate that grows
 * it; the old bytes are kept and the gap between them and the new end (or
 * the data) reads as zeros. */
static void test_hole(void **st)
{
    (void)st;
    lf_workload w;
    lf_workload_init(&w, 94, 6000);
    assert_int_equal(lf_workload_set_weights(&w, "mkdir=2,touch=4,write=6,read=0,rm=2,rmdir=0,chmod=0,chown=0,ls=0,readlink=0,truncate=0,rename=0,symlink=0,append=0,cp=0,rmr=0,hole=20", NULL), 0);
    w.fail_per_mille = 0;
    lf_state *s = lf_state_new("root", "root");
    lf_rows_opts ro = {.out = "/dev/null"};
    lf_rows *rows;
    assert_int_equal(lf_rows_open(&ro, &rows, NULL), 0);
    lf_rows_episode(rows, 0);
    int writes = 0, grows = 0;
    for (int i = 0; i < 300; i++) {
        lf_cmd c = {0};
        lf_buf x;
        lf_buf_init(&x, 0);
        lf_state_serialize(s, &x);
        assert_int_equal(lf_workload_next(&w, s, x.len, &c), 0);
        const lf_call *k = NULL;   /* the write or the truncate */
        for (size_t j = 0; c.label == LF_WL_HOLE && j < c.n; j++)
            if (c.calls[j].kind == LF_CALL_WRITE || c.calls[j].kind == LF_CALL_TRUNCATE)
                k = &c.calls[j];
        unsigned char *old = NULL;
        size_t old_size = 0;
        if (k) {
            lf_node *f = lf_state_lookup(s, k->path, NULL);
            assert_non_null(f);
            old_size = f->size;
            old = malloc(old_size + 1);
            if (old_size)   /* an empty file may have no data */
                memcpy(old, f->data, old_size);
        }
        assert_int_equal(lf_oexec_run(&s, &c, rows), 0);
        if (k) {
            lf_node *f = lf_state_lookup(s, k->path, NULL);
            assert_non_null(f);
            size_t gap_end = k->kind == LF_CALL_WRITE ? (size_t)k->offset : (size_t)k->size;
            assert_true(gap_end > old_size);
            assert_int_equal(f->size, k->kind == LF_CALL_WRITE ? gap_end + k->len : gap_end);
            if (old_size)
                assert_memory_equal(f->data, old, old_size);         /* kept */
            for (size_t b = old_size; b < gap_end; b++)
                assert_int_equal(f->data[b], 0);                     /* the gap */
            if (k->kind == LF_CALL_WRITE) {
                assert_memory_equal(f->data + gap_end, k->data, k->len);
                writes++;
            } else {
                grows++;
            }
            free(old);
        }
        lf_cmd_free(&c);
        lf_buf_free(&x);
    }
    printf("hole: %d writes past the end, %d truncates that grow\n", writes, grows);
    assert_true(writes > 20);
    assert_true(grows > 20);
    lf_rows_close(rows, NULL);
    lf_state_free(s);
}

/* Oracle-mode generation: the row cap per episode and the state cap. */
static void test_gen_oracle(void **st)
{
    (void)st;
    char path[] = "/tmp/lf-test-data-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    lf_gen_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 4;
    o.episodes = 5;
    o.steps = 300;
    o.max_state = 2500;
    o.oracle = true;
    o.rows.out = path;
    o.rows.verify = true;
    lf_err e;
    assert_int_equal(lf_gen_run(&o, &e), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rows = 0;
    size_t maxprompt = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        rows++;
        if ((size_t)n > maxprompt)
            maxprompt = (size_t)n;
    }
    free(line);
    fclose(f);
    unlink(path);
    assert_int_equal(rows, 5 * 300);
    /* state <= ~2500 bytes: a row holds two states plus escapes and an op */
    assert_true(maxprompt < 2 * 2500 * 13 / 10 + 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng),       cmocka_unit_test(test_templates),
        cmocka_unit_test(test_content),   cmocka_unit_test(test_names),
        cmocka_unit_test(test_fh_alloc),  cmocka_unit_test(test_weights),
        cmocka_unit_test(test_pwrite),    cmocka_unit_test(test_hole),
        cmocka_unit_test(test_call_op),   cmocka_unit_test(test_plan),
        cmocka_unit_test(test_nonempty),
        cmocka_unit_test(test_gen_oracle), cmocka_unit_test(test_name_mix),
        cmocka_unit_test(test_body_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
