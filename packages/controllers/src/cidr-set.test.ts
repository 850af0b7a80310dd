import test from 'ava';
import { parseIPv4Cidr } from '@tugboat/api';
import { CidrSet } from './cidr-set.js';

const set = (cluster: string, prefix: number): CidrSet => new CidrSet(parseIPv4Cidr(cluster)!, prefix);

test('blocks are handed out in order until the range is full', (t) => {
  const s = set('198.18.0.0/22', 24);
  t.is(s.size, 4);
  t.deepEqual([s.allocateNext(), s.allocateNext(), s.allocateNext(), s.allocateNext()], ['198.18.0.0/24', '198.18.1.0/24', '198.18.2.0/24', '198.18.3.0/24']);
  t.is(s.allocateNext(), undefined);
  t.is(s.allocated(), 4);
});

test('a released block is free again, but the cursor moves on first', (t) => {
  const s = set('198.18.0.0/22', 24);
  s.allocateNext();
  s.allocateNext();
  t.true(s.release('198.18.0.0/24'));
  t.false(s.isTaken('198.18.0.0/24'));
  t.is(s.allocateNext(), '198.18.2.0/24');
  t.is(s.allocateNext(), '198.18.3.0/24');
  t.is(s.allocateNext(), '198.18.0.0/24', 'wraps around to the released block');
  t.is(s.allocateNext(), undefined);
});

test('occupied blocks are skipped; occupying twice counts once', (t) => {
  const s = set('198.18.0.0/16', 24);
  t.true(s.occupy('198.18.0.0/24'));
  t.true(s.occupy('198.18.0.0/24'));
  t.true(s.occupy('198.18.1.0/24'));
  t.is(s.allocated(), 2);
  t.is(s.allocateNext(), '198.18.2.0/24');
});

test('a podCIDR of another size takes the blocks it touches', (t) => {
  const s = set('198.18.0.0/16', 24);
  t.true(s.occupy('198.18.5.128/25'), 'smaller: its whole block');
  t.true(s.isTaken('198.18.5.0/24'));
  t.true(s.occupy('198.18.8.0/23'), 'larger: every block inside');
  t.true(s.isTaken('198.18.8.0/24'));
  t.true(s.isTaken('198.18.9.0/24'));
  t.is(s.allocated(), 3);
  t.true(s.release('198.18.8.0/23'));
  t.is(s.allocated(), 1);
});

test('CIDRs outside the cluster CIDR are refused and change nothing', (t) => {
  const s = set('198.18.0.0/16', 24);
  t.false(s.occupy('198.19.0.0/24'));
  t.false(s.occupy('10.0.0.0/8'));
  t.false(s.occupy('not-a-cidr'));
  t.false(s.release('198.19.0.0/24'));
  t.false(s.overlaps('198.19.1.0/24'));
  t.is(s.allocated(), 0);
  t.true(s.occupy('198.0.0.0/8'), 'a CIDR containing the whole cluster CIDR takes it all');
  t.is(s.allocated(), 256);
  t.is(s.allocateNext(), undefined);
});

test('the node mask must fit the cluster CIDR', (t) => {
  t.throws(() => set('198.18.0.0/16', 15), { message: /between the cluster CIDR's \/16 and \/32/ });
  t.throws(() => set('198.18.0.0/16', 33));
  t.throws(() => set('0.0.0.0/0', 32), { message: /more than 24 bits/ });
  t.is(set('198.18.0.0/24', 24).size, 1);
  t.is(set('198.18.0.0/16', 26).allocateNext(), '198.18.0.0/26');
});
