import test from 'ava';
import { ApiError } from '@tugboat/api';
import { statusOf } from './status.js';
import { warningHeader } from './http-io.js';

test('NotFound and AlreadyExists name the object as Kubernetes does', (t) => {
  t.deepEqual(statusOf(ApiError.notFound('pods', 'x')), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods' }, code: 404,
  });
  t.like(statusOf(new ApiError('AlreadyExists', 'deployments.apps "web" already exists')), { code: 409, reason: 'AlreadyExists', details: { name: 'web', group: 'apps', kind: 'deployments' } });
  t.like(statusOf(new ApiError('Conflict', 'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again')), { code: 409, reason: 'Conflict', details: { name: 'web', kind: 'pods' } });
});

test('Invalid carries the kind, the name and one cause per field (what kubectl prints)', (t) => {
  const err = ApiError.invalid('Pod', 'x', [{ path: 'spec.containers[0].image', type: 'Required' }, { path: 'metadata.name', type: 'Invalid', value: 'A', detail: 'must be lower case' }]);
  t.like(statusOf(err), {
    code: 422,
    reason: 'Invalid',
    details: {
      name: 'x',
      kind: 'Pod',
      causes: [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
        { reason: 'FieldValueInvalid', message: 'Invalid value: "A": must be lower case', field: 'metadata.name' },
      ],
    },
  });
});

test('other reasons: codes and Kubernetes reason names; unknown throws are 500', (t) => {
  t.like(statusOf(new ApiError('Unauthorized', 'Unauthorized')), { code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
  t.like(statusOf(new ApiError('Forbidden', 'pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "a"')), { code: 403, details: { name: 'x', kind: 'pods' } });
  t.like(statusOf(new ApiError('Expired', 'too old resource version: 5 (10)')), { code: 410, reason: 'Expired' });
  t.like(statusOf(new ApiError('Unavailable', 'etcd is unavailable')), { code: 503, reason: 'ServiceUnavailable' });
  t.like(statusOf(new Error('boom')), { code: 500, reason: 'InternalError', message: 'Internal error occurred: boom' });
  t.like(statusOf(new ApiError('NotAcceptable', 'x')), { code: 406 });
});

test('warnings are RFC 7234 warn-text', (t) => {
  t.is(warningHeader('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
  t.is(warningHeader('naïve'), '299 - "na?ve"');
});
