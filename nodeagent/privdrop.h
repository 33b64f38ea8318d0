/* SPDX-License-Identifier: MIT */
/*
 * privdrop.h - idleaccd's capabilities cut down to what its work needs, once start-up is done.
 *
 * idleaccd stays uid 0 (munge signs its Slurm requests with its uid; slurmctld lets only root,
 * SlurmUser or an admin drain nodes and suspend or requeue jobs) and owns its run and state
 * directories, the pid file and the socket as that uid, so it writes them without any
 * capability. Of the capabilities it needs:
 *   CAP_KILL             stop and continue a job's processes of another user on the desktop
 *                        (localstop.c); effective
 *   CAP_DAC_READ_SEARCH  read the console user's X authority file (mode 0600, theirs) for the
 *                        x11 source; effective
 *   CAP_SYS_PTRACE       read /proc/PID/environ of a slurmstepd (root with every capability:
 *                        the kernel lets a process with fewer read it only with this), to
 *                        tell this slurmd's jobs from another's; permitted only, raised into
 *                        the effective set around that one read (agent_priv_raise())
 * Every other capability leaves the effective, permitted, inheritable, ambient and bounding
 * sets, and no_new_privs is set: nothing the daemon starts can gain one back.
 */
#ifndef AGENT_PRIVDROP_H
#define AGENT_PRIVDROP_H

#include <stddef.h>

/*
 * Drops every capability but those above, from the calling thread, which must be the only one
 * (capabilities are per thread; threads created later inherit the result). A kept capability
 * the process does not hold is left out, and named in [kept]'s text as missing; one the
 * bounding set holds but CAP_SETPCAP is not there to drop stays in it, named too (no_new_privs
 * keeps an exec from gaining it). Fills [kept]
 * with what remains ("effective cap_kill,cap_dac_read_search; permitted also
 * cap_sys_ptrace"). Returns 0, or -1 with [err] filled (the sets are then unchanged or
 * partly reduced: the caller must not go on).
 */
int agent_privdrop(char *kept, size_t keptlen, char *err, size_t errlen);

/*
 * Adds [cap] (a CAP_ number) to the calling thread's effective set if it is permitted.
 * Returns 1 when it added it (the caller then takes it out again with agent_priv_lower()),
 * 0 when it was effective already (nothing to undo), -1 when it is not permitted or capset
 * failed: the caller goes on without it.
 */
int agent_priv_raise(int cap);
void agent_priv_lower(int cap);

#endif /* AGENT_PRIVDROP_H */
