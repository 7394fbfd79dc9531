#!/usr/bin/env bash
# The main job, run by `make demo` after `make deps build images`:
#   1. a simulated Kong cluster: PostgreSQL, a control plane and two data planes
#      (DEMO_MODE=traditional: three traditional nodes), plus the echo backend: on Docker, the
#      echo image on the cluster's network; without Docker (or DEMO_RUNTIME=local), PostgreSQL
#      and the nodes as local processes and the echo backend as one more on 127.0.0.1;
#   2. the real kubectl discovers the plugin, which syncs examples/ into that cluster;
#   3. requests through every node's proxy show routing, strip_path, preserve_host, a regex
#      path, key-auth, ACL, rate limiting, HTTPS with SNI and a gRPC call doing what the
#      manifests say.
# Any failed check makes it exit non-zero. The cluster is removed on exit unless KEEP=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
started=$(date +%s)

mode=${DEMO_MODE:-hybrid}
name=${DEMO_NAME:-demo}
echo_image=${KONGDB_SIM_ECHO_IMAGE:-kongdb/echo:latest}
echo_container=kongdb-demo-$name-echo
runtime=${DEMO_RUNTIME:-auto}
if [[ $runtime == auto ]]; then
  runtime=local
  docker info >/dev/null 2>&1 && runtime=docker
fi
case $mode in
hybrid) up_flags=(--mode hybrid --control-planes 1 --data-planes 2) net=kongdb-sim-$name-cp ;;
traditional) up_flags=(--mode traditional --nodes 3) net=kongdb-sim-$name-db ;;
*) echo "DEMO_MODE must be hybrid or traditional, not '$mode'" >&2; exit 2 ;;
esac

work=$(mktemp -d)
failed=0
echo_pid=""
# stop_echo removes the echo backend (before the cluster's network goes).
stop_echo() {
  if [[ $runtime == docker ]]; then
    docker rm -f "$echo_container" >/dev/null 2>&1 || true
  elif [[ -n $echo_pid ]]; then
    kill "$echo_pid" 2>/dev/null || true
  fi
}
teardown_hint() {
  if [[ $runtime == docker ]]; then echo "docker rm -f $echo_container; kongdb sim down $name"; else echo "kill ${echo_pid:-<echo pid>}; kongdb sim down $name"; fi
}
cleanup() {
  if [[ ${KEEP:-} == 1 ]]; then
    printf '\nKEEP=1: the cluster %s stays. Remove it with:\n  %s\n' "$name" "$(teardown_hint)"
  else
    step "tearing down (KEEP=1 keeps the cluster)"
    stop_echo
    kongdb sim down "$name" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

step "kubectl discovers the plugin"
# (plugin list exits non-zero when another kubectl-kongdb further down PATH is shadowed: only the name matters here)
{ kubectl plugin list --name-only 2>/dev/null || true; } | grep -m1 kongdb
kubectl kongdb version

step "a $mode Kong cluster ($runtime runtime): kongdb sim up --name $name ${up_flags[*]}   (about 10 s)"
if kongdb sim status "$name" >/dev/null 2>&1; then
  echo "a cluster named $name is left from an earlier demo: removing it first"
  stop_echo
  kongdb sim down "$name"
fi
kongdb sim up -d --runtime "$runtime" --name "$name" "${up_flags[@]}" --pull never
eval "$(kongdb sim env "$name")"

if [[ $runtime == docker ]]; then
  step "the echo backend on the cluster's network ($net)"
  docker rm -f "$echo_container" >/dev/null 2>&1 || true
  docker run -d --name "$echo_container" --label io.kongdb.demo="$name" --network "$net" "$echo_image" >/dev/null
  echo_ip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$echo_container")
  echo_port=8080
else
  step "the echo backend as a local process"
  ${GO:-go} build -o "$work/echo" ./hack/images/echo
  echo_ip=127.0.0.1 echo_port=$(free_port)
  PORT=$echo_port "$work/echo" >"$work/echo.log" 2>&1 &
  echo_pid=$!
fi
echo "echo listens on $echo_ip:$echo_port"
# The one change to examples/ (examples/README.md): the EndpointSlice's placeholder address
# (and port) becomes the backend's real one.
cp -r examples "$work/examples"
sed -i -e "s/\"192\.0\.2\.10\"/\"$echo_ip\"/" -e "s/^  port: 8080\$/  port: $echo_port/" "$work/examples/01-echo-service.yaml"
grep -n -e "$echo_ip" -e "port: $echo_port" "$work/examples/01-echo-service.yaml"

read -r -a admins <<<"$KONGDB_SIM_ADMIN_URLS"
read -r -a proxies <<<"$KONGDB_SIM_PROXY_URLS"
read -r -a tls_proxies <<<"$KONGDB_SIM_PROXY_SSL_URLS"
admin_flags=()
for a in "${admins[@]}"; do admin_flags+=(--kong-admin-url "$a"); done

proxy_flags=()
for p in "${proxies[@]}"; do proxy_flags+=(--kong-proxy-url "$p"); done
step "kubectl kongdb sync --wait -f examples/ ${admin_flags[*]} ${proxy_flags[*]}   (up to about 6 s: nodes learn of a change within db_update_frequency, 5 s)"
kubectl kongdb sync --wait -f "$work/examples" "${admin_flags[@]}" "${proxy_flags[@]}"

# check NODE WANT_STATUS DESCRIPTION CURL_ARGS...: one request through NODE's proxy; the body must
# also contain $expect when set. Nothing is retried: sync --wait has returned.
expect=""
check() {
  local proxy=$1 want=$2 what=$3
  shift 3
  local code body
  body=$({ curl -sS -o - -w '\n%{http_code}' "$@" 2>&1 || true; } | tr -d '\0') # gRPC frames hold NULs
  code=${body##*$'\n'}
  body=${body%$'\n'*}
  if [[ $code == "$want" && ( -z $expect || $body == *"$expect"* ) ]]; then
    printf '  \033[32mok\033[0m   %-58s %s\n' "$what" "$code"
    return
  fi
  printf '  \033[31mFAIL\033[0m %-58s got %s, want %s%s\n       %s\n' "$what" "$code" "$want" "${expect:+ with $expect}" "${body:0:300}"
  failed=1
}

# The certificate of 06-tls-ingress.yaml: a TLS request for secure.example.com verifies against it
# only when Kong serves it for that SNI. A gRPC request is one empty message, length-prefixed.
sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/s/^ *//p' examples/06-tls-ingress.yaml >"$work/secure.crt"
printf '\0\0\0\0\0' >"$work/grpc-request"

step "requests through every proxy (sync --wait returned: every node serves the sync already)"
for i in "${!proxies[@]}"; do
  p=${proxies[$i]} s=${tls_proxies[$i]}
  echo "proxy $p (TLS $s)"
  expect='"path":"/hello"' check "$p" 200 "echo.example.com/echo/hello → backend sees /hello (strip_path)" \
    -H 'Host: echo.example.com' "$p/echo/hello"
  expect='"host":"echo.example.com"' check "$p" 200 "preserve_host: backend sees Host echo.example.com" \
    -H 'Host: echo.example.com' "$p/echo/hello"
  expect="\"host\":\"$echo_ip:$echo_port\"" check "$p" 200 "upstream.example.com (preserve_host off) → Host of the target" \
    -H 'Host: upstream.example.com' "$p/anything"
  expect='"path":"/orders/42"' check "$p" 200 "regex path /orders/42" -H 'Host: echo.example.com' "$p/orders/42"
  check "$p" 404 "regex path /orders/abc does not match" -H 'Host: echo.example.com' "$p/orders/abc"
  check "$p" 404 "unknown host" -H 'Host: nowhere.example.com' "$p/echo/hello"
  check "$p" 401 "/admin without a key (key-auth)" -H 'Host: echo.example.com' "$p/admin"
  check "$p" 403 "/admin with bob's key (not in admins: acl)" -H 'Host: echo.example.com' -H 'apikey: bob-demo-key' "$p/admin"
  expect='"path":"/admin"' check "$p" 200 "/admin with alice's key" -H 'Host: echo.example.com' -H 'apikey: alice-demo-key' "$p/admin"
  expect='"path":"/gw/x"' check "$p" 200 "gateway.example.com/gw/x (HTTPRoute)" -H 'Host: gateway.example.com' "$p/gw/x"
  # SNI and Host are the name; --connect-to sends it to this node's TLS port.
  expect='"path":"/tls/x"' check "$s" 200 "https://secure.example.com/tls/x (SNI, the Ingress's cert)" \
    --cacert "$work/secure.crt" --connect-to "secure.example.com:443:${s#https://}" https://secure.example.com/tls/x
  expect='grpc-status: 0' check "$s" 200 "gRPC echo.Echo/Say to grpc.example.com (GRPCRoute)" -k --http2 \
    -D - -H 'Content-Type: application/grpc' -H 'TE: trailers' --data-binary @"$work/grpc-request" \
    --connect-to "grpc.example.com:443:${s#https://}" https://grpc.example.com/echo.Echo/Say
  # 5 a minute per node: within a dozen requests one is refused even if a minute starts between them.
  codes=()
  for _ in $(seq 12); do
    codes+=("$(curl -sS -o /dev/null -w '%{http_code}' -H 'Host: echo.example.com' "$p/limited")")
    [[ ${codes[-1]} == 429 ]] && break
  done
  if [[ ${codes[-1]} == 429 ]]; then
    printf '  \033[32mok\033[0m   %-58s %s\n' "/limited, 5 a minute (rate-limiting)" "${codes[*]}"
  else
    printf '  \033[31mFAIL\033[0m %-58s %s (no 429)\n' "/limited, 5 a minute (rate-limiting)" "${codes[*]}"
    failed=1
  fi
done

step "how long each node takes to serve a sync: kubectl kongdb sim verify $name   (about 5 s)"
kubectl kongdb sim verify "$name" || failed=1

step "kubectl kongdb sim status $name -o wide"
kubectl kongdb sim status "$name" -o wide
step "kubectl kongdb status -o wide   (the live view without -o)"
status_flags=("${admin_flags[@]}")
# Traditional nodes pair an Admin API with a proxy; the data planes are found through the control plane.
[[ $mode == traditional ]] && status_flags+=("${proxy_flags[@]}")
kubectl kongdb status -o wide -f "$work/examples" "${status_flags[@]}" || failed=1

last=dp-2
[[ $mode == traditional ]] && last=node-3
step "done in $(($(date +%s) - started)) s"
cat <<EOF
Try it yourself (the cluster stays with KEEP=1 make demo):
  eval "\$(kongdb sim env $name)"
  curl -H 'Host: echo.example.com' \$KONG_PROXY_URL/echo/hello
  kubectl kongdb diff -f examples/ --kong-admin-url \$KONG_ADMIN_URL   # the placeholder endpoint shows as a change
  kongdb sim partition $last; kongdb sim heal $last                      # faults: see README
The live view: kubectl kongdb status -f examples/ ${status_flags[*]}
  (examples/ as written has the placeholder endpoint, so its target shows as drift there)
Tear it all down: $(teardown_hint)
EOF
if ((failed)); then
  echo "some checks FAILED" >&2
  exit 1
fi
