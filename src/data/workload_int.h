/* workload_int.h: what the workload's files share (src/data only): the
 * candidates of a state, the planner's context and its helpers. A helper
 * that returns a malloc'd path returns NULL on ENOMEM; helpers that add
 * calls record failures in plan.rc (and then add nothing more). */
#ifndef LF_DATA_WORKLOAD_INT_H
#define LF_DATA_WORKLOAD_INT_H

#include "data/workload.h"

typedef struct {
    const lf_node **v;
    size_t n, cap;
} wl_nodes;

typedef struct {
    wl_nodes dirs;       /* root included */
    wl_nodes files;
    wl_nodes links;
    wl_nodes empty;      /* empty directories, root excluded */
    wl_nodes full;       /* non-empty directories, root excluded */
    wl_nodes subdirs;    /* directories, root excluded */
    int rc;
} wl_cands;

typedef struct {
    lf_workload *w;
    const lf_state *st;
    wl_cands c;
    lf_cmd *cmd;
    lf_buf tmp;
    bool grow;        /* below the state cap: growing commands allowed */
    int rc;
} wl_plan;

extern const unsigned lf_wlp_file_modes[16];
extern const unsigned lf_wlp_dir_modes[10];

const lf_node *lf_wlp_pick(wl_plan *p, const wl_nodes *s);
const lf_node *lf_wlp_pick_dir(wl_plan *p);
const lf_node *lf_wlp_pick_sized(wl_plan *p);
const lf_node *lf_wlp_pick_nonempty(wl_plan *p);
size_t lf_wlp_count_nonempty(const wl_cands *c);   /* files with content */
char *lf_wlp_abspath(const lf_node *n);
char *lf_wlp_join(const lf_node *dir, const char *name);
char *lf_wlp_fresh_name(wl_plan *p, const lf_node *dir, bool is_dir);
lf_call *lf_wlp_add(wl_plan *p, lf_call_kind k, char *path_owned);
void lf_wlp_set_path2(wl_plan *p, lf_call *c, char *s);
void lf_wlp_set_content(wl_plan *p, lf_call *c, const char *key, unsigned variant, size_t max);
void lf_wlp_mkdir(wl_plan *p, char *path, unsigned mode);
lf_call *lf_wlp_open(wl_plan *p, char *path, int flags, unsigned mode, int slot);
void lf_wlp_close(wl_plan *p, int slot);
unsigned lf_wlp_new_file_mode(wl_plan *p, const char *name);
unsigned lf_wlp_new_dir_mode(wl_plan *p);
void lf_wlp_plan_reads(wl_plan *p, const char *path, int slot, uint64_t sz, uint64_t bs, int copy_to);
bool lf_wlp_is_within(const lf_node *n, const lf_node *anc);
char *lf_wlp_missing_in(wl_plan *p, const lf_node *dir, bool is_dir);

/* One command of a label (workload_cmds.c); a failing command
 * (workload_fail.c). Return 0 or a negative errno. */
int lf_wlp_command(wl_plan *p, lf_wl_label l);
int lf_wlp_fail(wl_plan *p);

#endif
