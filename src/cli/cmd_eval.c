/* cmd_eval.c: `llmfuse eval`: a dataset's prompts through a backend, raw
 * answers scored by exact match, with the original's metrics beside them
 * for comparison; --episodes replays multi-step episodes the way a mount
 * lives them (src/eval/, docs/EVAL.md).
 *
 * Backend choice as `llmfuse mount`: --model FILE.gguf means the local
 * engine; --backend NAME picks one; with neither, the bundled model
 * models/llmfuse.gguf if present, else the oracle. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "lm/model.h"
#include "eval/eval.h"
#include "lf_config.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmfuse eval --data FILE.jsonl [--backend NAME] [--url U] [--token T]\n"
            "                    [--model M] [--limit N] [--jobs N] [--metric exact|seed]\n"
            "                    [--episodes] [--out DIR] [--contract none|seed] [--context N]\n"
            "                    [--timeout S] [--retries N] [--threads N] [--answers FILE.jsonl]\n"
            "                    [--no-label-check] [--no-progress] [--act auto|bf16|fp32]\n"
            "                    [--free-decoding] [--alternatives N]\n"
            "  --backend   oracle, local, generate, openai; default as `llmfuse mount`: the\n"
            "              bundled models/llmfuse.gguf if present, else oracle\n"
            "  --model     local: a GGUF file (implies --backend local); openai: model name\n"
            "  --limit N   the first N rows only\n"
            "  --jobs N    concurrent requests (HTTP backends and the oracle; local: 1)\n"
            "  --metric    the headline: exact (raw answers, byte for byte; default) or seed\n"
            "              (the original's expectation-aware sanitising and character-set\n"
            "              Jaccard > 0.7, for comparison); both are always reported\n"
            "  --episodes  replay episodes (meta.episode/step) with the model's own states\n"
            "  --out DIR   write DIR/report.json, report.md, report.html\n"
            "  --answers F score answers given in F (JSONL {\"answer\": ...} per row, in\n"
            "              order) instead of asking a backend\n"
            "  --act       local: the activations BF16 weights multiply (auto: bf16\n"
            "              where the CPU has a native bf16 dot product, else fp32)\n"
            "  --free-decoding  local: decode <W> answers without the answer constraint\n"
            "              (a body as long as its size attribute says, an element's\n"
            "              name the last component of its path)\n"
            "  --alternatives N  as `llmfuse mount --alternatives`: after an answer the\n"
            "              mount would refuse, ask the local engine for up to N other answers\n"
            "              and score the first accepted one (default 0: the raw answer)\n"
            "Exit status: 0 when the run completed (whatever the scores), 1 on failure,\n"
            "2 on bad usage.\n");
}

typedef struct progress {
    bool on;
    const char *what;
    double t0;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A one-line bar on stderr; called under the runner's lock. */
static void show(void *ctx, size_t done, size_t total)
{
    progress *p = ctx;
    if (!p->on || !total)
        return;
    int width = 30, fill = (int)((double)done / (double)total * width);
    double el = now_s() - p->t0;
    double eta = done ? el / (double)done * (double)(total - done) : 0;
    fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu  %.0fs elapsed, ~%.0fs left ", p->what, fill,
            "##############################", width - fill, "", done, total, el, eta);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

int lf_cmd_eval(int argc, char **argv)
{
    const char *data = NULL, *backend = NULL, *url = NULL, *token = NULL, *model = NULL;
    const char *out = NULL, *metric = "exact", *contract = NULL, *answers = NULL;
    long limit = 0, jobs = 1, context = 0, threads = 0, retries = -2, alternatives = 0;
    double timeout = 0;
    bool episodes = false, label_check = true, show_progress = true;
    int act = LF_ACT_AUTO;
    bool free_decoding = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--episodes")) { episodes = true; continue; }
        if (!strcmp(a, "--no-label-check")) { label_check = false; continue; }
        if (!strcmp(a, "--no-progress")) { show_progress = false; continue; }
        if (!strcmp(a, "--act") && v && (act = lf_act_parse(v)) >= 0) { i++; continue; }
        if (!strcmp(a, "--free-decoding")) { free_decoding = true; continue; }
        if (!v) {
            fprintf(stderr, "llmfuse eval: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        char *end = NULL;
        if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--backend")) backend = v;
        else if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--token")) token = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--answers")) answers = v;
        else if (!strcmp(a, "--metric")) metric = v;
        else if (!strcmp(a, "--contract")) contract = v;
        else if (!strcmp(a, "--limit")) limit = strtol(v, &end, 10);
        else if (!strcmp(a, "--jobs")) jobs = strtol(v, &end, 10);
        else if (!strcmp(a, "--context")) context = strtol(v, &end, 10);
        else if (!strcmp(a, "--threads")) threads = strtol(v, &end, 10);
        else if (!strcmp(a, "--retries")) retries = strtol(v, &end, 10);
        else if (!strcmp(a, "--alternatives")) alternatives = strtol(v, &end, 10);
        else if (!strcmp(a, "--timeout")) timeout = strtod(v, &end);
        else {
            fprintf(stderr, "llmfuse eval: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (end && (*end || end == v)) {
            fprintf(stderr, "llmfuse eval: bad number '%s' for %s\n", v, a);
            return 2;
        }
    }
    if (!data || limit < 0 || jobs < 1 || jobs > 256 || context < 0 || threads < 0 ||
        timeout < 0 || retries < -2 || alternatives < 0 || alternatives > 64) {
        usage(stderr);
        return 2;
    }
    if (strcmp(metric, "exact") && strcmp(metric, "seed")) {
        fprintf(stderr, "llmfuse eval: --metric is exact or seed\n");
        return 2;
    }
    if (contract && lf_contract_from_name(contract) < 0) {
        fprintf(stderr, "llmfuse eval: unknown contract '%s' (none, seed)\n", contract);
        return 2;
    }
    if (answers && episodes) {
        fprintf(stderr, "llmfuse eval: --answers cannot replay episodes (each step needs the "
                        "model's answer to the state it made)\n");
        return 2;
    }
    if (url && !backend) {
        fprintf(stderr, "llmfuse eval: --url needs --backend generate or openai\n");
        return 2;
    }
    if (answers && !backend)
        backend = "oracle"; /* only named in the report; nothing is asked */
    if (!backend && model && !url)
        backend = "local";
    if (!backend) {
        model = lf_backend_bundled_model();
        backend = model ? "local" : "oracle";
        fprintf(stderr, "llmfuse eval: no backend given: %s%s\n",
                model ? "the bundled model " : "no bundled model, the oracle",
                model ? model : "");
    }
    bool http = !strcmp(backend, "generate") || !strcmp(backend, "openai");
    if (jobs > 1 && !http && strcmp(backend, "oracle")) {
        fprintf(stderr, "llmfuse eval: --jobs applies to the HTTP backends; the %s backend "
                        "runs one request at a time\n", backend);
        jobs = 1;
    }

    int status = 1;
    lf_err err;
    lf_err_clear(&err);
    lf_backend *b = NULL;
    lf_eval_set set = {0};
    lf_eval_episodes_result eps = {0};
    bool have_eps = false;
    lf_backend_opts o = {.url = url, .token = token, .model = model, .timeout_s = timeout,
                         .context_tokens = context, .threads = (int)threads,
                         .act = act, .free_decoding = free_decoding,
                         /* lf_backend_opts.retries: 0 is "the default", -1 "none" */
                         .retries = retries == -2 ? 0 : retries == 0 ? -1 : (int)retries,
                         .contract = contract ? lf_contract_from_name(contract) : -1};
    if (lf_backend_new(backend, &o, &b, &err) < 0) {
        fprintf(stderr, "llmfuse eval: %s\n", err.msg);
        goto out;
    }
    if (lf_eval_load(data, (size_t)limit, &set, &err) < 0) {
        fprintf(stderr, "llmfuse eval: %s\n", err.msg);
        goto out;
    }
    if (answers && lf_eval_load_answers(&set, answers, &err) < 0) {
        fprintf(stderr, "llmfuse eval: %s\n", err.msg);
        goto out;
    }
    char desc[PATH_MAX + 256];
    if (answers)
        snprintf(desc, sizeof desc, "answers from %s", answers);
    else
        snprintf(desc, sizeof desc, "%s%s%s%s%s (contract %s)", backend, model ? " " : "",
                 model ? model : "", url ? " " : "", url ? url : "",
                 lf_contract_name(b->contract));
    progress pg = {.on = show_progress && isatty(2), .t0 = now_s()};
    lf_eval_run_opts ro = {.jobs = (int)jobs, .label_check = label_check, .progress = show,
                           .progress_ctx = &pg, .alternatives = (int)alternatives};
    double t0 = now_s();
    if (!episodes) {
        pg.what = "rows";
        if (lf_eval_run(&set, answers ? NULL : b, &ro, &err) < 0) {
            fprintf(stderr, "llmfuse eval: %s\n", err.msg);
            goto out;
        }
    } else {
        pg.what = "steps";
        if (lf_eval_episodes(&set, b, &ro, &eps, &err) < 0) {
            fprintf(stderr, "llmfuse eval: %s\n", err.msg);
            goto out;
        }
        have_eps = true;
    }
    lf_eval_info info = {.backend = desc, .data = data, .metric = metric,
                         .wall_seconds = now_s() - t0};
    lf_eval_print_summary(stdout, &info, episodes ? NULL : &set, have_eps ? &eps : NULL);
    fflush(stdout);
    if (out && lf_eval_write_reports(out, &info, episodes ? NULL : &set, have_eps ? &eps : NULL,
                                     &err) < 0) {
        fprintf(stderr, "llmfuse eval: %s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    lf_eval_episodes_free(&eps);
    lf_eval_set_free(&set);
    lf_backend_free(b);
    return status;
}
