import test from 'ava';
import { ApiError } from '@tugboat/api';
import { contentTypeOf, negotiate, patchType, requireJsonBody } from './negotiate.js';

test('kubectl get asks for a Table first and JSON last', (t) => {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  t.deepEqual(negotiate(accept, 'object'), { type: 'table', version: 'v1' });
  t.is(contentTypeOf(negotiate(accept, 'object')), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  // The same list where only discovery is on offer: plain JSON.
  t.deepEqual(negotiate(accept, 'discovery'), { type: 'json' });
});

test('aggregated discovery when asked for it, with its Content-Type', (t) => {
  const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
  const r = negotiate(accept, 'discovery');
  t.deepEqual(r, { type: 'discovery', version: 'v2' });
  t.is(contentTypeOf(r), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
});

test('no Accept, */*, q-values; 406 only when nothing acceptable is listed', (t) => {
  t.deepEqual(negotiate(undefined, 'object'), { type: 'json' });
  t.deepEqual(negotiate('*/*', 'object'), { type: 'json' });
  t.deepEqual(negotiate('application/vnd.kubernetes.protobuf, application/json', 'object'), { type: 'json' });
  t.deepEqual(negotiate('application/json;q=0.5, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1', 'object'), { type: 'partial-metadata', version: 'v1' });
  const err = t.throws(() => negotiate('application/vnd.kubernetes.protobuf', 'object'), { instanceOf: ApiError });
  t.is(err?.reason, 'NotAcceptable');
  t.throws(() => negotiate('application/yaml', 'object'), { instanceOf: ApiError });
});

test('request bodies: JSON for POST and PUT, the four patch types for PATCH', (t) => {
  t.notThrows(() => requireJsonBody(undefined));
  t.notThrows(() => requireJsonBody('application/json; charset=utf-8'));
  t.is(t.throws(() => requireJsonBody('application/vnd.kubernetes.protobuf'), { instanceOf: ApiError })?.reason, 'UnsupportedMediaType');
  t.is(patchType('application/strategic-merge-patch+json'), 'application/strategic-merge-patch+json');
  t.is(patchType('application/apply-patch+yaml; charset=utf-8'), 'application/apply-patch+yaml');
  t.is(t.throws(() => patchType('application/json'), { instanceOf: ApiError })?.reason, 'UnsupportedMediaType');
});
