/* cli.h: the subcommands of the one `llmfuse` binary. Each lives in its own
 * cmd_<name>.c, takes main's argc/argv shifted so argv[0] is the subcommand,
 * and returns the process exit status (0 ok, 1 failure, 2 usage). Only
 * src/cli/ may call exit(). */
#ifndef LF_CLI_CLI_H
#define LF_CLI_CLI_H

int lf_cmd_mount(int argc, char **argv);
int lf_cmd_oracle(int argc, char **argv);
int lf_cmd_ref(int argc, char **argv);
int lf_cmd_gen(int argc, char **argv);
int lf_cmd_dump_xml(int argc, char **argv);
int lf_cmd_eval(int argc, char **argv);
int lf_cmd_serve(int argc, char **argv);
int lf_cmd_complete(int argc, char **argv);
int lf_cmd_inspect(int argc, char **argv);
int lf_cmd_quantize(int argc, char **argv);
int lf_cmd_average(int argc, char **argv);
int lf_cmd_tokenizer(int argc, char **argv);
int lf_cmd_train(int argc, char **argv);
int lf_cmd_encode(int argc, char **argv);
int lf_cmd_decode(int argc, char **argv);

#endif
