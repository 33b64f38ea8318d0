# SPDX-License-Identifier: MIT
# X_AC_X11: libX11 and libXss (MIT-SCREEN-SAVER), optional: the X11 idle source is built when
# both are present. --without-x11 leaves it out.
AC_DEFUN([X_AC_X11], [
  AC_ARG_WITH([x11],
    [AS_HELP_STRING([--without-x11], [build without the X11 screensaver idle source])],
    [], [with_x11=check])
  have_x11=no
  AS_IF([test "x$with_x11" != xno], [
    PKG_CHECK_MODULES([X11], [x11 xscrnsaver], [have_x11=yes], [
      AS_IF([test "x$with_x11" = xyes],
        [AC_MSG_ERROR([libX11/libXss not found: install libx11-dev libxss-dev (Debian)])])
      AC_MSG_WARN([libX11/libXss not found (libx11-dev libxss-dev): the X11 idle source is not built])
    ])
  ])
  AS_IF([test "x$have_x11" = xyes], [AC_DEFINE([HAVE_X11], [1], [libX11 and libXss are available])])
  AM_CONDITIONAL([HAVE_X11], [test "x$have_x11" = xyes])
])
