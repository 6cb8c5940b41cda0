/* cmd_average.c: `llmfuse average OUT.gguf IN.gguf IN.gguf...`: checkpoint
 * averaging (lf_tmodel_average): OUT gets the element-wise mean of the
 * models' weights, each tensor in its own type, and the first model's
 * metadata. The models must have the same tensors (an export of one run at
 * several steps, say). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "train/io.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: llmfuse average OUT.gguf IN.gguf [IN.gguf...]\n"
               "  writes the mean of the models' weights (same tensors, F32/F16/BF16)\n"
               "  with the first model's metadata.\n");
}

int lf_cmd_average(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            usage(stderr);
            return 2;
        }
    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    lf_err err = {0};
    int rc = lf_tmodel_average((const char *const *)argv + 2, argc - 2, argv[1], &err);
    if (rc) {
        fprintf(stderr, "llmfuse average: %s\n", err.msg[0] ? err.msg : strerror(-rc));
        return 1;
    }
    printf("%s: the mean of %d models\n", argv[1], argc - 2);
    return 0;
}
