/* snapshot.h: the state of a real directory (the dataset generator reads the
 * reference filesystem with it before and after each kernel call, and
 * `llmfuse dump-xml` prints it).
 *
 * Unlike the original's os.walk snapshot (seed-reference.md §3.6) symlinks
 * are not followed: a symlink is a symlink node with its content as target,
 * and a directory's content is read in full, whatever its size; bodies that
 * are not XML text become base64 on serialisation (PROTOCOL.md §3). */
#ifndef LF_STATE_SNAPSHOT_H
#define LF_STATE_SNAPSHOT_H

#include "state/state.h"
#include "util/err.h"

enum {
    /* owner/group of entries: the names of their uid/gid from the system
     * databases (getpwuid_r/getgrgid_r), else the decimal id. */
    LF_SNAPSHOT_NAMES = 0,
    /* owner/group of entries as the protocol's oracle writes them: an id equal
     * to the process's own uid (gid) takes the root directory's owner (group),
     * as new entries do; 0 is "root"; any other id is its decimal number (the
     * chown rule of PROTOCOL.md §3), so the answer never depends on the
     * machine's user database. */
    LF_SNAPSHOT_PROTOCOL_IDS = 1,
};

/* Reads the directory dir (recursively, without following symlinks, not
 * crossing into anything but directories, regular files and symlinks) into a
 * new state. The root directory has dir's permission bits and, as owner and
 * group, the names of the calling process's uid and gid (else their decimal
 * ids). Each entry has its lstat permission bits (symlinks: 777 on Linux).
 *
 * Skipped with a warning on stderr (lf_warn) and counted in *skipped (if
 * non-NULL): special files (FIFOs, sockets, devices), entries that cannot be
 * opened or read, names that cannot be represented (not UTF-8, a control
 * byte, longer than LF_STATE_MAX_NAME), symlinks whose target cannot be
 * represented, files larger than LF_STATE_MAX_XML. An entry that vanishes
 * during the walk is skipped silently (a concurrent change is the caller's
 * race). Directories deeper than LF_STATE_MAX_DEPTH fail the whole snapshot.
 *
 * Returns 0 with *out a new state (caller frees with lf_state_free), or a
 * negative errno with err filled: dir cannot be opened (-ENOENT, -ENOTDIR,
 * -EACCES, ...), too deep (-ELOOP), -ENOMEM. Thread-safe (reentrant
 * database lookups); the directory should not change during the call. */
int lf_state_snapshot_ex(const char *dir, int flags, lf_state **out, int *skipped, lf_err *err);

/* lf_state_snapshot_ex(dir, LF_SNAPSHOT_NAMES, out, NULL, err). */
int lf_state_snapshot(const char *dir, lf_state **out, lf_err *err);

/* The user (group) name of id into buf: the system database's name, else
 * the decimal id. Returns buf. Thread-safe. */
const char *lf_state_user_name(unsigned id, char *buf, size_t size);
const char *lf_state_group_name(unsigned id, char *buf, size_t size);

#endif
