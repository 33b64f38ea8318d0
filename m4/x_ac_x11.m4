# SPDX-License-Identifier: MIT
# X_AC_X11: libX11, libXext (the SYNC extension's IDLETIME alarms) and libXss
# (MIT-SCREEN-SAVER, the fallback), optional: the X11 idle source is built when all three are
# present. --without-x11 leaves it out; --with-x11 makes a missing library an error.
AC_DEFUN([X_AC_X11], [
  AC_ARG_WITH([x11],
    [AS_HELP_STRING([--without-x11], [build without the X11 idle source (SYNC IDLETIME, MIT-SCREEN-SAVER)])],
    [], [with_x11=check])
  have_x11=no
  AS_IF([test "x$with_x11" != xno], [
    PKG_CHECK_MODULES([X11], [x11 xext xscrnsaver], [have_x11=yes], [
      AS_IF([test "x$with_x11" = xyes],
        [AC_MSG_ERROR([libX11/libXext/libXss not found: install libx11-dev libxext-dev libxss-dev (Debian)])])
      AC_MSG_WARN([libX11/libXext/libXss not found (libx11-dev libxext-dev libxss-dev): the X11 idle source is not built])
    ])
  ])
  AS_IF([test "x$have_x11" = xyes], [
    dnl XSyncCreateAlarm and the IDLETIME system counter: libXext's SYNC client side.
    x_ac_x11_save_CFLAGS=$CFLAGS
    x_ac_x11_save_LIBS=$LIBS
    CFLAGS="$CFLAGS $X11_CFLAGS"
    LIBS="$X11_LIBS $LIBS"
    AC_MSG_CHECKING([for XSyncCreateAlarm in libXext])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <X11/Xlib.h>
#include <X11/extensions/sync.h>]],
        [[static XSyncAlarmAttributes a; return XSyncCreateAlarm((Display *)0, XSyncCACounter, &a) != 0;]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       have_x11=no
       AS_IF([test "x$with_x11" = xyes],
         [AC_MSG_ERROR([libXext has no SYNC alarms (X11/extensions/sync.h): install libxext-dev (Debian)])])
       AC_MSG_WARN([libXext has no SYNC alarms (libxext-dev): the X11 idle source is not built])])
    CFLAGS=$x_ac_x11_save_CFLAGS
    LIBS=$x_ac_x11_save_LIBS
  ])
  AS_IF([test "x$have_x11" = xyes], [AC_DEFINE([HAVE_X11], [1], [libX11, libXext and libXss are available])])
  AM_CONDITIONAL([HAVE_X11], [test "x$have_x11" = xyes])
])
