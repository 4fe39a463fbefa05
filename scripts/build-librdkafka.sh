#!/usr/bin/env bash
# Builds the pinned librdkafka (scripts/librdkafka-version) from source into
# .cache/librdkafka/<version>/{lib,include/librdkafka,bin} and prints the absolute path of the lib
# directory as its only stdout line; everything else goes to stderr:
#
#   lib=$(bash scripts/build-librdkafka.sh)
#
# A finished build is cached per version (the stamp file is written last), so later runs return at
# once. The source is the librdkafka tree vendored in an npm package, since the npm registry is
# where we can fetch from.
#
# Features: TLS (OpenSSL, linked statically into the .so), SASL PLAIN/SCRAM/OAUTHBEARER (no Cyrus
# SASL, no GSSAPI), gzip (zlib), snappy (built in), lz4, zstd. libcurl is left out, so there is no
# OIDC token fetching (sasl.oauthbearer.method=oidc); OAUTHBEARER works with a token refresh
# callback. librdkafka.so.1 only needs libc, zlib, libzstd and liblz4, which every stock
# Debian/Ubuntu base image has.
#
# Also builds examples/rdkafka_performance (used by the benchmarks) against the built .so.
set -euo pipefail

# npm package whose deps/librdkafka holds the librdkafka source; its rdkafka.h must carry the
# version pinned in scripts/librdkafka-version.
SOURCE_PACKAGE="@confluentinc/kafka-javascript@1.10.1"
# The package above ships librdkafka without its examples/ directory. rdkafka_performance.c (a
# client of the public API plus a few header-only helpers from src/) is then taken from the
# librdkafka tree vendored in this package instead, checked against this digest, and compiled
# against the source tree and the library built here.
PERF_PACKAGE="node-rdkafka@3.6.1"
PERF_SOURCE_SHA256="59ba99256d1dffa5b30eb231141a78dc6934dfa47d1baedbbd7bbb736216f4c5"

DEB_PACKAGES=(gcc make libc6-dev binutils python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev)
REQUIRED_FEATURES=(ssl sasl_plain sasl_scram sasl_oauthbearer gzip snappy lz4 zstd)
REQUIRED_SYMBOLS=(rd_kafka_version rd_kafka_version_str rd_kafka_produceva rd_kafka_mock_cluster_new
  rd_kafka_consume_batch_queue rd_kafka_event_message_array)
# DT_NEEDED entries librdkafka.so.1 may have (all in debian:bookworm-slim and ubuntu base images).
ALLOWED_NEEDED_RE='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libz\.so\.1|libzstd\.so\.1|liblz4\.so\.1|ld-linux[-.a-z0-9_]*\.so\.[0-9]+)$'

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(tr -d '[:space:]' < "$root/scripts/librdkafka-version")
cache="$root/.cache/librdkafka"
prefix="$cache/$version"
stamp="$prefix/.build-complete"

is_built() { [ -f "$stamp" ] && [ -f "$prefix/lib/librdkafka.so.1" ]; }

if is_built; then
  echo "$prefix/lib"
  exit 0
fi

log() { printf '[build-librdkafka] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mkdir -p "$cache"
# Serialise concurrent builds of the same cache; the winner's build is then a cache hit here.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
  if is_built; then
    echo "$prefix/lib"
    exit 0
  fi
fi

started=$(date +%s)
work=""
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT
work=$(mktemp -d "$cache/.build-$version.XXXXXX")
log "building librdkafka $version in $work"

# --- build dependencies ----------------------------------------------------------------------
command -v dpkg >/dev/null 2>&1 || die "dpkg not found: this script expects a Debian/Ubuntu machine"
missing=()
for pkg in "${DEB_PACKAGES[@]}"; do
  # (the dpkg -s status, read without a pipe that grep -q could cut short under pipefail)
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} (run as root, or: apt-get install -y --no-install-recommends ${missing[*]})"
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -q -y --no-install-recommends "${missing[@]}" >&2
fi
command -v npm >/dev/null 2>&1 || die "npm not found: it is needed to fetch the librdkafka source from the npm registry"
cc=${CC:-gcc}

# Fetches an npm package tarball into $work/npm and prints its path.
npm_pack() {
  mkdir -p "$work/npm"
  local name
  name=$(cd "$work/npm" && npm pack --silent "$1" | tail -n 1) || die "npm pack $1 failed"
  [ -f "$work/npm/$name" ] || die "npm pack $1 did not produce a tarball"
  echo "$work/npm/$name"
}

# --- source ----------------------------------------------------------------------------------
log "fetching $SOURCE_PACKAGE from the npm registry"
tgz=$(npm_pack "$SOURCE_PACKAGE")
tar -xzf "$tgz" -C "$work" package/deps/librdkafka 2>/dev/null \
  || die "$SOURCE_PACKAGE does not contain deps/librdkafka"
src="$work/librdkafka"
mv "$work/package/deps/librdkafka" "$src"
rm -rf "$work/package"
for f in configure configure.self mklove/Makefile.base lds-gen.py src/Makefile src/rdkafka.h src/rdkafka_mock.h src/rdkafka.c; do
  [ -e "$src/$f" ] || die "$SOURCE_PACKAGE: deps/librdkafka lacks $f, so it is not a full source tree"
done

hex=$(sed -n 's/^#define RD_KAFKA_VERSION[[:space:]]*\(0x[0-9a-fA-F]*\).*/\1/p' "$src/src/rdkafka.h")
[ -n "$hex" ] || die "cannot find RD_KAFKA_VERSION in $SOURCE_PACKAGE deps/librdkafka/src/rdkafka.h"
found="$(( (hex >> 24) & 0xff )).$(( (hex >> 16) & 0xff )).$(( (hex >> 8) & 0xff ))"
[ "$found" = "$version" ] \
  || die "$SOURCE_PACKAGE carries librdkafka $found ($hex), but scripts/librdkafka-version pins $version"
log "source: $SOURCE_PACKAGE, librdkafka $found (RD_KAFKA_VERSION $hex)"

perf_src="$src/examples/rdkafka_performance.c"
if [ ! -f "$perf_src" ]; then
  log "$SOURCE_PACKAGE has no examples/; taking rdkafka_performance.c from $PERF_PACKAGE"
  ptgz=$(npm_pack "$PERF_PACKAGE")
  mkdir -p "$work/perf" "$src/examples"
  tar -xzf "$ptgz" -C "$work/perf" package/deps/librdkafka/examples/rdkafka_performance.c 2>/dev/null \
    || die "$PERF_PACKAGE does not contain deps/librdkafka/examples/rdkafka_performance.c"
  cp "$work/perf/package/deps/librdkafka/examples/rdkafka_performance.c" "$perf_src"
  got=$(sha256sum "$perf_src" | cut -d' ' -f1)
  [ "$got" = "$PERF_SOURCE_SHA256" ] \
    || die "rdkafka_performance.c from $PERF_PACKAGE has sha256 $got, expected $PERF_SOURCE_SHA256"
fi

# --- configure and build -----------------------------------------------------------------------
# OpenSSL goes into librdkafka.so.1 from Debian's static archives; mklove uses STATIC_LIB_<name>
# for just these libraries while zlib, zstd and lz4 stay dynamic.
ssl_a=$(readlink -f "$("$cc" -print-file-name=libssl.a)")
crypto_a=$(readlink -f "$("$cc" -print-file-name=libcrypto.a)")
if [ ! -f "$ssl_a" ] || [ ! -f "$crypto_a" ]; then
  die "libssl.a/libcrypto.a not found (is libssl-dev installed?)"
fi

log "configuring (OpenSSL static from $ssl_a $crypto_a)"
(
  cd "$src"
  STATIC_LIB_libssl="$ssl_a" STATIC_LIB_libcrypto="$crypto_a" \
    ./configure --no-download --no-cache --prefix=/usr/local \
      --enable-ssl --disable-gssapi --disable-curl \
      --enable-zlib --enable-zstd --enable-lz4-ext \
      --disable-valgrind --disable-devel
) >&2

log "compiling with make -j2"
make -C "$src/src" -j2 librdkafka.so.1 >&2

stage="$work/stage"
mkdir -p "$stage/lib" "$stage/include/librdkafka" "$stage/bin"
# Debug info is 3/4 of the file and every copy of the executable carries it; the dynamic symbols stay.
strip --strip-debug -o "$stage/lib/librdkafka.so.1" "$src/src/librdkafka.so.1"
ln -s librdkafka.so.1 "$stage/lib/librdkafka.so"
cp "$src/src/rdkafka.h" "$src/src/rdkafka_mock.h" "$stage/include/librdkafka/"

log "building rdkafka_performance"
# Include paths as in librdkafka's examples/Makefile (config.h at the top of the tree, internal
# helpers in src/); linked against the built .so, found at run time through $ORIGIN/../lib.
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
"$cc" -O2 -g -Wall -I"$src/src" -I"$src" "$perf_src" -o "$stage/bin/rdkafka_performance" \
  "$stage/lib/librdkafka.so.1" -Wl,-rpath,'$ORIGIN/../lib' -lpthread -lm >&2

# --- verify ----------------------------------------------------------------------------------
so="$stage/lib/librdkafka.so.1"
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
bad=$(printf '%s\n' "$needed" | grep -Ev "$ALLOWED_NEEDED_RE" || true)
[ -z "$bad" ] || die "librdkafka.so.1 depends on libraries outside the allowed set: $(tr '\n' ' ' <<<"$bad")"
exported=$(nm -D --defined-only "$so" | awk '{print $NF}')
for sym in "${REQUIRED_SYMBOLS[@]}"; do
  grep -qx "$sym" <<<"$exported" || die "librdkafka.so.1 does not export $sym"
done
# OpenSSL must stay private to the .so: exported copies could bind to (or be bound by) another
# TLS library in the process.
leaked=$(grep -E '^(SSL|EVP|OPENSSL|CRYPTO|BIO|X509|ERR|RSA|EC|OSSL)_' <<<"$exported" | head -5 || true)
[ -z "$leaked" ] || die "librdkafka.so.1 exports OpenSSL symbols: $(tr '\n' ' ' <<<"$leaked")"

cat > "$work/check.c" <<'EOF'
#include <stdio.h>
#include <librdkafka/rdkafka.h>
int main(void) {
  char features[512], err[512];
  size_t size = sizeof(features);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_get(conf, "builtin.features", features, &size) != RD_KAFKA_CONF_OK) return 1;
  printf("%s\n%s\n", rd_kafka_version_str(), features);
  /* A client with TLS + SCRAM creates its SSL context (static OpenSSL) at rd_kafka_new(). */
  const char *kv[] = {"security.protocol", "sasl_ssl", "sasl.mechanism", "SCRAM-SHA-512",
                      "sasl.username", "u", "sasl.password", "p", "log_level", "3", NULL};
  for (int i = 0; kv[i]; i += 2)
    if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stderr, "rd_kafka_new with sasl_ssl: %s\n", err);
    return 1;
  }
  rd_kafka_destroy(rk);
  return 0;
}
EOF
"$cc" -Wall -I"$stage/include" "$work/check.c" -o "$work/check" \
  -L"$stage/lib" -lrdkafka -Wl,-rpath,"$stage/lib" >&2
report=$("$work/check") || die "check program failed"
version_str=$(sed -n 1p <<<"$report")
features=$(sed -n 2p <<<"$report")
[ "$version_str" = "$version" ] || die "rd_kafka_version_str() is $version_str, expected $version"
for feature in "${REQUIRED_FEATURES[@]}"; do
  [[ ",$features," == *",$feature,"* ]] || die "builtin.features lacks $feature: $features"
done
resolved=$(ldd "$stage/bin/rdkafka_performance" | awk '$1 == "librdkafka.so.1" {print $3}')
if [ -z "$resolved" ] || [ "$(readlink -f "$resolved")" != "$(readlink -f "$so")" ]; then
  die "rdkafka_performance does not resolve librdkafka.so.1 to the built library (got: ${resolved:-none})"
fi

# --- install into the cache --------------------------------------------------------------------
{
  echo "librdkafka $version"
  echo "source $SOURCE_PACKAGE"
  if [ -n "${ptgz:-}" ]; then echo "rdkafka_performance.c $PERF_PACKAGE sha256:$PERF_SOURCE_SHA256"; fi
  echo "builtin.features $features"
} > "$work/stamp"
rm -rf "$prefix"
mv "$stage" "$prefix"
mv "$work/stamp" "$stamp"

log "librdkafka $version_str"
log "builtin.features=$features"
log "ldd $prefix/lib/librdkafka.so.1:"
ldd "$prefix/lib/librdkafka.so.1" >&2
log "done in $(( $(date +%s) - started ))s"
echo "$prefix/lib"
