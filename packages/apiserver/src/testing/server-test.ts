// A test file's own etcd and API server, in this process: the set-up the registry tests share
// (the rest of the file's tests talk to it through `client`, or reach into `server` and `etcd`).
// Only used by *.test.ts.
import anyTest, { type TestFn } from 'ava';
import type { TugboatClient } from '@tugboat/api';
import { startApiServerInProcess, startEtcd, type EtcdHandle, type InProcessApiServerOptions } from '@tugboat/test';

export interface ServerTestContext {
  etcd: EtcdHandle;
  server: Awaited<ReturnType<typeof startApiServerInProcess>>;
  /** The admin's client. */
  client: TugboatClient;
}

/**
 * ava's `test`, typed with the context, after registering the hooks that start etcd and the API
 * server before the file's first test and stop them after its last (even when one failed).
 */
export function testWithApiServer(options: InProcessApiServerOptions = {}): TestFn<ServerTestContext> {
  const test = anyTest as TestFn<ServerTestContext>;
  test.before(async (t) => {
    const etcd = await startEtcd();
    const server = await startApiServerInProcess(etcd.endpoint, options);
    t.context = { etcd, server, client: server.client() };
  });
  test.after.always(async (t) => {
    await t.context.server?.stop();
    await t.context.etcd?.destroy();
  });
  return test;
}
