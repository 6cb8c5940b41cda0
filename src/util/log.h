/* log.h: one-line log records on stderr, with a level threshold.
 * Thread-safe (each record is one fprintf). */
#ifndef LF_UTIL_LOG_H
#define LF_UTIL_LOG_H

enum { LF_LOG_ERROR = 0, LF_LOG_WARN = 1, LF_LOG_INFO = 2, LF_LOG_DEBUG = 3 };

/* Sets the threshold (default LF_LOG_WARN; env LLMFUSE_LOG=debug|info|warn|error). */
void lf_log_set_level(int level);
int lf_log_level(void);
/* Writes "llmfuse: <level>: <message>\n" when level <= threshold. */
void lf_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lf_error(...) lf_log(LF_LOG_ERROR, __VA_ARGS__)
#define lf_warn(...) lf_log(LF_LOG_WARN, __VA_ARGS__)
#define lf_info(...) lf_log(LF_LOG_INFO, __VA_ARGS__)
#define lf_debug(...) lf_log(LF_LOG_DEBUG, __VA_ARGS__)

#endif
