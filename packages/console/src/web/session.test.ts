import test from 'ava';
import { tokenFromFragment } from './session.js';
import { parseRoute, href } from './route.js';

test('tokenFromFragment: the token of a sign-in link, and what else the fragment held', (t) => {
  t.deepEqual(tokenFromFragment('#token=eyJ.abc.def'), { token: 'eyJ.abc.def', rest: '' });
  t.deepEqual(tokenFromFragment('#token=eyJ.a&/pods/demo/x'), { token: 'eyJ.a', rest: '#/pods/demo/x' });
  t.is(tokenFromFragment('#/fleet'), undefined);
  t.is(tokenFromFragment(''), undefined);
  t.is(tokenFromFragment('#token='), undefined);
});

test('routes round-trip through the fragment', (t) => {
  for (const r of [{ page: 'fleet' }, { page: 'events' }, { page: 'workloads', namespace: 'demo' }, { page: 'pod', namespace: 'demo', name: 'web-1' }] as const) {
    t.deepEqual(parseRoute(href(r)), r);
  }
  t.deepEqual(parseRoute('#/nonsense'), { page: 'fleet' });
});
