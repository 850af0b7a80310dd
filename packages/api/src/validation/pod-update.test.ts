import test from 'ava';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatFieldError } from '../errors.js';
import { validatePodUpdate } from './pod-update.js';

const pod = (): Pod => ({
  metadata: { name: 'p' },
  spec: {
    containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
    initContainers: [{ name: 'i', image: 'busybox:1' }],
    tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
    schedulingGates: [{ name: 'example.com/wait' }],
    activeDeadlineSeconds: 100,
    terminationGracePeriodSeconds: 30,
  },
});
const update = (change: (p: Pod) => void): string[] => {
  const old = pod();
  const next = pod();
  change(next);
  return validatePodUpdate(next, old).map(formatFieldError);
};

test('allowed changes', (t) => {
  t.deepEqual(update(() => undefined), []);
  t.deepEqual(update((p) => { p.spec!.containers[0]!.image = 'nginx:2'; p.spec!.initContainers![0]!.image = 'busybox:2'; }), []);
  t.deepEqual(update((p) => { p.spec!.activeDeadlineSeconds = 50; }), []);
  t.deepEqual(update((p) => { p.spec!.tolerations!.push({ key: 'b', operator: 'Exists' }); }), []);
  t.deepEqual(update((p) => { p.spec!.tolerations![0]!.tolerationSeconds = 10; }), [], 'a NoExecute toleration may get shorter');
  t.deepEqual(update((p) => { p.spec!.schedulingGates = []; }), []);
});

test('forbidden changes name what changed', (t) => {
  const e = update((p) => { p.spec!.terminationGracePeriodSeconds = 60; p.spec!.nodeName = 'n2'; });
  t.is(e.length, 1);
  t.regex(e[0] ?? '', /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,/);
  t.regex(e[0] ?? '', /\(changed: spec.nodeName, spec.terminationGracePeriodSeconds\)$/);
  t.deepEqual(update((p) => { p.spec!.containers.push({ name: 'd', image: 'x' }); }), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  t.deepEqual(update((p) => { p.spec!.activeDeadlineSeconds = 200; }), ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);
  t.deepEqual(update((p) => { delete p.spec!.activeDeadlineSeconds; }), ['spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value']);
  t.deepEqual(update((p) => { p.spec!.tolerations = []; }), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  t.deepEqual(update((p) => { p.spec!.tolerations![0]!.tolerationSeconds = 600; }), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  t.deepEqual(update((p) => { p.spec!.schedulingGates!.push({ name: 'example.com/more' }); }), ["spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/more'"]);
});

test('a negative grace period may become 1', (t) => {
  const old = pod();
  old.spec!.terminationGracePeriodSeconds = -1;
  const next = pod();
  next.spec!.terminationGracePeriodSeconds = 1;
  t.deepEqual(validatePodUpdate(next, old), []);
});
