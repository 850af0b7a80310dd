import test from 'ava';
import { cpuRateMilli, formatUsage, nodeCpuMilli, usageAnnotations } from './usage.js';
import { parseCpuTimes, parseMemoryInUse } from '../system/proc.js';

test('usage prints as kubectl top does', (t) => {
  t.deepEqual(formatUsage({ cpuMilli: 250.4, memoryBytes: 512 * 1024 * 1024 + 1000 }), { cpu: '250m', memory: '512Mi' });
  t.deepEqual(formatUsage({ cpuMilli: 2000, memoryBytes: 300 * 1024 }), { cpu: '2', memory: '300Ki' });
  t.deepEqual(formatUsage({ cpuMilli: 0, memoryBytes: 0 }), { cpu: '0', memory: '0' });
});

test('cpu rates from cumulative samples', (t) => {
  // 0.5 s of cpu in 1 s: half a core.
  t.is(cpuRateMilli(1e9, 0, 1.5e9, 1000), 500);
  t.is(cpuRateMilli(1e9, 0, 0.5e9, 1000), 0, 'a counter that went back (new process) is not negative');
  t.is(nodeCpuMilli({ busy: 100, total: 400 }, { busy: 200, total: 600 }, 2), 1000);
});

test('/proc parsing', (t) => {
  t.deepEqual(parseCpuTimes('cpu  10 0 5 80 5 0 0 0 0 0\ncpu0 1 2 3\n'), { busy: 15, total: 100 });
  t.is(parseMemoryInUse('MemTotal:       1000 kB\nMemFree: 10 kB\nMemAvailable:    600 kB\n'), 400 * 1024);
});

test('annotations: node usage and per-pod usage by namespace/name', (t) => {
  const a = usageAnnotations({
    node: { cpuMilli: 1500, memoryBytes: 2 * 1024 ** 3 },
    pods: new Map([['default/web', { cpuMilli: 5, memoryBytes: 3 * 1024 ** 2, containers: new Map([['c', { cpuMilli: 5, memoryBytes: 3 * 1024 ** 2 }]]) }]]),
  }, new Date('2024-05-01T10:00:00Z'));
  t.deepEqual(JSON.parse(a.node), { cpu: '1500m', memory: '2Gi', timestamp: '2024-05-01T10:00:00.000Z' });
  t.deepEqual(JSON.parse(a.pods), { 'default/web': { cpu: '5m', memory: '3Mi', containers: { c: { cpu: '5m', memory: '3Mi' } } } });
});
