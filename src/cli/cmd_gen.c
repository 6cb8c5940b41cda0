/* cmd_gen.c: `llmfuse gen`: generate a dataset (src/data/gen.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "data/gen.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmfuse gen [--oracle] [--seed N] [--episodes N] [--steps N]\n"
            "                   [--max-state-bytes N] [--weights op=w,...] [--out FILE]\n"
            "                   [--split train=0.9,val=0.05,test=0.05] [--stats] [--model GGUF]\n"
            "                   [--names seed|mix|class=w,...] [--content seed|mix|class=w,...]\n"
            "                   [--nonempty PCT] [--verify-oracle] [--no-progress]\n"
            "  Episodes of shell-like commands on a growing tree; one JSONL row per\n"
            "  kernel call. Default: the reference filesystem mounted in a temporary\n"
            "  directory (needs /dev/fuse); --oracle: the same commands answered by the\n"
            "  oracle, no mount. --steps is rows per episode. Defaults: --seed 1\n"
            "  --episodes 10 --steps 64\n"
            "  --max-state-bytes %d (two states of ~3-byte tokens fit a 4096-token context), stdout.\n"
            "  --split writes FILE.train.jsonl, FILE.val.jsonl, FILE.test.jsonl (by episode).\n"
            "  ops for --weights: mkdir touch write read rm rmdir chmod chown ls readlink\n"
            "  truncate rename symlink append cp rmr pwrite (a write inside a file's\n"
            "  content) hole (a write past a file's end or a truncate that grows it);\n"
            "  the last two 0 unless given\n"
            "  --names classes: seed random real odd (default mix 30,35,20,15; seed: the\n"
            "  original's vocabularies only). --content classes: template text echo binary\n"
            "  (default mix 30,38,22,10; seed: templates and the old sizes only).\n"
            "  --nonempty PCT: write, append and truncate pick a file with content PCT%%\n"
            "  of the time (default 0: any file; training data that drills sizes).\n",
            LF_GEN_MAX_STATE);
}

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_split(const char *s, double frac[3])
{
    static const char *const NAMES[3] = {"train", "val", "test"};
    frac[0] = frac[1] = frac[2] = 0;
    while (*s) {
        const char *eq = strchr(s, '=');
        if (!eq)
            return -1;
        int k = -1;
        for (int i = 0; i < 3; i++)
            if (strlen(NAMES[i]) == (size_t)(eq - s) && !strncmp(s, NAMES[i], (size_t)(eq - s)))
                k = i;
        char *end;
        double v = strtod(eq + 1, &end);
        if (k < 0 || end == eq + 1 || v < 0 || (*end && *end != ','))
            return -1;
        frac[k] = v;
        s = *end ? end + 1 : end;
    }
    double t = frac[0] + frac[1] + frac[2];
    if (t <= 0)
        return -1;
    for (int i = 0; i < 3; i++)
        frac[i] /= t;
    return 0;
}

int lf_cmd_gen(int argc, char **argv)
{
    lf_gen_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.episodes = 10;
    o.steps = 64;
    o.max_state = LF_GEN_MAX_STATE;
    o.progress = isatty(2);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--oracle")) {
            o.oracle = true;
        } else if (!strcmp(a, "--stats")) {
            o.rows.stats = true;
        } else if (!strcmp(a, "--verify-oracle")) {
            o.rows.verify = true;
        } else if (!strcmp(a, "--no-progress")) {
            o.progress = false;
        } else if (v && !strcmp(a, "--seed") && !parse_u64(v, ~0ULL, &n)) {
            o.seed = n;
            i++;
        } else if (v && !strcmp(a, "--episodes") && !parse_u64(v, 100000000, &n)) {
            o.episodes = (unsigned)n;
            i++;
        } else if (v && !strcmp(a, "--steps") && !parse_u64(v, 1000000, &n) && n > 0) {
            o.steps = (unsigned)n;
            i++;
        } else if (v && !strcmp(a, "--max-state-bytes") && !parse_u64(v, 1ULL << 30, &n)) {
            o.max_state = (size_t)n;
            i++;
        } else if (v && !strcmp(a, "--weights")) {
            o.weights = v;
            i++;
        } else if (v && !strcmp(a, "--nonempty") && !parse_u64(v, 100, &n)) {
            o.nonempty_pct = (unsigned)n;
            i++;
        } else if (v && !strcmp(a, "--names")) {
            o.names = v;
            i++;
        } else if (v && !strcmp(a, "--content")) {
            o.content = v;
            i++;
        } else if (v && !strcmp(a, "--out")) {
            o.rows.out = v;
            i++;
        } else if (v && !strcmp(a, "--model")) {
            o.rows.model = v;
            o.rows.stats = true;
            i++;
        } else if (v && !strcmp(a, "--split") && !parse_split(v, o.rows.frac)) {
            o.rows.split = true;
            i++;
        } else {
            fprintf(stderr, "llmfuse gen: bad or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    lf_err err;
    lf_err_clear(&err);
    int rc = lf_gen_run(&o, &err);
    if (rc) {
        fprintf(stderr, "llmfuse gen: %s\n", err.msg[0] ? err.msg : strerror(-rc));
        return 1;
    }
    return 0;
}
