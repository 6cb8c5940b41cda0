/* bench_state.c: throughput of the state module: canonical serialisation,
 * strict parsing, clone and equality on a big synthetic state (or on the
 * XML file given as argv[1]). Prints MB/s of XML; no assertions.
 *   build-x/bench/bench_state [STATE.xml] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/state.h"
#include "util/file.h"

static double now(void) /* CPU time: the build machines are shared */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 64 directories x 400 files: mostly text with a few entities, one in 50
 * binary (base64), bodies of 100-700 bytes. */
static lf_state *synthetic(void)
{
    lf_state *st = lf_state_new("root", "root");
    char name[32], body[800];
    unsigned seed = 12345;
    for (int d = 0; d < 64 && st; d++) {
        snprintf(name, sizeof name, "dir%02d", d);
        lf_node *dir = lf_node_new(LF_NODE_DIR, name, 0755, "root", "root");
        lf_node_add_child(st->root, dir);
        for (int f = 0; f < 400; f++) {
            snprintf(name, sizeof name, "file%03d.%s", f, f % 3 ? "txt" : "json");
            lf_node *n = lf_node_new(LF_NODE_FILE, name, 0644, "root", "root");
            lf_node_add_child(dir, n);
            size_t len = 100 + (seed = seed * 1103515245u + 12345u) % 600;
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = (seed >> 16) % 64;
                body[i] = f % 50 == 7 ? (char)(seed >> 8) : r < 1 ? '&' : r < 2 ? '<' : r < 6 ? '\n' : r < 14 ? ' ' : (char)('a' + r % 26);
            }
            lf_node_set_data(n, body, len);
        }
    }
    return st;
}

int main(int argc, char **argv)
{
    lf_state *st = NULL;
    lf_err err = {0};
    if (argc > 1) {
        lf_buf in;
        lf_buf_init(&in, 0);
        if (lf_file_read(argv[1], LF_STATE_MAX_XML, &in, &err) ||
            lf_state_parse(in.data, in.len, LF_PARSE_LENIENT, &st, NULL, &err)) {
            fprintf(stderr, "bench_state: %s\n", err.msg);
            return 1;
        }
        lf_buf_free(&in);
    } else {
        st = synthetic();
    }
    lf_buf xml;
    lf_buf_init(&xml, 0);
    if (lf_state_serialize(st, &xml)) {
        fprintf(stderr, "bench_state: serialise failed\n");
        return 1;
    }
    double mb = (double)xml.len / 1e6;
    printf("state: %zu nodes, %.2f MB of XML\n", lf_state_count(st), mb);

    int reps = mb > 0 ? (int)(200 / mb) + 1 : 1000;
    if (reps > 2000)
        reps = 2000;
    lf_buf out;
    lf_buf_init(&out, 0);
    double t = now();
    for (int i = 0; i < reps; i++) {
        lf_buf_reset(&out);
        lf_state_serialize(st, &out);
    }
    double ser = now() - t;

    t = now();
    for (int i = 0; i < reps; i++) {
        lf_state *p = NULL;
        if (lf_state_parse(xml.data, xml.len, LF_PARSE_STRICT, &p, NULL, &err)) {
            fprintf(stderr, "bench_state: %s\n", err.msg);
            return 1;
        }
        lf_state_free(p);
    }
    double par = now() - t;

    t = now();
    int eq = 0;
    for (int i = 0; i < reps; i++) {
        lf_state *c = lf_state_clone(st);
        eq += lf_state_equal(c, st);
        lf_state_free(c);
    }
    double cl = now() - t;

    printf("serialise:     %8.1f MB/s  (%.3f ms per state)\n", mb * reps / ser, ser * 1e3 / reps);
    printf("parse strict:  %8.1f MB/s  (%.3f ms per state)\n", mb * reps / par, par * 1e3 / reps);
    printf("clone+equal:   %8.3f ms per state (%d/%d equal)\n", cl * 1e3 / reps, eq, reps);
    lf_buf_free(&out);
    lf_buf_free(&xml);
    lf_state_free(st);
    return 0;
}
