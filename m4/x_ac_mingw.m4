# SPDX-License-Identifier: MIT
# X_AC_MINGW: the Windows side of a PC whose Slurm node runs in a Linux guest is cross-built
# from this same tree by "make windows" (mingw-w64) and packaged by "make msi" (wixl). A
# second configure with --host=x86_64-w64-mingw32 would have to switch off libslurm, libyaml
# and Check, which have no mingw builds; the native configure finds the cross tools instead.
# Both are optional: without them "make windows" and "make msi" say what to install.
AC_DEFUN([X_AC_MINGW], [
  AC_ARG_VAR([MINGW_CC], [mingw-w64 C compiler for the Windows side (x86_64-w64-mingw32-gcc)])
  AC_ARG_VAR([MINGW_AR], [mingw-w64 archiver (x86_64-w64-mingw32-ar)])
  AC_ARG_VAR([WIXL], [the MSI builder of msitools (wixl)])
  AC_CHECK_PROGS([MINGW_CC], [x86_64-w64-mingw32-gcc], [])
  AC_CHECK_PROGS([MINGW_AR], [x86_64-w64-mingw32-ar], [])
  AC_CHECK_PROGS([WIXL], [wixl], [])
  # Windows 10 and later; C99 stdio (formats as on Linux, vsnprintf always terminates);
  # localtime_r; the Linux-only open flag of idle/rootpath.c means nothing there.
  WIN_CFLAGS="-std=gnu11 -O2 -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00 -DUNICODE -D_UNICODE -D_POSIX_THREAD_SAFE_FUNCTIONS -DO_CLOEXEC=0"
  AC_SUBST([WIN_CFLAGS])
  have_mingw=no
  AS_IF([test -n "$MINGW_CC" && test -n "$MINGW_AR"], [have_mingw=yes])
  have_wixl=no
  AS_IF([test -n "$WIXL"], [have_wixl=yes])
  AM_CONDITIONAL([HAVE_MINGW], [test "x$have_mingw" = xyes])
  AM_CONDITIONAL([HAVE_WIXL], [test "x$have_wixl" = xyes])
])
