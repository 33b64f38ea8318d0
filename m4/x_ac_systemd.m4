# SPDX-License-Identifier: MIT
# X_AC_SYSTEMD: libsystemd's sd-bus, for the logind idle source. --without-systemd builds
# without it (the logind source then reports "not built").
AC_DEFUN([X_AC_SYSTEMD], [
  AC_ARG_WITH([systemd],
    [AS_HELP_STRING([--without-systemd], [build without the logind (sd-bus) idle source])],
    [], [with_systemd=check])
  have_systemd=no
  AS_IF([test "x$with_systemd" != xno], [
    PKG_CHECK_MODULES([SYSTEMD], [libsystemd >= 221], [have_systemd=yes], [
      AS_IF([test "x$with_systemd" = xyes],
        [AC_MSG_ERROR([libsystemd not found: install libsystemd-dev (Debian)])])
      AC_MSG_WARN([libsystemd not found (libsystemd-dev): the logind idle source is not built])
    ])
  ])
  AS_IF([test "x$have_systemd" = xyes], [AC_DEFINE([HAVE_SYSTEMD], [1], [sd-bus is available])])
  AM_CONDITIONAL([HAVE_SYSTEMD], [test "x$have_systemd" = xyes])
])
