/* mix.c: the workload's wide distribution of names and written bytes, so a
 * model trained on it must copy names and text rather than predict them
 * from a small vocabulary: random strings, real-world names, names with
 * spaces and non-ASCII; random text, echo strings and binary bodies. Every
 * choice comes from the caller's rng (workload.h: both generators plan the
 * same). Pure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/workload.h"
#include "util/text.h"

const unsigned lf_wl_default_name_mix[LF_NAME__COUNT] = {
    [LF_NAME_SEED] = 30, [LF_NAME_RANDOM] = 35, [LF_NAME_REAL] = 20, [LF_NAME_ODD] = 15,
};
const unsigned lf_wl_default_body_mix[LF_BODY__COUNT] = {
    [LF_BODY_TEMPLATE] = 30, [LF_BODY_TEXT] = 38, [LF_BODY_ECHO] = 22, [LF_BODY_BINARY] = 10,
};

static const char *const NAME_CLASSES[LF_NAME__COUNT] = {"seed", "random", "real", "odd"};
static const char *const BODY_CLASSES[LF_BODY__COUNT] = {"template", "text", "echo", "binary"};

const char *lf_wl_name_class_name(lf_name_class c)
{
    return (unsigned)c < LF_NAME__COUNT ? NAME_CLASSES[c] : NULL;
}

const char *lf_wl_body_class_name(lf_body_class c)
{
    return (unsigned)c < LF_BODY__COUNT ? BODY_CLASSES[c] : NULL;
}

/* ---- names ---- */

static const char *const COMMON_EXT[] = {
    "txt", "md", "c", "h", "py", "js", "ts", "json", "sh", "log", "csv", "yaml", "yml",
    "toml", "ini", "cfg", "conf", "xml", "html", "css", "go", "rs", "java", "rb", "pl",
    "cpp", "hpp", "o", "so", "a", "out", "bak", "tmp", "swp", "lock", "gz", "tar", "zip",
    "png", "jpg", "pdf", "bin", "dat", "db", "sql", "env", "1", "2",
};
static const char *const REAL_FILES[] = {
    "README.md", "README", "readme.txt", "Makefile", "makefile", "CMakeLists.txt",
    "meson.build", "main.c", "main.py", "main.go", "main.rs", "lib.rs", "index.js",
    "index.html", "style.css", "app.py", "setup.py", "__init__.py", "test.py",
    "test_1.py", "test_main.c", ".gitignore", ".gitattributes", ".bashrc", ".profile",
    ".vimrc", ".env", ".editorconfig", "LICENSE", "COPYING", "AUTHORS", "CHANGELOG.md",
    "package.json", "package-lock.json", "Cargo.toml", "Cargo.lock", "go.mod", "go.sum",
    "requirements.txt", "pyproject.toml", "Dockerfile", "docker-compose.yml",
    "notes.txt", "hello.txt", "hello.c", "hello", "a.txt", "b.txt", "c.txt", "a", "b",
    "x", "y", "z", "foo", "bar", "baz", "foo.txt", "bar.c", "out.txt", "output.log",
    "input.txt", "data.csv", "todo.txt", "TODO", "file", "file1", "file2", "file.txt",
    "test", "test.txt", "tmp.txt", "a.out", "core", "id_rsa.pub", "config.json",
    "settings.json", ".DS_Store", "Thumbs.db", "index.ts", "server.js", "log.txt",
    "1", "2", "42", "new.txt", "old.txt", "copy.txt", "draft.md", "report.pdf",
};
static const char *const REAL_DIRS[] = {
    "d", "d1", "d2", "dir", "dir1", "tmp", "src", "docs", "doc", "build", "test", "tests",
    "lib", "bin", "include", "out", "dist", "target", "node_modules", ".git", ".github",
    ".cache", ".config", ".vscode", "venv", ".venv", "home", "user", "Desktop",
    "Downloads", "Documents", "photos", "music", "a", "b", "x", "foo", "bar", "new",
    "old", "backup", "archive", "data", "logs", "scripts", "tools", "examples", "vendor",
    "pkg", "cmd", "internal", "public", "static", "assets", "images", "2024", "2025",
    "v1", "v2", "release", "work", "projects", "sub", "subdir", "nested", "empty",
};
static const char *const ODD_PIECES[] = {
    "é", "ü", "ß", "ñ", "ø", "å", "ç", "ö", "Ω", "λ", "я", "ж", "中", "文", "日本", "한국어",
    "数据", "ファイル", "😀", "🚀", "📁", "✓", "★", "€", "°", "…", "—",
};
static const char *const ODD_WORDS[] = {
    "my", "new", "file", "copy", "notes", "final", "draft", "photo", "report", "data",
    "résumé", "café", "naïve", "straße", "größe", "über", "año", "test", "backup", "old",
    "Übung", "première", "zürich", "Ærø", "東京", "写真", "메모", "привет", "emoji",
};
static const char *const ODD_SEPS[] = {" ", " ", "-", "_", ".", " - ", "  ", "+", ",", "@", "#",
                                       "(", ")", "[", "]", "'", "=", "~", "&", "!", "%"};

static const char LOWER[] = "abcdefghijklmnopqrstuvwxyz";
static const char ALNUM[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char LOWDIG[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static int rand_chars(lf_rng *r, const char *set, size_t n, lf_buf *out)
{
    size_t k = strlen(set);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = lf_buf_putc(out, set[lf_rng_below(r, k)]);
    return rc;
}

/* Length 1-24, short ones more often. */
static size_t rand_len(lf_rng *r)
{
    unsigned q = (unsigned)lf_rng_below(r, 100);
    return (size_t)(q < 50 ? lf_rng_range(r, 1, 8) : q < 85 ? lf_rng_range(r, 9, 16)
                                                          : lf_rng_range(r, 17, 24));
}

static int random_name(lf_rng *r, bool is_dir, lf_buf *out)
{
    size_t n = rand_len(r);
    unsigned q = (unsigned)lf_rng_below(r, 100);
    int rc;
    if (q < 45) {
        rc = rand_chars(r, LOWER, n, out);
    } else if (q < 75) {
        rc = rand_chars(r, ALNUM, n, out);
    } else if (q < 85) {
        rc = rand_chars(r, LOWDIG, n, out);
    } else {
        /* letters with inner dashes, underscores and dots: never first */
        rc = rand_chars(r, LOWDIG, 1, out);
        for (size_t i = 1; i < n && !rc; i++)
            rc = lf_rng_pct(r, 15) ? lf_buf_putc(out, "-_."[lf_rng_below(r, 3)])
                                   : rand_chars(r, LOWDIG, 1, out);
    }
    if (!rc && lf_rng_pct(r, is_dir ? 10 : 65)) {
        if (lf_rng_pct(r, 75)) {
            rc = lf_buf_printf(out, ".%s", LF_RNG_PICK(r, COMMON_EXT));
        } else {
            rc = lf_buf_putc(out, '.');
            const char *set = lf_rng_pct(r, 70) ? LOWER : ALNUM;
            if (!rc)
                rc = rand_chars(r, set, (size_t)lf_rng_range(r, 1, 5), out);
        }
    }
    return rc;
}

static int real_name(lf_rng *r, bool is_dir, lf_buf *out)
{
    if (lf_rng_pct(r, 80))
        return lf_buf_puts(out, is_dir ? LF_RNG_PICK(r, REAL_DIRS) : LF_RNG_PICK(r, REAL_FILES));
    /* numbered variants: test_7.py, d12, file 3.txt, notes-2.md */
    static const char *const STEM[] = {"test", "file", "d", "dir", "notes", "img", "part",
                                       "chapter", "x", "tmp", "log", "run"};
    static const char *const SEP[] = {"", "_", "-", " ", "."};
    /* one draw per statement: argument order is unspecified in C */
    const char *stem = LF_RNG_PICK(r, STEM);
    const char *sep = LF_RNG_PICK(r, SEP);
    long num = lf_rng_range(r, 0, lf_rng_pct(r, 80) ? 20 : 99999);
    int rc = lf_buf_printf(out, "%s%s%ld", stem, sep, num);
    if (!rc && !is_dir && lf_rng_pct(r, 70))
        rc = lf_buf_printf(out, ".%s", LF_RNG_PICK(r, COMMON_EXT));
    return rc;
}

static int odd_name(lf_rng *r, bool is_dir, lf_buf *out)
{
    long parts = lf_rng_range(r, 1, 4);
    int rc = 0;
    for (long i = 0; i < parts && !rc; i++) {
        if (i)
            rc = lf_buf_puts(out, LF_RNG_PICK(r, ODD_SEPS));
        unsigned q = (unsigned)lf_rng_below(r, 100);
        if (rc)
            break;
        if (q < 45)
            rc = lf_buf_puts(out, LF_RNG_PICK(r, ODD_WORDS));
        else if (q < 70)
            rc = lf_buf_puts(out, LF_RNG_PICK(r, ODD_PIECES));
        else if (q < 85)
            rc = rand_chars(r, ALNUM, (size_t)lf_rng_range(r, 1, 8), out);
        else
            rc = lf_buf_printf(out, "%ld", lf_rng_range(r, 0, 2025));
    }
    if (!rc && !is_dir && lf_rng_pct(r, 60))
        rc = lf_buf_printf(out, ".%s", LF_RNG_PICK(r, COMMON_EXT));
    if (!rc && lf_rng_pct(r, 8)) {
        /* a leading dot or space, or a trailing space: legal, easy to lose */
        static const char *const WRAP[] = {".", " ", "-"};
        const char *w = LF_RNG_PICK(r, WRAP);
        if (lf_rng_pct(r, 50) && w[0] != '.') {
            rc = lf_buf_puts(out, w);
        } else {
            char *s = strdup(out->data);
            if (!s)
                return -ENOMEM;
            lf_buf_reset(out);
            rc = lf_buf_printf(out, "%s%s", w, s);
            free(s);
        }
    }
    return rc;
}

int lf_wl_name_of(lf_rng *r, lf_name_class c, bool is_dir, lf_buf *out)
{
    switch (c) {
    case LF_NAME_RANDOM: return random_name(r, is_dir, out);
    case LF_NAME_REAL: return real_name(r, is_dir, out);
    case LF_NAME_ODD: return odd_name(r, is_dir, out);
    default: return is_dir ? lf_wl_dir_name(r, out) : lf_wl_file_name(r, out);
    }
}

static unsigned draw(lf_rng *r, const unsigned *wt, unsigned n)
{
    unsigned total = 0;
    for (unsigned i = 0; i < n; i++)
        total += wt[i];
    unsigned x = (unsigned)lf_rng_below(r, total);
    unsigned i = 0;
    while (i + 1 < n && x >= wt[i])
        x -= wt[i++];
    return i;
}

static bool only_first(const unsigned *wt, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        if (wt[i])
            return false;
    return true;
}

int lf_wl_name(lf_workload *w, bool is_dir, lf_buf *out)
{
    lf_name_class c = only_first(w->name_mix, LF_NAME__COUNT)
                          ? LF_NAME_SEED
                          : (lf_name_class)draw(&w->rng, w->name_mix, LF_NAME__COUNT);
    size_t start = out->len;
    int rc = lf_wl_name_of(&w->rng, c, is_dir, out);
    /* never "." or "..", never over NAME_MAX (the odd class can't reach it) */
    if (!rc && (!strcmp(out->data + start, ".") || !strcmp(out->data + start, "..")))
        rc = lf_buf_putc(out, 'x');
    return rc;
}

bool lf_workload_seed_content(const lf_workload *w)
{
    return only_first(w->body_mix, LF_BODY__COUNT);
}

lf_body_class lf_wl_body_class(lf_workload *w)
{
    if (lf_workload_seed_content(w))
        return LF_BODY_TEMPLATE;
    return (lf_body_class)draw(&w->rng, w->body_mix, LF_BODY__COUNT);
}

int lf_workload_set_mix(lf_workload *w, bool content, const char *spec, lf_err *err)
{
    unsigned n = content ? LF_BODY__COUNT : LF_NAME__COUNT;
    unsigned *wt = content ? w->body_mix : w->name_mix;
    const char *const *names = content ? BODY_CLASSES : NAME_CLASSES;
    const char *what = content ? "content" : "names";
    if (!strcmp(spec, "seed")) {
        memset(wt, 0, n * sizeof *wt);
        wt[0] = 1;
        return 0;
    }
    if (!strcmp(spec, "mix")) {
        memcpy(wt, content ? lf_wl_default_body_mix : lf_wl_default_name_mix, n * sizeof *wt);
        return 0;
    }
    unsigned v[8] = {0};
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        if (!eq)
            return lf_err_set(err, EINVAL, "%s: expected seed, mix or class=w in '%s'", what, p);
        size_t k = (size_t)(eq - p);
        int found = -1;
        for (unsigned i = 0; i < n; i++)
            if (strlen(names[i]) == k && !memcmp(names[i], p, k))
                found = (int)i;
        if (found < 0)
            return lf_err_set(err, EINVAL, "%s: unknown class '%.*s'", what, (int)k, p);
        char *end;
        unsigned long x = strtoul(eq + 1, &end, 10);
        if (end == eq + 1 || (*end && *end != ',') || x > 1000000)
            return lf_err_set(err, EINVAL, "%s: bad weight for '%.*s'", what, (int)k, p);
        v[found] = (unsigned)x;
        p = *end ? end + 1 : end;
    }
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += v[i];
    if (!sum)
        return lf_err_set(err, EINVAL, "%s: all zero", what);
    memcpy(wt, v, n * sizeof *wt);
    return 0;
}

/* ---- bodies ---- */

static const char *const WORDS[] = {
    "the", "a", "an", "and", "or", "but", "if", "then", "else", "when", "while", "for",
    "with", "without", "from", "into", "over", "under", "about", "after", "before", "is",
    "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did", "not",
    "no", "yes", "this", "that", "these", "those", "it", "its", "we", "you", "they", "he",
    "she", "i", "me", "my", "our", "your", "their", "hello", "world", "model", "file",
    "files", "line", "lines", "second", "third", "first", "last", "next", "test", "value",
    "values", "name", "names", "text", "copy", "write", "read", "open", "close", "save",
    "load", "start", "stop", "run", "build", "make", "check", "fix", "bug", "issue",
    "error", "warning", "ok", "done", "todo", "note", "notes", "meeting", "monday",
    "tuesday", "friday", "today", "tomorrow", "yesterday", "morning", "evening", "time",
    "date", "year", "day", "week", "month", "number", "count", "total", "sum", "list",
    "item", "items", "table", "row", "column", "key", "map", "set", "get", "put", "new",
    "old", "big", "small", "quick", "brown", "fox", "jumps", "lazy", "dog", "cat", "bird",
    "tree", "river", "house", "door", "window", "road", "city", "country", "water", "fire",
    "light", "dark", "red", "green", "blue", "yellow", "black", "white", "apple", "banana",
    "orange", "bread", "milk", "coffee", "tea", "sugar", "salt", "buy", "sell", "pay",
    "price", "cost", "money", "bank", "account", "user", "users", "admin", "root", "home",
    "path", "dir", "directory", "folder", "disk", "memory", "cpu", "server", "client",
    "request", "response", "status", "code", "function", "return", "true", "false", "null",
    "string", "int", "float", "array", "object", "class", "struct", "import", "export",
    "print", "echo", "cat", "grep", "sed", "awk", "git", "commit", "push", "pull", "merge",
    "branch", "release", "version", "update", "delete", "remove", "add", "change", "keep",
    "please", "thanks", "sorry", "maybe", "always", "never", "sometimes", "very", "really",
    "just", "only", "also", "again", "still", "already", "here", "there", "where", "why",
    "how", "what", "who", "which", "because", "so", "than", "more", "less", "most", "all",
    "some", "any", "each", "every", "one", "two", "three", "four", "five", "ten", "hundred",
};
static const char *const UNI_WORDS[] = {
    "café", "naïve", "über", "straße", "größe", "déjà", "vu", "señor", "año", "ñandú",
    "smörgåsbord", "Ærøskøbing", "façade", "crème", "brûlée", "Zürich", "日本語", "こんにちは",
    "世界", "你好", "数据", "文件", "안녕하세요", "привет", "мир", "файл", "Ελλάδα", "λόγος",
    "שלום", "مرحبا", "😀", "🚀", "👍", "🎉", "✓", "→", "€5", "±", "≤", "∞", "½", "…",
};
static const char *const PUNCT[] = {",", ".", ";", ":", "!", "?", " -", " (", ")", "\"", "'",
                                    "...", " /", " &", " #", " =", " +", " *", " %", " @"};
static const char *const ECHO[] = {
    "hello", "hello world", "Hello, World!", "hello from a model", "second line",
    "third line", "line 1", "line 2", "line 3", "foo", "bar", "baz", "foo bar", "test",
    "testing 1 2 3", "abc", "123", "42", "x", "ok", "done", "TODO: fix this", "it works",
    "some text", "more text", "the end", "lorem ipsum dolor sit amet", "new content",
    "appended", "another line", "first", "last line", "data", "hi", "yes", "no", "",
    "#!/bin/sh", "echo hi", "key=value", "name: test", "{\"a\": 1}", "[1, 2, 3]",
    "Grüße aus Köln", "naïve café", "你好，世界", "🚀 launch", "tab\there", "a b  c   d",
};

/* Appends s if it fits in max; returns 1 when it did not fit. */
static int add(lf_buf *out, size_t start, size_t max, const char *s, int *rc)
{
    size_t n = strlen(s);
    if (out->len - start + n > max)
        return 1;
    if (!*rc)
        *rc = lf_buf_puts(out, s);
    return 0;
}

static void ident(lf_rng *r, char *tmp, size_t cap)
{
    size_t n = (size_t)lf_rng_range(r, 1, 14);
    if (n >= cap)
        n = cap - 1;
    static const char FIRST[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    static const char REST[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
    tmp[0] = FIRST[lf_rng_below(r, sizeof FIRST - 1)];
    for (size_t i = 1; i < n; i++)
        tmp[i] = REST[lf_rng_below(r, sizeof REST - 1)];
    tmp[n] = 0;
}

/* Target length: short, medium or long, within max. */
static size_t target_len(lf_rng *r, size_t max)
{
    unsigned q = (unsigned)lf_rng_below(r, 100);
    long hi = q < 35 ? 40 : q < 75 ? 200 : (long)max;
    long lo = q < 35 ? 1 : q < 75 ? 20 : 100;
    if (hi > (long)max)
        hi = (long)max;
    if (lo > hi)
        lo = 1;
    return (size_t)lf_rng_range(r, lo, hi);
}

static int text_body(lf_rng *r, size_t max, lf_buf *out)
{
    size_t start = out->len, want = target_len(r, max);
    int rc = 0, uni = lf_rng_pct(r, 20) ? 12 : 0, upper = lf_rng_pct(r, 30);
    unsigned line_words = (unsigned)lf_rng_range(r, 1, 16), on_line = 0;
    bool crlf = lf_rng_pct(r, 3);
    char tmp[64];
    while (!rc && out->len - start < want) {
        unsigned q = (unsigned)lf_rng_below(r, 100);
        const char *s;
        if (q < 62) {
            s = LF_RNG_PICK(r, WORDS);
            if (upper && on_line == 0 && s[0] >= 'a' && s[0] <= 'z') {
                snprintf(tmp, sizeof tmp, "%c%s", s[0] - 32, s + 1);
                s = tmp;
            }
        } else if (q < 62 + (unsigned)uni) {
            s = LF_RNG_PICK(r, UNI_WORDS);
        } else if (q < 84) {
            ident(r, tmp, sizeof tmp);
            s = tmp;
        } else if (q < 94) {
            unsigned k = (unsigned)lf_rng_below(r, 4);
            if (k == 0)
                snprintf(tmp, sizeof tmp, "%ld", lf_rng_range(r, 0, 9));
            else if (k == 1)
                snprintf(tmp, sizeof tmp, "%ld", lf_rng_range(r, -99999, 999999));
            else if (k == 2) {
                long a = lf_rng_range(r, 0, 999);
                snprintf(tmp, sizeof tmp, "%ld.%02ld", a, lf_rng_range(r, 0, 99));
            }
            else {
                unsigned long long x = (unsigned long long)lf_rng_next(r);
                snprintf(tmp, sizeof tmp, "0x%llx", x >> lf_rng_range(r, 16, 60));
            }
            s = tmp;
        } else {
            if (on_line && add(out, start, max, LF_RNG_PICK(r, PUNCT), &rc))
                break;
            continue;
        }
        if (on_line && add(out, start, max, " ", &rc))
            break;
        if (add(out, start, max, s, &rc))
            break;
        if (++on_line >= line_words) {
            if (add(out, start, max, crlf ? "\r\n" : "\n", &rc))
                break;
            on_line = 0;
            line_words = (unsigned)lf_rng_range(r, 1, lf_rng_pct(r, 20) ? 30 : 12);
            if (lf_rng_pct(r, 8))
                add(out, start, max, "\n", &rc);   /* blank line */
        }
    }
    /* a trailing newline most of the time, none sometimes */
    if (!rc && out->len > start && out->data[out->len - 1] != '\n') {
        if (lf_rng_pct(r, 65))
            add(out, start, max, "\n", &rc);
    } else if (!rc && out->len > start && lf_rng_pct(r, 20)) {
        out->len--;   /* drop the final newline */
        out->data[out->len] = 0;
    }
    return rc;
}

static int echo_body(lf_rng *r, size_t max, lf_buf *out)
{
    size_t start = out->len;
    long lines = lf_rng_pct(r, 70) ? 1 : lf_rng_range(r, 2, 6);
    int rc = 0;
    bool nl = lf_rng_pct(r, 85);   /* echo adds one; printf '%s' does not */
    for (long i = 0; i < lines && !rc; i++) {
        if (add(out, start, max, LF_RNG_PICK(r, ECHO), &rc))
            break;
        if ((i + 1 < lines || nl) && add(out, start, max, "\n", &rc))
            break;
    }
    return rc;
}

static int binary_body(lf_rng *r, size_t max, lf_buf *out)
{
    /* stored as base64 in the state: 4/3 larger, so keep them shorter */
    size_t cap = max * 3 / 4 > 0 ? max * 3 / 4 : 1;
    size_t n = (size_t)lf_rng_range(r, 1, (long)(lf_rng_pct(r, 50) ? (cap < 32 ? cap : 32) : cap));
    unsigned q = (unsigned)lf_rng_below(r, 100);
    int rc = 0;
    if (q < 50) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = lf_buf_putc(out, (char)lf_rng_below(r, 256));
    } else if (q < 70) {
        /* mostly text with a few control bytes or a NUL */
        for (size_t i = 0; i < n && !rc; i++)
            rc = lf_buf_putc(out, lf_rng_pct(r, 6) ? (char)lf_rng_below(r, 32) : ALNUM[lf_rng_below(r, 62)]);
    } else {
        /* a base64 body as text (`base64 file > file.b64`), lines of 76 */
        lf_buf raw, enc;
        lf_buf_init(&raw, 0);
        lf_buf_init(&enc, 0);
        size_t k = n * 3 / 4 ? n * 3 / 4 : 1;
        for (size_t i = 0; i < k && !rc; i++)
            rc = lf_buf_putc(&raw, (char)lf_rng_below(r, 256));
        if (!rc)
            rc = lf_b64_encode(raw.data, raw.len, &enc);
        for (size_t i = 0; !rc && i < enc.len; i += 76) {
            size_t m = enc.len - i < 76 ? enc.len - i : 76;
            rc = lf_buf_append(out, enc.data + i, m);
            if (!rc)
                rc = lf_buf_putc(out, '\n');
        }
        lf_buf_free(&raw);
        lf_buf_free(&enc);
    }
    return rc;
}

int lf_wl_body_of(lf_rng *r, lf_body_class c, size_t max, lf_buf *out)
{
    if (!max)
        return 0;
    switch (c) {
    case LF_BODY_ECHO: return echo_body(r, max, out);
    case LF_BODY_BINARY: {
        size_t start = out->len;
        int rc = binary_body(r, max, out);
        if (!rc && out->len - start > max) {   /* base64 lines may overshoot a small max */
            out->len = start + max;
            out->data[out->len] = 0;
        }
        return rc;
    }
    default: return text_body(r, max, out);
    }
}
