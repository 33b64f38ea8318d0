/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the two clocks of idle-accelerator. Every timer, deadline and duration runs on
 * the monotonic clock, which an NTP step or an admin's `date -s` never moves; the wall clock
 * is only for weekly offer windows, for what is shown to people, and for what is stored in a
 * file that must mean the same after a reboot.
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_mono_ms(void);

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t clock_wall_ms(void);

#endif /* COMMON_CLOCK_H */
