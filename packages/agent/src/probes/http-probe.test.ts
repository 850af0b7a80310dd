// httpGet probes against a real node:http server on 127.0.0.1.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpProbe } from './http-probe.js';

interface Seen { path: string; headers: http.IncomingHttpHeaders }

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => { seen.push({ path: req.url ?? '', headers: req.headers }); handler(req, res); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, seen, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const get = (port: number, path = '/', headers: { name: string; value: string }[] = [], timeoutMs = 1_000) =>
  httpProbe({ url: new URL(`http://127.0.0.1:${port}${path}`), headers, timeoutMs });

test('200–399 succeed; 400 and 500 fail with the status code; headers and path as given', async (t) => {
  const s = await serve((req, res) => {
    const code = Number(/code=(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
    res.writeHead(code).end(`answer ${code}`);
  });
  t.teardown(() => s.close());
  t.deepEqual(await get(s.port, '/healthz?code=200'), { result: 'success', output: 'answer 200' });
  t.is((await get(s.port, '/?code=204')).result, 'success');
  t.is((await get(s.port, '/?code=304')).result, 'success');
  t.deepEqual(await get(s.port, '/?code=500'), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  t.deepEqual(await get(s.port, '/?code=404'), { result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
  await get(s.port, '/x?code=200', [{ name: 'X-Custom', value: 'v' }, { name: 'user-agent', value: 'mine' }, { name: 'Host', value: 'web.example' }]);
  const last = s.seen.at(-1);
  t.is(last?.path, '/x?code=200');
  t.is(last?.headers['x-custom'], 'v');
  t.is(last?.headers['user-agent'], 'mine');
  t.is(last?.headers.host, 'web.example');
  t.is(s.seen[0]?.headers['user-agent'], 'kube-probe/1.30');
  t.is(s.seen[0]?.headers.accept, '*/*');
});

test('connection refused and a server that does not answer in time are failures', async (t) => {
  const s = await serve(() => { /* never answers */ });
  t.teardown(() => s.close());
  const slow = await get(s.port, '/', [], 200);
  t.is(slow.result, 'failure');
  t.is(slow.output, `Get "http://127.0.0.1:${s.port}/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  const closed = await serve(() => {});
  const port = closed.port;
  await closed.close();
  t.deepEqual(await get(port), { result: 'failure', output: `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused` });
});

test('redirects to the same host are followed; a redirect elsewhere is not (success with a warning)', async (t) => {
  const s = await serve((req, res) => {
    if (req.url === '/old') res.writeHead(302, { location: '/broken' }).end();
    else if (req.url === '/broken') res.writeHead(503).end();
    else if (req.url === '/away') res.writeHead(301, { location: 'http://192.0.2.1/elsewhere' }).end('moved');
    else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else res.writeHead(200).end('ok');
  });
  t.teardown(() => s.close());
  t.deepEqual(await get(s.port, '/old'), { result: 'failure', output: 'HTTP probe failed with statuscode: 503' });
  t.deepEqual(await get(s.port, '/away'), { result: 'warning', output: 'Probe terminated redirects, Response body: moved' });
  t.false(s.seen.some((x) => x.path === '/elsewhere'));
  const loop = await get(s.port, '/loop');
  t.is(loop.result, 'failure');
  t.regex(loop.output, /stopped after 10 redirects$/);
});

test('a large body is cut at 10 KiB', async (t) => {
  const s = await serve((_req, res) => { res.writeHead(200); res.end('x'.repeat(100_000)); });
  t.teardown(() => s.close());
  const r = await get(s.port);
  t.is(r.result, 'success');
  t.is(r.output.length, 10 * 1024);
});
