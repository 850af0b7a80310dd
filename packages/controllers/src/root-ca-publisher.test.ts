// The root-ca-cert-publisher: reading the CA file, the decision, and the controller against a
// real API server on a real etcd (with a fast file re-check).
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CA_CONFIGMAP, type KubeObject, type TugboatClient } from '@tugboat/api';
import { createCa } from '@tugboat/api/pki';
import { waitFor } from '@tugboat/test';
import {
  DESCRIPTION_ANNOTATION, ROOT_CA_DESCRIPTION, readRootCa, rootCaConfigMapCurrent, type ConfigMapObject,
} from './root-ca-publisher.js';
import { ControllerManager } from './manager.js';
import { etcdAvailable, mutate, startTestCluster, type TestCluster } from './testing/cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tugboat-root-ca-'));
const caFile = join(dir, 'ca.crt');
let caA = '';
let caB = '';
let cluster: TestCluster | undefined;

test.before(async () => {
  caA = (await createCa('tugboat-ca-a')).certPem;
  caB = (await createCa('tugboat-ca-b')).certPem;
  writeFileSync(caFile, caA);
  if (!etcdAvailable()) return;
  cluster = await startTestCluster({ controllers: ['root-ca-cert-publisher'], rootCaFile: caFile, rootCaRecheckMs: 100 });
});

test.after.always(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the CA file must be readable and hold a PEM certificate; each failure is one line naming the flag', (t) => {
  t.is(readRootCa(caFile), caA);
  t.throws(() => readRootCa(join(dir, 'missing.crt')), { message: `--root-ca-file: cannot read ${join(dir, 'missing.crt')}: ENOENT` });
  const junk = join(dir, 'junk.crt');
  writeFileSync(junk, 'not a certificate\n');
  t.throws(() => readRootCa(junk), { message: new RegExp(`^--root-ca-file: ${junk} holds no PEM certificate`) });
});

test('a ConfigMap is current when ca.crt is the bundle, alone, and the description is there', (t) => {
  const cm = (data: Record<string, string>, annotations: Record<string, string> = { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION }): ConfigMapObject =>
    ({ metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'a', annotations }, data });
  t.true(rootCaConfigMapCurrent(cm({ 'ca.crt': 'X' }), 'X'));
  t.false(rootCaConfigMapCurrent(cm({ 'ca.crt': 'Y' }), 'X'));
  t.false(rootCaConfigMapCurrent(cm({ 'ca.crt': 'X', extra: '1' }), 'X'));
  t.false(rootCaConfigMapCurrent(cm({ 'ca.crt': 'X' }, {}), 'X'));
});

function client(): TugboatClient {
  if (!cluster) throw new Error('no cluster');
  return cluster.client;
}

const caIn = async (c: TugboatClient, ns: string): Promise<string | undefined> =>
  (await c.tryGet<ConfigMapObject>('configmaps', ns, ROOT_CA_CONFIGMAP))?.data?.['ca.crt'];

test.serial('every namespace gets kube-root-ca.crt with the CA; it is put back when deleted or edited', async (t) => {
  const c = client();
  for (const ns of ['default', 'tugboat-system']) await waitFor(`the CA in ${ns}`, async () => (await caIn(c, ns)) === caA);
  await c.create<KubeObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ca-test' } });
  await waitFor('the CA in a new namespace', async () => (await caIn(c, 'ca-test')) === caA);
  const cm = await c.get<ConfigMapObject>('configmaps', 'ca-test', ROOT_CA_CONFIGMAP);
  t.is(cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION], ROOT_CA_DESCRIPTION);

  await c.delete('configmaps', 'ca-test', ROOT_CA_CONFIGMAP);
  await waitFor('made again', async () => (await caIn(c, 'ca-test')) === caA);
  await mutate<ConfigMapObject>(c, 'configmaps', 'ca-test', ROOT_CA_CONFIGMAP, (o) => ({ ...o, data: { 'ca.crt': 'tampered', extra: 'x' } }));
  await waitFor('put right', async () => {
    const now = await c.get<ConfigMapObject>('configmaps', 'ca-test', ROOT_CA_CONFIGMAP);
    return now.data?.['ca.crt'] === caA && now.data['extra'] === undefined;
  });
  t.is(cluster!.manager.names().join(','), 'root-ca-cert-publisher');
});

test.serial('a new CA in the file reaches every namespace', async (t) => {
  const c = client();
  writeFileSync(caFile, caB);
  for (const ns of ['default', 'tugboat-system', 'ca-test']) await waitFor(`the new CA in ${ns}`, async () => (await caIn(c, ns)) === caB);
  // A file that turns bad keeps the last good CA.
  writeFileSync(caFile, 'garbage');
  await new Promise((r) => setTimeout(r, 300));
  t.is(await caIn(c, 'default'), caB);
  t.is(cluster!.manager.rootCaPublisher?.currentCa(), caB);
  writeFileSync(caFile, caA);
});

test('without --root-ca-file the publisher does not run', (t) => {
  const m = new ControllerManager({ client: client(), controllers: ['root-ca-cert-publisher', 'serviceaccount'] });
  t.deepEqual(m.names(), ['serviceaccount']);
  t.is(m.rootCaPublisher, undefined);
});
