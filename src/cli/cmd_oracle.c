/* cmd_oracle.c: `llmfuse oracle`: the correct completion for every row of a
 * JSONL dataset (PROTOCOL.md §6), and `--check`, which compares a dataset's
 * own labels with the oracle and explains each difference by the original's
 * known label faults (src/proto/seed.h, docs/SEED-EVAL.md).
 *
 *   llmfuse oracle [--check] [--verbose] < rows.jsonl
 *
 * Rows are read leniently (the original's data: stripped bytes, leaked host
 * paths). Without --check each row is written back with its `completion`
 * replaced (added if missing), other keys kept in order, in the original's
 * json.dumps style. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "proto/proto.h"
#include "proto/seed.h"
#include "util/json.h"

#define MAX_ROW ((size_t)256 << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse oracle [--check] [--verbose] < rows.jsonl\n"
               "  writes each row with the oracle's completion; --check compares with\n"
               "  the rows' own completions and explains each difference\n");
}

/* Appends v in Python json.dumps's default style (", ", ": ", ASCII). */
static int dump(lf_buf *out, const lf_json *v)
{
    int rc = 0;
    switch (v->type) {
    case LF_JSON_NULL: return lf_buf_puts(out, "null");
    case LF_JSON_BOOL: return lf_buf_puts(out, v->b ? "true" : "false");
    case LF_JSON_NUM:
        if (v->num == (double)(long long)v->num && v->num < 9e15 && v->num > -9e15)
            return lf_buf_printf(out, "%lld", (long long)v->num);
        return lf_buf_printf(out, "%.17g", v->num);
    case LF_JSON_STR: return lf_json_write_str(out, v->str, v->len, true);
    case LF_JSON_ARR:
        rc = lf_buf_putc(out, '[');
        for (size_t i = 0; !rc && i < v->n; i++) {
            if (i)
                rc = lf_buf_puts(out, ", ");
            if (!rc)
                rc = dump(out, &v->items[i]);
        }
        return rc ? rc : lf_buf_putc(out, ']');
    case LF_JSON_OBJ:
        rc = lf_buf_putc(out, '{');
        for (size_t i = 0; !rc && i < v->n; i++) {
            if (i)
                rc = lf_buf_puts(out, ", ");
            if (!rc)
                rc = lf_json_write_str(out, v->keys[i], v->key_lens[i], true);
            if (!rc)
                rc = lf_buf_puts(out, ": ");
            if (!rc)
                rc = dump(out, &v->items[i]);
        }
        return rc ? rc : lf_buf_putc(out, '}');
    }
    return -EINVAL;
}

/* The row with its completion replaced by text[0..n). */
static int write_row(FILE *f, const lf_json *row, const char *text, size_t n)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    int rc = lf_buf_putc(&b, '{');
    bool done = false;
    for (size_t i = 0; !rc && i < row->n; i++) {
        if (i)
            rc = lf_buf_puts(&b, ", ");
        if (!rc)
            rc = lf_json_write_str(&b, row->keys[i], row->key_lens[i], true);
        if (!rc)
            rc = lf_buf_puts(&b, ": ");
        if (rc)
            break;
        if (strcmp(row->keys[i], "completion") == 0) {
            rc = lf_json_write_str(&b, text, n, true);
            done = true;
        } else {
            rc = dump(&b, &row->items[i]);
        }
    }
    if (!rc && !done) {
        rc = lf_buf_puts(&b, row->n ? ", \"completion\": " : "\"completion\": ");
        if (!rc)
            rc = lf_json_write_str(&b, text, n, true);
    }
    if (!rc)
        rc = lf_buf_puts(&b, "}\n");
    if (!rc && fwrite(b.data, 1, b.len, f) != b.len)
        rc = -EIO;
    lf_buf_free(&b);
    return rc;
}

typedef struct {
    char name[128];
    int count;
} tally;

static void count_category(tally *t, size_t *nt, size_t max, const char *name)
{
    for (size_t i = 0; i < *nt; i++) {
        if (strcmp(t[i].name, name) == 0) {
            t[i].count++;
            return;
        }
    }
    if (*nt < max) {
        snprintf(t[*nt].name, sizeof t[*nt].name, "%s", name);
        t[(*nt)++].count = 1;
    }
}

int lf_cmd_oracle(int argc, char **argv)
{
    bool check = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--check")) {
            check = true;
        } else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
            verbose = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long idx = -1, total = 0, exact = 0, bad = 0, unexplained = 0;
    tally cats[64];
    size_t ncats = 0;
    lf_buf mine, cat;
    lf_buf_init(&mine, 0);
    lf_buf_init(&cat, 0);
    int status = 0;
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        idx++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (n > MAX_ROW) {
            fprintf(stderr, "llmfuse oracle: row %ld: longer than %zu bytes\n", idx, MAX_ROW);
            bad++;
            continue;
        }
        lf_json *row = NULL;
        lf_err e;
        size_t plen = 0, llen = 0;
        const char *prompt = NULL, *label = NULL;
        if (lf_json_parse(line, n, &row, &e) != 0 || row->type != LF_JSON_OBJ ||
            !(prompt = lf_json_get_str(row, "prompt", &plen))) {
            fprintf(stderr, "llmfuse oracle: row %ld: not a JSON object with a prompt\n", idx);
            lf_json_free(row);
            bad++;
            continue;
        }
        label = lf_json_get_str(row, "completion", &llen);
        total++;
        lf_seed_verdict v;
        int rc = lf_seed_check_row(prompt, plen, label ? label : "", llen, &mine, &v);
        if (rc) {
            fprintf(stderr, "llmfuse oracle: row %ld: %s\n", idx, strerror(-rc));
            lf_json_free(row);
            status = 1;
            break;
        }
        if (!v.parsed) {
            fprintf(stderr, "llmfuse oracle: row %ld: %s\n", idx, v.reason);
            bad++;
            if (!check && write_row(stdout, row, label ? label : "", llen)) {
                status = 1;
                lf_json_free(row);
                break;
            }
            lf_json_free(row);
            continue;
        }
        if (check) {
            lf_seed_verdict_category(&v, &cat);
            if (v.exact) {
                exact++;
            } else {
                if (!v.explained)
                    unexplained++;
                count_category(cats, &ncats, sizeof cats / sizeof cats[0],
                               v.explained ? cat.data : "unexplained");
                printf("row %ld %s: %s\n", idx, lf_op_name(v.op), cat.data);
                if (verbose)
                    printf("  oracle: %.*s\n  label:  %.*s\n", (int)mine.len, mine.data,
                           (int)llen, label ? label : "");
            }
        } else if (write_row(stdout, row, mine.data, mine.len)) {
            fprintf(stderr, "llmfuse oracle: write failed\n");
            status = 1;
            lf_json_free(row);
            break;
        }
        lf_json_free(row);
    }
    free(line);
    lf_buf_free(&mine);
    lf_buf_free(&cat);
    if (check) {
        printf("exact: %ld/%ld\n", exact, total);
        for (size_t i = 0; i < ncats; i++)
            printf("category %s: %d\n", cats[i].name, cats[i].count);
        printf("unexplained: %ld\n", unexplained);
        if (bad)
            printf("unreadable rows: %ld\n", bad);
    }
    if (fflush(stdout) != 0)
        status = 1;
    return status ? status : (bad ? 1 : 0);
}
