// The tctl image: built from the bundle, unpacked with umoci (an independent OCI tool) and
// run with chroot, so what a pod would run is exercised without a cluster: --help, and the
// in-cluster configuration (a serviceaccount directory and KUBERNETES_SERVICE_*) against a
// real TLS API server. Needs root (chroot), umoci and busybox; skipped otherwise.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApiServerInProcess, type ApiServerHandle } from './apiserver.js';
import { REPO_ROOT } from './cluster.js';
import { startEtcd, type EtcdHandle } from './etcd.js';
import { TCTL_BUNDLE, buildTctlImage, busyboxAvailable, sharedLibraries } from './images.js';

const run = promisify(execFile);
const CHROOT = '/usr/sbin/chroot';

const usable = process.getuid?.() === 0 && busyboxAvailable()
  && spawnSync('umoci', ['--version'], { stdio: 'ignore' }).status === 0
  && spawnSync(CHROOT, ['--version'], { stdio: 'ignore' }).status === 0;

const dirs: string[] = [];
let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
test.after.always(async () => {
  await api?.stop();
  await etcd?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('sharedLibraries lists node\'s libraries and the loader as files', (t) => {
  const libs = sharedLibraries(process.execPath);
  if (libs.length === 0) { t.pass('a static node'); return; }
  t.true(libs.every((l) => l.startsWith('/')));
  t.true(libs.some((l) => /\/ld-linux[^/]*\.so/.test(l) || /\/ld-musl/.test(l)), libs.join(' '));
});

test('the tctl image runs tctl, and tctl in it uses the pod\'s ServiceAccount', async (t) => {
  if (!usable) { t.pass('needs root, umoci, chroot and busybox'); return; }
  // A fresh bundle from the built tree.
  const bundled = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build-tctl-bundle.mjs')], { encoding: 'utf8' });
  t.is(bundled.status, 0, bundled.stderr);
  const base = mkdtempSync(join(tmpdir(), 'tctl-image-'));
  dirs.push(base);
  const image = buildTctlImage(join(base, 'layout'), 'tctl', { bundle: TCTL_BUNDLE });
  t.is(image.layers.length, 2);
  const unpacked = spawnSync('umoci', ['unpack', '--image', `${join(base, 'layout')}:tctl`, join(base, 'bundle')], { encoding: 'utf8' });
  t.is(unpacked.status, 0, unpacked.stderr);
  const rootfs = join(base, 'bundle', 'rootfs');
  // chroot in a child process, never spawnSync: the API server below answers from this process.
  const tctl = async (args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const r = await run(CHROOT, [rootfs, '/usr/local/bin/tctl', ...args], { env: { PATH: '/usr/local/bin:/bin', HOME: '/root', ...env }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  const help = await tctl(['--help']);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /^tctl controls a Tugboat cluster/);
  t.deepEqual(await tctl(['version', '--client']), { code: 0, stdout: 'Client Version: v0.1.0\n', stderr: '' });

  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  const admin = api.client();
  await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' } });
  const { token } = await admin.createToken('default', 'robot');
  const sa = join(rootfs, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'ca.crt'), api.pki.ca.certPem);
  writeFileSync(join(sa, 'namespace'), 'default');
  const port = api.address.slice(api.address.lastIndexOf(':') + 1);
  const r = await tctl(['get', 'pods'], { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port });
  // Authenticated as the ServiceAccount over TLS (the certificate checked for kubernetes.default.svc);
  // whether it may list pods is RBAC's to say.
  if (r.code === 0) t.regex(r.stderr + r.stdout, /No resources found|NAME/);
  else t.regex(r.stderr, /^error: pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the namespace "default"/);
});
