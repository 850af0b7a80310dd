import test from 'ava';
import { admitObject, defaultObject } from '../admission.js';
import { ApiError } from '../errors.js';
import type { KubeObject } from '../types.js';

const UID = '8d0c3b5e-5b8e-4a8a-9d2f-0c1e2f3a4b5c';

function job(spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: UID, ...meta },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl', command: ['perl', '-e', 'print 1'] }], restartPolicy: 'Never' } }, ...spec },
  };
}

function errorsOf(obj: KubeObject, old?: KubeObject): string {
  const r = admitObject(obj, old);
  return r.ok ? '' : ApiError.invalid('Job', 'pi', r.errors).message;
}

test('Kubernetes\' defaults: completions and parallelism 1, backoffLimit 6, NonIndexed, not suspended, generated selector', (t) => {
  const r = admitObject(job({}));
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const spec = r.object['spec'] as Record<string, unknown>;
  t.is(spec['completions'], 1);
  t.is(spec['parallelism'], 1);
  t.is(spec['backoffLimit'], 6);
  t.is(spec['completionMode'], 'NonIndexed');
  t.is(spec['suspend'], false);
  t.is(spec['podReplacementPolicy'], 'TerminatingOrFailed');
  t.deepEqual(spec['selector'], { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } });
  t.deepEqual((spec['template'] as { metadata: { labels: unknown } }).metadata.labels, {
    'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'batch.kubernetes.io/controller-uid': UID,
  });
  t.deepEqual(r.object['status'], {});
});

test('a work-queue Job (parallelism only) keeps completions unset; the Job takes its template\'s labels', (t) => {
  const r = admitObject(job({ parallelism: 3, template: { metadata: { labels: { app: 'q' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } }));
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const spec = r.object['spec'] as Record<string, unknown>;
  t.is(spec['completions'], undefined);
  t.deepEqual(r.object.metadata?.labels, { app: 'q' });
});

test('restartPolicy Always or missing is refused with one line naming the field', (t) => {
  t.is(errorsOf(job({ template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Always' } } })),
    'Job "pi" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  t.is(errorsOf(job({ template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } })),
    'Job "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
});

test('Indexed requires completions', (t) => {
  t.regex(errorsOf(job({ completionMode: 'Indexed', parallelism: 2 })), /spec\.completions: Required value: when completion mode is Indexed/);
});

test('a selector set by hand needs manualSelector, and must match the template', (t) => {
  t.regex(errorsOf(job({ selector: { matchLabels: { app: 'x' } } })), /spec\.selector: Invalid value: .*`selector` not auto-generated/);
  t.regex(errorsOf(job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } })), /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  t.is(errorsOf(job({ manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'b' }], restartPolicy: 'Never' } } })), '');
});

test('podFailurePolicy: Never only, and its rules checked as Kubernetes does', (t) => {
  const rules = [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0, 3] } }, { action: 'Explode', onPodConditions: [{ type: 'DisruptionTarget' }] }];
  const msg = errorsOf(job({ podFailurePolicy: { rules }, template: { spec: { containers: [{ name: 'c', image: 'b' }], restartPolicy: 'OnFailure' } } }));
  t.regex(msg, /spec\.template\.spec\.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified/);
  t.regex(msg, /spec\.podFailurePolicy\.rules\[0\]\.onExitCodes\.values\[0\]: Invalid value: 0: must not be 0 for the In operator/);
  t.regex(msg, /spec\.podFailurePolicy\.rules\[1\]\.action: Unsupported value: "Explode"/);
  const ok = admitObject(job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }));
  t.true(ok.ok);
  if (ok.ok) t.is(((ok.object['spec'] as { podFailurePolicy: { rules: { onPodConditions: { status: string }[] }[] } }).podFailurePolicy.rules[0]?.onPodConditions[0]?.status), 'True', 'pattern status defaults to True');
});

test('updates: template, selector and completions are immutable; parallelism and suspend may change', (t) => {
  const r = admitObject(job({}));
  if (!r.ok) return t.fail();
  const old = r.object;
  const changed = structuredClone(old) as { spec: Record<string, unknown> } & KubeObject;
  changed.spec['parallelism'] = 4;
  changed.spec['suspend'] = true;
  t.is(errorsOf(changed, old), '');
  const bad = structuredClone(old) as { spec: { completions: number; template: { spec: { containers: { image: string }[] } } } } & KubeObject;
  bad.spec.completions = 3;
  bad.spec.template.spec.containers[0]!.image = 'other';
  const msg = errorsOf(bad, old);
  t.regex(msg, /spec\.template: Invalid value: .*field is immutable/);
  t.regex(msg, /spec\.completions: Invalid value: 3: field is immutable/);
});

test('client-side defaulting (no uid yet) generates no selector', (t) => {
  const d: KubeObject = defaultObject({ ...job({}), metadata: { name: 'pi' } });
  t.is((d['spec'] as Record<string, unknown>)['selector'], undefined);
});
