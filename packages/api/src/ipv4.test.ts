import test from 'ava';
import { cidrSize, formatIPv4, formatIPv4Cidr, parseIPv4, parseIPv4Cidr, prefixMask } from './ipv4.js';

test('addresses to numbers and back', (t) => {
  t.is(parseIPv4('198.18.0.1'), 0xc6120001);
  t.is(formatIPv4(0xc6120001), '198.18.0.1');
  t.is(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['198.18.0', '198.18.0.256', '1.2.3.4.5', 'a.b.c.d', ' 1.2.3.4', '::1']) t.is(parseIPv4(bad), undefined, bad);
});

test('CIDRs: host bits cleared, prefix 0 to 32', (t) => {
  t.deepEqual(parseIPv4Cidr('198.18.3.7/16'), { base: 0xc6120000, prefix: 16 });
  t.is(formatIPv4Cidr(parseIPv4Cidr('198.18.3.7/24')!), '198.18.3.0/24');
  t.is(formatIPv4Cidr(parseIPv4Cidr('0.0.0.0/0')!), '0.0.0.0/0');
  t.is(formatIPv4Cidr(parseIPv4Cidr('10.1.2.3/32')!), '10.1.2.3/32');
  for (const bad of ['198.18.0.0', '198.18.0.0/33', '198.18.0.0/', '198.18.0/16', 'x/8']) t.is(parseIPv4Cidr(bad), undefined, bad);
  t.is(prefixMask(24), 0xffffff00);
  t.is(prefixMask(0), 0);
  t.is(prefixMask(32), 0xffffffff);
  t.is(cidrSize(24), 256);
});
