/* cmd_dump_xml.c: `llmfuse dump-xml [--protocol-ids] DIR`: prints the
 * canonical state (PROTOCOL.md §3) of a real directory, followed by one
 * newline (as the original's scripts/dump_fs_xml.py printed it). Entries it
 * cannot represent are skipped with a warning on stderr (snapshot.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "state/snapshot.h"
#include "state/state.h"
#include "util/buf.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse dump-xml [--protocol-ids] DIR\n"
               "  Prints the canonical XML state of DIR (one line).\n"
               "  --protocol-ids  owner/group as the oracle writes them (the root's names for\n"
               "                  the caller's ids, \"root\" for 0, else decimal) instead of\n"
               "                  the system database's names\n");
}

int lf_cmd_dump_xml(int argc, char **argv)
{
    int flags = LF_SNAPSHOT_NAMES;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--protocol-ids")) {
            flags = LF_SNAPSHOT_PROTOCOL_IDS;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "llmfuse dump-xml: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!dir) {
            dir = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    lf_state *st = NULL;
    lf_err err = {0};
    int skipped = 0;
    if (lf_state_snapshot_ex(dir, flags, &st, &skipped, &err)) {
        fprintf(stderr, "llmfuse dump-xml: %s\n", err.msg);
        return 1;
    }
    lf_buf out;
    lf_buf_init(&out, 0);
    int rc = lf_state_serialize(st, &out);
    int status = 0;
    if (rc) {
        fprintf(stderr, "llmfuse dump-xml: cannot serialise the state: %s\n", strerror(-rc));
        status = 1;
    } else if (fwrite(out.data, 1, out.len, stdout) != out.len || fputc('\n', stdout) == EOF ||
               fflush(stdout) != 0) {
        perror("llmfuse dump-xml: stdout");
        status = 1;
    }
    if (skipped)
        fprintf(stderr, "llmfuse dump-xml: %d entr%s skipped\n", skipped, skipped == 1 ? "y" : "ies");
    lf_buf_free(&out);
    lf_state_free(st);
    return status;
}
