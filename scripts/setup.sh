#!/usr/bin/env bash
# Installs what Tugboat needs on this machine, then builds it. Safe to run again: each step
# is skipped when already done. System packages come from Debian/Ubuntu's apt when root;
# otherwise one message says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: etcd for state; runc/crun/conmon/umoci/skopeo/registry/busybox for real
# containers and their tests; CNI plugins for pod networking, nftables for Services and pod
# routes; dig for the cluster DNS tests; prometheus (and its promtool) for `tctl cluster up
# --monitoring` and the metrics and rule checks; redis-server for the guestbook example's
# image; chromium (and a font for its screenshots) for the web console's browser tests, driven
# by playwright-core. Of prometheus and redis-server only the programs are wanted: the daemons the
# packages start are stopped and disabled below.
PACKAGES=(etcd-server etcd-client runc crun conmon umoci skopeo docker-registry busybox-static
  containernetworking-plugins prometheus iproute2 iptables nftables procps bind9-dnsutils redis-server
  chromium fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Stop and disable the daemons these packages start, only when installed just now (a
    # redis or Prometheus this machine already ran is left alone): tctl runs its own.
    for daemon in redis-server prometheus; do
      [[ " ${missing[*]} " == *" $daemon "* ]] || continue
      invoke-rc.d "$daemon" stop >/dev/null 2>&1 || true
      if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$daemon" >/dev/null 2>&1 || true
      else update-rc.d "$daemon" disable >/dev/null 2>&1 || true; fi
    done
  else
    echo "setup: please install these packages first (as root): apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# npm dependencies: install when missing or when the lock file changed since the last install.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building"
npm run --silent build
