# SPDX-License-Identifier: MIT
# X_AC_INSTALL_DIRS: where make install puts the systemd unit and the bash completion. Both
# default under the prefix (systemd also reads /usr/local/lib/systemd/system, bash-completion
# $XDG_DATA_DIRS), so that make distcheck's staged install stays inside its own tree; the
# packages pass the system's directories (debian/rules, conf/rpm/idle-accelerator.spec).
AC_DEFUN([X_AC_INSTALL_DIRS], [
  AC_ARG_WITH([systemdsystemunitdir],
    [AS_HELP_STRING([--with-systemdsystemunitdir=DIR],
      [install idleaccd.service in DIR (default PREFIX/lib/systemd/system)])],
    [], [with_systemdsystemunitdir='${prefix}/lib/systemd/system'])
  AC_SUBST([systemdsystemunitdir], [$with_systemdsystemunitdir])
  # bash-completion's own directory, taken relative to our datadir.
  bc_default='${datadir}/bash-completion/completions'
  AS_IF([test -n "$PKG_CONFIG"], [
    bc_dir=`$PKG_CONFIG --define-variable=datadir='${datadir}' --variable=completionsdir \
      bash-completion 2>/dev/null`
    AS_IF([test -n "$bc_dir"], [bc_default=$bc_dir])
  ])
  AC_ARG_WITH([bashcompletiondir],
    [AS_HELP_STRING([--with-bashcompletiondir=DIR],
      [install the bash completion in DIR (default DATADIR/bash-completion/completions)])],
    [], [with_bashcompletiondir=$bc_default])
  AC_SUBST([bashcompletiondir], [$with_bashcompletiondir])
])
