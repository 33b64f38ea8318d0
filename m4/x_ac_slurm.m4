# SPDX-License-Identifier: MIT
# X_AC_SLURM: find libslurm and its headers.
# Tries --with-slurm=PREFIX, then pkg-config "slurm" (upstream builds ship slurm.pc),
# then the default search path (Debian ships no slurm.pc) with a test link of slurm_init().
AC_DEFUN([X_AC_SLURM], [
  AC_ARG_WITH([slurm],
    [AS_HELP_STRING([--with-slurm=PREFIX], [Slurm installation prefix])],
    [], [with_slurm=check])
  SLURM_CPPFLAGS=""
  SLURM_LDFLAGS=""
  SLURM_LIBS=""
  x_ac_slurm_found=no
  AS_IF([test "x$with_slurm" != xcheck && test "x$with_slurm" != xyes], [
    SLURM_CPPFLAGS="-I$with_slurm/include"
    SLURM_LDFLAGS="-L$with_slurm/lib -Wl,-rpath,$with_slurm/lib"
    SLURM_LIBS="-lslurm"
  ], [
    PKG_CHECK_MODULES([SLURM_PC], [slurm], [
      SLURM_CPPFLAGS="$SLURM_PC_CFLAGS"
      SLURM_LIBS="$SLURM_PC_LIBS"
      x_ac_slurm_found=pc
    ], [:])
  ])
  x_ac_save_CPPFLAGS="$CPPFLAGS"
  x_ac_save_LDFLAGS="$LDFLAGS"
  x_ac_save_LIBS="$LIBS"
  CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"
  LDFLAGS="$LDFLAGS $SLURM_LDFLAGS"
  AC_CHECK_HEADERS([slurm/slurm.h slurm/spank.h], [],
    [AC_MSG_ERROR([Slurm headers not found: install libslurm-dev (Debian) or use --with-slurm=PREFIX])])
  AC_CHECK_LIB([slurm], [slurm_init], [SLURM_LIBS="${SLURM_LIBS:--lslurm}"],
    [AC_MSG_ERROR([libslurm with slurm_init() not found: install libslurm-dev (Debian, Slurm >= 22.05) or use --with-slurm=PREFIX])])
  CPPFLAGS="$x_ac_save_CPPFLAGS"
  LDFLAGS="$x_ac_save_LDFLAGS"
  LIBS="$x_ac_save_LIBS"
  AC_SUBST([SLURM_CPPFLAGS])
  AC_SUBST([SLURM_LDFLAGS])
  AC_SUBST([SLURM_LIBS])
])
