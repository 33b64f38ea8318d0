# SPDX-License-Identifier: MIT
# X_AC_CHECK: the Check unit-test framework. Without it the library still builds, and
# "make check" says which package to install.
AC_DEFUN([X_AC_CHECK], [
  PKG_CHECK_MODULES([CHECK], [check >= 0.11], [have_check=yes], [have_check=no])
  AM_CONDITIONAL([HAVE_CHECK], [test "x$have_check" = xyes])
])
