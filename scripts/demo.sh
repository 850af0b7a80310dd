#!/usr/bin/env bash
# Quick start: installs what is missing, builds, brings up a local cluster (etcd, API
# server, scheduler, controllers and 3 nodes) and applies manifests/demo.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
tctl() { node packages/ctl/bin/tctl.js "$@"; }

tctl cluster up --nodes "${NODES:-3}" ${RUNTIME:+--runtime "$RUNTIME"}
echo
tctl apply -f manifests/demo.yaml
echo
# Give the scheduler and agents a moment, then show where everything landed.
for _ in $(seq 1 30); do
  if ! tctl get pods -A --no-headers 2>/dev/null | grep -qvE 'Running|Completed'; then break; fi
  sleep 1
done
tctl get nodes
echo
tctl get deploy,rs,pods -A -o wide
echo
echo "The cluster keeps running. Try:  npx tctl get pods -A   |   npx tctl cluster status   |   npx tctl cluster down"
