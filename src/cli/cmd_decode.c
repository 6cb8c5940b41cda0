/* cmd_decode.c: `llmfuse decode`. Not yet written: reports so and fails. */
#include <stdio.h>

#include "cli/cli.h"

int lf_cmd_decode(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "llmfuse: %s: not implemented yet\n", argv[0]);
    return 1;
}
