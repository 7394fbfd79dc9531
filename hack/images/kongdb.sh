#!/usr/bin/env bash
# Builds, with nothing pulled, the image `kubectl kongdb install` deploys:
#   kongdb/kubectl-kongdb:dev   the static plugin binary FROM scratch, as a non-root user,
#                               with the CA bundle for an https Admin API
# Its own script, not a function of build.sh: the other images' labels hash build.sh, so a
# change here never rebuilds them. Like them it carries the hash of its inputs and is kept
# when they did not change.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${IMAGES_OUT:-$ROOT/bin/images}/kongdb
GO=${GO:-go}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
IMAGE=${KONGDB_IMAGE_PLUGIN:-kongdb/kubectl-kongdb:dev}
KEY_LABEL=io.kongdb.image/inputs
# pkg/install's RunAsUser: the Deployment runs as this user too.
UID_NONROOT=65532

start=$SECONDS
cd "$ROOT"
rm -rf "$OUT" && mkdir -p "$OUT/rootfs/etc/ssl/certs" "$OUT/rootfs/tmp"
CGO_ENABLED=0 GOOS=linux "$GO" build -trimpath -ldflags='-s -w -buildid=' -o "$OUT/rootfs/kubectl-kongdb" ./cmd/kubectl-kongdb
key=$(cat "$OUT/rootfs/kubectl-kongdb" "$ROOT/hack/images/kongdb.sh" "$CA_BUNDLE" | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f "{{index .Config.Labels \"$KEY_LABEL\"}}" "$IMAGE" 2>/dev/null)" = "$key" ]; then
  echo "$IMAGE is up to date" >&2
  exit 0
fi
cp "$CA_BUNDLE" "$OUT/rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/tmp:/sbin/nologin\n' $UID_NONROOT $UID_NONROOT >"$OUT/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' $UID_NONROOT >"$OUT/rootfs/etc/group"
chmod 1777 "$OUT/rootfs/tmp"
tar -C "$OUT/rootfs" --numeric-owner -cf "$OUT/rootfs.tar" .
# kubectl-kongdb is the entrypoint, so the Deployment's args are the command line: sync --watch ...
cat >"$OUT/Dockerfile" <<DOCKERFILE
FROM scratch
ADD rootfs.tar /
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt HOME=/tmp
USER $UID_NONROOT:$UID_NONROOT
EXPOSE 10254 10255
LABEL $KEY_LABEL=$key
ENTRYPOINT ["/kubectl-kongdb"]
DOCKERFILE
if ! log=$(docker build -q -t "$IMAGE" "$OUT" 2>&1); then
  echo "$log" >&2
  exit 1
fi
echo "built $IMAGE ($(( SECONDS - start ))s)" >&2
