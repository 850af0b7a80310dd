// `tctl get pods -w` against a real cluster: a row for the pod added, one as it changes,
// one as it is deleted — printed as they happen, not at the end.
import test from 'ava';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster();
});

test.after.always(async () => {
  await cluster?.destroy();
});

const pod = (labels: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: watched\n  labels: {${labels}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, "3600"]\n`;

test.serial('get pods -w prints added, modified and deleted pods as they happen', async (t) => {
  const plain = cluster.spawnTctl(['get', 'pods', '-w']);
  const events = cluster.spawnTctl(['get', 'pods', '-w', '--output-watch-events']);
  try {
    // Nothing there yet: kubectl says so on stderr and keeps watching.
    await plain.waitForStderr(/^No resources found in default namespace\.$/m);
    await events.waitForStderr(/^No resources found in default namespace\.$/m);

    t.is((await cluster.tctl(['apply', '-f', '-'], pod('v: "1"'))).stdout, 'pod/watched created\n');
    await events.waitForOutput(/^ADDED\s+watched\s/m);
    await plain.waitForOutput(/^watched\s/m);

    t.is((await cluster.tctl(['apply', '-f', '-'], pod('v: "2"'))).stdout, 'pod/watched configured\n');
    await events.waitForOutput(/^MODIFIED\s+watched\s/m);

    t.is((await cluster.tctl(['delete', 'pod', 'watched'])).stdout, 'pod "watched" deleted\n');
    const out = await events.waitForOutput(/^DELETED\s+watched\s/m);
    const lines = out.trim().split('\n');
    t.regex(lines[0]!, /^EVENT\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const types = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    t.is(types[0], 'ADDED');
    t.is(types.at(-1), 'DELETED');
    t.true(types.includes('MODIFIED'));

    // Without --output-watch-events, kubectl's plain rows: one per change, same columns.
    const plainOut = await plain.waitForOutput(/(^watched\s.*\n[^]*){3}/m);
    const rows = plainOut.trim().split('\n');
    t.regex(rows[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    t.true(rows.filter((r) => r.startsWith('watched ')).length >= 3, plainOut);
  } finally {
    t.is(await events.stop(), 0, events.stderr());
    t.is(await plain.stop(), 0, plain.stderr());
  }
});

test.serial('get -w with -o name and a selector streams only matching objects', async (t) => {
  const w = cluster.spawnTctl(['get', 'cm', '-w', '-l', 'team=a', '-o', 'name']);
  try {
    await w.waitForStderr(/No resources found/);
    await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  labels: {team: b}\n');
    await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mine\n  labels: {team: a}\n');
    const out = await w.waitForOutput(/configmap\/mine/);
    t.false(out.includes('other'));
  } finally {
    await w.stop();
  }
});
