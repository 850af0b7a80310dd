// tcpSocket probes against a real node:net listener on 127.0.0.1.
import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { tcpProbe } from './tcp-probe.js';

test('an open port succeeds; a closed one fails with Go\'s wording', async (t) => {
  let accepted = 0;
  const server = createServer((s) => { accepted++; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  t.deepEqual(await tcpProbe('127.0.0.1', port, 1_000), { result: 'success', output: '' });
  await new Promise<void>((r) => server.close(() => r()));
  t.is(accepted, 1);
  t.deepEqual(await tcpProbe('127.0.0.1', port, 1_000), { result: 'failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
});
