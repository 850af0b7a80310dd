import test from 'ava';
import { decodeContinue, encodeContinue } from './continue-token.js';

test('round trip', (t) => {
  const tok = { revision: 42, startKey: '/registry/pods/default/b\0' };
  t.deepEqual(decodeContinue(encodeContinue(tok), '/registry/pods/'), tok);
});

test('tokens of another list or not ours are refused', (t) => {
  const tok = encodeContinue({ revision: 42, startKey: '/registry/secrets/default/b' });
  t.throws(() => decodeContinue(tok, '/registry/pods/'), { message: /different list/ });
  t.throws(() => decodeContinue('garbage', '/registry/pods/'), { message: /invalid continue token/ });
});
