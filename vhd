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
exec java -jar "$jar" "$@"
