import test from 'ava';
import { formatFieldError } from '../errors.js';
import { nameIsDNSSubdomain } from '../names.js';
import { validateAnnotations, validateLabels, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, TOTAL_ANNOTATION_SIZE_LIMIT } from './meta.js';

const opts = { namespaced: true, nameFn: nameIsDNSSubdomain };
const fmt = (e: ReturnType<typeof validateLabels>): string[] => e.map(formatFieldError);

test('names and namespaces', (t) => {
  t.deepEqual(validateObjectMeta({ name: 'web', namespace: 'default' }, 'metadata', opts), []);
  t.deepEqual(fmt(validateObjectMeta({ namespace: 'default' }, 'metadata', opts)), ['metadata.name: Required value: name or generateName is required']);
  t.deepEqual(fmt(validateObjectMeta({ name: 'web' }, 'metadata', opts)), ['metadata.namespace: Required value']);
  t.deepEqual(fmt(validateObjectMeta({ name: 'web', namespace: 'x' }, 'metadata', { ...opts, namespaced: false })), ['metadata.namespace: Forbidden: not allowed on this type']);
  t.regex(fmt(validateObjectMeta({ name: 'web', namespace: 'Team' }, 'metadata', opts))[0] ?? '', /^metadata.namespace: Invalid value: "Team": a lowercase RFC 1123 label/);
  t.deepEqual(fmt(validateObjectMeta({ name: 'web', namespace: 'd', generation: -1 }, 'metadata', opts)), ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
});

test('labels and annotations', (t) => {
  t.deepEqual(validateLabels({ app: 'web', 'app.kubernetes.io/name': 'x', empty: '' }, 'l'), []);
  t.deepEqual(fmt(validateLabels({ 'bad key': 'v', ok: 'bad value' }, 'l')).map((s) => s.slice(0, 40)), ['l: Invalid value: "bad key": name part m', 'l: Invalid value: "bad value": a valid l']);
  t.deepEqual(validateAnnotations({ 'Example.com/Note': 'anything at all: {"json": true}' }, 'a'), [], 'case does not matter in annotation keys');
  t.deepEqual(fmt(validateAnnotations({ big: 'x'.repeat(TOTAL_ANNOTATION_SIZE_LIMIT) }, 'metadata.annotations')), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
});

test('owner references and finalizers', (t) => {
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true };
  t.deepEqual(validateObjectMeta({ name: 'p', namespace: 'd', ownerReferences: [ref] }, 'metadata', opts), []);
  t.deepEqual(fmt(validateObjectMeta({ name: 'p', namespace: 'd', ownerReferences: [ref, { ...ref, uid: 'u2' }] }, 'metadata', opts)).map((s) => s.replace(/Invalid value: .*: Only/, 'Only')), ['metadata.ownerReferences: Only one reference can have Controller set to true']);
  t.deepEqual(fmt(validateObjectMeta({ name: 'p', namespace: 'd', ownerReferences: [{ ...ref, uid: '' }] }, 'metadata', opts)), ['metadata.ownerReferences[0].uid: Invalid value: "": uid must not be empty']);
  t.deepEqual(validateObjectMeta({ name: 'p', namespace: 'd', finalizers: ['foregroundDeletion', 'orphan', 'example.com/x'] }, 'metadata', opts), []);
  t.deepEqual(fmt(validateObjectMeta({ name: 'p', namespace: 'd', finalizers: ['custom'] }, 'metadata', opts)), ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']);
});

test('label selector objects', (t) => {
  t.deepEqual(validateLabelSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }, 's'), []);
  t.deepEqual(fmt(validateLabelSelector({ matchExpressions: [{ key: 'x', operator: 'In' }] }, 's')), ["s.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]);
  t.deepEqual(validateLabelSelector(undefined, 's'), []);
});

test('update: name and namespace are immutable', (t) => {
  t.deepEqual(validateObjectMetaUpdate({ name: 'a', namespace: 'n', labels: { x: 'y' } }, { name: 'a', namespace: 'n' }, 'metadata'), []);
  t.deepEqual(fmt(validateObjectMetaUpdate({ name: 'b', namespace: 'n' }, { name: 'a', namespace: 'n' }, 'metadata')), ['metadata.name: Invalid value: "b": field is immutable']);
});
