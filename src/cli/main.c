/* main.c: the llmfuse binary: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lf_config.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} cmds[] = {
    {"mount", lf_cmd_mount, "mount the filesystem: llmfuse mount DIR [--backend B] [--state FILE]"},
    {"oracle", lf_cmd_oracle, "complete JSONL rows with the reference semantics (stdin -> stdout)"},
    {"ref", lf_cmd_ref, "logging reference filesystem over a real directory"},
    {"gen", lf_cmd_gen, "generate a dataset (kernel-verified or --oracle)"},
    {"dump-xml", lf_cmd_dump_xml, "print the canonical state of a real directory"},
    {"eval", lf_cmd_eval, "evaluate a backend on a dataset"},
    {"serve", lf_cmd_serve, "serve a backend over HTTP (/generate, /v1/completions)"},
    {"complete", lf_cmd_complete, "greedy continuation of a raw prompt with a GGUF model"},
    {"inspect", lf_cmd_inspect, "print a GGUF file's metadata and tensors"},
    {"quantize", lf_cmd_quantize, "rewrite a model's weight matrices as q8_0, f16, bf16 or f32"},
    {"average", lf_cmd_average, "the mean of several models' weights (checkpoint averaging)"},
    {"tokenizer", lf_cmd_tokenizer, "train a byte-level BPE tokenizer"},
    {"train", lf_cmd_train, "train a model"},
    {"encode", lf_cmd_encode, "compress text with the model (arithmetic coding)"},
    {"decode", lf_cmd_decode, "decompress an .lmz file"},
};

static void usage(FILE *f)
{
    fprintf(f, "llmfuse %s: a filesystem whose state lives in a language model\n\n"
               "usage: llmfuse COMMAND [ARGS...]   (llmfuse COMMAND --help for details)\n\n",
            LF_VERSION);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("llmfuse %s\n", LF_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "llmfuse: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
