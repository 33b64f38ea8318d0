# SPDX-License-Identifier: MIT
# X_AC_YAML: libyaml, required (the config loader). pkg-config yaml-0.1, then a test link.
AC_DEFUN([X_AC_YAML], [
  PKG_CHECK_MODULES([YAML], [yaml-0.1], [], [
    AC_CHECK_HEADER([yaml.h], [], [AC_MSG_ERROR([libyaml not found: install libyaml-dev (Debian)])])
    AC_CHECK_LIB([yaml], [yaml_parser_initialize], [YAML_LIBS="-lyaml"],
      [AC_MSG_ERROR([libyaml not found: install libyaml-dev (Debian)])])
  ])
])
