dnl keel.m4 -- configure helpers for Keel's plugins.
dnl
dnl KEEL_PLUGIN(NAME, DEPS-OK, HELP)
dnl   NAME     plugin name as on the command line, e.g. db-sqlite
dnl   DEPS-OK  shell expression that is "yes" when its dependencies were found
dnl   HELP     one line for ./configure --help
dnl
dnl Defines --enable-NAME=yes|no|auto.  The default comes from
dnl --enable-all-plugins (auto unless given).  auto builds the plugin when its
dnl dependencies are present; yes makes a missing dependency a hard error,
dnl reported after the summary table.
AC_DEFUN([KEEL_PLUGIN], [
  m4_pushdef([kp_v], m4_translit([$1], [-], [_]))
  AC_ARG_ENABLE([$1], [AS_HELP_STRING([--enable-$1], [$3 (default: auto)])],
                [], [enable_[]kp_v=$keel_all_plugins])
  kp_deps="$2"
  AS_CASE(["$enable_[]kp_v:$kp_deps"],
    [yes:yes|auto:yes], [enable_[]kp_v=yes; kp_why=""],
    [yes:*],  [keel_dep_error="$keel_dep_error $1"; kp_why=" (missing dependency)"],
    [no:*],   [enable_[]kp_v=no; kp_why=" (disabled)"],
    [enable_[]kp_v=no; kp_why=" (dependency not found)"])
  AM_CONDITIONAL([BUILD_PLUGIN_]m4_toupper(kp_v), [test "x$enable_[]kp_v" = xyes])
  keel_summary="$keel_summary
    m4_format([%-18s], [$1]) $enable_[]kp_v$kp_why"
  AS_IF([test "x$enable_[]kp_v" = xyes], [keel_plugins_built="$keel_plugins_built $1"])
  m4_popdef([kp_v])
])
