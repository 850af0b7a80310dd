#!/usr/bin/env bash
# Runs every test: unit, integration (real etcd, registry, runc) and end-to-end (the built
# tctl against `tctl cluster up`). Installs and builds what is missing first.
# Extra arguments go to ava, e.g. `npm test -- packages/api/src/quantity.test.ts`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npx ava "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain summary line, whatever ava printed: "N passed, N failed, N skipped".
strip() { sed -e 's/\x1b\[[0-9;]*m//g' "$log"; }
# grep finds nothing when, say, no test failed: that is a count of 0, not an error.
count() { { strip | grep -Eo "[0-9]+ tests? $1" || true; } | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(count passed); failed=$(count failed); skipped=$(count skipped)
# With failures ava prints no "N tests passed" line: count the passing tests themselves.
if [ "$passed" = 0 ]; then passed=$({ strip | grep -c '^ *✔' || true; }); fi
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
