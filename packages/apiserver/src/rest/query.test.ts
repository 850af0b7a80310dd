import test from 'ava';
import { ApiError } from '@tugboat/api';
import { parseDeleteOptions, parseIncludeObject, parseListQuery, parseLogQuery, parseWriteQuery } from './query.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

test('list and watch options', (t) => {
  t.like(parseListQuery(q('labelSelector=app%3Dweb&limit=10&continue=abc&allowWatchBookmarks=true&timeoutSeconds=30&resourceVersion=5&resourceVersionMatch=NotOlderThan')), {
    labelSelector: 'app=web', limit: 10, continue: 'abc', allowWatchBookmarks: true, timeoutSeconds: 30, resourceVersion: '5', resourceVersionMatch: 'NotOlderThan',
  });
  t.throws(() => parseListQuery(q('limit=-1')), { instanceOf: ApiError });
  t.throws(() => parseListQuery(q('resourceVersion=abc')), { instanceOf: ApiError });
  t.throws(() => parseListQuery(q('resourceVersionMatch=Newest')), { instanceOf: ApiError });
});

test('write options: dryRun=All only, fieldValidation, fieldManager', (t) => {
  t.like(parseWriteQuery(q('dryRun=All&fieldManager=me&fieldValidation=Strict&force=true')), { dryRun: true, fieldManager: 'me', fieldValidation: 'Strict', force: true });
  t.like(parseWriteQuery(q('')), { dryRun: false, fieldManager: '', fieldValidation: 'Warn', force: false });
  t.throws(() => parseWriteQuery(q('dryRun=Some')), { instanceOf: ApiError, message: /dryRun: Unsupported value: "Some"/ });
  t.throws(() => parseWriteQuery(q('fieldValidation=Loose')), { instanceOf: ApiError });
});

test('DeleteOptions from the body, the query filling the rest; orphanDependents is a policy', (t) => {
  t.deepEqual(parseDeleteOptions(q('gracePeriodSeconds=0'), JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: 'u1', resourceVersion: '7' }, dryRun: ['All'] })), {
    dryRun: true, gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditionUid: 'u1', preconditionResourceVersion: '7',
  });
  t.deepEqual(parseDeleteOptions(q('orphanDependents=true'), ''), { dryRun: false, propagationPolicy: 'Orphan' });
  t.deepEqual(parseDeleteOptions(q(''), JSON.stringify({ gracePeriodSeconds: 5 })), { dryRun: false, gracePeriodSeconds: 5 });
  t.throws(() => parseDeleteOptions(q(''), '[1]'), { instanceOf: ApiError });
});

test('log and table options', (t) => {
  t.deepEqual(parseLogQuery(q('container=app&follow=true&tailLines=10&sinceSeconds=60&timestamps=true')), { container: 'app', follow: true, previous: false, timestamps: true, tailLines: 10, sinceSeconds: 60 });
  t.throws(() => parseLogQuery(q('sinceSeconds=0')), { instanceOf: ApiError });
  t.is(parseIncludeObject(q('')), 'Metadata');
  t.is(parseIncludeObject(q('includeObject=Object')), 'Object');
  t.throws(() => parseIncludeObject(q('includeObject=All')), { instanceOf: ApiError });
});
