#!/usr/bin/env bash
# Fetches the Zipkin server that the tracing test and benchmark export spans to, from Maven Central.
#
# io.zipkin:zipkin-server's `exec` jar is the whole server in one file. It is copied into
# $ROOT/.cache/zipkin/<version>/; the copy is renamed into place last, so an interrupted fetch is redone
# and a cache hit costs no JVM start.
#
# stdout: the jar's path, as the only line. Everything else goes to stderr.
# Maven settings (e.g. -Dmaven.repo.local=...) can be passed via MAVEN_OPTS.
set -euo pipefail

VERSION="3.6.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/.cache/zipkin/$VERSION"
JAR="$DEST/zipkin-server-$VERSION-exec.jar"

mkdir -p "$DEST"
# Serialised (a test and a benchmark may start at once); the check comes after the lock so a waiter
# finds the jar its neighbour fetched.
exec 9>"$DEST/.lock"
flock 9
[[ -f "$JAR" ]] && { echo "$JAR"; exit 0; }
command -v mvn >/dev/null && command -v java >/dev/null || {
  echo "fetch-zipkin: needs Java 17+ and Maven on PATH" >&2
  exit 1
}

echo "fetch-zipkin: fetching Zipkin server $VERSION into $DEST" >&2
TMP="$DEST/partial"
rm -rf "$TMP"
start=$SECONDS
# The plugin is named with its version so the fetch does not float.
mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.9.0:copy \
  -Dartifact="io.zipkin:zipkin-server:$VERSION:jar:exec" \
  -DoutputDirectory="$TMP" >&2
if [[ ! -f "$TMP/zipkin-server-$VERSION-exec.jar" ]]; then
  echo "fetch-zipkin: Maven finished but zipkin-server-$VERSION-exec.jar is missing from $TMP" >&2
  exit 1
fi
mv "$TMP/zipkin-server-$VERSION-exec.jar" "$JAR"
rm -rf "$TMP"
echo "fetch-zipkin: done in $((SECONDS - start))s ($(du -sh "$JAR" | cut -f 1))" >&2
echo "$JAR"
