import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderKubeconfig } from '@tugboat/api';
import { createCa, issueCertificate } from '@tugboat/api/pki';
import { runCli } from '../cli.js';
import type { Io } from '../context.js';

test('config view: the server, the kubeconfig and where each came from, and who the credentials name', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tctl-config-view-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const ca = await createCa('view-ca');
  const admin = await issueCertificate(ca, { commonName: 'tugboat-admin', organizations: ['system:masters'], usage: 'client' });
  const kubeconfig = join(home, 'admin.kubeconfig');
  writeFileSync(kubeconfig, renderKubeconfig({ server: '127.0.0.1:6443', caPem: ca.certPem, user: 'tugboat-admin', certPem: admin.certPem, keyPem: admin.keyPem }));
  writeFileSync(join(home, 'config.json'), JSON.stringify({ server: '127.0.0.1:6443', httpServer: '127.0.0.1:6480', kubeconfig }));
  const view = async (...argv: string[]): Promise<Record<string, unknown>> => {
    let out = '';
    const io: Io = { out: (s) => { out += s; }, err: () => undefined, readStdin: async () => '', env: { TUGBOAT_HOME: home }, cwd: home, signal: new AbortController().signal };
    t.is(await runCli([...argv, 'config', 'view', '-o', 'json'], io), 0);
    return JSON.parse(out) as Record<string, unknown>;
  };
  t.deepEqual(await view(), {
    configFile: join(home, 'config.json'),
    server: '127.0.0.1:6443',
    serverFrom: 'config file',
    namespace: 'default',
    httpServer: '127.0.0.1:6480',
    kubeconfig,
    kubeconfigFrom: 'config file',
    user: 'tugboat-admin',
    groups: ['system:masters'],
    authentication: 'client certificate',
    certificateAuthority: kubeconfig,
  });
  t.like(await view('--token', 'opaque-static-token', '--as', 'bob', '--as-group', 'dev'), { user: 'token', authentication: 'token', impersonate: { user: 'bob', groups: ['dev'] } });
  t.like(await view('--kubeconfig', '/nonexistent.kubeconfig'), { kubeconfig: '/nonexistent.kubeconfig', error: 'cannot read kubeconfig /nonexistent.kubeconfig: ENOENT' });

  // --raw: the kubeconfig itself, byte for byte, for kubectl.
  let raw = '';
  const io: Io = { out: (s) => { raw += s; }, err: () => undefined, readStdin: async () => '', env: { TUGBOAT_HOME: home }, cwd: home, signal: new AbortController().signal };
  t.is(await runCli(['config', 'view', '--raw'], io), 0);
  t.is(raw, readFileSync(kubeconfig, 'utf8'));
});
