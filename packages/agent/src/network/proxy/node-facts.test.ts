import test from 'ava';
import { parseNodePortAddresses, resolveNodePortIPs, resolveProxyMode } from './node-facts.js';
import { cidrContains, coveringPrefix, prefixRouted } from './service-route.js';

test('--nodeport-addresses: CIDRs and primary; anything else is one line naming the flag', (t) => {
  t.deepEqual(parseNodePortAddresses('198.19.255.0/24, primary'), ['198.19.255.0/24', 'primary']);
  t.throws(() => parseNodePortAddresses('198.19.255.0'), { message: '--nodeport-addresses: "198.19.255.0" is not an IPv4 CIDR or "primary"' });
  t.throws(() => parseNodePortAddresses(','), { message: /expected CIDRs/ });
  const local = ['127.0.0.1', '198.19.255.3', '198.18.7.1', '192.0.2.2'];
  t.deepEqual(resolveNodePortIPs(['198.19.255.0/24'], '198.19.255.3', local), ['198.19.255.3']);
  t.deepEqual(resolveNodePortIPs(['primary'], '192.0.2.2', local), ['192.0.2.2']);
  t.deepEqual(resolveNodePortIPs(['0.0.0.0/0'], '192.0.2.2', local), ['192.0.2.2', '198.18.7.1', '198.19.255.3'], 'never loopback');
});

test('--proxy-mode: nftables where nft is installed and the agent is root, else off saying why; asked-for nftables that cannot work is an error', (t) => {
  t.deepEqual(resolveProxyMode('auto', { root: true, nft: true }), { mode: 'nftables' });
  t.deepEqual(resolveProxyMode('auto', { root: false, nft: true }), { mode: 'off', reason: 'the agent is not root' });
  t.deepEqual(resolveProxyMode('auto', { root: true, nft: false }), { mode: 'off', reason: 'nft is not installed' });
  t.deepEqual(resolveProxyMode('off', { root: true, nft: true }), { mode: 'off', reason: '--proxy-mode off' });
  t.throws(() => resolveProxyMode('nftables', { root: false, nft: true }), { message: '--proxy-mode nftables: the agent is not root' });
});

test('the route for host-originated ClusterIP traffic: the smallest prefix over the ClusterIPs, only where no route covers it', (t) => {
  t.is(coveringPrefix(['198.19.0.10']), '198.19.0.10/32');
  t.is(coveringPrefix(['198.19.0.1', '198.19.0.10']), '198.19.0.0/28');
  t.is(coveringPrefix(['198.19.0.1', '198.19.127.254']), '198.19.0.0/17');
  t.is(coveringPrefix([]), undefined);
  t.true(cidrContains('198.19.0.0/16', '198.19.0.0/17'));
  t.false(cidrContains('198.19.0.0/17', '198.19.0.0/16'));
  t.true(cidrContains('198.19.0.0/17', '198.19.5.5'));
  t.true(prefixRouted([{ dst: 'default' }], '198.19.0.0/28'));
  t.true(prefixRouted([{ dst: '198.19.0.0/16', protocol: 'static' }], '198.19.0.0/28'));
  t.false(prefixRouted([{ dst: '198.18.1.0/24', protocol: 'kernel' }], '198.19.0.0/28'));
  t.false(prefixRouted([{ dst: '198.19.0.0/28', protocol: 85 }], '198.19.0.0/28'), 'our own route does not count');
});
