#!/usr/bin/env bash
# Builds, with nothing pulled, the images the simulator and its tests need:
#   kongdb/kong-emulator:3.9  the emulator as a drop-in for kong:3.9 (FROM scratch)
#   kongdb/postgres:15        the host's PostgreSQL 15 with its shared libraries (FROM scratch)
#   kongdb/echo:latest        an HTTP backend that answers with the request as JSON
# Each image carries a label with the hash of its inputs; when the image on
# the engine already has that hash, its build is skipped, so a second run is
# instant. Ends by printing the export lines that select the images.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${IMAGES_OUT:-$ROOT/bin/images}
GO=${GO:-go}
PG_MAJOR=${PG_MAJOR:-15}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_LIB=/usr/lib/postgresql/$PG_MAJOR/lib
PG_SHARE=/usr/share/postgresql/$PG_MAJOR
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

KONG_IMAGE=${KONGDB_IMAGE_KONG:-kongdb/kong-emulator:3.9}
PG_IMAGE=${KONGDB_IMAGE_POSTGRES:-kongdb/postgres:$PG_MAJOR}
ECHO_IMAGE=${KONGDB_IMAGE_ECHO:-kongdb/echo:latest}
KEY_LABEL=io.kongdb.image/inputs

mkdir -p "$OUT"

# up_to_date IMAGE KEY: the engine holds IMAGE built from the same inputs.
up_to_date() {
  [ "$(docker image inspect -f "{{index .Config.Labels \"$KEY_LABEL\"}}" "$1" 2>/dev/null)" = "$2" ]
}

# gobuild OUTFILE PKG: a static, reproducible Linux binary.
gobuild() {
  CGO_ENABLED=0 GOOS=linux "$GO" build -trimpath -ldflags='-s -w -buildid=' -o "$1" "$2"
}

# passwd DIR LINES...: /etc/passwd and /etc/group for a scratch image.
passwd() {
  local dir=$1; shift
  mkdir -p "$dir/etc"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\n' >"$dir/etc/group"
  local name uid
  for spec in "$@"; do
    name=${spec%%:*} uid=${spec##*:}
    printf '%s:x:%s:%s:%s:/home/%s:/sbin/nologin\n' "$name" "$uid" "$uid" "$name" "$name" >>"$dir/etc/passwd"
    printf '%s:x:%s:\n' "$name" "$uid" >>"$dir/etc/group"
  done
}

# dockerbuild IMAGE DIR: the engine's builder, quiet unless it fails.
dockerbuild() {
  local log
  if ! log=$(docker build -q -t "$1" "$2" 2>&1); then
    echo "$log" >&2
    return 1
  fi
}

timed() {
  local start=$SECONDS
  "$@"
  echo "  ($(( SECONDS - start ))s)" >&2
}

# --- emulator ---------------------------------------------------------------
build_kong() {
  local ctx=$OUT/kong
  rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/usr/local/kong" "$ctx/rootfs/tmp" \
    "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/etc/kong"
  gobuild "$ctx/rootfs/usr/local/bin/kong" ./cmd/kong-emulator
  local key
  key=$(cat "$ctx/rootfs/usr/local/bin/kong" "$ROOT/hack/images/build.sh" "$CA_BUNDLE" | sha256sum | cut -c1-16)
  if up_to_date "$KONG_IMAGE" "$key"; then echo "$KONG_IMAGE is up to date" >&2; return; fi
  cp "$CA_BUNDLE" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
  passwd "$ctx/rootfs" kong:1000
  chown -R 1000:1000 "$ctx/rootfs/usr/local/kong"
  chmod 1777 "$ctx/rootfs/tmp"
  tar -C "$ctx/rootfs" --numeric-owner -cf "$ctx/rootfs.tar" .
  # Kong's official image: user kong, prefix /usr/local/kong, CMD kong docker-start,
  # and the proxy, admin, cluster and status ports.
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/bin KONG_PREFIX=/usr/local/kong SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER kong
WORKDIR /usr/local/kong
EXPOSE 8000 8443 8001 8444 8005 8007
STOPSIGNAL SIGQUIT
LABEL $KEY_LABEL=$key
CMD ["kong", "docker-start"]
DOCKERFILE
  dockerbuild "$KONG_IMAGE" "$ctx"
  echo "built $KONG_IMAGE" >&2
}

# --- PostgreSQL -------------------------------------------------------------
# The host's binaries at their own paths (PostgreSQL finds share/ and lib/
# relative to its binaries), their shared libraries as ldd lists them, the
# time zones initdb needs, and a static entrypoint that does what the
# official image's docker-entrypoint.sh does.
PG_TOOLS="postgres initdb pg_ctl pg_isready psql pg_dump"
build_postgres() {
  local ctx=$OUT/postgres
  rm -rf "$ctx" && mkdir -p "$ctx"
  gobuild "$ctx/docker-entrypoint" ./hack/images/postgres-entrypoint
  local key
  key=$( { dpkg-query -W "postgresql-$PG_MAJOR" libc6 2>/dev/null || ls -l "$PG_BIN"; cat "$ctx/docker-entrypoint" "$ROOT/hack/images/build.sh"; } | sha256sum | cut -c1-16)
  if up_to_date "$PG_IMAGE" "$key"; then echo "$PG_IMAGE is up to date" >&2; return; fi
  local root=$ctx/rootfs
  mkdir -p "$root$PG_BIN" "$root/usr/local/bin" "$root/var/lib/postgresql/data" "$root/var/run/postgresql" "$root/tmp" "$root/usr/share"
  for t in $PG_TOOLS; do cp -a "$PG_BIN/$t" "$root$PG_BIN/"; done
  mkdir -p "$root$(dirname "$PG_LIB")" "$root$(dirname "$PG_SHARE")"
  cp -a "$PG_LIB" "$root$PG_LIB"
  cp -a "$PG_SHARE" "$root$PG_SHARE"
  rm -rf "$root$PG_LIB/bitcode" # LLVM JIT sources, not needed to run
  cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
  # Every shared library the binaries and PostgreSQL's modules load, with the dynamic loader.
  { for t in $PG_TOOLS; do ldd "$PG_BIN/$t"; done; ldd /bin/dash; find "$PG_LIB" -name '*.so' -exec ldd {} \; 2>/dev/null; } |
    awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u |
    while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  # The loader's own path (/lib64/ld-linux-x86-64.so.2) as the binaries name it.
  local interp
  interp=$(readelf -l "$PG_BIN/postgres" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p' || true)
  if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    mkdir -p "$root$(dirname "$interp")" && cp -L "$interp" "$root$interp"
  fi
  # initdb and pg_ctl run postgres through popen/system, that is /bin/sh: the host's dash.
  mkdir -p "$root/bin" && cp -L /bin/dash "$root/bin/sh"
  cp "$ctx/docker-entrypoint" "$root/usr/local/bin/docker-entrypoint"
  for t in postgres initdb pg_isready psql pg_dump; do ln -s "$PG_BIN/$t" "$root/usr/local/bin/$t"; done
  passwd "$root" postgres:999
  chown -R 999:999 "$root/var/lib/postgresql" "$root/var/run/postgresql"
  chmod 700 "$root/var/lib/postgresql/data"
  chmod 1777 "$root/tmp"
  tar -C "$root" --numeric-owner -cf "$ctx/rootfs.tar" .
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/bin:$PG_BIN PGDATA=/var/lib/postgresql/data TZ=UTC LANG=C.UTF-8 PG_MAJOR=$PG_MAJOR
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
LABEL $KEY_LABEL=$key
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
CMD ["postgres"]
DOCKERFILE
  dockerbuild "$PG_IMAGE" "$ctx"
  echo "built $PG_IMAGE" >&2
}

# --- echo -------------------------------------------------------------------
build_echo() {
  local ctx=$OUT/echo
  rm -rf "$ctx" && mkdir -p "$ctx"
  gobuild "$ctx/echo" ./hack/images/echo
  local key
  key=$(cat "$ctx/echo" "$ROOT/hack/images/build.sh" | sha256sum | cut -c1-16)
  if up_to_date "$ECHO_IMAGE" "$key"; then echo "$ECHO_IMAGE is up to date" >&2; return; fi
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY echo /echo
USER 65534:65534
EXPOSE 8080
LABEL $KEY_LABEL=$key
ENTRYPOINT ["/echo"]
DOCKERFILE
  dockerbuild "$ECHO_IMAGE" "$ctx"
  echo "built $ECHO_IMAGE" >&2
}

cd "$ROOT"
echo "images: $KONG_IMAGE, $PG_IMAGE and $ECHO_IMAGE (the first time about 75 s on two cores; an image whose inputs did not change is kept)" >&2
timed build_kong
timed build_postgres
timed build_echo
echo "export KONGDB_SIM_KONG_IMAGE=$KONG_IMAGE KONGDB_SIM_POSTGRES_IMAGE=$PG_IMAGE KONGDB_SIM_ECHO_IMAGE=$ECHO_IMAGE"
