/* log.c: leveled logging to stderr (see log.h). */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int threshold = -1;

static int env_level(void)
{
    const char *e = getenv("LLMFUSE_LOG");
    if (!e)
        return LF_LOG_WARN;
    if (!strcmp(e, "debug"))
        return LF_LOG_DEBUG;
    if (!strcmp(e, "info"))
        return LF_LOG_INFO;
    if (!strcmp(e, "error"))
        return LF_LOG_ERROR;
    return LF_LOG_WARN;
}

void lf_log_set_level(int level) { threshold = level; }

int lf_log_level(void)
{
    if (threshold < 0)
        threshold = env_level();
    return threshold;
}

void lf_log(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > lf_log_level())
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "llmfuse: %s: %s\n", names[level < 0 ? 0 : level > 3 ? 3 : level], line);
}
