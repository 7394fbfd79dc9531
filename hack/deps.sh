#!/usr/bin/env bash
# Makes sure this machine has what the tests and the demo run: Go (it must already be there),
# PostgreSQL's server binaries, kubectl, and the locally built kube-apiserver and etcd.
# Everything comes from Debian's packages or the Go module proxy; nothing is downloaded
# from elsewhere. Safe to run again: each step is skipped when already done.
#
#   hack/deps.sh         # everything `make test` needs
#   hack/deps.sh demo    # what `make demo` needs: PostgreSQL (its local runtime) and kubectl;
#                        # the demo starts no kube-apiserver or etcd, so they are not built
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "deps: $*" >&2; }
for_demo=
case ${1:-} in
"") ;;
demo) for_demo=1 ;;
*) log "unknown target '$1': run hack/deps.sh, or hack/deps.sh demo"; exit 2 ;;
esac

command -v go >/dev/null || { log "Go is required (https://go.dev/dl/)"; exit 1; }

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    log "please install the Debian packages: $* (needs root)"; exit 1
  fi
  if [[ -z ${KONGDB_APT_UPDATED:-} ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    export KONGDB_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the tests' throw-away databases.
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages (about a minute)"
  apt_install postgresql
fi
# The tests run PostgreSQL as this user when they run as root (it refuses to run as root).
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
fi

if [[ -n $for_demo ]]; then
  # kubectl discovers the plugin in the demo; built from the module proxy if the machine has none.
  "$root/hack/kube-assets.sh" kubectl >/dev/null
  exit 0
fi

# tmux, in which the status end-to-end test runs the real binary and reads its screen.
if ! command -v tmux >/dev/null; then
  log "installing tmux from Debian's packages (seconds)"
  apt_install tmux
fi

# kube-apiserver and etcd (and kubectl, if the machine has none) built from the module proxy.
"$root/hack/kube-assets.sh" >/dev/null
