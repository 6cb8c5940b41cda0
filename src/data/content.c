/* content.c: deterministic file contents by path and extension
 * (seed-reference §5.5). Each template draws from small vocabularies with an
 * RNG keyed by hash(path, variant); see content.h for the contract. */
#include "data/content.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/rng.h"

static const char *const NOUNS[] = {
    "config", "cache", "session", "request", "user", "record", "buffer", "index",
    "worker", "token", "report", "stream", "queue", "table", "module", "packet",
    "backup", "schema", "metric", "snapshot",
};
static const char *const VERBS[] = {
    "load", "parse", "fetch", "store", "update", "flush", "validate", "render",
    "merge", "scan", "resolve", "compress", "sync", "encode", "decode", "publish",
    "retry", "archive",
};
static const char *const ADJS[] = {
    "stale", "pending", "remote", "local", "primary", "cached", "empty", "large",
    "secure", "partial", "default", "temporary", "shared", "broken", "fresh",
};
static const char *const WORDS[] = {
    "the", "system", "keeps", "a", "small", "tree", "of", "files", "and", "every",
    "change", "is", "written", "to", "disk", "before", "reply", "while", "model",
    "state", "grows", "slowly", "with", "each", "step", "café", "naïve", "über",
    "データ", "файл",
};
static const char *const LEVELS[] = {"INFO", "DEBUG", "WARN", "ERROR", "INFO", "INFO"};
static const char *const TITLES[] = {
    "Overview", "Usage", "Notes", "Design", "Changelog", "Setup", "Limits", "Roadmap",
};
static const char *const HOSTS[] = {
    "localhost", "db.internal", "10.0.0.7", "cache-1", "api.example.com",
};

typedef struct {
    lf_rng r;
    lf_buf *b;
    int rc;
} gen;

static void put(gen *g, const char *s)
{
    if (!g->rc)
        g->rc = lf_buf_puts(g->b, s);
}

static void putf(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(gen *g, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(g, tmp);
}

#define PICK(g, a) LF_RNG_PICK(&(g)->r, a)
#define RANGE(g, lo, hi) lf_rng_range(&(g)->r, (lo), (hi))

static void sentence(gen *g)
{
    long n = RANGE(g, 5, 11);
    for (long i = 0; i < n; i++) {
        const char *w = PICK(g, WORDS);
        if (i == 0 && w[0] >= 'a' && w[0] <= 'z') {
            putf(g, "%c%s", w[0] - 32, w + 1);
        } else {
            put(g, i ? " " : "");
            put(g, w);
        }
    }
    put(g, ". ");
}

static void tpl_python(gen *g)
{
    const char *v = PICK(g, VERBS), *n = PICK(g, NOUNS);
    putf(g, "#!/usr/bin/env python3\n\"\"\"%s the %s %s.\"\"\"\nimport json\nimport os\n\n", v,
         PICK(g, ADJS), n);
    putf(g, "LIMIT = %ld\n\n\ndef %s_%s(path, retries=%ld):\n", RANGE(g, 1, 999), v, n,
         RANGE(g, 1, 5));
    putf(g, "    if not os.path.exists(path):\n        return None\n");
    putf(g, "    with open(path) as f:\n        data = json.load(f)\n");
    putf(g, "    return [x for x in data if x.get('%s') != '%s']\n\n\n", PICK(g, NOUNS),
         PICK(g, ADJS));
    putf(g, "if __name__ == '__main__':\n    print(%s_%s('%s.json'))\n", v, n, PICK(g, NOUNS));
}

static void tpl_js(gen *g)
{
    const char *v = PICK(g, VERBS), *n = PICK(g, NOUNS);
    putf(g, "// %s %s\n'use strict';\n\nconst %s = require('./%s');\n\n", v, n, n, n);
    putf(g, "async function %s(%s, opts = {}) {\n", v, n);
    putf(g, "  const limit = opts.limit ?? %ld;\n", RANGE(g, 1, 500));
    putf(g, "  if (!%s || %s.length === 0) {\n    throw new Error(\"%s %s\");\n  }\n", n, n,
         PICK(g, ADJS), n);
    putf(g, "  return %s.slice(0, limit).map((x) => x.%s);\n}\n\n", n, PICK(g, NOUNS));
    putf(g, "module.exports = { %s };\n", v);
}

static void tpl_shell(gen *g)
{
    const char *n = PICK(g, NOUNS);
    putf(g, "#!/bin/sh\n# %s %s files\nset -eu\n\n", PICK(g, VERBS), n);
    putf(g, "DIR=\"${1:-/var/%s}\"\nCOUNT=%ld\n\n", n, RANGE(g, 1, 64));
    putf(g, "for f in \"$DIR\"/*.%s; do\n  [ -e \"$f\" ] || continue\n", PICK(g, NOUNS));
    putf(g, "  echo \"%s: $f\" >&2\n  COUNT=$((COUNT + 1))\ndone\n", PICK(g, VERBS));
    putf(g, "echo \"done: $COUNT\"\n");
}

static void tpl_go(gen *g)
{
    const char *v = PICK(g, VERBS), *n = PICK(g, NOUNS);
    putf(g, "package %s\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\n", n);
    putf(g, "// %c%s %ss the %s.\n", v[0] - 32, v + 1, v, n);
    putf(g, "func %c%s(items []string) (int, error) {\n", v[0] - 32, v + 1);
    putf(g, "\tif len(items) > %ld {\n\t\treturn 0, errors.New(\"too many %ss\")\n\t}\n",
         RANGE(g, 2, 100), n);
    putf(g, "\tfmt.Println(\"%s\", len(items))\n\treturn len(items), nil\n}\n", PICK(g, ADJS));
}

static void tpl_rust(gen *g)
{
    const char *v = PICK(g, VERBS), *n = PICK(g, NOUNS);
    putf(g, "use std::collections::HashMap;\n\n/// %s a %s.\n", v, n);
    putf(g, "pub fn %s_%s(x: i32) -> Result<i32, String> {\n", v, n);
    putf(g, "    if x < %ld {\n        return Err(format!(\"%s {}\", x));\n    }\n",
         RANGE(g, 0, 50), PICK(g, ADJS));
    putf(g, "    let mut m: HashMap<&str, i32> = HashMap::new();\n");
    putf(g, "    m.insert(\"%s\", x * %ld);\n    Ok(m[\"%s\"])\n}\n", n, RANGE(g, 2, 9), n);
}

static void tpl_c(gen *g)
{
    const char *v = PICK(g, VERBS), *n = PICK(g, NOUNS);
    putf(g, "/* %s.c: %s the %s %s. */\n#include <stdio.h>\n#include <string.h>\n\n", n, v,
         PICK(g, ADJS), n);
    putf(g, "#define MAX_%s %ld\n\n", n, RANGE(g, 8, 4096));
    putf(g, "int %s_%s(const char *s, size_t n)\n{\n", n, v);
    putf(g, "    if (!s || n > MAX_%s)\n        return -1;\n", n);
    putf(g, "    printf(\"%%s: %%zu\\n\", \"%s\", n);\n    return (int)strlen(s) & 0x%lx;\n}\n",
         v, RANGE(g, 1, 255));
}

static void tpl_json(gen *g)
{
    putf(g, "{\n  \"name\": \"%s-%s\",\n  \"version\": \"%ld.%ld.%ld\",\n", PICK(g, ADJS),
         PICK(g, NOUNS), RANGE(g, 0, 3), RANGE(g, 0, 20), RANGE(g, 0, 9));
    putf(g, "  \"enabled\": %s,\n  \"%s\": {\n", lf_rng_pct(&g->r, 50) ? "true" : "false",
         PICK(g, NOUNS));
    long k = RANGE(g, 1, 4);
    for (long i = 0; i < k; i++)
        putf(g, "    \"%s\": %ld%s\n", PICK(g, NOUNS), RANGE(g, 0, 10000), i + 1 < k ? "," : "");
    putf(g, "  },\n  \"tags\": [\"%s\", \"%s\"]\n}\n", PICK(g, ADJS), PICK(g, VERBS));
}

static void tpl_yaml(gen *g)
{
    putf(g, "# %s settings\n%s:\n  host: %s\n  port: %ld\n", PICK(g, NOUNS), PICK(g, NOUNS),
         PICK(g, HOSTS), RANGE(g, 1024, 65535));
    putf(g, "  retries: %ld\n  mode: %s\nitems:\n", RANGE(g, 0, 9), PICK(g, ADJS));
    long k = RANGE(g, 1, 4);
    for (long i = 0; i < k; i++)
        putf(g, "  - name: %s\n    value: \"%s & %s\"\n", PICK(g, NOUNS), PICK(g, VERBS),
             PICK(g, ADJS));
}

static void tpl_ini(gen *g)
{
    long k = RANGE(g, 1, 3);
    for (long i = 0; i < k; i++) {
        putf(g, "[%s]\n", PICK(g, NOUNS));
        putf(g, "host = %s\nport = %ld\n%s = %s\n\n", PICK(g, HOSTS), RANGE(g, 80, 9999),
             PICK(g, ADJS), lf_rng_pct(&g->r, 50) ? "yes" : "no");
    }
}

static void tpl_env(gen *g)
{
    long k = RANGE(g, 3, 8);
    for (long i = 0; i < k; i++) {
        const char *n = PICK(g, NOUNS);
        char up[32];
        size_t j = 0;
        for (; n[j] && j < sizeof up - 1; j++)
            up[j] = (char)(n[j] >= 'a' && n[j] <= 'z' ? n[j] - 32 : n[j]);
        up[j] = '\0';
        putf(g, "%s_%ld=%s\n", up, RANGE(g, 1, 9), PICK(g, ADJS));
    }
}

static void tpl_xml(gen *g)
{
    const char *root = PICK(g, NOUNS);
    putf(g, "<?xml version=\"1.0\"?>\n<%s id=\"%ld\">\n", root, RANGE(g, 1, 999));
    long k = RANGE(g, 1, 4);
    for (long i = 0; i < k; i++)
        putf(g, "  <item name=\"%s\">%s &amp; %s</item>\n", PICK(g, NOUNS), PICK(g, VERBS),
             PICK(g, ADJS));
    putf(g, "</%s>\n", root);
}

static void tpl_csv(gen *g)
{
    putf(g, "id,%s,%s,value\n", PICK(g, NOUNS), PICK(g, NOUNS));
    long k = RANGE(g, 3, 12);
    for (long i = 0; i < k; i++)
        putf(g, "%ld,%s,%s,%ld.%02ld\n", i + 1, PICK(g, ADJS), PICK(g, VERBS),
             RANGE(g, 0, 999), RANGE(g, 0, 99));
}

static void tpl_log(gen *g)
{
    long k = RANGE(g, 5, 15);
    long h = RANGE(g, 0, 23), m = RANGE(g, 0, 59);
    for (long i = 0; i < k; i++) {
        m += RANGE(g, 0, 7);
        putf(g, "[%s] 2025-01-%02ld %02ld:%02ld:%02ld - %c%s %s (id=%04ld)\n", PICK(g, LEVELS),
             RANGE(g, 1, 28), (h + m / 60) % 24, m % 60, RANGE(g, 0, 59), PICK(g, VERBS)[0] - 32,
             PICK(g, VERBS) + 1, PICK(g, NOUNS), RANGE(g, 0, 9999));
    }
}

static void tpl_markdown(gen *g)
{
    putf(g, "# %c%s API\n\n## %s\n\n", PICK(g, NOUNS)[0] - 32, PICK(g, NOUNS) + 1,
         PICK(g, TITLES));
    sentence(g);
    putf(g, "\n\n    GET /api/v%ld/%ss/{id}\n\n", RANGE(g, 1, 3), PICK(g, NOUNS));
    long k = RANGE(g, 2, 4);
    for (long i = 0; i < k; i++)
        putf(g, "- `%s` (%s): %s the %s\n", PICK(g, NOUNS), lf_rng_pct(&g->r, 50) ? "int" : "string",
             PICK(g, VERBS), PICK(g, NOUNS));
}

static void tpl_todo(gen *g)
{
    put(g, "TODO\n");
    long k = RANGE(g, 3, 8);
    for (long i = 0; i < k; i++)
        putf(g, "[%c] %s the %s %s\n", lf_rng_pct(&g->r, 30) ? 'x' : ' ', PICK(g, VERBS),
             PICK(g, ADJS), PICK(g, NOUNS));
}

static void tpl_article(gen *g)
{
    long paras = RANGE(g, 1, 3);
    for (long p = 0; p < paras; p++) {
        long k = RANGE(g, 1, 4);
        for (long i = 0; i < k; i++)
            sentence(g);
        put(g, "\n\n");
    }
}

static void tpl_binary(gen *g)
{
    long n = RANGE(g, 8, 160);
    for (long i = 0; i < n && !g->rc; i++) {
        /* mostly small values so NULs and control bytes are common */
        unsigned char c = (unsigned char)(lf_rng_pct(&g->r, 40) ? lf_rng_below(&g->r, 8)
                                                                 : lf_rng_below(&g->r, 256));
        g->rc = lf_buf_append(g->b, &c, 1);
    }
}

static void tpl_batch(gen *g)
{
    putf(g, "@echo off\r\nrem %s %s\r\nset %s=%ld\r\n", PICK(g, VERBS), PICK(g, NOUNS),
         PICK(g, NOUNS), RANGE(g, 0, 99));
    putf(g, "echo %s\r\n", PICK(g, ADJS));
}

static void (*const TEMPLATES[LF_TPL__COUNT])(gen *) = {
    [LF_TPL_PYTHON] = tpl_python, [LF_TPL_JS] = tpl_js, [LF_TPL_SHELL] = tpl_shell,
    [LF_TPL_GO] = tpl_go, [LF_TPL_RUST] = tpl_rust, [LF_TPL_C] = tpl_c,
    [LF_TPL_JSON] = tpl_json, [LF_TPL_YAML] = tpl_yaml, [LF_TPL_INI] = tpl_ini,
    [LF_TPL_ENV] = tpl_env, [LF_TPL_XML] = tpl_xml, [LF_TPL_CSV] = tpl_csv,
    [LF_TPL_LOG] = tpl_log, [LF_TPL_MARKDOWN] = tpl_markdown, [LF_TPL_TODO] = tpl_todo,
    [LF_TPL_ARTICLE] = tpl_article, [LF_TPL_BINARY] = tpl_binary, [LF_TPL_BATCH] = tpl_batch,
};

static const struct {
    const char *ext;
    lf_tpl tpl;
} EXTS[] = {
    {"py", LF_TPL_PYTHON}, {"js", LF_TPL_JS}, {"ts", LF_TPL_JS}, {"sh", LF_TPL_SHELL},
    {"go", LF_TPL_GO}, {"rs", LF_TPL_RUST}, {"c", LF_TPL_C}, {"h", LF_TPL_C},
    {"json", LF_TPL_JSON}, {"yaml", LF_TPL_YAML}, {"yml", LF_TPL_YAML}, {"cfg", LF_TPL_INI},
    {"conf", LF_TPL_INI}, {"ini", LF_TPL_INI}, {"toml", LF_TPL_INI}, {"env", LF_TPL_ENV},
    {"xml", LF_TPL_XML}, {"csv", LF_TPL_CSV}, {"dat", LF_TPL_CSV}, {"log", LF_TPL_LOG},
    {"md", LF_TPL_MARKDOWN}, {"txt", LF_TPL_ARTICLE}, {"tmp", LF_TPL_TODO},
    {"bin", LF_TPL_BINARY}, {"bat", LF_TPL_BATCH},
};

lf_tpl lf_content_template(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < sizeof EXTS / sizeof EXTS[0]; i++)
            if (!strcmp(dot + 1, EXTS[i].ext))
                return EXTS[i].tpl;
    }
    if (dot == base && !strcmp(base, ".env"))
        return LF_TPL_ENV;
    /* No known extension: text of some kind, keyed by the path. */
    static const lf_tpl TEXT[] = {LF_TPL_ARTICLE, LF_TPL_TODO, LF_TPL_LOG, LF_TPL_MARKDOWN};
    return TEXT[lf_hash64(path, strlen(path), 7) % 4];
}

/* Cuts b back to at most max bytes: at the last newline if it lies beyond
 * 70% of max, else at max, moved back to a UTF-8 character boundary. */
static void cut(lf_buf *b, size_t start, size_t max, int binary)
{
    size_t n = b->len - start;
    if (n <= max)
        return;
    char *p = b->data + start;
    size_t keep = max;
    if (!binary) {
        for (size_t i = max; i > 0; i--)
            if (p[i - 1] == '\n') {
                if (i * 10 > max * 7)
                    keep = i;
                break;
            }
        while (keep > 0 && ((unsigned char)p[keep] & 0xC0) == 0x80)
            keep--;
    }
    b->len = start + keep;
    b->data[b->len] = '\0';
}

int lf_content_make(const char *path, unsigned variant, size_t max, lf_buf *out)
{
    if (!max)
        max = LF_CONTENT_MAX;
    gen g = {.b = out, .rc = 0};
    lf_rng_seed(&g.r, lf_hash64(path, strlen(path), variant));
    lf_tpl t = lf_content_template(path);
    size_t start = out->len;
    TEMPLATES[t](&g);
    if (g.rc)
        return g.rc;
    cut(out, start, max, t == LF_TPL_BINARY);
    return 0;
}
