/* run.c: loading a JSONL dataset and running its rows through a backend
 * (eval.h): one worker per job (each.h) takes the next row, sends the row's prompt
 * as it is, and scores the raw answer by our exact match, the original's
 * metrics and, where the label disagrees with the oracle, the label-fault
 * classifier. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/each.h"
#include "eval/eval.h"
#include "fs/ask.h"
#include "proto/seed.h"
#include "util/json.h"

#define MAX_LINE ((size_t)256 << 20)

static void row_free(lf_eval_row *r)
{
    free(r->prompt);
    free(r->expected);
    free(r->answer);
    free(r->backend_msg);
    free(r->label_fault);
    lf_eval_verdict_free(&r->v);
    lf_seedm_result_free(&r->seed);
}

void lf_eval_set_free(lf_eval_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        row_free(&set->rows[i]);
    free(set->rows);
    free(set->path);
    memset(set, 0, sizeof *set);
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Fills the row's fields that come from its prompt and label. */
static void classify(lf_eval_row *r)
{
    r->op = -1;
    r->is_write = r->prompt_len >= 3 && !memcmp(r->prompt, "<W>", 3);
    lf_op op = {0};
    lf_state *st = NULL;
    lf_err err;
    if (lf_prompt_parse(r->prompt, r->prompt_len, LF_PARSE_LENIENT, &op, &st, NULL, &err) == 0) {
        r->op = (int)op.kind;
        r->is_write = lf_op_is_write(op.kind);
    }
    if (r->expected_len > 7 && !memcmp(r->expected, "ERROR: ", 7)) {
        size_t n = 7;
        while (n < r->expected_len && r->expected[n] >= 'A' && r->expected[n] <= 'Z')
            n++;
        int e = lf_errno_from_name(r->expected + 7, n - 7);
        r->expected_errno = e > 0 ? e : EIO;
    }
    lf_op_free(&op);
    lf_state_free(st);
}

int lf_eval_load(const char *path, size_t limit, lf_eval_set *set, lf_err *err)
{
    memset(set, 0, sizeof *set);
    FILE *f = fopen(path, "r");
    if (!f)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    int rc = 0;
    char *line = NULL;
    size_t cap = 0, alloc = 0, lineno = 0;
    ssize_t got;
    set->path = strdup(path);
    while ((got = getline(&line, &cap, f)) > 0 && (!limit || set->n < limit)) {
        lineno++;
        if ((size_t)got > MAX_LINE) {
            rc = lf_err_set(err, E2BIG, "%s:%zu: row longer than %zu bytes", path, lineno,
                            MAX_LINE);
            break;
        }
        size_t k = 0;
        while (k < (size_t)got && (line[k] == ' ' || line[k] == '\n' || line[k] == '\r'))
            k++;
        if (k == (size_t)got)
            continue; /* blank line */
        lf_json *j = NULL;
        rc = lf_json_parse(line, (size_t)got, &j, err);
        size_t plen = 0, clen = 0;
        const char *p = rc ? NULL : lf_json_get_str(j, "prompt", &plen);
        const char *c = rc ? NULL : lf_json_get_str(j, "completion", &clen);
        if (rc || !p || !c) {
            lf_json_free(j);
            if (rc)
                lf_err_prefix(err, "%s:%zu: ", path, lineno);
            rc = rc ? rc
                    : lf_err_set(err, EINVAL, "%s:%zu: a row needs string prompt and completion",
                                 path, lineno);
            break;
        }
        if (set->n == alloc) {
            size_t na = alloc ? alloc * 2 : 256;
            lf_eval_row *nr = realloc(set->rows, na * sizeof *nr);
            if (!nr) {
                lf_json_free(j);
                rc = lf_err_set(err, ENOMEM, "out of memory");
                break;
            }
            set->rows = nr;
            alloc = na;
        }
        lf_eval_row *r = &set->rows[set->n];
        memset(r, 0, sizeof *r);
        r->index = set->n;
        r->prompt = dup_n(p, plen);
        r->prompt_len = plen;
        r->expected = dup_n(c, clen);
        r->expected_len = clen;
        r->completion_tokens = -1;
        const lf_json *meta = lf_json_get(j, "meta");
        r->episode = meta && meta->type == LF_JSON_OBJ ? lf_json_get_int(meta, "episode", -1) : -1;
        r->step = meta && meta->type == LF_JSON_OBJ ? lf_json_get_int(meta, "step", -1) : -1;
        lf_json_free(j);
        set->n++;
        if (!r->prompt || !r->expected) {
            rc = lf_err_set(err, ENOMEM, "out of memory");
            break;
        }
        classify(r);
    }
    free(line);
    fclose(f);
    if (rc) {
        lf_eval_set_free(set);
        return rc < 0 ? rc : -rc;
    }
    return 0;
}

int lf_eval_load_answers(lf_eval_set *set, const char *path, lf_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, i = 0;
    ssize_t got;
    int rc = 0;
    while (i < set->n && (got = getline(&line, &cap, f)) > 0) {
        lf_json *j = NULL;
        size_t n = 0;
        const char *a = NULL;
        if (lf_json_parse(line, (size_t)got, &j, err) == 0)
            a = lf_json_get_str(j, "answer", &n);
        if (!a) {
            lf_json_free(j);
            rc = lf_err_set(err, EINVAL, "%s:%zu: a line needs a string \"answer\"", path, i + 1);
            break;
        }
        lf_eval_row *r = &set->rows[i++];
        free(r->answer);
        r->answer = dup_n(a, n);
        r->answer_len = n;
        r->given = true;
        lf_json_free(j);
        if (!r->answer) {
            rc = lf_err_set(err, ENOMEM, "out of memory");
            break;
        }
    }
    if (!rc && i < set->n)
        rc = lf_err_set(err, EINVAL, "%s: %zu answers for %zu rows", path, i, set->n);
    free(line);
    fclose(f);
    return rc;
}

/* ---- the run ---------------------------------------------------------- */

typedef struct run_ctx {
    lf_eval_set *set;
    lf_backend *b;
    const lf_eval_run_opts *o;
    pthread_mutex_t mu;
    size_t done;
} run_ctx;

/* One row: ask, then score. Returns 0 or -ENOMEM. */
static int run_row(run_ctx *c, lf_eval_row *r)
{
    lf_op op = {0};
    lf_state *st = NULL;
    lf_err err;
    lf_err_clear(&err);
    bool parsed = lf_prompt_parse(r->prompt, r->prompt_len, LF_PARSE_LENIENT, &op, &st, NULL,
                                  &err) == 0;
    if (parsed)
        lf_seed_op_fixup(&op); /* the original's leaked host paths in symlink lines */
    lf_request req = {.op = parsed ? &op : NULL, .state = parsed ? st : NULL,
                      .prompt = r->prompt, .prompt_len = r->prompt_len};
    lf_buf out;
    lf_buf_init(&out, 0);
    lf_backend_stats bs = {.completion_tokens = -1};
    lf_err_clear(&err);
    if (r->given) { /* given (lf_eval_load_answers): score it as it is */
        r->backend_rc = lf_buf_append(&out, r->answer, r->answer_len);
        free(r->answer);
        r->answer = NULL;
    } else if (c->b && parsed) {
        lf_fs_asked asked;
        r->backend_rc = lf_fs_ask(c->b, &req, &op, st, c->o->alternatives, NULL, &out, NULL, &asked,
                                  NULL, &err);
        bs = asked.bs;
        r->alternatives = asked.alternatives;
        r->rescued = asked.alternatives > 0 && asked.judged == 0;
    } else if (c->b) {   /* a prompt that does not parse: nothing to judge it by */
        r->backend_rc = lf_backend_complete(c->b, &req, &out, &bs, &err);
    } else {
        r->backend_rc = lf_err_set(&err, EINVAL, "no backend and no answer for this row");
    }
    r->seconds = bs.seconds;
    r->completion_tokens = bs.completion_tokens;
    int rc = 0;
    if (r->backend_rc < 0) {
        r->backend_msg = strdup(err.msg[0] ? err.msg : "backend failed");
        r->answer = NULL;
        r->answer_len = 0;
        lf_buf_free(&out);
        memset(&r->v, 0, sizeof r->v);
        r->v.why = LF_WHY_BACKEND;
        r->v.parses = r->v.state_right = r->v.structure = -1;
        if (r->is_write)
            r->v.parses = r->v.state_right = 0;
    } else {
        if (lf_buf_append(&out, "", 0))
            rc = -ENOMEM;
        r->answer = lf_buf_steal(&out, &r->answer_len);
        if (!rc)
            rc = lf_eval_score(parsed ? &op : NULL, parsed ? st : NULL, r->is_write, r->answer,
                               r->answer_len, r->expected, r->expected_len, &r->v);
    }
    if (!rc)
        rc = lf_seedm_score(r->answer ? r->answer : "", r->answer_len, r->expected,
                            r->expected_len, &r->seed);
    if (!rc && c->o->label_check && parsed) {
        lf_seed_verdict sv;
        lf_buf cat;
        lf_buf_init(&cat, 0);
        rc = lf_seed_check_row(r->prompt, r->prompt_len, r->expected, r->expected_len, NULL, &sv);
        if (!rc && !sv.exact && sv.parsed) {
            rc = lf_seed_verdict_category(&sv, &cat);
            if (!rc)
                r->label_fault = lf_buf_steal(&cat, NULL);
        }
        lf_buf_free(&cat);
    }
    lf_op_free(&op);
    lf_state_free(st);
    return rc;
}

/* lf_eval_item_fn: row i, then the progress count. */
static int run_item(void *arg, size_t i)
{
    run_ctx *c = arg;
    int rc = run_row(c, &c->set->rows[i]);
    pthread_mutex_lock(&c->mu);
    c->done++;
    if (c->o->progress)
        c->o->progress(c->o->progress_ctx, c->done, c->set->n);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int lf_eval_run(lf_eval_set *set, lf_backend *b, const lf_eval_run_opts *o, lf_err *err)
{
    run_ctx c = {.set = set, .b = b, .o = o};
    pthread_mutex_init(&c.mu, NULL);
    int rc = lf_eval_each(set->n, o->jobs, run_item, &c);
    pthread_mutex_destroy(&c.mu);
    if (rc)
        return lf_err_set(err, -rc, "eval: out of memory");
    return 0;
}
