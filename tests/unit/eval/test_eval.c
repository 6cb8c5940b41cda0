/* test_eval.c: the evaluator's metrics on hand-made cases, the answers the
 * original's metric calls correct and ours calls wrong, the runner over the
 * oracle and the local engine (a random-weight model), and the episode
 * replay with a backend that corrupts every 7th answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/eval.h"
#include "eval/summary.h"
#include "lm/model_random.h"
#include "state/apply.h"
#include "util/json.h"

/* ---- helpers ---------------------------------------------------------- */

static char *sanitize(const char *pred, const char *exp)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_seedm_sanitize(pred, strlen(pred), exp, strlen(exp), &b), 0);
    return lf_buf_steal(&b, NULL);
}

static double sim(const char *a, const char *b)
{
    return lf_seedm_similarity(a, strlen(a), b, strlen(b));
}

static lf_state *empty_state(void)
{
    return lf_state_new("root", "root");
}

static lf_op mkop(lf_op_kind k, const char *path)
{
    lf_op op = {.kind = k, .path = strdup(path), .fh = -1, .uid = -1, .gid = -1};
    return op;
}

/* The oracle's completion text for op on st. */
static char *oracle_text(const lf_state *st, const lf_op *op)
{
    lf_answer a = {0};
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_true(lf_oracle_answer(st, op, &a) >= 0);
    assert_int_equal(lf_completion_render(op, &a, &b), 0);
    lf_answer_free(&a);
    assert_int_equal(lf_buf_append(&b, "", 0), 0);
    return lf_buf_steal(&b, NULL);
}

/* A state with /docs (a, b) and /notes.txt = "hello world\n". */
static lf_state *sample_state(void)
{
    lf_state *st = empty_state();
    const char *mk[] = {"/docs", NULL};
    for (int i = 0; mk[i]; i++) {
        lf_op op = mkop(LF_OP_MKDIR, mk[i]);
        op.mode = 0755;
        assert_int_equal(lf_state_apply(st, &op, NULL), 0);
        lf_op_free(&op);
    }
    const char *files[] = {"/docs/a", "/docs/b", "/notes.txt", NULL};
    for (int i = 0; files[i]; i++) {
        lf_op op = mkop(LF_OP_CREATE, files[i]);
        op.mode = 0100644;
        assert_int_equal(lf_state_apply(st, &op, NULL), 0);
        lf_op_free(&op);
    }
    lf_op w = mkop(LF_OP_WRITE, "/notes.txt");
    w.data = (unsigned char *)strdup("hello world\n");
    w.data_len = 12;
    assert_int_equal(lf_state_apply(st, &w, NULL), 0);
    lf_op_free(&w);
    return st;
}

/* ---- the original's metric, hand-made cases --------------------------- */

static void test_seed_similarity(void **ctx)
{
    (void)ctx;
    assert_true(sim("", "") == 1.0);
    assert_true(sim("", "x") == 0.0);
    assert_true(sim("x", "") == 0.0);
    assert_true(sim("  abc \n", "abc") == 1.0);          /* equal after strip */
    assert_true(sim("a  b\n\tc", "a b c") == 1.0);        /* after collapsing */
    assert_true(sim("ABC", "cab") == 1.0);                /* same lower-cased character set */
    assert_true(fabs(sim("abc", "abd") - 0.5) < 1e-12);   /* {a,b} / {a,b,c,d} */
    assert_true(fabs(sim("aaaa", "ab") - 0.5) < 1e-12);   /* sets, not multisets */
    assert_true(fabs(sim("a a", "a") - 0.5) < 1e-12);     /* the space counts: {a,' '} vs {a} */
    assert_true(sim("ÉTÉ", "été") == 1.0);                /* str.lower() beyond ASCII */
    assert_true(lf_seedm_exact(" x\n", 3, "x", 1));
    assert_false(lf_seedm_exact("x y", 3, "x  y", 4));
}

static void test_seed_sanitize(void **ctx)
{
    (void)ctx;
    char *s;
    /* <think> blocks (closed or not) and <think lines go */
    s = sanitize("<think>hmm</think>[\".\"]", "[\".\", \"..\"]");
    assert_string_equal(s, "[\".\"]");
    free(s);
    s = sanitize("answer text\n<THINK>unclosed", "zzz");
    assert_string_equal(s, "answer text");
    free(s);
    /* chatter markers cut the text */
    s = sanitize("hello\nExplanation: because", "zzz");
    assert_string_equal(s, "hello");
    free(s);
    s = sanitize("hello[eof]junk", "zzz");
    assert_string_equal(s, "hello");
    free(s);
    /* an empty expectation forces an empty prediction */
    s = sanitize("anything at all", "\n");
    assert_string_equal(s, "");
    free(s);
    /* the expectation as a prefix or substring: the prediction becomes it */
    s = sanitize("junk before abc junk after", "abc");
    assert_string_equal(s, "abc");
    free(s);
    /* states: the first <filesystem> block, <END_FS> stripped */
    s = sanitize("Sure!\n<filesystem>X</filesystem>\n<END_FS>more", "<filesystem>Y</filesystem>\n<END_FS>");
    assert_string_equal(s, "<filesystem>X</filesystem>");
    free(s);
    /* readdir: a permutation of the expected array is the expected array */
    s = sanitize("[\"..\", \"b\", \".\", \"a\"]", "[\".\", \"..\", \"a\", \"b\"]");
    assert_string_equal(s, "[\".\", \"..\", \"a\", \"b\"]");
    free(s);
    /* a file whose content starts with '[' takes the readdir path: the
     * original scored the perfect answer wrong */
    lf_seedm_result r;
    const char *log = "[INFO] started\n[WARN] x\n";
    assert_int_equal(lf_seedm_score(log, strlen(log), log, strlen(log), &r), 0);
    assert_string_equal(r.predicted, "[INFO]");
    assert_false(r.exact);
    assert_false(r.correct);
    lf_seedm_result_free(&r);
    /* a whitespace label: the prediction is forced empty, "exact" after
     * strip, yet similarity("", "  \n") is 0: exact and not correct */
    assert_int_equal(lf_seedm_score("anything", 8, "  \n", 3, &r), 0);
    assert_true(r.exact);
    assert_true(r.similarity == 0.0);
    assert_false(r.correct);
    lf_seedm_result_free(&r);
    /* expected_for_metrics strips <END_FS> from states only */
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_seedm_expected_for_metrics("<filesystem/>\n<END_FS>\n", 23, &b), 0);
    assert_string_equal(b.data, "<filesystem/>");
    lf_buf_reset(&b);
    assert_int_equal(lf_seedm_expected_for_metrics("x\n<END_FS>", 10, &b), 0);
    assert_string_equal(b.data, "x\n<END_FS>");
    lf_buf_free(&b);
}

/* ---- answers the original calls correct and we call wrong ------------- */

typedef struct flatter_case {
    const char *what;
    lf_op_kind op;
    const char *path;
    lf_eval_why why;
    bool seed_exact;      /* the original's exact_accuracy too */
} flatter_case;

/* Makes the wrong answer for case i from the right one. */
static char *wrong_answer(int i, const char *right)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    if (i == 0) { /* readdir: the right names, another order */
        assert_int_equal(lf_buf_puts(&b, "[\".\",\"..\",\"b\",\"a\"]"), 0);
        assert_string_equal(right, "[\".\",\"..\",\"a\",\"b\"]");
    } else if (i == 1) { /* a tree with one wrong byte in a body */
        assert_int_equal(lf_buf_puts(&b, right), 0);
        char *p = strstr(b.data, "hello world");
        assert_non_null(p);
        p[4] = 'p'; /* "hellp world" */
    } else { /* read: the expected content, then junk */
        assert_int_equal(lf_buf_puts(&b, right), 0);
        assert_int_equal(lf_buf_puts(&b, "\nAnd some more text the model made up."), 0);
    }
    return lf_buf_steal(&b, NULL);
}

static void test_flattery(void **ctx)
{
    (void)ctx;
    const flatter_case cases[] = {
        {"readdir in another order", LF_OP_READDIR, "/docs", LF_WHY_LIST, true},
        {"tree with a wrong byte", LF_OP_CHMOD, "/notes.txt", LF_WHY_STRUCTURE, false},
        {"read: expected + junk", LF_OP_READ, "/notes.txt", LF_WHY_BYTES, true},
    };
    lf_state *st = sample_state();
    for (int i = 0; i < 3; i++) {
        lf_op op = mkop(cases[i].op, cases[i].path);
        op.mode = 0100600;
        op.size = 4096;
        char *right = oracle_text(st, &op);
        char *wrong = wrong_answer(i, right);
        lf_seedm_result r;
        assert_int_equal(lf_seedm_score(wrong, strlen(wrong), right, strlen(right), &r), 0);
        if (!r.correct || r.exact != cases[i].seed_exact)
            fail_msg("%s: the original's metric: correct %d exact %d sim %f", cases[i].what,
                     r.correct, r.exact, r.similarity);
        lf_seedm_result_free(&r);
        lf_eval_verdict v;
        bool w = lf_op_is_write(op.kind);
        assert_int_equal(lf_eval_score(&op, st, w, wrong, strlen(wrong), right, strlen(right), &v),
                         0);
        assert_false(v.exact);
        assert_int_equal(v.why, cases[i].why);
        assert_non_null(v.diff_got);
        if (w) {
            assert_int_equal(v.parses, 1);
            assert_int_equal(v.state_right, 0);
            assert_int_equal(v.structure, 1);
        }
        lf_eval_verdict_free(&v);
        /* the right answer is exact for both */
        assert_int_equal(lf_eval_score(&op, st, w, right, strlen(right), right, strlen(right), &v),
                         0);
        assert_true(v.exact);
        assert_int_equal(v.why, LF_WHY_EXACT);
        lf_eval_verdict_free(&v);
        free(right);
        free(wrong);
        lf_op_free(&op);
    }
    lf_state_free(st);
}

static void test_score_reasons(void **ctx)
{
    (void)ctx;
    lf_state *st = sample_state();
    lf_op op = mkop(LF_OP_MKDIR, "/new");
    op.mode = 0755;
    char *right = oracle_text(st, &op);
    lf_eval_verdict v;
    /* without the sentinel, or its line break: the §4 cut makes it exact */
    size_t n = strstr(right, "\n<END_FS>") - right;
    for (size_t k = n; k <= n + 1; k++) {
        assert_int_equal(lf_eval_score(&op, st, true, right, k, right, strlen(right), &v), 0);
        assert_true(v.exact);
        lf_eval_verdict_free(&v);
    }
    /* whitespace between elements: the same state, other text, not exact */
    lf_buf wb;
    lf_buf_init(&wb, 0);
    assert_int_equal(lf_buf_puts(&wb, "<filesystem> "), 0);
    assert_int_equal(lf_buf_puts(&wb, right + strlen("<filesystem>")), 0);
    char *ws = lf_buf_steal(&wb, NULL);
    assert_int_equal(lf_eval_score(&op, st, true, ws, strlen(ws), right, strlen(right), &v), 0);
    assert_false(v.exact);
    assert_int_equal(v.why, LF_WHY_SAME_STATE);
    assert_int_equal(v.state_right, 1);
    assert_int_equal(v.parses, 1);
    assert_int_equal(v.diff_off, 12);
    assert_int_equal(strncmp(v.diff_got, " <directory path=", 17), 0);
    assert_int_equal(strncmp(v.diff_expected, "<directory path=", 16), 0);
    lf_eval_verdict_free(&v);
    free(ws);
    /* the sentinel's line break is the only whitespace the cut takes */
    char *nl2 = malloc(strlen(right) + 2);
    assert_non_null(nl2);
    memcpy(nl2, right, n);
    strcpy(nl2 + n, "\n\n<END_FS>");
    assert_int_equal(lf_eval_score(&op, st, true, nl2, strlen(nl2), right, strlen(right), &v), 0);
    assert_false(v.exact);
    lf_eval_verdict_free(&v);
    free(nl2);
    /* a text after <END_FS> is cut from both */
    lf_buf tb;
    lf_buf_init(&tb, 0);
    assert_int_equal(lf_buf_append(&tb, right, strlen(right)), 0);
    assert_int_equal(lf_buf_puts(&tb, "junk"), 0);
    char *tail = lf_buf_steal(&tb, NULL);
    assert_int_equal(lf_eval_score(&op, st, true, tail, strlen(tail), right, strlen(right), &v), 0);
    assert_true(v.exact);
    lf_eval_verdict_free(&v);
    free(tail);
    /* errors */
    assert_int_equal(lf_eval_score(&op, st, true, "ERROR: EEXIST", 13, right, strlen(right), &v), 0);
    assert_int_equal(v.why, LF_WHY_ERR_FOR_OK);
    assert_int_equal(v.state_right, 0);
    lf_eval_verdict_free(&v);
    assert_int_equal(lf_eval_score(&op, st, true, "ERROR: EEXIST", 13, "ERROR: ENOENT", 13, &v), 0);
    assert_int_equal(v.why, LF_WHY_ERRNO);
    assert_int_equal(v.state_right, 1); /* either way the state stays */
    lf_eval_verdict_free(&v);
    assert_int_equal(lf_eval_score(&op, st, true, right, strlen(right), "ERROR: ENOENT", 13, &v), 0);
    assert_int_equal(v.why, LF_WHY_OK_FOR_ERR);
    lf_eval_verdict_free(&v);
    assert_int_equal(lf_eval_score(&op, st, true, "<filesystem>", 12, right, strlen(right), &v), 0);
    assert_int_equal(v.why, LF_WHY_UNPARSED);
    assert_int_equal(v.parses, 0);
    lf_eval_verdict_free(&v);
    /* a different tree shape */
    lf_op op2 = mkop(LF_OP_MKDIR, "/other");
    op2.mode = 0755;
    char *other = oracle_text(st, &op2);
    assert_int_equal(lf_eval_score(&op, st, true, other, strlen(other), right, strlen(right), &v), 0);
    assert_int_equal(v.why, LF_WHY_TREE);
    assert_int_equal(v.structure, 0);
    lf_eval_verdict_free(&v);
    /* readdir: other spelling of the same names */
    lf_op rd = mkop(LF_OP_READDIR, "/docs");
    const char *sp = "[\".\", \"..\", \"a\", \"b\"]";
    char *rdr = oracle_text(st, &rd);
    assert_int_equal(lf_eval_score(&rd, st, false, sp, strlen(sp), rdr, strlen(rdr), &v), 0);
    assert_int_equal(v.why, LF_WHY_SAME_LIST);
    lf_eval_verdict_free(&v);
    /* the diff excerpt: offset and context */
    const char *a = "0123456789abcdefXYZ", *e = "0123456789abcdefghi";
    assert_int_equal(lf_eval_score(NULL, NULL, false, a, strlen(a), e, strlen(e), &v), 0);
    assert_int_equal(v.why, LF_WHY_PROMPT);
    assert_int_equal(v.diff_off, 16);
    assert_string_equal(v.diff_before, "0123456789abcdef");
    assert_string_equal(v.diff_expected, "ghi");
    assert_string_equal(v.diff_got, "XYZ");
    lf_eval_verdict_free(&v);
    free(rdr);
    free(other);
    free(right);
    lf_op_free(&rd);
    lf_op_free(&op2);
    lf_op_free(&op);
    lf_state_free(st);
}

/* ---- datasets for the runner ------------------------------------------ */

/* Appends one row {prompt, completion, meta} for op on st (the oracle's
 * completion), and applies op to st. */
static void put_row(FILE *f, lf_state *st, const lf_op *op, long ep, long step)
{
    lf_buf p, line;
    lf_buf_init(&p, 0);
    lf_buf_init(&line, 0);
    assert_int_equal(lf_prompt_render(op, st, &p), 0);
    char *c = oracle_text(st, op);
    assert_int_equal(lf_buf_puts(&line, "{\"prompt\": "), 0);
    assert_int_equal(lf_json_write_str(&line, p.data, p.len, true), 0);
    assert_int_equal(lf_buf_puts(&line, ", \"completion\": "), 0);
    assert_int_equal(lf_json_write_str(&line, c, strlen(c), true), 0);
    assert_int_equal(lf_buf_printf(&line, ", \"meta\": {\"op\": \"%s\", \"episode\": %ld, "
                                          "\"step\": %ld}}\n",
                                   lf_op_name(op->kind), ep, step),
                     0);
    fwrite(line.data, 1, line.len, f);
    lf_answer a = {0};
    assert_true(lf_state_apply(st, op, &a) >= 0);
    lf_answer_free(&a);
    free(c);
    lf_buf_free(&p);
    lf_buf_free(&line);
}

/* Writes `eps` episodes of `steps` steps each: mkdir, create, write in turn
 * (every step a <W> that changes the state), or with_queries, every 5th
 * step a read or readdir instead. Returns the file's path (caller unlinks
 * and frees). */
static char *write_episodes(int eps, int steps, bool with_queries)
{
    char tmpl[] = "/tmp/lf_test_eval_XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int e = 0; e < eps; e++) {
        lf_state *st = empty_state();
        char path[64];
        for (int k = 0; k < steps; k++) {
            lf_op op = {0};
            int kind = k % 3;
            if (with_queries && k % 5 == 4) {
                op = mkop(k % 2 ? LF_OP_READDIR : LF_OP_READ, k % 2 ? "/" : "/f0");
                op.size = 4096;
            } else if (kind == 0) {
                snprintf(path, sizeof path, "/d%d", k);
                op = mkop(LF_OP_MKDIR, path);
                op.mode = 0755;
            } else if (kind == 1) {
                snprintf(path, sizeof path, "/f%d", k - 1);
                op = mkop(LF_OP_CREATE, path);
                op.mode = 0100644;
            } else {
                snprintf(path, sizeof path, "/f%d", k - 2);
                op = mkop(LF_OP_WRITE, path);
                char data[64];
                int n = snprintf(data, sizeof data, "line %d of episode %d\n", k, e);
                op.data = (unsigned char *)strdup(data);
                op.data_len = (size_t)n;
            }
            put_row(f, st, &op, e, k);
            lf_op_free(&op);
        }
        lf_state_free(st);
    }
    fclose(f);
    return strdup(tmpl);
}

static void test_run_oracle(void **ctx)
{
    (void)ctx;
    char *path = write_episodes(2, 12, true);
    lf_eval_set set;
    lf_err err;
    assert_int_equal(lf_eval_load(path, 0, &set, &err), 0);
    assert_int_equal(set.n, 24);
    assert_int_equal(set.rows[13].episode, 1);
    assert_int_equal(set.rows[13].step, 1);
    lf_backend *b = NULL;
    assert_int_equal(lf_backend_new("oracle", NULL, &b, &err), 0);
    lf_eval_run_opts o = {.jobs = 3, .label_check = true};
    assert_int_equal(lf_eval_run(&set, b, &o, &err), 0);
    lf_eval_summary s;
    assert_int_equal(lf_eval_summarise(&set, NULL, &s), 0);
    assert_int_equal(s.all.rows, 24);
    assert_int_equal(s.all.exact, 24);
    assert_int_equal(s.all.label_fault, 0);
    assert_int_equal(s.all.state_right, s.all.w_rows);
    assert_int_equal(s.ops[LF_OP_READ].rows, 2);
    lf_eval_summary_free(&s);
    /* --limit */
    lf_eval_set small;
    assert_int_equal(lf_eval_load(path, 5, &small, &err), 0);
    assert_int_equal(small.n, 5);
    lf_eval_set_free(&small);
    /* reports: every row in report.json */
    char dir[] = "/tmp/lf_test_eval_out_XXXXXX";
    assert_non_null(mkdtemp(dir));
    lf_eval_info info = {.backend = "oracle", .data = path, .metric = "exact"};
    assert_int_equal(lf_eval_write_reports(dir, &info, &set, NULL, &err), 0);
    char jp[256];
    snprintf(jp, sizeof jp, "%s/report.json", dir);
    lf_buf jb;
    lf_buf_init(&jb, 0);
    FILE *jf = fopen(jp, "r");
    assert_non_null(jf);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, jf)) > 0)
        assert_int_equal(lf_buf_append(&jb, chunk, got), 0);
    fclose(jf);
    lf_json *j = NULL;
    assert_int_equal(lf_json_parse(jb.data, jb.len, &j, &err), 0);
    const lf_json *rows = lf_json_get(j, "rows");
    assert_non_null(rows);
    assert_int_equal(rows->n, 24);
    lf_json_free(j);
    lf_buf_free(&jb);
    const char *names[] = {"report.json", "report.md", "report.html"};
    for (int i = 0; i < 3; i++) {
        snprintf(jp, sizeof jp, "%s/%s", dir, names[i]);
        assert_int_equal(access(jp, R_OK), 0);
        unlink(jp);
    }
    rmdir(dir);
    lf_backend_free(b);
    lf_eval_set_free(&set);
    unlink(path);
    free(path);
}

/* ---- a backend that corrupts every 7th answer ------------------------- */

typedef struct faulty {
    lf_backend base;
    lf_backend *oracle;
    int calls;
    bool garbage;   /* corrupt with unparsable XML instead of an error answer */
} faulty;

static int faulty_complete(lf_backend *b, const lf_request *req, lf_buf *out,
                           lf_backend_stats *stats, lf_err *err)
{
    faulty *f = (faulty *)b;
    if (++f->calls % 7 == 0 && lf_op_is_write(req->op->kind))
        return lf_buf_puts(out, f->garbage ? "<filesystem><directory" : "ERROR: EIO");
    return f->oracle->vt->complete(f->oracle, req, out, stats, err);
}

static long faulty_count(lf_backend *b, const char *t, size_t n)
{
    (void)b;
    (void)t;
    (void)n;
    return -1;
}

static void faulty_free(lf_backend *b)
{
    faulty *f = (faulty *)b;
    lf_backend_free(f->oracle);
    free(f);
}

static const lf_backend_vt faulty_vt = {
    .name = "faulty", .complete = faulty_complete, .count_tokens = faulty_count,
    .free = faulty_free};

static void test_episodes(void **ctx)
{
    (void)ctx;
    char *path = write_episodes(3, 30, false);
    lf_eval_set set;
    lf_err err;
    assert_int_equal(lf_eval_load(path, 0, &set, &err), 0);
    /* the oracle: every episode exact to the end */
    lf_backend *b = NULL;
    assert_int_equal(lf_backend_new("oracle", NULL, &b, &err), 0);
    lf_eval_run_opts o = {.jobs = 2};
    lf_eval_episodes_result r;
    assert_int_equal(lf_eval_episodes(&set, b, &o, &r, &err), 0);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.steps, 90);
    lf_eval_summary s;
    assert_int_equal(lf_eval_summarise(NULL, &r, &s), 0);
    for (int h = 0; h < 4; h++) { /* 1, 5, 10, 25 steps */
        assert_int_equal(s.ep_den[h], 3);
        assert_int_equal(s.ep_alive[h], 3);
    }
    assert_int_equal(s.ep_den[4], 0); /* no episode reaches 50 steps */
    assert_int_equal(s.ep_bins[6], 3);
    assert_int_equal(s.ep_consistent, 90);
    lf_eval_summary_free(&s);
    lf_eval_episodes_free(&r);
    lf_backend_free(b);

    /* every 7th answer an ERROR: one request at a time, so the calls of
     * episode e are 30e+1 .. 30e+30 and its first corrupted step is known */
    faulty *f = calloc(1, sizeof *f);
    f->base.vt = &faulty_vt;
    assert_int_equal(lf_backend_new("oracle", NULL, &f->oracle, &err), 0);
    o.jobs = 1;
    assert_int_equal(lf_eval_episodes(&set, &f->base, &o, &r, &err), 0);
    const long first[3] = {7, 5, 3}; /* calls 7, 35 (= 30 + 5), 63 (= 60 + 3) */
    for (int e = 0; e < 3; e++) {
        assert_int_equal(r.eps[e].first_divergence, first[e]);
        assert_int_equal(r.eps[e].first_wrong_answer, first[e]);
        assert_non_null(r.eps[e].div_diff);
        assert_null(r.eps[e].div_refusal);   /* an error answer is taken */
        assert_null(r.eps[e].div_answer);
        assert_int_equal(r.eps[e].replayed, 30);
    }
    assert_int_equal(lf_eval_summarise(NULL, &r, &s), 0);
    assert_int_equal(s.ep_alive[0], 3);  /* after 1 step */
    assert_int_equal(s.ep_alive[1], 1);  /* after 5: only episode 0 (diverges at 7) */
    assert_int_equal(s.ep_alive[2], 0);
    assert_int_equal(s.ep_bins[1], 1);   /* 3 */
    assert_int_equal(s.ep_bins[2], 2);   /* 5, 7 */
    /* after the divergence the model answers the oracle's way on its own
     * (wrong) state: consistent, but not what the labels say */
    assert_true(s.ep_consistent > s.ep_exact);
    lf_eval_summary_free(&s);
    lf_eval_episodes_free(&r);

    /* the same steps answered with XML that does not parse: refused, the
     * state kept, and the divergence says so */
    f->garbage = true;
    f->calls = 0;
    assert_int_equal(lf_eval_episodes(&set, &f->base, &o, &r, &err), 0);
    for (int e = 0; e < 3; e++) {
        assert_int_equal(r.eps[e].first_divergence, first[e]);
        assert_non_null(r.eps[e].div_refusal);
        assert_true(strlen(r.eps[e].div_refusal) > 0);
        /* the diff shows the state kept; div_answer the garbage itself, a
         * prefix of the label that ends after 22 bytes */
        assert_non_null(r.eps[e].div_answer);
        assert_non_null(strstr(r.eps[e].div_answer, "at byte 22: expected '"));
        const char *got = strstr(r.eps[e].div_answer, "' got '");
        assert_non_null(got);
        assert_string_equal(got + strlen(got) - strlen("<directory'"), "<directory'");
        assert_string_not_equal(r.eps[e].div_answer, r.eps[e].div_diff);
    }
    lf_eval_episodes_free(&r);
    lf_backend_free(&f->base);

    /* a gap in the data (episode 0's step 3 missing): that episode's replay
     * stops where the next prompt disagrees with the label; others go on */
    char gp[] = "/tmp/lf_test_eval_gap_XXXXXX";
    int gfd = mkstemp(gp);
    assert_true(gfd >= 0);
    FILE *in = fopen(path, "r"), *out = fdopen(gfd, "w");
    assert_non_null(in);
    char *line = NULL;
    size_t cap = 0;
    for (int i = 0; getline(&line, &cap, in) > 0; i++)
        if (i != 3)
            fputs(line, out);
    free(line);
    fclose(in);
    fclose(out);
    lf_eval_set gset;
    assert_int_equal(lf_eval_load(gp, 0, &gset, &err), 0);
    assert_int_equal(lf_backend_new("oracle", NULL, &b, &err), 0);
    assert_int_equal(lf_eval_episodes(&gset, b, &o, &r, &err), 0);
    assert_true(r.eps[0].gap);
    assert_int_equal(r.eps[0].replayed, 3);
    assert_int_equal(r.eps[0].first_divergence, -1);
    assert_false(r.eps[1].gap);
    assert_int_equal(r.eps[1].replayed, 30);
    assert_int_equal(lf_eval_summarise(NULL, &r, &s), 0);
    assert_int_equal(s.ep_gaps, 1);
    assert_int_equal(s.ep_den[1], 2); /* the cut episode no longer counts at 5 steps */
    lf_eval_summary_free(&s);
    lf_eval_episodes_free(&r);
    lf_backend_free(b);
    lf_eval_set_free(&gset);
    unlink(gp);

    /* rows without meta.episode cannot be replayed */
    lf_eval_set plain = set;
    for (size_t i = 0; i < plain.n; i++)
        plain.rows[i].episode = -1;
    assert_int_equal(lf_eval_episodes(&plain, NULL, &o, &r, &err), -EINVAL);
    lf_eval_set_free(&set);
    unlink(path);
    free(path);
}

/* ---- the local engine with a random-weight model ----------------------- */

static void test_local_engine(void **ctx)
{
    (void)ctx;
    lf_random_spec spec = {
        .cfg = {.n_layer = 2, .n_ctx = 8192, .dim = 64, .n_ff = 96, .n_head = 4, .n_kv_head = 2,
                .head_dim = 16, .v_head_dim = 16, .vocab = 300, .rope_theta = 10000.0f,
                .eps = 1e-6f},
        .type = LF_GGML_F32, .seed = 7, .ours = true, .contract = "none"};
    char mp[] = "/tmp/lf_test_eval_model_XXXXXX";
    int fd = mkstemp(mp);
    assert_true(fd >= 0);
    close(fd);
    lf_err err;
    assert_int_equal(lf_model_write_random(mp, &spec, &err), 0);
    lf_backend_opts bo = {.model = mp, .threads = 2, .contract = -1};
    lf_backend *b = NULL;
    assert_int_equal(lf_backend_new("local", &bo, &b, &err), 0);
    char *path = write_episodes(1, 6, false);
    lf_eval_set set;
    assert_int_equal(lf_eval_load(path, 4, &set, &err), 0);
    lf_eval_run_opts o = {.jobs = 1, .label_check = true};
    assert_int_equal(lf_eval_run(&set, b, &o, &err), 0);
    for (size_t i = 0; i < set.n; i++) {
        const lf_eval_row *r = &set.rows[i];
        if (r->backend_rc)
            fail_msg("row %zu: %s", i, r->backend_msg);
        assert_non_null(r->answer);
        assert_true(r->completion_tokens > 0);    /* the engine reports tokens */
        assert_false(r->v.exact);                 /* random weights: no right answer */
        assert_int_equal(r->v.parses, 0);
        assert_true(r->seed.similarity >= 0 && r->seed.similarity <= 1);
    }
    lf_eval_summary s;
    assert_int_equal(lf_eval_summarise(&set, NULL, &s), 0);
    assert_int_equal(s.all.exact, 0);
    assert_true(s.tokens > 0 && s.token_seconds > 0);
    assert_int_equal(s.alternatives, 0);
    lf_eval_summary_free(&s);
    /* --alternatives 2: every refused answer is followed by two alternatives
     * (refused too: random weights), and the answer scored is still the
     * greedy one */
    lf_eval_set set2;
    assert_int_equal(lf_eval_load(path, 4, &set2, &err), 0);
    o.alternatives = 2;
    assert_int_equal(lf_eval_run(&set2, b, &o, &err), 0);
    for (size_t i = 0; i < set2.n; i++) {
        assert_int_equal(set2.rows[i].alternatives, 2);
        assert_false(set2.rows[i].rescued);
        assert_int_equal(set2.rows[i].answer_len, set.rows[i].answer_len);
        assert_memory_equal(set2.rows[i].answer, set.rows[i].answer, set.rows[i].answer_len);
    }
    assert_int_equal(lf_eval_summarise(&set2, NULL, &s), 0);
    assert_int_equal(s.alternatives, 2 * set2.n);
    assert_int_equal(s.rescued, 0);
    lf_eval_summary_free(&s);
    lf_eval_set_free(&set2);
    /* the oracle's answers are accepted at once: no alternatives */
    lf_backend *ob = NULL;
    assert_int_equal(lf_backend_new("oracle", NULL, &ob, &err), 0);
    assert_int_equal(lf_eval_load(path, 4, &set2, &err), 0);
    assert_int_equal(lf_eval_run(&set2, ob, &o, &err), 0);
    for (size_t i = 0; i < set2.n; i++)
        assert_int_equal(set2.rows[i].alternatives, 0);
    lf_eval_set_free(&set2);
    lf_backend_free(ob);
    lf_eval_set_free(&set);
    lf_backend_free(b);
    unlink(path);
    free(path);
    unlink(mp);
}

/* ---- random answers: no crash, bounded numbers ------------------------ */

static void test_random_answers(void **ctx)
{
    (void)ctx;
    static const char *frag[] = {
        "<think>", "</think>", "<THINK", "[", "]", "<END_FS>", "\n", "\r\n", "\r", " ",
        "Answer:", "explanation:", "[EOF]", "\"", ",", "<filesystem", "</filesystem>",
        "<filesystem>", "ERROR: ", "ENOENT", "\xc3\x89", "\xc4\xb0", "\xff", "\xc3", "a",
        "\".\"", "\"..\"", "{}", "1", "null", "\x0b", "\xe2\x80\xa8", "/", "\t"};
    const size_t nf = sizeof frag / sizeof frag[0];
    lf_state *st = sample_state();
    lf_op ops[3] = {mkop(LF_OP_READDIR, "/docs"), mkop(LF_OP_READ, "/notes.txt"),
                    mkop(LF_OP_MKDIR, "/x")};
    ops[1].size = 4096;
    ops[2].mode = 0755;
    uint64_t rng = 88172645463325252ull;
    for (int it = 0; it < 3000; it++) {
        char a[512], e[512];
        size_t na = 0, ne = 0;
        for (int side = 0; side < 2; side++) {
            char *buf = side ? e : a;
            size_t *n = side ? &ne : &na;
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            int k = (int)(rng % 12);
            for (int i = 0; i < k; i++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                const char *fr = frag[rng % nf];
                size_t l = strlen(fr);
                memcpy(buf + *n, fr, l);
                *n += l;
            }
        }
        lf_seedm_result r;
        assert_int_equal(lf_seedm_score(a, na, e, ne, &r), 0);
        assert_true(r.similarity >= 0.0 && r.similarity <= 1.0);
        lf_seedm_result_free(&r);
        const lf_op *op = &ops[it % 3];
        bool w = lf_op_is_write(op->kind);
        lf_eval_verdict v;
        assert_int_equal(lf_eval_score(op, st, w, a, na, e, ne, &v), 0);
        assert_true(v.exact == (v.why == LF_WHY_EXACT));
        lf_eval_verdict_free(&v);
        assert_int_equal(lf_eval_score(op, st, w, a, na, a, na, &v), 0);
        assert_true(v.exact);
        lf_eval_verdict_free(&v);
    }
    for (int i = 0; i < 3; i++)
        lf_op_free(&ops[i]);
    lf_state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_similarity),
        cmocka_unit_test(test_seed_sanitize),
        cmocka_unit_test(test_flattery),
        cmocka_unit_test(test_score_reasons),
        cmocka_unit_test(test_run_oracle),
        cmocka_unit_test(test_episodes),
        cmocka_unit_test(test_local_engine),
        cmocka_unit_test(test_random_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
