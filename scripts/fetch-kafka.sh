#!/usr/bin/env bash
# Fetches the Apache Kafka broker used by the test suite from Maven Central.
#
# The version is pinned in test/kafka/pom.xml (<kafka.version>). Maven copies
# org.apache.kafka:kafka_2.13 and its runtime dependencies (plus the log4j2
# slf4j binding) into $ROOT/.cache/kafka/<version>/libs. A stamp file holding
# the pom's sha256 is written last, so an interrupted fetch is redone and a
# cache hit costs no JVM start.
#
# stdout: the libs directory, as the only line. Everything else goes to stderr.
# Maven settings (e.g. -Dmaven.repo.local=...) can be passed via MAVEN_OPTS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/test/kafka/pom.xml"

VERSION="$(sed -n 's:.*<kafka.version>\([^<]*\)</kafka.version>.*:\1:p' "$POM" | head -n 1)"
if [[ -z "$VERSION" ]]; then
  echo "fetch-kafka: no <kafka.version> in $POM" >&2
  exit 1
fi

DEST="$ROOT/.cache/kafka/$VERSION"
LIBS="$DEST/libs"
STAMP="$DEST/.fetched"
WANT="$(sha256sum "$POM" | cut -d ' ' -f 1)"

cache_ok() {
  [[ -f "$STAMP" && -d "$LIBS" && "$(cat "$STAMP")" == "$WANT" ]]
}

if cache_ok; then
  echo "$LIBS"
  exit 0
fi

mkdir -p "$DEST"
# Serialise concurrent fetches (e.g. two test runs starting at once).
exec 9>"$DEST/.lock"
flock 9
if cache_ok; then
  echo "$LIBS"
  exit 0
fi

for tool in mvn java; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fetch-kafka: '$tool' not found on PATH (need Java 17+ and Maven)" >&2
    exit 1
  fi
done

echo "fetch-kafka: fetching Apache Kafka $VERSION into $LIBS" >&2
TMP="$DEST/libs.partial"
rm -rf "$TMP" "$STAMP"
start=$SECONDS
mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="$TMP" >&2
if [[ ! -f "$TMP/kafka_2.13-$VERSION.jar" ]]; then
  echo "fetch-kafka: Maven finished but kafka_2.13-$VERSION.jar is missing from $TMP" >&2
  exit 1
fi
rm -rf "$LIBS"
mv "$TMP" "$LIBS"
echo "$WANT" >"$STAMP.tmp"
mv "$STAMP.tmp" "$STAMP"
echo "fetch-kafka: done in $((SECONDS - start))s ($(du -sh "$LIBS" | cut -f 1), $(ls "$LIBS" | wc -l) jars)" >&2
echo "$LIBS"
