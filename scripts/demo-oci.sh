#!/usr/bin/env bash
# Real containers, offline: a local registry (Debian's docker-registry) on 127.0.0.1, a
# busybox image built from busybox-static and pushed to it, a three-node cluster whose agents
# run containers with runc under conmon, and manifests/examples/oci-web.yaml from that image.
#   bash scripts/demo-oci.sh        (npm run demo:oci)   bring it up and show it
#   bash scripts/demo-oci.sh down                        stop the cluster and the registry
# The registry keeps its data and pid under $TUGBOAT_HOME/registry; REGISTRY_PORT (default
# 5000) picks its port.
set -euo pipefail
cd "$(dirname "$0")/.."
home=${TUGBOAT_HOME:-$HOME/.tugboat}
port=${REGISTRY_PORT:-5000}
regdir=$home/registry
tctl() { node packages/ctl/bin/tctl.js "$@"; }
registry_up() { [ -f "$regdir/pid" ] && kill -0 "$(cat "$regdir/pid")" 2>/dev/null; }

if [ "${1:-}" = down ]; then
  tctl cluster down || true
  if registry_up; then kill "$(cat "$regdir/pid")" && echo "stopped the registry on 127.0.0.1:$port"; fi
  rm -f "$regdir/pid"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "demo:oci: real containers need root (runc, cgroups, network namespaces); 'npm run demo' runs the process runtime without" >&2
  exit 1
fi
bash scripts/setup.sh

# The cluster first: an existing one with the process runtime would run the demo as host
# processes, which is not what this demo is for.
if [ -f "$home/cluster.json" ] && tctl cluster status -o json 2>/dev/null | grep -q '"state": *"running"'; then
  runtime=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).runtime)' "$home/cluster.json")
  if [ "$runtime" != oci ]; then
    echo "demo:oci: the cluster in $home runs the $runtime runtime; stop it first with 'npx tctl cluster down' (or set TUGBOAT_HOME)" >&2
    exit 1
  fi
fi

mkdir -p "$regdir/storage"
if ! registry_up; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo:oci: 127.0.0.1:$port is taken by another program; set REGISTRY_PORT to a free port" >&2
    exit 1
  fi
  cat > "$regdir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $regdir/storage
http:
  addr: 127.0.0.1:$port
EOF
  setsid docker-registry serve "$regdir/config.yml" >>"$regdir/registry.log" 2>&1 < /dev/null &
  echo $! > "$regdir/pid"
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
  registry_up || { echo "demo:oci: docker-registry did not start; see $regdir/registry.log" >&2; exit 1; }
  echo "registry: http://127.0.0.1:$port (data in $regdir/storage)"
fi
image=127.0.0.1:$port/demo/busybox:1
node test/dist/tools/push-busybox-image.js "$image"

tctl cluster up --nodes "${NODES:-3}" --runtime oci
echo
sed "s#127.0.0.1:5000/demo/busybox:1#$image#" manifests/examples/oci-web.yaml | tctl apply -f -
tctl rollout status deployment/oci-web --timeout 120s
echo
tctl get pods -l app=oci-web -o wide
echo
pods=($(tctl get pods -l app=oci-web -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{end}'))
ips=($(tctl get pods -l app=oci-web -o 'jsonpath={range .items[*]}{.status.podIP}{" "}{end}'))
echo "\$ tctl exec ${pods[0]} -- hostname        (each pod has its own uts namespace)"
tctl exec "${pods[0]}" -- hostname
echo "\$ tctl exec ${pods[0]} -- ps              (and its own pid namespace: its command is pid 1)"
tctl exec "${pods[0]}" -- ps
echo "\$ tctl exec ${pods[0]} -- wget -qO- http://${ips[0]}:8080/   (its own server, on its pod IP)"
tctl exec "${pods[0]}" -- wget -qO- "http://${ips[0]}:8080/"
echo "\$ tctl logs ${pods[0]}"
tctl logs "${pods[0]}"
echo
echo "The cluster and the registry keep running. Try:  npx tctl top pods   |   npx tctl cluster stop-node node-2   |   bash scripts/demo-oci.sh down"
