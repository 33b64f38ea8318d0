/* SPDX-License-Identifier: MIT */
/* memtrim.h - idleaccd gives back the memory it no longer uses. */
#ifndef AGENT_MEMTRIM_H
#define AGENT_MEMTRIM_H

/*
 * Gives back the calling thread's stack pages below its caller's frame, and the heap's free
 * pages. A desktop runs idleaccd beside its owner's work for weeks: setting up, a reload or a
 * burst of Slurm calls go tens of KiB deep once, and pages once written stay resident (private
 * dirty) unless given back. Call it where nothing below the caller is in use: idleaccd's main
 * loop after the results of Slurm calls, the worker thread when its queue is empty. Costs a
 * read of /proc/self/maps and two system calls: a few times an hour, not per event.
 */
void agent_mem_trim(void);

#endif /* AGENT_MEMTRIM_H */
