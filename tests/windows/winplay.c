/* SPDX-License-Identifier: MIT */
/*
 * winplay.c - plays the Windows owner in the tests under wine: "type" presses and releases a
 * key with SendInput (and prints when, in wall-clock ms, for the reaction figure); "run
 * SECONDS" just runs (a busy program, under whatever name it was copied to).
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wall-clock milliseconds since the Unix epoch. */
static long long now_ms(void)
{
	FILETIME ft;
	ULARGE_INTEGER t;

	GetSystemTimePreciseAsFileTime(&ft);
	t.LowPart = ft.dwLowDateTime;
	t.HighPart = ft.dwHighDateTime;
	return (long long)(t.QuadPart / 10000ULL) - 11644473600000LL;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "type")) {
		INPUT in[2];
		long long t;

		memset(in, 0, sizeof(in));
		in[0].type = INPUT_KEYBOARD;
		in[0].ki.wVk = VK_SHIFT;
		in[1] = in[0];
		in[1].ki.dwFlags = KEYEVENTF_KEYUP;
		t = now_ms();
		if (SendInput(2, in, sizeof(INPUT)) != 2) {
			fprintf(stderr, "winplay: SendInput failed: error %lu\n", GetLastError());
			return 1;
		}
		printf("sendinput %lld\n", t);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "run")) {
		Sleep((DWORD)atoi(argv[2]) * 1000);
		return 0;
	}
	fprintf(stderr, "usage: winplay type | run SECONDS\n");
	return 2;
}
