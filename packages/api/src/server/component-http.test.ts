import test from 'ava';
import { serveComponentHttp } from './component-http.js';
import { parseHostPort } from './host-port.js';

const metrics = { metrics: () => Promise.resolve('# HELP up 1\nup 1\n'), contentType: 'text/plain; version=0.0.4' };

test('serves /metrics, /healthz and a live /readyz', async (t) => {
  let ready = false;
  const http = await serveComponentHttp({ listen: '127.0.0.1:0', metrics, ready: () => Promise.resolve(ready), notReadyMessage: 'etcd is not answering' });
  t.teardown(() => http.close());
  const get = (p: string) => fetch(`http://${http.address}${p}`);
  t.is(await (await get('/metrics')).text(), '# HELP up 1\nup 1\n');
  t.is((await get('/healthz')).status, 200);
  const notReady = await get('/readyz');
  t.is(notReady.status, 503);
  t.is(await notReady.text(), 'not ready: etcd is not answering\n');
  ready = true;
  t.is((await get('/readyz')).status, 200);
  t.is((await get('/nope')).status, 404);
});

test('a taken port is one line naming the flag', async (t) => {
  const first = await serveComponentHttp({ listen: '127.0.0.1:0', metrics });
  t.teardown(() => first.close());
  await t.throwsAsync(serveComponentHttp({ listen: first.address, metrics, flag: '--http-listen' }), { message: `--http-listen ${first.address}: address already in use` });
});

test('HOST:PORT parsing', (t) => {
  t.deepEqual(parseHostPort('127.0.0.1:6443', '--listen'), { host: '127.0.0.1', port: 6443 });
  t.deepEqual(parseHostPort('[::1]:80', '--listen'), { host: '::1', port: 80 });
  t.deepEqual(parseHostPort(':9000', '--listen'), { host: '0.0.0.0', port: 9000 });
  t.throws(() => parseHostPort('nope', '--listen'), { message: '--listen: expected HOST:PORT, got "nope"' });
  t.throws(() => parseHostPort('a:70000', '--listen'), { message: /expected HOST:PORT/ });
});
