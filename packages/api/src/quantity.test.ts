import test from 'ava';
import {
  Quantity, parseQuantity, isQuantity, cmpQuantity, addQuantities, subQuantities, canonicalQuantity, formatBytes, formatMilliCpu, QUANTITY_REGEXP,
} from './quantity.js';

test('canonical forms match Kubernetes', (t) => {
  const cases: Array<[string | number, string]> = [
    ['500m', '500m'], ['1.5', '1500m'], ['128Mi', '128Mi'], ['1G', '1G'], ['2e3', '2e3'], ['0.1', '100m'],
    ['1Ki', '1Ki'], ['+1', '1'], ['-1', '-1'], ['0', '0'], ['-0', '0'], ['1000m', '1'], ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'], ['0.5Gi', '512Mi'], ['1.5Ki', '1536'], ['512', '512'], ['2048', '2048'], ['1000k', '1M'],
    ['12e6', '12e6'], ['100e-3', '100e-3'], ['1E', '1E'], ['1n', '1n'], ['1000n', '1u'], ['0.5e3', '500'],
    ['1.', '1'], ['.5', '500m'], ['007', '7'], ['1e0', '1'], ['1E3', '1e3'], ['1e+3', '1e3'], ['-2Ki', '-2Ki'],
    ['100Ki', '100Ki'], ['1025Ki', '1025Ki'], ['2000', '2k'], ['1000000000000000000000', '1000E'],
    [1, '1'], [0.25, '250m'], [1e21, '1e21'], ['.', '0'],
  ];
  for (const [input, want] of cases) t.is(parseQuantity(input).toString(), want, `parse(${JSON.stringify(input)})`);
});

test('values are exact and round up as Kubernetes does', (t) => {
  t.is(parseQuantity('500m').milliValue(), 500);
  t.is(parseQuantity('1').milliValue(), 1000);
  t.is(parseQuantity('0.1').milliValue(), 100);
  t.is(parseQuantity('0.1m').milliValue(), 1); // rounded up
  t.is(parseQuantity('1.5').value(), 2); // rounded up
  t.is(parseQuantity('-1.5').value(), -2); // away from zero
  t.is(parseQuantity('128Mi').value(), 134217728);
  t.is(parseQuantity('1G').value(), 1_000_000_000);
  t.is(parseQuantity('2e3').value(), 2000);
  t.is(parseQuantity('1.1').milliValue(), 1100); // no float error (1.1 * 1000 = 1100.0000000000002)
  t.is(parseQuantity('0.3').add(parseQuantity('0.6')).toString(), '900m'); // 0.3 + 0.6 != 0.9 in floats
  t.is(parseQuantity('12345678901234567890').bigValue(), 12345678901234567890n);
  t.is(parseQuantity('0.0000000001').nanos, 1n); // below 1n rounds up to 1n
  t.is(parseQuantity('-0.0000000001').nanos, -1n);
  t.is(parseQuantity('1e-1000').nanos, 1n);
  t.is(parseQuantity('0e-1000').nanos, 0n);
  t.is(parseQuantity('1.5n').nanos, 2n);
  t.is(parseQuantity('8Ei').bigValue(), 2n ** 63n - 1n); // binary quantities cap at int64
});

test('formats come from the suffix', (t) => {
  t.is(parseQuantity('1Ki').format, 'BinarySI');
  t.is(parseQuantity('1k').format, 'DecimalSI');
  t.is(parseQuantity('1e3').format, 'DecimalExponent');
  t.is(parseQuantity('5').format, 'DecimalSI');
});

test('invalid quantities are rejected with Kubernetes messages', (t) => {
  const formatMsg = `quantities must match the regular expression '${QUANTITY_REGEXP}'`;
  for (const bad of ['abc', '', '1 Gi', '1.2.3', 'Mi', '-', '+', '1Gi ', ' 1', '1x', '--1', '1e3.5', '1KB']) {
    const err = t.throws(() => parseQuantity(bad), undefined, JSON.stringify(bad));
    t.is(err?.message, formatMsg, JSON.stringify(bad));
  }
  for (const bad of ['1e', '1ee3', '1Kii', '1mi', '1ki', '1k3', '1Mi-']) {
    t.is(t.throws(() => parseQuantity(bad))?.message, "unable to parse quantity's suffix", bad);
  }
  t.throws(() => parseQuantity(Number.NaN));
  t.throws(() => parseQuantity(Infinity));
  t.true(isQuantity('100Mi'));
  t.false(isQuantity('abc'));
  t.false(isQuantity(undefined));
  t.false(isQuantity({}));
});

test('arithmetic and comparison', (t) => {
  t.is(cmpQuantity('1', '1000m'), 0);
  t.is(cmpQuantity('1Ki', '1k'), 1);
  t.is(cmpQuantity('999m', '1'), -1);
  t.is(addQuantities('500m', '1.5').toString(), '2');
  t.is(subQuantities('1Gi', '512Mi').toString(), '512Mi');
  t.is(subQuantities('1', '2').toString(), '-1');
  t.true(parseQuantity('0m').isZero());
  t.is(parseQuantity('-5').sign(), -1);
  t.true(parseQuantity('1Ki').equals(parseQuantity('1024')));
  t.is(parseQuantity('1Gi').neg().toString(), '-1Gi');
  t.is(Quantity.fromMilli(1500).toString(), '1500m');
  t.is(Quantity.fromValue(1024, 'BinarySI').toString(), '1Ki');
  t.is(JSON.stringify({ cpu: parseQuantity('1000m') }), '{"cpu":"1"}');
  t.is(canonicalQuantity(2), '2');
  t.is(parseQuantity('250m').toNumber(), 0.25);
});

test('human formatting', (t) => {
  t.is(formatBytes(134217728), '128Mi');
  t.is(formatBytes(1024 ** 3), '1Gi');
  t.is(formatBytes(1536), '1536');
  t.is(formatBytes(1000), '1k');
  t.is(formatBytes(0), '0');
  t.is(formatMilliCpu(500), '500m');
  t.is(formatMilliCpu(2000), '2');
  t.is(formatMilliCpu(1500), '1500m');
  t.is(formatMilliCpu(0), '0');
});
