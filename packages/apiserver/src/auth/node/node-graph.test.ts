import test from 'ava';
import { nodeAffinityFor, type KubeObject, type PersistentVolumeObject, type Pod } from '@tugboat/api';
import { NodeGraph } from './node-graph.js';

const pod = (name: string, node: string, claim: string): Pod & KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `${name}-uid` },
  spec: { nodeName: node, containers: [{ name: 'c' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: claim } }] },
});
const volume = (name: string, claim?: string, node?: string): PersistentVolumeObject => ({
  metadata: { name },
  spec: { ...(claim ? { claimRef: { namespace: 'ns', name: claim } } : {}), ...(node ? { nodeAffinity: nodeAffinityFor(node) } : {}) },
});

test('a node may read the claims its pods use and their volumes, and its own local volumes', (t) => {
  const g = new NodeGraph();
  g.upsertPod(pod('web', 'n1', 'data'));
  g.upsertVolume(volume('pv-data', 'data'));
  g.upsertVolume(volume('pv-other', 'other'));
  g.upsertVolume(volume('pv-local', undefined, 'n1'));
  t.true(g.hasClaim('n1', 'ns', 'data'));
  t.false(g.hasClaim('n2', 'ns', 'data'));
  t.true(g.hasVolume('n1', 'pv-data'));
  t.false(g.hasVolume('n1', 'pv-other'));
  t.false(g.hasVolume('n2', 'pv-data'));
  t.true(g.hasVolume('n1', 'pv-local'));
  t.true(g.hasLocalVolume('n1', 'pv-local'));
  t.false(g.hasLocalVolume('n1', 'pv-data'), 'a claimed volume elsewhere is not the node\'s to update');
  g.deletePod(pod('web', 'n1', 'data'));
  t.false(g.hasClaim('n1', 'ns', 'data'));
  t.false(g.hasVolume('n1', 'pv-data'));
  g.deleteVolume(volume('pv-local', undefined, 'n1'));
  t.false(g.hasLocalVolume('n1', 'pv-local'));
});
