/* fs_latency.c: per-operation latency through a mounted llmfuse (or any
 * directory): N rounds of mkdir, create, write, read, stat, readdir,
 * chmod, rename, unlink, rmdir, each system call timed alone; prints the
 * median and 90th percentile in microseconds.
 *
 *   fs_latency DIR [N]      (DIR: an empty directory on the filesystem)
 * bench/fs_latency.sh mounts llmfuse with the oracle and runs it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { MKDIR, CREATE, WRITE, READ, STAT, READDIR, CHMOD, RENAME, UNLINK, RMDIR, NOPS };
static const char *names[NOPS] = {"mkdir", "create", "write", "read", "stat",
                                  "readdir", "chmod", "rename", "unlink", "rmdir"};

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define TIME(k, expr)                                                                  \
    do {                                                                               \
        double t0_ = now_us();                                                         \
        if ((expr) < 0) {                                                              \
            perror(names[k]);                                                          \
            return 1;                                                                  \
        }                                                                              \
        lat[k][i] = now_us() - t0_;                                                    \
    } while (0)

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fs_latency DIR [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 100;
    if (n < 1)
        n = 1;
    double *lat[NOPS];
    for (int k = 0; k < NOPS; k++)
        if (!(lat[k] = calloc((size_t)n, sizeof(double))))
            return 1;
    char d[4096], f[4096], g[4096], buf[4096];
    memset(buf, 'x', 100);
    buf[99] = '\n';
    for (int i = 0; i < n; i++) {
        snprintf(d, sizeof d, "%s/d%d", argv[1], i);
        snprintf(f, sizeof f, "%s/d%d/f.txt", argv[1], i);
        snprintf(g, sizeof g, "%s/d%d/g.txt", argv[1], i);
        TIME(MKDIR, mkdir(d, 0755));
        int fd;
        TIME(CREATE, fd = open(f, O_CREAT | O_WRONLY | O_EXCL, 0644));
        TIME(WRITE, write(fd, buf, 100));
        close(fd);
        fd = open(f, O_RDONLY);
        TIME(READ, read(fd, buf, sizeof buf));
        close(fd);
        struct stat st;
        TIME(STAT, stat(f, &st));
        double t0 = now_us();
        DIR *dir = opendir(d);
        if (!dir) {
            perror("opendir");
            return 1;
        }
        while (readdir(dir))
            ;
        closedir(dir);
        lat[READDIR][i] = now_us() - t0;
        TIME(CHMOD, chmod(f, 0600));
        TIME(RENAME, rename(f, g));
        TIME(UNLINK, unlink(g));
        TIME(RMDIR, rmdir(d));
    }
    printf("%-8s %10s %10s   (us, %d rounds)\n", "op", "median", "p90", n);
    for (int k = 0; k < NOPS; k++) {
        qsort(lat[k], (size_t)n, sizeof(double), cmp);
        printf("%-8s %10.0f %10.0f\n", names[k], lat[k][n / 2], lat[k][(n * 9) / 10]);
        free(lat[k]);
    }
    return 0;
}
