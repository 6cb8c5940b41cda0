/* cmd_mount.c: `llmfuse mount DIR`: serves a filesystem whose state lives in
 * a model (src/fs/). Runs in the foreground until unmounted (fusermount3 -u
 * DIR) or interrupted; --background detaches once mounted.
 *
 * Backend choice: --model FILE.gguf means the local engine; --backend NAME
 * picks one; with neither, the bundled model models/llmfuse.gguf (beside
 * the source tree, or in <prefix>/share/llmfuse/) if it exists, else the
 * oracle; a log line says which. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "cli/cli.h"
#include "lm/model.h"
#include "lf_config.h"
#include "util/err.h"
#include "util/log.h"

#if LF_HAVE_FUSE
#include "fs/fs.h"
#include "fs/mount.h"
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: llmfuse mount DIR [--backend NAME] [--url U] [--token T] [--model FILE.gguf]\n"
            "                     [--state FILE] [--verify] [--verify-log FILE] [--strict]\n"
            "                     [-f|--foreground] [--background] [--debug] [--threads N]\n"
            "                     [--context N] [--timeout S] [--retries N] [--contract none|seed]\n"
            "                     [--act auto|bf16|fp32] [--free-decoding] [--alternatives N]\n"
            "  --backend     oracle, local, generate (/generate) or openai (/v1/completions);\n"
            "                default: the bundled models/llmfuse.gguf if present, else oracle\n"
            "  --url, --token  server and key of the generate/openai backends\n"
            "  --model       a GGUF file for the local engine (implies --backend local)\n"
            "  --state       load the state from FILE (refuse to mount if it does not parse)\n"
            "                and save every accepted state to it before acknowledging\n"
            "  --verify      run the oracle beside the backend; log every divergence to\n"
            "                stderr or --verify-log FILE; counters in DIR/.llmfuse/stats\n"
            "  --strict      refuse (EIO) any answer the oracle disagrees with (wrong\n"
            "                errors, file contents, listings); states are always checked\n"
            "  -f            stay in the foreground (the default); --background detaches\n"
            "  --debug       libfuse's request trace and debug logging\n"
            "  --threads N   the local engine's worker threads (0: all cores)\n"
            "  --act         the activations the local engine's BF16 weights multiply:\n"
            "                bf16 (faster, slightly different numbers), fp32, or auto\n"
            "                (bf16 where the CPU has a native bf16 dot product; default)\n"
            "  --free-decoding  the local engine writes answers without the constraint that\n"
            "                keeps each body as long as its size attribute says and each\n"
            "                name the last component of its path\n"
            "  --alternatives N  when an answer is refused (it does not parse, or its state\n"
            "                does not reflect the operation), ask the local engine for up\n"
            "                to N other answers, each branching from the greedy answer at\n"
            "                its next least sure token, and take the first accepted one\n"
            "                (default 3; 0: refuse at once)\n"
            "  --context N   override the backend's context window (tokens)\n"
            "  --timeout S, --retries N  per-request limits of the HTTP backends\n");
}

#if LF_HAVE_FUSE

typedef struct mount_args {
    const char *dir, *backend, *url, *token, *model, *state, *verify_log, *contract;
    bool verify, strict, foreground, debug, free_decoding;
    int act;
    int threads;
    long context;
    double timeout;
    int retries;
    int alternatives;
} mount_args;

/* Absolute form of p (which need not exist yet); caller frees. */
static char *absolute(const char *p)
{
    if (!p)
        return NULL;
    if (p[0] == '/')
        return strdup(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t n = strlen(cwd) + strlen(p) + 2;
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", cwd, p);
    return r;
}

static int make_backend(lf_mount *m, void *ctx, lf_err *err)
{
    const mount_args *a = ctx;
    lf_backend_opts o = {.url = a->url, .token = a->token, .model = a->model,
                         .timeout_s = a->timeout, .retries = a->retries,
                         .context_tokens = a->context, .threads = a->threads,
                         .act = a->act, .free_decoding = a->free_decoding,
                         .contract = -1};
    if (a->contract)
        o.contract = lf_contract_from_name(a->contract);
    lf_backend *b = NULL;
    int rc = lf_backend_new(a->backend, &o, &b, err);
    if (rc < 0)
        return rc;
    lf_mount_set_backend(m, b);
    fprintf(stderr, "llmfuse: mount: backend %s%s%s%s%s, context %ld tokens%s\n", a->backend,
            a->model ? " " : "", a->model ? a->model : "", a->url ? " " : "",
            a->url ? a->url : "", b->context_tokens, b->context_tokens > 0 ? "" : " (unlimited)");
    return 0;
}

static int parse_args(int argc, char **argv, mount_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(s, "-f") || !strcmp(s, "--foreground")) {
            a->foreground = true;
            continue;
        }
        if (!strcmp(s, "--background")) {
            a->foreground = false;
            continue;
        }
        if (!strcmp(s, "--debug")) {
            a->debug = true;
            continue;
        }
        if (!strcmp(s, "--verify")) {
            a->verify = true;
            continue;
        }
        if (!strcmp(s, "--act") && i + 1 < argc && (a->act = lf_act_parse(argv[i + 1])) >= 0) {
            i++;
            continue;
        }
        if (!strcmp(s, "--free-decoding")) {
            a->free_decoding = true;
            continue;
        }
        if (!strcmp(s, "--strict")) {
            a->strict = true;
            continue;
        }
        if (s[0] != '-') {
            if (a->dir) {
                fprintf(stderr, "llmfuse mount: more than one directory given ('%s')\n", s);
                return 2;
            }
            a->dir = s;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "llmfuse mount: %s needs a value\n", s);
            return 2;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(s, "--backend"))
            a->backend = v;
        else if (!strcmp(s, "--url"))
            a->url = v;
        else if (!strcmp(s, "--token"))
            a->token = v;
        else if (!strcmp(s, "--model"))
            a->model = v;
        else if (!strcmp(s, "--state"))
            a->state = v;
        else if (!strcmp(s, "--verify-log")) {
            a->verify_log = v;
            a->verify = true;
        } else if (!strcmp(s, "--contract")) {
            if (lf_contract_from_name(v) < 0) {
                fprintf(stderr, "llmfuse mount: unknown contract '%s' (none, seed)\n", v);
                return 2;
            }
            a->contract = v;
        } else if (!strcmp(s, "--threads")) {
            a->threads = (int)strtol(v, &end, 10);
            if (*end || a->threads < 0) {
                fprintf(stderr, "llmfuse mount: bad --threads '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(s, "--alternatives")) {
            a->alternatives = (int)strtol(v, &end, 10);
            if (*end || a->alternatives < 0 || a->alternatives > 64) {
                fprintf(stderr, "llmfuse mount: bad --alternatives '%s' (0-64)\n", v);
                return 2;
            }
        } else if (!strcmp(s, "--context")) {
            a->context = strtol(v, &end, 10);
            if (*end || a->context <= 0) {
                fprintf(stderr, "llmfuse mount: bad --context '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(s, "--timeout")) {
            a->timeout = strtod(v, &end);
            if (*end || a->timeout <= 0) {
                fprintf(stderr, "llmfuse mount: bad --timeout '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(s, "--retries")) {
            a->retries = (int)strtol(v, &end, 10);
            if (*end || a->retries < 0) {
                fprintf(stderr, "llmfuse mount: bad --retries '%s'\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "llmfuse mount: unknown option '%s'\n", s);
            return 2;
        }
    }
    if (!a->dir) {
        fprintf(stderr, "llmfuse mount: no mount directory given\n");
        return 2;
    }
    if (a->model && a->backend && strcmp(a->backend, "local")) {
        fprintf(stderr, "llmfuse mount: --model FILE.gguf is for --backend local\n");
        return 2;
    }
    return 0;
}

/* The mounting user's and group's names (or decimal ids). */
static void user_names(char *user, size_t un, char *group, size_t gn)
{
    struct passwd pw, *pr = NULL;
    struct group gr, *gres = NULL;
    char buf[4096];
    if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &pr) == 0 && pr)
        snprintf(user, un, "%s", pr->pw_name);
    else
        snprintf(user, un, "%u", (unsigned)getuid());
    if (getgrgid_r(getgid(), &gr, buf, sizeof buf, &gres) == 0 && gres)
        snprintf(group, gn, "%s", gres->gr_name);
    else
        snprintf(group, gn, "%u", (unsigned)getgid());
}

int lf_cmd_mount(int argc, char **argv)
{
    mount_args a = {.foreground = true, .retries = -2, .alternatives = 3};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : (usage(stderr), 2);
    /* lf_backend_opts.retries: 0 is "the default", -1 "none" */
    a.retries = a.retries == -2 ? 0 : a.retries == 0 ? -1 : a.retries;
    if (a.debug)
        lf_log_set_level(LF_LOG_DEBUG);
    signal(SIGPIPE, SIG_IGN);

    if (a.model)
        a.backend = "local";
    if (!a.backend) {
        const char *bm = lf_backend_bundled_model();
        if (bm) {
            a.backend = "local";
            a.model = bm;
            fprintf(stderr, "llmfuse: mount: no backend given: using the bundled model %s\n", bm);
        } else {
            a.backend = "oracle";
            fprintf(stderr, "llmfuse: mount: no backend given and no bundled model "
                            "(models/llmfuse.gguf): using the oracle\n");
        }
    }

    char *dir = absolute(a.dir), *state = absolute(a.state), *vlog = absolute(a.verify_log);
    lf_mount *m = NULL;
    lf_err err;
    lf_err_clear(&err);
    int status = 1;
    if (!dir || (a.state && !state) || (a.verify_log && !vlog)) {
        fprintf(stderr, "llmfuse mount: out of memory\n");
        goto out;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || mkdir(dir, 0755) != 0) {
            fprintf(stderr, "llmfuse mount: %s: %s\n", dir, strerror(errno));
            goto out;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "llmfuse mount: %s is not a directory\n", dir);
        goto out;
    }

    char user[256], group[256];
    user_names(user, sizeof user, group, sizeof group);
    lf_mount_opts mo = {.state_path = state, .verify = a.verify, .strict = a.strict,
                        .verify_log = vlog, .alternatives = a.alternatives,
                        .owner = user, .group = group, .uid = getuid(), .gid = getgid()};
    if (lf_mount_new(&mo, &m, &err) < 0) {
        fprintf(stderr, "llmfuse mount: refusing to mount: %s\n", err.msg);
        goto out;
    }
    if (a.state)
        fprintf(stderr, "llmfuse: mount: state file %s\n", state);
    if (a.verify)
        fprintf(stderr, "llmfuse: mount: verifying every answer against the oracle (log: %s)\n",
                vlog ? vlog : "stderr");

    lf_fs_opts fo = {.mountpoint = dir, .foreground = a.foreground, .debug = a.debug,
                     .ctx = &a};
    /* A backend's threads do not survive fuse_daemonize's fork: when
     * detaching, create it afterwards; in the foreground, before mounting so
     * that a bad option fails without touching the mount point. */
    if (a.foreground) {
        if (make_backend(m, &a, &err) < 0) {
            fprintf(stderr, "llmfuse mount: backend %s: %s\n", a.backend, err.msg);
            goto out;
        }
    } else {
        fo.ready = make_backend;
    }
    if (lf_fs_main(m, &fo, &err) < 0) {
        fprintf(stderr, "llmfuse mount: %s\n", err.msg);
        goto out;
    }
    status = 0;
out:
    lf_mount_free(m);
    free(dir);
    free(state);
    free(vlog);
    return status;
}

#else

int lf_cmd_mount(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "llmfuse mount: built without libfuse3 (meson -Dfuse=enabled)\n");
    return 1;
}

#endif
