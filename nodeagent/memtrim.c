/* SPDX-License-Identifier: MIT */
/* memtrim.c - the thread's stack below the caller, and the heap's free pages, given back. */
#include "config.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memtrim.h"

/* Bytes kept under this function's frame: the few calls it makes still run there. */
#define STACK_KEEP (4 * 1024)

/*
 * The stack's mapping is the one of /proc/self/maps that holds this frame (the main thread's
 * [stack], or a thread's stack mapped by pthread); the kernel gives zero pages again where the
 * stack grows anew. noinline: the frame must be this function's, below the caller's.
 */
static __attribute__((noinline)) void stack_trim(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), lo = 0, top;
	long page = sysconf(_SC_PAGESIZE);
	char line[512];
	bool start = true;
	FILE *f;

	if (page <= 0 || !(f = fopen("/proc/self/maps", "re")))
		return;
	while (!lo && fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (start && sscanf(line, "%lx-%lx", &a, &b) == 2 && a <= sp && sp < b)
			lo = a;
		start = strchr(line, '\n') != NULL; /* a long path's rest is no line of its own */
	}
	fclose(f);
	top = (sp - STACK_KEEP) & ~((uintptr_t)page - 1);
	if (lo && top > lo)
		(void)madvise((void *)lo, top - lo, MADV_DONTNEED);
}

void agent_mem_trim(void)
{
	stack_trim();
	malloc_trim(0); /* after: fopen's buffer is free again */
}
