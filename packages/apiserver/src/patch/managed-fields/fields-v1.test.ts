import test from 'ava';
import { decodeFieldsV1, encodeFieldsV1 } from './fields-v1.js';
import { FieldSet } from './field-set.js';
import { displayPath } from './path.js';

test('FieldsV1 round trip, with "." on members that have members below them', (t) => {
  const wire = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
    },
  };
  const set = decodeFieldsV1(wire);
  t.is(set.size, 6);
  t.true(set.has(['f:metadata', 'f:labels']));
  t.false(set.has(['f:metadata']));
  t.deepEqual(encodeFieldsV1(set), wire);
  t.deepEqual(JSON.stringify(Object.keys(encodeFieldsV1(set)['f:spec'] as object)), '["f:replicas","f:template"]');
});

test('paths print as Kubernetes prints them in conflicts', (t) => {
  t.is(displayPath(['f:spec', 'f:replicas']), '.spec.replicas');
  t.is(displayPath(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']), '.spec.template.spec.containers[name="web"].image');
  t.is(displayPath(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
  t.is(displayPath(['f:metadata', 'f:finalizers', 'v:"x"']), '.metadata.finalizers[="x"]');
});

test('set algebra', (t) => {
  const a = new FieldSet([['f:a'], ['f:b', 'f:c']]);
  const b = new FieldSet([['f:b', 'f:c'], ['f:d']]);
  t.deepEqual(a.union(b).paths(), [['f:a'], ['f:b', 'f:c'], ['f:d']]);
  t.deepEqual(a.difference(b).paths(), [['f:a']]);
  t.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
  t.true(a.hasAtOrBelow(['f:b']));
  t.deepEqual(a.withoutSubtree(['f:b']).paths(), [['f:a']]);
});
