import test from 'ava';
import { ApiError } from '@tugboat/api';
import { pickContainer } from './server.js';
import type { PodObject } from './pods/pod-util.js';

const pod = (...names: string[]): PodObject => ({ metadata: { name: 'web' }, spec: { containers: names.map((name) => ({ name })) } }) as PodObject;

test('the only container is picked without a name', (t) => {
  t.is(pickContainer(pod('app'), ''), 'app');
});

test('several containers and none named: an error listing them, as kubectl says it', (t) => {
  const e = t.throws(() => pickContainer(pod('app', 'sidecar'), ''), { instanceOf: ApiError });
  t.is(e?.message, 'a container name must be specified for pod web, choose one of: [app sidecar]');
  t.is(e?.reason, 'BadRequest');
});

test('an unknown container is an error', (t) => {
  t.throws(() => pickContainer(pod('app'), 'db'), { message: 'container db is not valid for pod web' });
  t.is(pickContainer(pod('app', 'db'), 'db'), 'db');
});
