import test from 'ava';
import { Metadata } from '@grpc/grpc-js';
import { ApiError, escapeControl, fromGrpcError, toGrpcError } from './errors.js';

test('field errors with any characters in their values survive gRPC metadata', (t) => {
  const value = 'стратегия 😀 \u0001 "q"';
  const err = ApiError.invalid('Deployment', 'web', [{ path: 'spec.strategy.type', type: 'NotSupported', value, detail: 'supported values: "Recreate", "RollingUpdate"' }]);
  const wire = toGrpcError(err);
  const md = wire.metadata ?? new Metadata();
  // What the client sees: a plain ASCII header, parsed back to the same field errors.
  const header = md.get('tugboat-field-errors')[0];
  t.regex(String(header), /^[\x20-\x7e]+$/);
  const back = fromGrpcError({ ...wire, name: 'Error', message: wire.message ?? '', details: wire.details ?? '', code: wire.code ?? 3, metadata: md });
  t.is(back.reason, 'Invalid');
  t.deepEqual(back.fieldErrors, err.fieldErrors);
});

test('field errors too big for a header lose their values, then the header', (t) => {
  const big = ApiError.invalid('ConfigMap', 'c', [{ path: 'data.x', type: 'Invalid', value: 'x'.repeat(100_000), detail: 'too long' }]);
  const header = toGrpcError(big).metadata?.get('tugboat-field-errors')[0];
  t.deepEqual(JSON.parse(String(header)), [{ path: 'data.x', type: 'Invalid', detail: 'too long' }]);
  const many = ApiError.invalid('ConfigMap', 'c', Array.from({ length: 1000 }, (_v, i) => ({ path: `data.k${i}`, type: 'Required' as const })));
  t.deepEqual(toGrpcError(many).metadata?.get('tugboat-field-errors'), []);
});

test('a huge invalid value is quoted in part, and a gRPC message stays small enough to send', (t) => {
  const err = ApiError.invalid('ConfigMap', 'c', [{ path: 'metadata.namespace', type: 'Invalid', value: 'a'.repeat(300_000) }]);
  t.true(err.message.length < 400);
  t.regex(err.message, /^ConfigMap "c" is invalid: metadata.namespace: Invalid value: "a+… \(300002 characters\)$/);
  const wire = toGrpcError(new ApiError('BadRequest', `the kind in the data (${'k'.repeat(100_000)}) does not match`));
  t.true((wire.details ?? '').length <= 4096 + 20);
});

test('an object named with a line break is named in one line', (t) => {
  const err = ApiError.invalid('Secret', '\r web', [{ path: 'metadata.name', type: 'Invalid', value: '\r web' }]);
  t.is(err.message, 'Secret "\\r web" is invalid: metadata.name: Invalid value: "\\r web"');
  t.is(ApiError.invalid('Pod', 'web', []).message, 'Pod "web" is invalid: ');
  t.is(ApiError.notFound('pods', 'a\nb').message, 'pods "a\\nb" not found');
});

test('a cut never splits an emoji, and a lone surrogate reaches gRPC as U+FFFD (encodeURI threw on it and took the server down)', (t) => {
  const err = ApiError.invalid('Namespace', '😀'.repeat(2500), [{ path: 'metadata.name', type: 'Invalid', value: '😀'.repeat(2500) }]);
  const wire = toGrpcError(err);
  t.notThrows(() => encodeURI(wire.details ?? ''));
  t.regex(wire.details ?? '', /^Namespace "(😀)+… \(5002 characters\) is invalid/);
  const lone = toGrpcError(new ApiError('NotFound', 'pods "a\ud83db" not found'));
  t.is(lone.details, 'pods "a\ufffdb" not found');
  t.notThrows(() => encodeURI(lone.details ?? ''));
});

test('a map key with a line break in a field path is escaped: one line', (t) => {
  const err = ApiError.invalid('Service', 'web', [{ path: 'spec.selector[\n]', type: 'Invalid', value: -1, detail: 'must be a string' }]);
  t.is(err.message, 'Service "web" is invalid: spec.selector[\\n]: Invalid value: -1: must be a string');
});

test('escapeControl: names from a request stay on one line in a message', (t) => {
  t.is(escapeControl('web\n'), 'web\\n');
  t.is(escapeControl('a\u0001b\u007f'), 'a\\u0001b\\u007f');
  t.is(escapeControl('plain-name'), 'plain-name');
});
