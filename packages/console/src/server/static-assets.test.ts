import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetFor, serveConsole } from './static-assets.js';

test('assetFor: the bundle\'s flat files under /console/, a redirect for /console, nothing else', (t) => {
  t.deepEqual(assetFor('/console'), { type: 'redirect', location: '/console/' });
  t.deepEqual(assetFor('/console/'), { type: 'file', name: 'index.html', contentType: 'text/html; charset=utf-8' });
  t.deepEqual(assetFor('/console/app.js'), { type: 'file', name: 'app.js', contentType: 'text/javascript; charset=utf-8' });
  t.is(assetFor('/console/console.css').type, 'file');
  t.is(assetFor('/api/v1/pods').type, 'not-console');
  t.is(assetFor('/consoles').type, 'not-console');
  t.is(assetFor('/').type, 'not-console');
  for (const bad of ['/console/../etc/passwd', '/console/..', '/console/a/b.js', '/console/.env', '/console/x.exe', '/console/%2e%2e']) {
    t.is(assetFor(bad).type, 'not-found', bad);
  }
});

async function serve(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    if (!serveConsole(req, res, dir)) { res.writeHead(418); res.end('api'); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('serveConsole: files with a strict CSP, no credentials needed; other paths fall through to the API', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'console-bundle-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  const { server, base } = await serve(dir);
  try {
    const index = await fetch(`${base}/console/`);
    t.is(index.status, 200);
    t.is(await index.text(), '<!doctype html><title>x</title>');
    t.regex(index.headers.get('content-security-policy') ?? '', /default-src 'none'.*connect-src 'self'/);
    t.is(index.headers.get('x-content-type-options'), 'nosniff');
    t.is((await fetch(`${base}/console/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    const head = await fetch(`${base}/console/app.js`, { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(await head.text(), '');
    const redirect = await fetch(`${base}/console`, { redirect: 'manual' });
    t.is(redirect.status, 301);
    t.is(redirect.headers.get('location'), '/console/');
    t.is((await fetch(`${base}/console/missing.js`)).status, 404);
    t.is((await fetch(`${base}/console/`, { method: 'POST' })).status, 405);
    t.is((await fetch(`${base}/api/v1/pods`)).status, 418, 'not ours: the REST API answers');
  } finally {
    server.close();
  }
});

test('serveConsole: an unbuilt console says how to build it', async (t) => {
  const { server, base } = await serve(mkdtempSync(join(tmpdir(), 'console-empty-')));
  try {
    const res = await fetch(`${base}/console/`);
    t.is(res.status, 503);
    t.regex(await res.text(), /npm run build/);
  } finally {
    server.close();
  }
});
