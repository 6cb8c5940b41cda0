/* cmd_tokenizer.c: `llmfuse tokenizer`: train a byte-level BPE on JSONL
 * datasets, encode/decode text with a GGUF tokenizer, and export it as a
 * HF tokenizers tokenizer.json (for golden tests against the reference).
 *
 *   llmfuse tokenizer train --data F.jsonl[,F2...] --vocab N --out tok.gguf
 *   llmfuse tokenizer encode --model F.gguf [--no-special] [--content-bytes] [--stats] < text
 *   llmfuse tokenizer decode --model F.gguf < ids
 *   llmfuse tokenizer export-json --model F.gguf --out tokenizer.json
 *   llmfuse tokenizer prune --model M.gguf --data F.jsonl[,F2...] --min N [--content-bytes]
 *                           --out OUT.gguf
 *
 * encode --content-bytes encodes as lf_tok_encode_content (file contents
 * one token per byte), as a model marked llmfuse.content_bytes reads.
 * prune encodes the rows as the trainer does for that model (train/data.h)
 * and writes the model without the merges made fewer than N times there
 * (lf_tok_prune_gguf): tokens the model has not learned are not used.
 * --content-bytes counts as for a model marked llmfuse.content_bytes (to
 * prune a bare tokenizer file the same way as its model).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "lm/bpe_train.h"
#include "lm/gguf.h"
#include "lm/model.h"
#include "lm/tok.h"
#include "train/data.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"

#define MAX_ROW ((size_t)64 << 20)
#define MAX_TEXT ((size_t)1 << 30)

static const char *const specials[] = {"<|endoftext|>", "<W>", "<R>", "<END_FS>"};
static const int32_t special_types[] = {LF_TOKEN_CONTROL, LF_TOKEN_USER_DEFINED,
                                        LF_TOKEN_USER_DEFINED, LF_TOKEN_USER_DEFINED};

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse tokenizer train --data F.jsonl[,F2...] --vocab N --out tok.gguf\n"
               "       llmfuse tokenizer encode --model F.gguf [--no-special] [--content-bytes] [--stats]\n"
               "                                < text\n"
               "       llmfuse tokenizer decode --model F.gguf < ids\n"
               "       llmfuse tokenizer export-json --model F.gguf --out tokenizer.json\n"
               "       llmfuse tokenizer prune --model M.gguf --data F.jsonl[,F2...] --min N\n"
               "                               [--content-bytes] --out OUT.gguf\n");
}

/* Feeds every row's prompt + completion of one JSONL file to the trainer. */
static int feed_file(lf_bpe_trainer *tr, const char *path, size_t *rows, lf_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return lf_err_set(err, errno, "%s: %s", path, strerror(errno));
    lf_buf line, text;
    lf_buf_init(&line, MAX_ROW);
    lf_buf_init(&text, 0);
    int rc = 0, r;
    size_t lineno = 0;
    while (!rc && (r = lf_file_getline(f, MAX_ROW, &line)) != 0) {
        lineno++;
        if (r < 0) {
            rc = lf_err_set(err, -r, "%s:%zu: line too long or unreadable", path, lineno);
            break;
        }
        if (!line.len)
            continue;
        lf_json *j = NULL;
        if ((rc = lf_json_parse(line.data, line.len, &j, err))) {
            lf_err_prefix(err, "%s:%zu: ", path, lineno);
            break;
        }
        size_t pl = 0, cl = 0;
        const char *p = lf_json_get_str(j, "prompt", &pl);
        const char *c = lf_json_get_str(j, "completion", &cl);
        lf_buf_reset(&text);
        if (p)
            rc = lf_buf_append(&text, p, pl);
        if (!rc && c)
            rc = lf_buf_append(&text, c, cl);
        if (!rc && text.len)
            rc = lf_bpe_trainer_add(tr, text.data, text.len);
        lf_json_free(j);
        if (rc)
            lf_err_set(err, -rc, "%s:%zu: %s", path, lineno, strerror(-rc));
        (*rows)++;
    }
    fclose(f);
    lf_buf_free(&line);
    lf_buf_free(&text);
    return rc;
}

static int cmd_train(const char *data, long vocab, const char *out)
{
    lf_err err = {0};
    lf_bpe *b = NULL;
    lf_gguf_writer *w = NULL;
    int status = 1;
    size_t rows = 0;
    lf_bpe_trainer *tr = lf_bpe_trainer_new(specials, special_types, 4);
    char *list = strdup(data);
    if (!tr || !list) {
        fprintf(stderr, "llmfuse tokenizer: out of memory\n");
        goto out;
    }
    for (char *save = NULL, *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save))
        if (feed_file(tr, f, &rows, &err))
            goto fail;
    clock_t t0 = clock();
    if (lf_bpe_trainer_train(tr, (size_t)vocab, &b, &err))
        goto fail;
    w = lf_gguf_writer_new();
    int rc = w ? lf_bpe_write_gguf(b, w) : -ENOMEM;
    if (rc) {
        lf_err_set(&err, -rc, "writing tokenizer metadata: %s", strerror(-rc));
        goto fail;
    }
    if (lf_gguf_write(w, out, &err))
        goto fail;
    fprintf(stderr, "llmfuse tokenizer: %zu rows, %zu tokens (%zu merges) in %.1fs -> %s\n",
            rows, b->n_tokens, b->n_merges, (double)(clock() - t0) / CLOCKS_PER_SEC, out);
    status = 0;
    goto out;
fail:
    fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
out:
    free(list);
    lf_bpe_trainer_free(tr);
    lf_bpe_free(b);
    lf_gguf_writer_free(w);
    return status;
}

static int load(const char *model, lf_gguf **g, lf_tok **t)
{
    lf_err err = {0};
    if (lf_gguf_open(model, g, &err) || lf_tok_load(*g, t, &err)) {
        fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int cmd_encode(const char *model, bool special, bool content, bool stats)
{
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    lf_buf in;
    lf_ids ids = {0};
    lf_err err = {0};
    int status = 1;
    lf_buf_init(&in, MAX_TEXT);
    if (load(model, &g, &t))
        goto out;
    if (lf_stream_read(stdin, MAX_TEXT, &in, &err)) {
        fprintf(stderr, "llmfuse tokenizer: stdin: %s\n", err.msg);
        goto out;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = content ? lf_tok_encode_content(t, in.data ? in.data : "", in.len, special, &ids)
                     : lf_tok_encode(t, in.data ? in.data : "", in.len, special, &ids);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc) {
        fprintf(stderr, "llmfuse tokenizer: encode: %s\n", strerror(-rc));
        goto out;
    }
    for (size_t i = 0; i < ids.n; i++)
        printf(i ? " %d" : "%d", ids.v[i]);
    printf("\n");
    if (stats) {
        double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        fprintf(stderr, "%zu bytes -> %zu tokens (%.2f bytes/token) in %.4fs: %.1f MB/s, "
                "%.0f tokens/s\n", in.len, ids.n, ids.n ? (double)in.len / (double)ids.n : 0.0, s,
                s > 0 ? (double)in.len / s / 1e6 : 0.0, s > 0 ? (double)ids.n / s : 0.0);
    }
    status = 0;
out:
    lf_ids_free(&ids);
    lf_buf_free(&in);
    lf_tok_free(t);
    lf_gguf_close(g);
    return status;
}

static int cmd_decode(const char *model)
{
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    lf_buf out;
    lf_ids ids = {0};
    int status = 1;
    lf_buf_init(&out, MAX_TEXT);
    if (load(model, &g, &t))
        goto out;
    long v;
    while (scanf("%ld", &v) == 1)
        if (v < 0 || v > INT32_MAX || lf_ids_push(&ids, (int32_t)v)) {
            fprintf(stderr, "llmfuse tokenizer: bad id %ld\n", v);
            goto out;
        }
    if (lf_tok_decode(t, ids.v, ids.n, &out)) {
        fprintf(stderr, "llmfuse tokenizer: decode: id out of range\n");
        goto out;
    }
    fwrite(out.data ? out.data : "", 1, out.len, stdout);
    status = fflush(stdout) ? 1 : 0;
out:
    lf_ids_free(&ids);
    lf_buf_free(&out);
    lf_tok_free(t);
    lf_gguf_close(g);
    return status;
}

/* Writes s[0..n) (a GGUF string) as a JSON string literal. */
static int jstr(lf_buf *o, lf_gguf_str s)
{
    return lf_json_write_str(o, s.s, (size_t)s.len, false);
}

static const char qwen2_pattern[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* HF tokenizer.json equivalent of the GGUF tokenizer (no normalizer: the
 * GGUF/llama.cpp path applies none). */
static int cmd_export_json(const char *model, const char *path)
{
    lf_gguf *g = NULL;
    lf_err err = {0};
    lf_buf o;
    lf_buf_init(&o, MAX_TEXT);
    int status = 1, rc = 0;
    const lf_gguf_kv *toks, *types, *merges;
    if (lf_gguf_open(model, &g, &err)) {
        fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
        goto out;
    }
    if (lf_gguf_get_arr(g, "tokenizer.ggml.tokens", LF_GGUF_STRING, &toks) ||
        lf_gguf_get_arr(g, "tokenizer.ggml.token_type", LF_GGUF_ARRAY, &types) ||
        lf_gguf_get_arr(g, "tokenizer.ggml.merges", LF_GGUF_STRING, &merges) ||
        types->arr_len != toks->arr_len) {
        fprintf(stderr, "llmfuse tokenizer: %s: no gpt2 tokenizer metadata\n", model);
        goto out;
    }
    rc = lf_buf_puts(&o, "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null,\n"
                         " \"added_tokens\": [");
    bool first = true;
    for (uint64_t i = 0; i < toks->arr_len && !rc; i++) {
        int64_t ty = 1;
        lf_gguf_arr_int(types, i, &ty);
        if (ty != 3 && ty != 4)
            continue;
        rc = lf_buf_printf(&o, "%s\n  {\"id\": %llu, \"content\": ", first ? "" : ",",
                           (unsigned long long)i);
        if (!rc) rc = jstr(&o, toks->arr_strs[i]);
        if (!rc) rc = lf_buf_puts(&o, ", \"single_word\": false, \"lstrip\": false, \"rstrip\": "
                                      "false, \"normalized\": false, \"special\": true}");
        first = false;
    }
    if (!rc) rc = lf_buf_puts(&o, "],\n \"normalizer\": null,\n \"pre_tokenizer\": {\"type\": "
                                  "\"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
                                  "\"pattern\": {\"Regex\": ");
    if (!rc) rc = lf_json_write_str(&o, qwen2_pattern, strlen(qwen2_pattern), false);
    if (!rc) rc = lf_buf_puts(&o, "}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": "
                                  "\"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": "
                                  "false, \"use_regex\": false}]},\n \"post_processor\": null,\n"
                                  " \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": "
                                  "false, \"trim_offsets\": false, \"use_regex\": false},\n"
                                  " \"model\": {\"type\": \"BPE\", \"dropout\": null, "
                                  "\"unk_token\": null, \"continuing_subword_prefix\": \"\", "
                                  "\"end_of_word_suffix\": \"\", \"fuse_unk\": false, "
                                  "\"byte_fallback\": false, \"vocab\": {");
    for (uint64_t i = 0; i < toks->arr_len && !rc; i++) {
        rc = lf_buf_puts(&o, i ? ",\n  " : "\n  ");
        if (!rc) rc = jstr(&o, toks->arr_strs[i]);
        if (!rc) rc = lf_buf_printf(&o, ": %llu", (unsigned long long)i);
    }
    if (!rc) rc = lf_buf_puts(&o, "},\n \"merges\": [");
    for (uint64_t i = 0; i < merges->arr_len && !rc; i++) {
        rc = lf_buf_puts(&o, i ? ",\n  " : "\n  ");
        if (!rc) rc = jstr(&o, merges->arr_strs[i]);
    }
    if (!rc) rc = lf_buf_puts(&o, "]}}\n");
    if (rc) {
        fprintf(stderr, "llmfuse tokenizer: export: %s\n", strerror(-rc));
        goto out;
    }
    if (lf_file_write_atomic(path, o.data, o.len, &err)) {
        fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    lf_buf_free(&o);
    lf_gguf_close(g);
    return status;
}

/* Counts the tokens of the rows in data (comma-separated JSONL files),
 * encoded as the trainer encodes them for this model, and writes the model
 * without the merges made fewer than min times. */
static int cmd_prune(const char *model, const char *data, long min, bool content,
                     const char *out)
{
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    if (load(model, &g, &t)) {
        lf_gguf_close(g);
        return 1;
    }
    lf_err err = {0};
    lf_tdata d = {0};
    size_t nv = lf_tok_vocab_size(t), nf = 0, pruned = 0, nm = 0, never = 0;
    uint64_t *counts = calloc(nv ? nv : 1, sizeof *counts), *made = NULL;
    char *list = strdup(data);
    const char **paths = calloc(strlen(data) / 2 + 2, sizeof *paths);
    lf_tok_merge *m = NULL;
    int status = 1;
    if (!counts || !list || !paths || lf_tok_merges(t, &m, &nm)) {
        fprintf(stderr, "llmfuse tokenizer: out of memory\n");
        goto out;
    }
    for (char *save = NULL, *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save))
        paths[nf++] = f;
    lf_tenc_tok enc = {t, true, content || lf_gguf_content_bytes(g)};
    if (lf_tdata_load_files(paths, nf, lf_tenc_tok_fn, &enc, lf_tok_eos(t), 1 << 30, &d, &err)) {
        fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < d.n_tokens; i++)
        if (d.ids[i] >= 0 && (size_t)d.ids[i] < nv)
            counts[d.ids[i]]++;
    if (lf_tok_prune_gguf(g, t, counts, (uint64_t)min, out, &pruned, &made, &err)) {
        fprintf(stderr, "llmfuse tokenizer: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < nm; i++)
        never += made[m[i].made] == 0;
    printf("%s: %zu of %zu merges left out (made fewer than %ld times in %zu rows, %zu "
           "tokens; %zu never made)\n",
           out, pruned, nm, min, d.n_rows, d.n_tokens, never);
    status = 0;
out:
    lf_tdata_free(&d);
    free(m);
    free(made);
    free(counts);
    free(paths);
    free(list);
    lf_tok_free(t);
    lf_gguf_close(g);
    return status;
}

int lf_cmd_tokenizer(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *data = NULL, *out = NULL, *model = NULL;
    long vocab = 0, min = -1;
    bool special = true, stats = false, content = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--data") && has) data = argv[++i];
        else if (!strcmp(a, "--out") && has) out = argv[++i];
        else if (!strcmp(a, "--model") && has) model = argv[++i];
        else if (!strcmp(a, "--vocab") && has) vocab = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--min") && has) min = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--no-special")) special = false;
        else if (!strcmp(a, "--stats")) stats = true;
        else if (!strcmp(a, "--content-bytes")) content = true;
        else {
            fprintf(stderr, "llmfuse tokenizer: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!strcmp(sub, "train") && data && out && vocab > 0)
        return cmd_train(data, vocab, out);
    if (!strcmp(sub, "encode") && model)
        return cmd_encode(model, special, content, stats);
    if (!strcmp(sub, "decode") && model)
        return cmd_decode(model);
    if (!strcmp(sub, "export-json") && model && out)
        return cmd_export_json(model, out);
    if (!strcmp(sub, "prune") && model && data && out && min >= 0)
        return cmd_prune(model, data, min, content, out);
    usage(stderr);
    return 2;
}
