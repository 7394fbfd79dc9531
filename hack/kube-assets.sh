#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd that envtest runs, from the Go module proxy, into
# .cache/kube-assets (git-ignored). Prebuilt envtest archives cannot be downloaded on our machines,
# so we compile the exact releases instead; the build is skipped when both binaries are there.
#
#   hack/kube-assets.sh              # prints the assets folder (for KUBEBUILDER_ASSETS)
#   hack/kube-assets.sh --kubernetes # also kube-controller-manager, for `sim up --kubernetes`
#   hack/kube-assets.sh kubectl      # only kubectl, when the machine has none (what the demo needs)
#
# kube-controller-manager is built only when asked for (sim up --kubernetes and its tests), so
# envtest users and `make demo` do not pay for it. Scheduling needs no kube-scheduler: the
# simulator's node agent binds pods to its one Node (docs/simkube.md says why).
set -euo pipefail
only=
[[ ${1:-} == kubectl ]] && only=kubectl

with_kcm=
[[ ${1:-} == --kubernetes ]] && with_kcm=1

K8S_VERSION=${K8S_VERSION:-v1.37.2}
STAGING_VERSION=${STAGING_VERSION:-v0.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.cache/kube-assets"
stamp="$out/.versions"
want="kube-apiserver=$K8S_VERSION etcd=$ETCD_VERSION stamped"

# kubectl is built too when the machine has none, so the plugin tests always run the real one.
need_kubectl=
command -v kubectl >/dev/null || [[ -x "$out/kubectl" ]] || need_kubectl=1

kcm_stamp="$out/.versions-kcm"
need_kcm=
if [[ -n $with_kcm ]] && [[ ! -x "$out/kube-controller-manager" || "$(cat "$kcm_stamp" 2>/dev/null)" != "$K8S_VERSION" ]]; then
  need_kcm=1
fi

if [[ $only == kubectl && -z $need_kubectl ]] ||
  [[ -x "$out/kube-apiserver" && -x "$out/etcd" && "$(cat "$stamp" 2>/dev/null)" == "$want" && -z $need_kubectl && -z $need_kcm ]]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "kube-assets: $*" >&2; }

# kube-apiserver: k8s.io/kubernetes replaces its staging modules with ./staging/...; a throw-away
# module replaces each of them with its published release instead.
if [[ $only == kubectl ]]; then
  log "no kubectl on PATH: building kubectl $K8S_VERSION (first time about 3 minutes on two idle cores)"
else
  log "building kube-apiserver $K8S_VERSION and etcd $ETCD_VERSION for the end-to-end tests (first time about 5 minutes on two idle cores)"
fi
mkdir -p "$work/apiserver"
cd "$work/apiserver"
go mod init kongdb.local/kube-assets >/dev/null 2>&1
modfile=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[[ -f "$modfile" ]] || { log "cannot download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
go mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$modfile"); do
  go mod edit -replace="$m=$m@$STAGING_VERSION"
done
cat > main.go <<'GO'
package main

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubectl/pkg/cmd"
)

func main() {}
GO
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >/dev/null
rm main.go
if [[ $only != kubectl ]] && [[ ! -x "$out/kube-apiserver" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  # Stamp the version as the release build does, so /version and compatibility checks see 1.37.
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  vpkg=k8s.io/component-base/version
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out/kube-apiserver" \
    -ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver
fi
if [[ -n $need_kcm ]]; then
  log "building kube-controller-manager $K8S_VERSION (sim up --kubernetes; first time takes several minutes)"
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  vpkg=k8s.io/component-base/version
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$out/kube-controller-manager" \
    -ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-controller-manager
  echo "$K8S_VERSION" > "$kcm_stamp"
fi
if [[ -n $need_kubectl ]]; then
  [[ $only == kubectl ]] || log "no kubectl on PATH: building kubectl $K8S_VERSION"
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl
fi

if [[ $only == kubectl ]]; then
  log "done"
  echo "$out"
  exit 0
fi

if [[ ! -x "$out/etcd" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  log "building etcd $ETCD_VERSION"
  mkdir -p "$work/etcd"
  cd "$work/etcd"
  go mod init kongdb.local/etcd-assets >/dev/null 2>&1
  GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=release" -o "$out/etcd" go.etcd.io/etcd/server/v3
fi

echo "$want" > "$stamp"
log "done"
echo "$out"
