/* test_tok.c: the Qwen2 pre-tokenizer split, the byte-level BPE tokenizer
 * (golden ids from HF tokenizers for tests/golden/tok/vocab.gguf, produced by
 * dev/fixtures/tok_golden.py), encode/decode round trips of arbitrary bytes,
 * special tokens, and the BPE trainer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lf_config.h"
#include "lm/bpe_train.h"
#include "lm/gguf.h"
#include "lm/pretok.h"
#include "lm/tok.h"
#include "lm/tok_int.h"
#include "proto/content.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/json.h"

static char path_buf[4096];

static const char *src_path(const char *rel)
{
    const char *root = getenv("LF_SOURCE_ROOT");
    snprintf(path_buf, sizeof path_buf, "%s/%s", root ? root : LF_SOURCE_ROOT, rel);
    return path_buf;
}

/* ---- pre-tokenizer ---- */

typedef struct pieces {
    char out[1024];
    size_t n;
} pieces;

/* Joins pieces with '|' so expectations read as one string. */
static int collect(void *ctx, const char *p, size_t n)
{
    pieces *c = ctx;
    if (c->n && c->n < sizeof c->out - 1)
        c->out[c->n++] = '|';
    for (size_t i = 0; i < n && c->n < sizeof c->out - 1; i++)
        c->out[c->n++] = p[i];
    c->out[c->n] = 0;
    return 0;
}

static void test_pretok(void **st)
{
    (void)st;
    static const struct { const char *in, *want; } tab[] = {
        {"Hello world", "Hello| world"},
        {"Hello  world", "Hello| | world"},
        {"a\n\nb", "a|\n\n|b"},
        {"don't DON'T we're I'll they've", "don|'t| DON|'T| we|'re| I|'ll| they|'ve"},
        {"'sup", "'s|up"},
        {"12345", "1|2|3|4|5"},
        {" 42", " |4|2"},
        {"<a href=\"x\">", "<a| href|=\"|x|\">"},
        {"x  \n y", "x|  \n| y"},
        {"a  ", "a|  "},
        {"hello\r\nworld", "hello|\r\n|world"},
        {"...\n\nx", "...\n\n|x"},
        {"\t\tfoo", "\t|\tfoo"},
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
        {"na\xc3\xafve caf\xc3\xa9", "na\xc3\xafve| caf\xc3\xa9"},
        {"cafe\xcc\x81 x", "cafe|\xcc\x81| x"},
        {"\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"},
        {"\xff\xfe" "ab", "\xff\xfe|ab"},
        {"x\xc3(", "x|\xc3("},   /* truncated sequence: one "other" byte */
        {"&amp;&lt;x", "&amp|;&|lt|;x"},
        {"a \n", "a| \n"},
        {"   ", "   "},
        {"\xc2\xa0x", "\xc2\xa0x"},   /* NBSP is whitespace, yet a letter lead */
        {"x\xe3\x80\x80\xe3\x80\x80y", "x|\xe3\x80\x80|\xe3\x80\x80y"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        pieces c = {.n = 0};
        c.out[0] = 0;
        assert_int_equal(lf_pretok_split(tab[i].in, strlen(tab[i].in), collect, &c), 0);
        if (strcmp(c.out, tab[i].want))
            fail_msg("case %zu: split of '%s' is '%s', want '%s'", i, tab[i].in, c.out,
                     tab[i].want);
    }
    assert_int_equal(lf_uni_class(0x4E2D), LF_UC_LETTER);
    assert_int_equal(lf_uni_class(0x0663), LF_UC_NUMBER);   /* Arabic-Indic three */
    assert_int_equal(lf_uni_class(0x2160), LF_UC_NUMBER);   /* Roman numeral one (Nl) */
    assert_int_equal(lf_uni_class(0x3000), LF_UC_SPACE);
    assert_int_equal(lf_uni_class(0x0301), LF_UC_OTHER);
    assert_int_equal(lf_uni_class(0x1F600), LF_UC_OTHER);
}

static void test_bytelevel(void **st)
{
    (void)st;
    assert_int_equal(lf_bytelevel_cp(' '), 0x120);
    assert_int_equal(lf_bytelevel_cp('\n'), 0x10A);
    assert_int_equal(lf_bytelevel_cp(0), 0x100);
    assert_int_equal(lf_bytelevel_cp('!'), '!');
    assert_int_equal(lf_bytelevel_cp(0xAD), 0x143);
    assert_int_equal(lf_bytelevel_cp(0xFF), 0xFF);
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    lf_buf e, d;
    lf_buf_init(&e, 0);
    lf_buf_init(&d, 0);
    assert_int_equal(lf_bytelevel_encode(all, 256, &e), 0);
    assert_int_equal(lf_bytelevel_decode(e.data, e.len, &d), 0);
    assert_int_equal(d.len, 256);
    assert_memory_equal(d.data, all, 256);
    lf_buf_reset(&d);
    assert_int_equal(lf_bytelevel_decode(" ", 1, &d), -EINVAL);   /* raw space is not in it */
    assert_int_equal(lf_bytelevel_decode("\xc5\x84", 2, &d), -EINVAL);   /* U+0144 */
    lf_buf_free(&e);
    lf_buf_free(&d);
}

/* ---- tokenizer on the committed vocabulary ---- */

static lf_gguf *g_vocab;
static lf_tok *t_vocab;

static int setup(void **st)
{
    (void)st;
    lf_err err = {0};
    if (lf_gguf_open(src_path("tests/golden/tok/vocab.gguf"), &g_vocab, &err) ||
        lf_tok_load(g_vocab, &t_vocab, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    lf_tok_free(t_vocab);
    lf_gguf_close(g_vocab);
    return 0;
}

static void roundtrip(const lf_tok *t, const char *s, size_t n, bool special)
{
    lf_ids ids = {0};
    lf_buf out;
    lf_buf_init(&out, 0);
    assert_int_equal(lf_tok_encode(t, s, n, special, &ids), 0);
    assert_int_equal(lf_tok_decode(t, ids.v, ids.n, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data ? out.data : "", s, n);
    lf_ids_free(&ids);
    lf_buf_free(&out);
}

static void test_golden(void **st)
{
    (void)st;
    lf_buf js;
    lf_buf_init(&js, 0);
    lf_err err = {0};
    if (lf_file_read(src_path("tests/golden/tok/golden.json"), 1 << 24, &js, &err))
        fail_msg("%s", err.msg);
    lf_json *j = NULL;
    assert_int_equal(lf_json_parse(js.data, js.len, &j, &err), 0);
    const lf_json *cases = lf_json_get(j, "cases");
    assert_non_null(cases);
    assert_true(cases->type == LF_JSON_ARR && cases->n >= 20);
    int bad = 0;
    for (size_t i = 0; i < cases->n; i++) {
        const lf_json *c = &cases->items[i];
        size_t tl;
        const char *text = lf_json_get_str(c, "text", &tl);
        const char *name = lf_json_get_str(c, "name", NULL);
        const lf_json *want = lf_json_get(c, "ids");
        assert_non_null(text);
        assert_non_null(want);
        lf_ids ids = {0};
        assert_int_equal(lf_tok_encode(t_vocab, text, tl, true, &ids), 0);
        bool same = ids.n == want->n;
        for (size_t k = 0; same && k < ids.n; k++)
            same = ids.v[k] == (int32_t)want->items[k].num;
        if (!same) {
            bad++;
            size_t k = 0;
            while (k < ids.n && k < want->n && ids.v[k] == (int32_t)want->items[k].num)
                k++;
            fprintf(stderr, "golden '%s': %zu ids, want %zu; first difference at %zu: %d vs %d\n",
                    name ? name : "?", ids.n, want->n, k, k < ids.n ? ids.v[k] : -1,
                    k < want->n ? (int)want->items[k].num : -1);
        }
        roundtrip(t_vocab, text, tl, true);
        lf_ids_free(&ids);
    }
    lf_json_free(j);
    lf_buf_free(&js);
    assert_int_equal(bad, 0);
}

static void test_special(void **st)
{
    (void)st;
    const lf_tok *t = t_vocab;
    int32_t eot = lf_tok_find(t, "<|endoftext|>"), w = lf_tok_find(t, "<W>"),
            end = lf_tok_find(t, "<END_FS>");
    assert_true(eot >= 0 && w >= 0 && end >= 0);
    assert_int_equal(lf_tok_eos(t), eot);
    assert_int_equal(lf_tok_vocab_size(t), 1024);
    assert_int_equal(lf_tok_find(t, "a"), 'a');
    assert_int_equal(lf_tok_find(t, ""), -1);
    const char *s = "<W>\nwrite<END_FS><|endoftext|>";
    lf_ids ids = {0};
    assert_int_equal(lf_tok_encode(t, s, strlen(s), true, &ids), 0);
    assert_true(ids.n >= 4);
    assert_int_equal(ids.v[0], w);
    assert_int_equal(ids.v[ids.n - 2], end);
    assert_int_equal(ids.v[ids.n - 1], eot);
    lf_ids_free(&ids);
    assert_int_equal(lf_tok_encode(t, s, strlen(s), false, &ids), 0);
    for (size_t i = 0; i < ids.n; i++)
        assert_true(ids.v[i] != w && ids.v[i] != end && ids.v[i] != eot);
    lf_ids_free(&ids);
    roundtrip(t, s, strlen(s), false);
    const char *p;
    size_t n;
    assert_int_equal(lf_tok_piece(t, w, &p, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "<W>", 3);
    assert_int_equal(lf_tok_piece(t, 1024, &p, &n), -EINVAL);
    assert_int_equal(lf_tok_type(t, eot), 3);
    assert_int_equal(lf_tok_type(t, w), 4);
    assert_int_equal(lf_tok_type(t, 'a'), 1);
    assert_int_equal(lf_tok_type(t, -1), -1);
    int32_t badid = 5000;
    lf_buf out;
    lf_buf_init(&out, 0);
    assert_int_equal(lf_tok_decode(t, &badid, 1, &out), -EINVAL);
    lf_buf_free(&out);
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void test_roundtrip_bytes(void **st)
{
    (void)st;
    char buf[600];
    static const char *const frag[] = {" ", "\n", "'s", "<W>", "\xe6\x97\xa5", "\xcc\x81", "a",
                                       "Z", "9", "&lt;", "\xf0\x9f\x98\x80", "\xff", "\xc3",
                                       "\r\n", "\t", "\xe3\x80\x80", "<END_FS>", "\"/x\""};
    for (int r = 0; r < 2000; r++) {
        size_t n = 0, want = rnd() % 500;
        while (n < want) {
            if (rnd() % 3) {
                buf[n++] = (char)(rnd() & 0xff);
            } else {
                const char *f = frag[rnd() % (sizeof frag / sizeof frag[0])];
                size_t k = strlen(f);
                if (n + k > sizeof buf)
                    break;
                memcpy(buf + n, f, k);
                n += k;
            }
        }
        roundtrip(t_vocab, buf, n, r % 2);
    }
}

static void test_seed_data(void **st)
{
    (void)st;
    const char *path = getenv("SEED_EVAL");
    lf_buf all;
    lf_buf_init(&all, 0);
    if (!path || lf_file_read(path, 1 << 26, &all, NULL)) {
        lf_buf_free(&all);
        skip();
    }
    roundtrip(t_vocab, all.data, all.len, true);
    /* Speed, for the record (no assertion on time). */
    lf_ids ids = {0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int reps = 5;
    for (int i = 0; i < reps; i++) {
        ids.n = 0;
        assert_int_equal(lf_tok_encode(t_vocab, all.data, all.len, true, &ids), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    fprintf(stderr, "encode: %zu bytes -> %zu tokens, %.1f MB/s\n", all.len, ids.n,
            (double)all.len * reps / s / 1e6);
    lf_ids_free(&ids);
    lf_buf_free(&all);
}


/* ---- contents one byte per token (the bundled tokenizer) ---- */

/* Encodes text with lf_tok_encode_content: it decodes back to text, every
 * token inside a content range is one byte, no token crosses a range's
 * edge, and it takes more tokens than lf_tok_encode (whose merges span the
 * contents). */
static void content_case(const lf_tok *t, const char *text)
{
    size_t n = strlen(text);
    lf_ids ids = {0}, plain = {0};
    lf_buf out;
    lf_buf_init(&out, 0);
    assert_int_equal(lf_tok_encode_content(t, text, n, true, &ids), 0);
    assert_int_equal(lf_tok_decode(t, ids.v, ids.n, &out), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.data, text, n);
    lf_spans sp = {0};
    assert_int_equal(lf_content_spans(text, n, &sp), 0);
    assert_true(sp.n >= 1);
    size_t off = 0, inside = 0, content = 0;
    for (size_t i = 0; i < sp.n; i++)
        content += sp.at[2 * i + 1] - sp.at[2 * i];
    for (size_t i = 0; i < ids.n; i++) {
        const char *p;
        size_t len;
        assert_int_equal(lf_tok_piece(t, ids.v[i], &p, &len), 0);
        for (size_t k = 0; k < sp.n; k++) {
            size_t a = sp.at[2 * k], b = sp.at[2 * k + 1];
            if (off < b && off + len > a) {   /* overlaps range k: one byte inside it */
                assert_int_equal(len, 1);
                inside++;
            }
        }
        off += len;
    }
    assert_int_equal(inside, content);
    assert_int_equal(lf_tok_encode(t, text, n, true, &plain), 0);
    assert_true(ids.n > plain.n);
    lf_spans_free(&sp);
    lf_ids_free(&ids);
    lf_ids_free(&plain);
    lf_buf_free(&out);
}

static void test_content(void **st)
{
    (void)st;
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    lf_err err = {0};
    if (lf_gguf_open(src_path("models/tokenizer.gguf"), &g, &err) || lf_tok_load(g, &t, &err))
        fail_msg("%s", err.msg);
#define DOC "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" " \
            "group=\"root\" mtime=\"2025-01-01T00:00:00\"><file path=\"notes.txt\" " \
            "name=\"notes.txt\" mode=\"644\" owner=\"root\" group=\"root\" " \
            "mtime=\"2025-01-01T00:00:01\" size=\"24\"><body>hello world &amp; more\n" \
            "</body></file><file path=\"z.bin\" name=\"z.bin\" mode=\"644\" owner=\"root\" " \
            "group=\"root\" mtime=\"2025-01-01T00:00:01\" size=\"6\"><body encoding=\"base64\">" \
            "AAECAwQF</body></file></directory></filesystem>"
    content_case(t, "<W>\nwrite('/notes.txt', data=another line\n, data_length=13, offset=4, "
                    "fh=3)\n---\n" DOC);
    content_case(t, DOC "\n<END_FS>");
    content_case(t, "<W>\nwrite('/notes.txt', data_base64=AP8=, data_length=2, offset=0, "
                    "fh=None)\n---\n" DOC);
    /* a read's answer is the file's content: every byte a token */
    static const char *const answers[] = {"hello world &amp; more\n", "a\xff\x00b"};
    static const size_t alen[] = {23, 4};
    for (int i = 0; i < 2; i++) {
        static const char RP[] = "<R>\nread('/notes.txt', size=4096, offset=0, fh=3)\n---\n" DOC;
        lf_ids ids = {0};
        lf_buf out;
        lf_buf_init(&out, 0);
        assert_int_equal(lf_tok_encode_answer(t, RP, sizeof RP - 1, answers[i], alen[i], true,
                                              &ids), 0);
        assert_int_equal(ids.n, alen[i]);
        assert_int_equal(lf_tok_decode(t, ids.v, ids.n, &out), 0);
        assert_int_equal(out.len, alen[i]);
        assert_memory_equal(out.data, answers[i], alen[i]);
        lf_ids_free(&ids);
        lf_buf_free(&out);
    }
#undef DOC
    lf_tok_free(t);
    lf_gguf_close(g);
}

/* ---- trainer ---- */

static void test_train(void **st)
{
    (void)st;
    const char *sp[] = {"<|endoftext|>", "<W>"};
    int32_t ty[] = {LF_TOKEN_CONTROL, LF_TOKEN_USER_DEFINED};
    lf_bpe_trainer *tr = lf_bpe_trainer_new(sp, ty, 2);
    assert_non_null(tr);
    const char *texts[] = {"<W>aaaa aaaa", "aaab<W> the the the", "the cat<|endoftext|>"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(lf_bpe_trainer_add(tr, texts[i], strlen(texts[i])), 0);
    lf_bpe *b = NULL;
    lf_err err = {0};
    assert_int_equal(lf_bpe_trainer_train(tr, 100, &b, &err), -EINVAL);   /* < 256 + 2 */
    assert_int_equal(lf_bpe_trainer_train(tr, 262, &b, &err), 0);
    /* words: "aaaa" x1, " aaaa" x1, "aaab" x1, "the" x1, " the" x2, " cat" x1.
     * pairs: (a,a) 3+3+2 = 8 is the most frequent -> "aa" first. */
    assert_int_equal(b->n_tokens, 262);
    assert_true(b->n_merges >= 4);
    assert_int_equal(b->merges[0][0], 'a');
    assert_int_equal(b->merges[0][1], 'a');
    assert_int_equal(b->lens[256], 2);
    assert_memory_equal(b->tokens[256], "aa", 2);
    /* then (h,e) and (t,h) tie at 4: the smaller pair of ids, (h,e), wins */
    assert_memory_equal(b->tokens[257], "he", 2);
    assert_memory_equal(b->tokens[258], "the", 3);
    assert_memory_equal(b->tokens[259], " the", 4);
    assert_memory_equal(b->tokens[260], "<|endoftext|>", 13);
    assert_int_equal(b->types[260], LF_TOKEN_CONTROL);
    assert_int_equal(b->types[261], LF_TOKEN_USER_DEFINED);
    assert_int_equal(b->eos_id, 260);
    for (size_t i = 0; i < b->n_tokens; i++)   /* never a special's text as a normal token */
        if (b->types[i] == LF_TOKEN_NORMAL)
            assert_false(b->lens[i] == 3 && !memcmp(b->tokens[i], "<W>", 3));

    /* written, read back and used: merges re-create the trained words */
    lf_gguf_writer *w = lf_gguf_writer_new();
    assert_int_equal(lf_bpe_write_gguf(b, w), 0);
    char path[] = "/tmp/lf_test_tok_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(lf_gguf_write(w, path, &err), 0);
    lf_gguf_writer_free(w);
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    assert_int_equal(lf_gguf_open(path, &g, &err), 0);
    assert_int_equal(lf_tok_load(g, &t, &err), 0);
    char *s = NULL;
    assert_int_equal(lf_gguf_get_str(g, "tokenizer.ggml.pre", &s), 0);
    assert_string_equal(s, "qwen2");
    free(s);
    uint64_t eos;
    assert_int_equal(lf_gguf_get_u64(g, "tokenizer.ggml.padding_token_id", &eos), 0);
    assert_int_equal(eos, 260);
    lf_ids ids = {0};
    assert_int_equal(lf_tok_encode(t, "aaaa", 4, true, &ids), 0);
    assert_int_equal(ids.n, 2);   /* "aa" "aa": (aa, aa) occurs only twice */
    assert_int_equal(ids.v[0], 256);
    assert_int_equal(ids.v[1], 256);
    lf_ids_free(&ids);
    assert_int_equal(lf_tok_encode(t, " the", 4, true, &ids), 0);
    assert_int_equal(ids.n, 1);
    assert_int_equal(ids.v[0], 259);
    lf_ids_free(&ids);
    roundtrip(t, "<W> the cat aaab\xff", 17, true);
    lf_tok_free(t);
    lf_gguf_close(g);
    unlink(path);
    lf_bpe_free(b);
    lf_bpe_trainer_free(tr);
}

/* ---- pruning ---- */

static void encode_all(const lf_tok *t, const char *const *texts, int n, lf_ids *ids)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(lf_tok_encode(t, texts[i], strlen(texts[i]), true, ids), 0);
}

/* lf_tok_prune_gguf on the bundled tokenizer, in a model-like file (its keys
 * and one tensor), with a small protocol corpus as the counts: the merges
 * never made there are left out, the corpus encodes exactly as before, a
 * name that needed a missing merge is encoded with tokens the corpus made
 * (or single bytes) and decodes the same; keys and tensors are copied, the
 * pruned count adds up over two prunes; min 0 leaves every merge. */
static void test_prune(void **st)
{
    (void)st;
    lf_gguf *g = NULL, *gm = NULL, *gp = NULL, *gq = NULL;
    lf_tok *t = NULL, *tp = NULL;
    lf_err err = {0};
    if (lf_gguf_open(src_path("models/tokenizer.gguf"), &g, &err) || lf_tok_load(g, &t, &err))
        fail_msg("%s", err.msg);
    char m[] = "/tmp/lf_test_prune_XXXXXX", p[] = "/tmp/lf_test_prune_XXXXXX";
    close(mkstemp(m));
    close(mkstemp(p));
    lf_gguf_writer *w = lf_gguf_writer_new();
    const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const uint64_t ne[1] = {8};
    assert_int_equal(lf_gguf_copy_kvs(w, g, ""), 0);
    assert_int_equal(lf_gguf_add_tensor(w, "output_norm.weight", LF_GGML_F32, 1, ne, x), 0);
    assert_int_equal(lf_gguf_write(w, m, &err), 0);
    lf_gguf_writer_free(w);
    assert_int_equal(lf_gguf_open(m, &gm, &err), 0);

    static const char *const corpus[] = {
        "<W>\nmkdir('/docs/notes', mode=0o755)\n---\n<filesystem><directory path=\"/\" "
        "name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" "
        "mtime=\"2025-01-01T00:00:00\" /></filesystem>",
        "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
        "group=\"root\" mtime=\"2025-01-01T00:00:00\"><directory path=\"docs\" name=\"docs\" "
        "mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\" />"
        "</directory></filesystem>\n<END_FS>",
        "<R>\nreaddir('/docs', fh=0)", "[\".\",\"..\",\"notes\"]", "ERROR: ENOENT"};
    enum { NC = sizeof corpus / sizeof *corpus };
    lf_ids before = {0}, after = {0}, name0 = {0}, name1 = {0};
    encode_all(t, corpus, NC, &before);
    size_t nv = lf_tok_vocab_size(t), pruned = 0, p2 = 0, nm = 0;
    uint64_t *counts = calloc(nv, sizeof *counts), *made = NULL, *made2 = NULL, key = 0;
    for (size_t i = 0; i < before.n; i++)
        counts[before.v[i]]++;
    assert_int_equal(lf_tok_prune_gguf(gm, t, counts, 1, p, &pruned, &made, &err), 0);
    lf_tok_merge *ms = NULL;
    assert_int_equal(lf_tok_merges(t, &ms, &nm), 0);
    size_t never = 0;
    for (size_t i = 0; i < nm; i++) {
        assert_true(made[ms[i].made] >= counts[ms[i].made]);
        assert_true(made[ms[i].a] >= made[ms[i].made]);   /* a part is made with its whole */
        never += made[ms[i].made] == 0;
    }
    assert_int_equal(pruned, never);
    assert_true(pruned > 1000 && pruned < nm);   /* a small corpus uses few of 2,256 */

    assert_int_equal(lf_gguf_open(p, &gp, &err), 0);
    assert_int_equal(lf_tok_load(gp, &tp, &err), 0);
    encode_all(tp, corpus, NC, &after);
    assert_int_equal(after.n, before.n);
    assert_memory_equal(after.v, before.v, before.n * sizeof *before.v);
    static const char NAME[] = " path=\"hpsizlpijhkoid\"";
    assert_int_equal(lf_tok_encode(t, NAME, sizeof NAME - 1, true, &name0), 0);
    assert_int_equal(lf_tok_encode(tp, NAME, sizeof NAME - 1, true, &name1), 0);
    assert_true(name1.n > name0.n);
    for (size_t i = 0; i < name1.n; i++) {
        const char *b;
        size_t len;
        assert_int_equal(lf_tok_piece(tp, name1.v[i], &b, &len), 0);
        assert_true(len == 1 || made[name1.v[i]] > 0);
    }
    roundtrip(tp, NAME, sizeof NAME - 1, true);

    const lf_gguf_kv *a, *b;
    assert_int_equal(lf_gguf_get_arr(gm, "tokenizer.ggml.merges", LF_GGUF_STRING, &a), 0);
    assert_int_equal(lf_gguf_get_arr(gp, "tokenizer.ggml.merges", LF_GGUF_STRING, &b), 0);
    assert_int_equal(b->arr_len, a->arr_len - pruned);
    uint64_t before_key = 0;   /* the bundled tokenizer is pruned already */
    bool had = !lf_gguf_get_u64(gm, LF_TOK_PRUNED_KEY, &before_key);
    assert_int_equal(lf_gguf_get_u64(gp, LF_TOK_PRUNED_KEY, &key), 0);
    assert_int_equal(key, before_key + pruned);
    assert_int_equal(gp->n_kv, gm->n_kv + !had);
    assert_int_equal(lf_gguf_get_arr(gp, "tokenizer.ggml.tokens", LF_GGUF_STRING, &b), 0);
    assert_int_equal(b->arr_len, nv);
    const lf_gguf_tensor *tn = lf_gguf_tensor_find(gp, "output_norm.weight");
    assert_non_null(tn);
    assert_int_equal(tn->nbytes, sizeof x);
    assert_memory_equal(tn->data, x, sizeof x);

    /* again, at min 3: more out, the key adds up; at min 0 nothing */
    assert_int_equal(lf_tok_prune_gguf(gp, tp, counts, 3, m, &p2, &made2, &err), 0);
    assert_true(p2 > 0);
    assert_int_equal(lf_gguf_open(m, &gq, &err), 0);
    assert_int_equal(lf_gguf_get_u64(gq, LF_TOK_PRUNED_KEY, &key), 0);
    assert_int_equal(key, before_key + pruned + p2);
    lf_gguf_close(gq);
    gq = NULL;
    assert_int_equal(lf_tok_prune_gguf(gp, tp, counts, 0, m, &p2, NULL, &err), 0);
    assert_int_equal(p2, 0);
    assert_int_equal(lf_gguf_open(m, &gq, &err), 0);
    assert_int_equal(lf_gguf_get_arr(gq, "tokenizer.ggml.merges", LF_GGUF_STRING, &a), 0);
    assert_int_equal(lf_gguf_get_arr(gp, "tokenizer.ggml.merges", LF_GGUF_STRING, &b), 0);
    assert_int_equal(a->arr_len, b->arr_len);

    /* a file without merges is refused with a message */
    w = lf_gguf_writer_new();
    assert_int_equal(lf_gguf_set_str(w, "general.architecture", "qwen3"), 0);
    assert_int_equal(lf_gguf_write(w, m, &err), 0);
    lf_gguf_writer_free(w);
    lf_gguf *gx = NULL;
    assert_int_equal(lf_gguf_open(m, &gx, &err), 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(lf_tok_prune_gguf(gx, t, counts, 1, p, &p2, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "merges"));
    lf_gguf_close(gx);

    free(ms);
    free(made);
    free(made2);
    free(counts);
    lf_ids_free(&before);
    lf_ids_free(&after);
    lf_ids_free(&name0);
    lf_ids_free(&name1);
    lf_tok_free(tp);
    lf_tok_free(t);
    lf_gguf_close(gq);
    lf_gguf_close(gp);
    lf_gguf_close(gm);
    lf_gguf_close(g);
    unlink(m);
    unlink(p);
}

/* A tokenizer whose metadata is inconsistent is refused with a message. */
static void test_load_errors(void **st)
{
    (void)st;
    lf_gguf_writer *w = lf_gguf_writer_new();
    const char *toks[] = {"a", "b"};
    lf_gguf_set_str(w, "tokenizer.ggml.model", "gpt2");
    lf_gguf_set_arr_str(w, "tokenizer.ggml.tokens", toks, NULL, 2);
    lf_gguf_set_arr_str(w, "tokenizer.ggml.merges", toks, NULL, 0);
    char path[] = "/tmp/lf_test_tok_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    assert_int_equal(lf_gguf_write(w, path, NULL), 0);
    lf_gguf_writer_free(w);
    lf_gguf *g = NULL;
    lf_tok *t = NULL;
    lf_err err = {0};
    assert_int_equal(lf_gguf_open(path, &g, &err), 0);
    assert_int_equal(lf_tok_load(g, &t, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "no token for byte"));
    lf_gguf_close(g);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pretok),      cmocka_unit_test(test_bytelevel),
        cmocka_unit_test(test_golden),      cmocka_unit_test(test_special),
        cmocka_unit_test(test_roundtrip_bytes), cmocka_unit_test(test_seed_data),
        cmocka_unit_test(test_train),       cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_content),     cmocka_unit_test(test_prune),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
