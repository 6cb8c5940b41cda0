/* contract.c: contract wrapper profiles (PROTOCOL.md §5).
 *
 * `none` is the base prompt alone. `seed` is the original's training
 * wrapper, byte for byte, chosen as the original's builder chose it
 * (train/sft_cloud.py): from the first non-blank line after a tag-only line,
 * lower-cased; "readdir(" anywhere in it picks the listing contract, a line
 * that starts with "read(" the read contract, anything else the (training)
 * state contract. PROTOCOL.md §5 wins over the original's builder, which also
 * picked the read contract for any line holding " read(" (a write whose data
 * says " read(" would have been wrapped as a read). */
#include "proto/proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char seed_header[] =
    "You are a pure function. Output exactly the required result and nothing else.\n"
    "No explanations, no code fences, no repeated outputs, no prefixes or suffixes.\n";

static const char seed_readdir[] =
    "Return only a JSON array of names with double quotes, on one line,\n"
    "formatted exactly like: [\".\", \"..\", \"name1\", \"name2\"].\n"
    "Use a single space after each comma. Output nothing else.\n"
    "Sort the names in lexicographic order (\".\", then \"..\", then others ascending).";

static const char seed_read[] =
    "Return only the exact file content. If the file is empty, return an empty string\n"
    "(no characters). Output nothing else.";

static const char seed_state[] =
    "Return exactly one <filesystem> XML document that represents the full state.\n"
    "It must start with <filesystem> and end with </filesystem> with no commentary,\n"
    "then append the literal token <END_FS> on its own line with nothing after it.\n"
    "Do not repeat or summarize the tree.";

int lf_contract_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "none") == 0)
        return LF_CONTRACT_NONE;
    if (strcmp(name, "seed") == 0)
        return LF_CONTRACT_SEED;
    return -1;
}

const char *lf_contract_name(lf_contract c)
{
    return c == LF_CONTRACT_NONE ? "none" : c == LF_CONTRACT_SEED ? "seed" : NULL;
}

/* Length of a Python str.splitlines() line break at p[0..n), 0 if none. */
static size_t line_break(const unsigned char *p, size_t n)
{
    switch (p[0]) {
    case '\r':
        return (n > 1 && p[1] == '\n') ? 2 : 1;
    case '\n': case '\v': case '\f': case 0x1C: case 0x1D: case 0x1E:
        return 1;
    case 0xC2:
        return (n > 1 && p[1] == 0x85) ? 2 : 0;
    case 0xE2:
        return (n > 2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) ? 3 : 0;
    default:
        return 0;
    }
}

/* ASCII part of Python's str.isspace() (the only part that can border an
 * operation line: the tag line is ASCII and op lines start with a name). */
static bool py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1C && c <= 0x1F);
}

/* The original's _detect_operation_line: first stripped non-empty line
 * that is not a tag-only line. Sets *s,*n to it (n = 0 if none). */
static void detect_op_line(const char *text, size_t len, const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    *s = text;
    *n = 0;
    while (i < len) {
        size_t st = i, br = 0;
        while (i < len && (br = line_break(p + i, len - i)) == 0)
            i++;
        size_t a = st, b = i;
        i += br;
        while (a < b && py_space(p[a]))
            a++;
        while (b > a && py_space(p[b - 1]))
            b--;
        if (a == b)
            continue;
        if (p[a] == '<' && p[b - 1] == '>' && b - a <= 4)
            continue;
        *s = text + a;
        *n = b - a;
        return;
    }
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k) {
            char c = s[i + j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[j])
                break;
            j++;
        }
        if (j == k)
            return true;
    }
    return false;
}

static bool starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && contains_ci(s, k, prefix);
}

int lf_contract_wrap(lf_contract c, const char *base, size_t len, lf_buf *out)
{
    if (c == LF_CONTRACT_NONE)
        return lf_buf_append(out, base, len);
    if (c != LF_CONTRACT_SEED)
        return -EINVAL;
    const char *line;
    size_t n;
    detect_op_line(base, len, &line, &n);
    const char *contract = seed_state;
    if (contains_ci(line, n, "readdir("))
        contract = seed_readdir;
    else if (starts_ci(line, n, "read("))
        contract = seed_read;
    int rc = lf_buf_puts(out, seed_header);
    if (!rc)
        rc = lf_buf_puts(out, contract);
    if (!rc)
        rc = lf_buf_puts(out, "\n\n");
    if (!rc)
        rc = lf_buf_append(out, base, len);
    return rc;
}
