#!/usr/bin/env bash
# The vhd command-line tool. Build it first with the README's command (mvn -B verify), or
# `mvn -B -q -DskipTests package`, which makes target/vhd.jar.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jar="$here/target/vhd.jar"
if [ ! -f "$jar" ]; then
  echo "vhd: $jar is missing; build it with: (cd $here && mvn -B -q -DskipTests package)" >&2
  exit 2
fi
# JAVA_HOME picks the JVM, as for other Java tools: on Java 22 and later a raw source's holes are
# skipped unread (lseek SEEK_DATA/SEEK_HOLE), where Java 17 reads them.
java=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
fi
# A class-data-sharing archive of a demo run, one per JDK version (target/vhd-VERSION.jsa), takes
# some 50 ms off every start: the build makes its own JDK's, and the first run under another JDK
# makes that one's (a demo run, about a second, once), where target is writable. The version comes
# from the JDK's release file, which costs less than asking java. A JVM that cannot use an archive
# (another build of the same version) ignores it without a word: its log would go to stdout.
java_version() {
  local home line
  version=""
  if [ "$java" != java ]; then
    home="$JAVA_HOME"
  else
    home="$(readlink -f "$(command -v java)" 2>/dev/null)" || return 0
    home="${home%/bin/java}"
  fi
  [ -f "$home/release" ] || return 0
  while IFS= read -r line; do
    case "$line" in
      JAVA_VERSION=\"*\") line="${line#JAVA_VERSION=\"}"; version="${line%\"}"; return 0 ;;
    esac
  done < "$home/release"
}
make_archive() {
  local archive="$1" scratch
  [ -w "$here/target" ] || return 0
  scratch="$(mktemp -d 2>/dev/null)" || return 0
  if "$java" -XX:ArchiveClassesAtExit="$archive.$$" -Xlog:cds=off -Xlog:cds+dynamic=off \
      -jar "$jar" demo "$scratch/demo" >/dev/null 2>&1 </dev/null; then
    mv -f "$archive.$$" "$archive" 2>/dev/null || true
  fi
  rm -rf "$scratch" "$archive.$$"
}
cds=()
java_version || true
# Dynamic archives need Java 13 or later.
if [ -n "$version" ] && [ "${version%%[.+_-]*}" -ge 13 ] 2>/dev/null; then
  archive="$here/target/vhd-$version.jsa"
  if [ ! -f "$archive" ] || [ "$archive" -ot "$jar" ]; then
    make_archive "$archive"
  fi
  if [ -f "$archive" ]; then
    cds=(-XX:SharedArchiveFile="$archive" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
fi
# C1 alone: a run's work is the kernel's copying, and C2's compiling took CPU from it on a 2-core
# machine (user time of a 1 GiB VHD to raw 0.26-0.35 s with C2, 0.15-0.18 s without; a 3 GiB
# one 0.42-0.53 s against 0.32-0.34 s; vhd compare of 1 GiB the same either way).
exec "$java" -XX:TieredStopAtLevel=1 ${cds[@]+"${cds[@]}"} -jar "$jar" "$@"
