/* names.c: file and directory names for the workload (seed-reference §5.4
 * vocabularies, plus names the original never produced: spaces, quotes,
 * non-ASCII, dot files, no extension, upper case). Pure. */
#include <string.h>

#include "data/workload.h"

static const char *const FILE_PREFIX[] = {
    "config", "data", "log", "temp", "backup", "script", "doc", "test",
    "notes", "report", "main", "index", "util", "schema", "readme", "todo",
};
static const char *const FILE_MIDDLE[] = {"server", "client", "main", "utils", "helper", "core",
                                          "v2", "old", "final"};
static const char *const FILE_SUFFIX[] = {
    "txt", "log", "json", "py", "sh", "cfg", "conf", "dat", "tmp",          /* original */
    "md", "yaml", "xml", "csv", "c", "h", "go", "rs", "js", "ts", "ini",
    "toml", "yml", "bin", "bat", "txt", "py", "json", "log",
};
static const char *const ODD_FILES[] = {
    "Makefile", "README", "LICENSE", ".gitignore", ".env", "my notes.txt",
    "résumé.md", "日本語.txt", "it's.txt", "say \"hi\".txt", "a&b<c>.xml",
    "UPPER.TXT", "data.tar.gz", "x", "file-with-dashes.log", "ünïcödé.json",
    "#tmp#", "semi;colon.sh", "back\\slash.txt", "ταυτότητα.yaml",
};
static const char *const DIR_NAMES[] = {
    "src", "lib", "bin", "etc", "var", "tmp", "opt", "usr", "docs", "tests",
    "scripts", "config", "data", "logs", "backup", "cache", "build", "dist",
    "assets", "resources",
};
static const char *const DIR_SUFFIX[] = {"v1", "v2", "old", "new", "temp"};
static const char *const ODD_DIRS[] = {
    "My Documents", "données", "build output", ".hidden", ".config", "a'b",
    "Projects", "node_modules", "__pycache__", "中文", "release-2025", "x y z",
};

int lf_wl_file_name(lf_rng *r, lf_buf *out)
{
    if (lf_rng_pct(r, 8))
        return lf_buf_puts(out, LF_RNG_PICK(r, ODD_FILES));
    int rc = lf_buf_puts(out, LF_RNG_PICK(r, FILE_PREFIX));
    if (!rc && lf_rng_pct(r, 30))
        rc = lf_buf_printf(out, "_%s", LF_RNG_PICK(r, FILE_MIDDLE));
    if (!rc)
        rc = lf_buf_printf(out, "%ld.%s", lf_rng_range(r, 1, 999), LF_RNG_PICK(r, FILE_SUFFIX));
    return rc;
}

int lf_wl_dir_name(lf_rng *r, lf_buf *out)
{
    if (lf_rng_pct(r, 6))
        return lf_buf_puts(out, LF_RNG_PICK(r, ODD_DIRS));
    int rc = lf_buf_puts(out, LF_RNG_PICK(r, DIR_NAMES));
    if (!rc && lf_rng_pct(r, 20))
        rc = lf_buf_printf(out, "_%s", LF_RNG_PICK(r, DIR_SUFFIX));
    if (!rc && lf_rng_pct(r, 50))
        rc = lf_buf_printf(out, "%ld", lf_rng_range(r, 1, 99));
    return rc;
}
