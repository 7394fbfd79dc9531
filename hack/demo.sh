#!/usr/bin/env bash
# The main job, run by `make demo` after `make deps build`:
#   1. the real kubectl discovers the plugin and runs it;
#   2. the example manifests are translated exactly as the Kong Ingress Controller would;
#   3. a Kong emulator node starts on a real, throw-away PostgreSQL (migrations, start, health)
#      and answers its Admin API the way Kong 3.9 does.
# Everything it starts is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ -f $work/pg/PG_VERSION ]]; then as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root; as root we run it as the postgres user.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "kubectl discovers the plugin"
kubectl plugin list --name-only 2>/dev/null | grep kongdb
kubectl kongdb version

step "kubectl kongdb translate -f examples/   (no cluster, no Kong needed)"
kubectl kongdb translate -f examples/

step "a Kong emulator node on a real PostgreSQL"
chmod 755 "$work"
mkdir -p "$work/pg" && [[ $(id -u) -ne 0 ]] || chown postgres "$work/pg"
as_pg initdb -D "$work/pg" -U kong --auth=trust >/dev/null
pg_port=$(free_port)
as_pg pg_ctl -D "$work/pg" -l "$work/pg/log" -w -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
as_pg createdb -h 127.0.0.1 -p "$pg_port" -U kong kong

admin_port=$(free_port)
export KONG_DATABASE=postgres KONG_PG_HOST=127.0.0.1 KONG_PG_PORT=$pg_port KONG_PG_USER=kong KONG_PG_DATABASE=kong
export KONG_ADMIN_LISTEN="127.0.0.1:$admin_port" KONG_PROXY_LISTEN="127.0.0.1:$(free_port)" KONG_STATUS_LISTEN="127.0.0.1:$(free_port)"
export KONG_PREFIX=$work/kong
kong-emulator migrations bootstrap
kong-emulator start > "$work/kong.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do kong-emulator health >/dev/null 2>&1 && break; sleep 0.2; done
kong-emulator health

admin="http://127.0.0.1:$admin_port"
echo "Admin API at $admin:"
curl -fsS "$admin/" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("  version", d["version"], "| database", d["configuration"]["database"], "| role", d["configuration"]["role"])'
curl -fsS -X PUT "$admin/services/echo" -d host=echo.default.svc -d port=80 >/dev/null
curl -fsS -X POST "$admin/services/echo/routes" -d name=echo -d 'paths[]=/echo' >/dev/null
echo "  services: $(curl -fsS "$admin/services" | python3 -c 'import json,sys; print([s["name"] for s in json.load(sys.stdin)["data"]])')"
echo "  routes:   $(curl -fsS "$admin/routes" | python3 -c 'import json,sys; print([(r["name"], r["paths"]) for r in json.load(sys.stdin)["data"]])')"

step "done"
echo "Next issues add 'kubectl kongdb sync' and 'kubectl kongdb sim', which turn this into: a simulated"
echo "cluster, the examples synced into it, and requests through every node."
