/* episodes.c: multi-step replay (eval.h, docs/EVAL.md "Episodes").
 *
 * A mount never sees the true state: each prompt carries the state its
 * model produced at the step before, re-serialised canonically. The replay
 * does the same. Step k sends the row's operation on the *model's* state;
 * the answer is taken the way the mount takes it (a <W> state that parses
 * strictly and passes lf_fs_check_state replaces the state; an ERROR, a
 * query, or a refused answer leaves it); then the model's state is compared
 * with the true state after the step (the row's label applied to the true
 * state, which the next row's prompt must agree with, else the data has a
 * gap and the replay of that episode stops). The oracle's answer on the
 * model's own state is computed only as a diagnostic ("consistent"). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "eval/each.h"
#include "eval/eval.h"
#include "fs/ask.h"
#include "fs/check.h"
#include "proto/seed.h"
#include "state/apply.h"

const int lf_eval_horizons[LF_EVAL_HORIZONS] = {1, 5, 10, 25, 50};

typedef struct ep_ctx {
    const lf_eval_set *set;
    lf_backend *b;
    const lf_eval_run_opts *o;
    size_t **order;           /* per episode: row indices by step */
    lf_eval_episodes_result *res;
    pthread_mutex_t mu;
    size_t done_steps, total_steps;
} ep_ctx;

static bool exact_cut(bool w, const char *a, size_t na, const char *b, size_t nb)
{
    size_t ca = lf_eval_cut(a, na, w);
    size_t cb = lf_eval_cut(b, nb, w);
    return ca == cb && (ca == 0 || !memcmp(a, b, ca));
}

static void step_done(ep_ctx *c, const lf_backend_stats *bs, bool failed)
{
    pthread_mutex_lock(&c->mu);
    c->done_steps++;
    c->res->steps++;
    if (failed)
        c->res->backend_failures++;
    if (bs->completion_tokens >= 0) {
        c->res->completion_tokens += bs->completion_tokens;
        c->res->token_seconds += bs->seconds;
    }
    if (c->o->progress)
        c->o->progress(c->o->progress_ctx, c->done_steps, c->total_steps);
    pthread_mutex_unlock(&c->mu);
}

/* Text of the first difference between the true and the model's state. */
static char *state_diff(const lf_state *truth, const lf_state *model)
{
    lf_buf a, b, d;
    lf_buf_init(&a, 0);
    lf_buf_init(&b, 0);
    lf_buf_init(&d, 0);
    char *r = NULL;
    if (!lf_state_serialize(truth, &a) && !lf_state_serialize(model, &b) &&
        !lf_fs_diff_excerpt(a.data, a.len, b.data, b.len, &d))
        r = lf_buf_steal(&d, NULL);
    lf_buf_free(&a);
    lf_buf_free(&b);
    lf_buf_free(&d);
    return r;
}

/* The first difference between a label and an answer, each cut as
 * exact_cut cuts it. */
static char *text_diff(bool w, const char *label, size_t nl, const char *ans, size_t na)
{
    lf_buf d;
    lf_buf_init(&d, 0);
    char *r = NULL;
    if (!lf_fs_diff_excerpt(label, lf_eval_cut(label, nl, w), ans, lf_eval_cut(ans, na, w), &d))
        r = lf_buf_steal(&d, NULL);
    lf_buf_free(&d);
    return r;
}

/* Replays one episode. Returns 0 or -ENOMEM. */
static int replay(ep_ctx *c, const size_t *idx, lf_eval_episode *ep)
{
    const lf_eval_set *set = c->set;
    lf_state *truth = NULL, *model = NULL;
    lf_buf prompt, ans, orc;
    lf_buf_init(&prompt, 0);
    lf_buf_init(&ans, 0);
    lf_buf_init(&orc, 0);
    int rc = 0;
    ep->first_divergence = ep->first_wrong_answer = -1;
    ep->div_op = -1;
    for (size_t k = 0; k < ep->steps && rc == 0; k++) {
        const lf_eval_row *r = &set->rows[idx[k]];
        lf_op op = {0};
        lf_state *given = NULL;
        lf_err err;
        if (lf_prompt_parse(r->prompt, r->prompt_len, LF_PARSE_LENIENT, &op, &given, NULL,
                            &err)) {
            ep->gap = true; /* a prompt we cannot read: nothing to replay from here */
            break;
        }
        lf_seed_op_fixup(&op);
        if (!truth) {
            truth = given;
            model = lf_state_clone(given);
            given = NULL;
            if (!model)
                rc = -ENOMEM;
        } else if (!lf_state_equal(truth, given)) {
            ep->gap = true;
        }
        lf_state_free(given);
        if (rc || ep->gap) {
            lf_op_free(&op);
            break;
        }
        bool w = lf_op_is_write(op.kind);
        /* the prompt a mount would send: the model's own state */
        lf_buf_reset(&prompt);
        lf_buf_reset(&ans);
        lf_buf_reset(&orc);
        rc = lf_prompt_render(&op, model, &prompt);
        if (rc) {
            lf_op_free(&op);
            break;
        }
        lf_request req = {.op = &op, .state = model, .prompt = prompt.data,
                          .prompt_len = prompt.len};
        lf_fs_asked asked;
        lf_answer a = {0};
        lf_err jerr;
        lf_err_clear(&err);
        lf_err_clear(&jerr);
        int brc = lf_fs_ask(c->b, &req, &op, model, c->o->alternatives, NULL, &ans, &a, &asked,
                            &jerr, &err);
        ep->seconds += asked.bs.seconds;
        ep->alternatives += (size_t)asked.alternatives;
        step_done(c, &asked.bs, brc < 0);
        ep->replayed++;
        if (lf_buf_append(&ans, "", 0))
            rc = -ENOMEM;
        bool exact = brc == 0 && exact_cut(w, ans.data, ans.len, r->expected, r->expected_len);
        if (exact)
            ep->answers_exact++;
        else if (ep->first_wrong_answer < 0)
            ep->first_wrong_answer = (long)k + 1;
        /* diagnostic: the oracle on the model's own state */
        lf_answer oa = {0};
        if (brc == 0 && lf_oracle_answer(model, &op, &oa) == 0 &&
            lf_completion_render(&op, &oa, &orc) == 0 &&
            exact_cut(w, ans.data, ans.len, orc.data ? orc.data : "", orc.len))
            ep->answers_consistent++;
        lf_answer_free(&oa);
        /* the model's next state, as the mount takes the answer */
        size_t refused_before = ep->refused;
        if (brc == 0 && asked.judged == 0) {
            if (asked.alternatives)
                ep->rescued++;
            if (w && a.kind == LF_ANS_STATE) {
                lf_state_free(model);
                model = a.state;
                a.state = NULL;
            }
        } else {
            ep->refused++;
            if (brc == 0)
                err = jerr;
        }
        lf_answer_free(&a);
        /* the true next state: the label applied to the true state */
        lf_answer t = {0};
        if (lf_eval_parse_expected(&op, truth, r->expected, r->expected_len, &t) == 0 &&
            t.kind == LF_ANS_STATE && t.state) {
            lf_state_free(truth);
            truth = t.state;
            t.state = NULL;
        }
        lf_answer_free(&t);
        if (!lf_state_equal(model, truth) && ep->first_divergence < 0) {
            ep->first_divergence = (long)k + 1;
            ep->div_op = (int)op.kind;
            ep->div_diff = state_diff(truth, model);
            if (ep->refused > refused_before) { /* the state shown is the one kept */
                ep->div_refusal = strdup(brc == 0 && err.msg[0] ? err.msg : "no answer");
                if (brc == 0)
                    ep->div_answer = text_diff(w, r->expected, r->expected_len, ans.data, ans.len);
            }
        }
        lf_op_free(&op);
    }
    lf_state_free(truth);
    lf_state_free(model);
    lf_buf_free(&prompt);
    lf_buf_free(&ans);
    lf_buf_free(&orc);
    if (ep->replayed < ep->steps) { /* the steps never sent still count for progress */
        pthread_mutex_lock(&c->mu);
        c->done_steps += ep->steps - ep->replayed;
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

/* lf_eval_item_fn: episode i. */
static int replay_item(void *arg, size_t i)
{
    ep_ctx *c = arg;
    return replay(c, c->order[i], &c->res->eps[i]);
}

static const lf_eval_set *sort_set; /* qsort has no context argument */

static int by_episode_step(const void *a, const void *b)
{
    const lf_eval_row *x = &sort_set->rows[*(const size_t *)a];
    const lf_eval_row *y = &sort_set->rows[*(const size_t *)b];
    if (x->episode != y->episode)
        return x->episode < y->episode ? -1 : 1;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void lf_eval_episodes_free(lf_eval_episodes_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->eps[i].div_diff);
        free(r->eps[i].div_refusal);
        free(r->eps[i].div_answer);
    }
    free(r->eps);
    memset(r, 0, sizeof *r);
}

int lf_eval_episodes(const lf_eval_set *set, lf_backend *b, const lf_eval_run_opts *o,
                     lf_eval_episodes_result *out, lf_err *err)
{
    static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
    memset(out, 0, sizeof *out);
    size_t m = 0;
    for (size_t i = 0; i < set->n; i++)
        m += set->rows[i].episode >= 0;
    if (m == 0)
        return lf_err_set(err, EINVAL, "%s: no row carries meta.episode (make episodes with "
                          "`llmfuse gen`)", set->path ? set->path : "dataset");
    size_t *idx = malloc(m * sizeof *idx);
    if (!idx)
        return lf_err_set(err, ENOMEM, "out of memory");
    m = 0;
    for (size_t i = 0; i < set->n; i++)
        if (set->rows[i].episode >= 0)
            idx[m++] = i;
    pthread_mutex_lock(&sort_mu);
    sort_set = set;
    qsort(idx, m, sizeof *idx, by_episode_step);
    pthread_mutex_unlock(&sort_mu);
    size_t neps = 0;
    for (size_t i = 0; i < m; i++)
        if (i == 0 || set->rows[idx[i]].episode != set->rows[idx[i - 1]].episode)
            neps++;
    out->eps = calloc(neps, sizeof *out->eps);
    size_t **order = calloc(neps, sizeof *order);
    if (!out->eps || !order) {
        free(idx);
        free(order);
        lf_eval_episodes_free(out);
        return lf_err_set(err, ENOMEM, "out of memory");
    }
    for (size_t i = 0, e = 0; i < m; i++) {
        if (i == 0 || set->rows[idx[i]].episode != set->rows[idx[i - 1]].episode) {
            order[e] = &idx[i];
            out->eps[e].id = set->rows[idx[i]].episode;
            e++;
        }
        out->eps[e - 1].steps++;
    }
    out->n = neps;
    ep_ctx c = {.set = set, .b = b, .o = o, .order = order, .res = out, .total_steps = m};
    pthread_mutex_init(&c.mu, NULL);
    int rc = lf_eval_each(neps, o->jobs, replay_item, &c);
    pthread_mutex_destroy(&c.mu);
    for (size_t i = 0; i < neps; i++)
        out->seconds += out->eps[i].seconds;
    free(order);
    free(idx);
    if (rc) {
        lf_eval_episodes_free(out);
        return lf_err_set(err, -rc, "episodes: out of memory");
    }
    return 0;
}
