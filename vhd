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
# The class-data-sharing archive the build made (some 25 ms less start-up); a JVM that cannot
# use it (another JDK) ignores it without a word, since the JVM's log would go to standard output.
cds=()
if [ -f "$here/target/vhd.jsa" ]; then
  cds=(-XX:SharedArchiveFile="$here/target/vhd.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
fi
# JAVA_HOME picks the JVM, as for other Java tools: on Java 22 and later a raw source's holes are
# skipped unread (lseek SEEK_DATA/SEEK_HOLE), where Java 17 reads them.
java=java
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
fi
exec "$java" ${cds[@]+"${cds[@]}"} -jar "$jar" "$@"
