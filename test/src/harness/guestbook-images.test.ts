// The guestbook example's images without a cluster: each is built, unpacked with umoci (an
// independent OCI tool) and run with chroot on loopback: redis-server from the redis image (as
// its user redis) answers redis-cli's PING from the same image, and the frontend image's busybox
// httpd serves the page and its API against that redis (through REDIS_LEADER_SERVICE_HOST/PORT:
// redis-leader does not resolve here, /etc/nsswitch.conf of the unpacked frontend says "files").
// Needs root (chroot), umoci, busybox-static and redis-server; skipped otherwise.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GUESTBOOK_FRONTEND_CONFIG, REDIS_IMAGE_CONFIG, REDIS_UID, guestbookFrontendCommand, guestbookFrontendImageSpec, guestbookImageRefs, redisAvailable,
  redisImageSpec,
} from './guestbook-images.js';
import { buildOciImage, busyboxAvailable } from './images.js';
import { freePort, waitFor } from './ports.js';

const CHROOT = '/usr/sbin/chroot';
const usable = process.getuid?.() === 0 && busyboxAvailable() && redisAvailable()
  && spawnSync('umoci', ['--version'], { stdio: 'ignore' }).status === 0
  && spawnSync(CHROOT, ['--version'], { stdio: 'ignore' }).status === 0;

const dirs: string[] = [];
const procs: ChildProcess[] = [];
test.after.always(async () => {
  for (const p of procs) {
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('image references: HOST:PORT/PREFIX/guestbook-{redis,frontend}:1', (t) => {
  t.deepEqual(guestbookImageRefs('127.0.0.1:5000', 'guestbook'), {
    redis: '127.0.0.1:5000/guestbook/guestbook-redis:1',
    frontend: '127.0.0.1:5000/guestbook/guestbook-frontend:1',
  });
  t.is(guestbookImageRefs('127.0.0.1:5000', '').redis, '127.0.0.1:5000/guestbook-redis:1');
});

function unpack(base: string, name: string, spec: Parameters<typeof buildOciImage>[2]): string {
  buildOciImage(join(base, name), '1', spec);
  const res = spawnSync('umoci', ['unpack', '--image', `${join(base, name)}:1`, join(base, `${name}-bundle`)], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`umoci unpack ${name}: ${res.stderr}`);
  return join(base, `${name}-bundle`, 'rootfs');
}

function started(cmd: string, args: string[], env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  let output = '';
  const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  procs.push(proc);
  return { proc, output: () => output };
}

test.serial('the redis image answers PING, and the frontend image serves the guestbook from it', async (t) => {
  if (!usable) { t.pass('needs root, umoci, chroot, busybox-static and redis-server'); return; }
  const base = mkdtempSync(join(tmpdir(), 'guestbook-images-'));
  dirs.push(base);

  // redis: the image's own command, on a free loopback port instead of *:6379.
  const redisRoot = unpack(base, 'redis', redisImageSpec());
  const redisPort = await freePort();
  const redis = started(CHROOT, [
    `--userspec=${REDIS_UID}:${REDIS_UID}`, redisRoot,
    ...REDIS_IMAGE_CONFIG.Entrypoint, ...REDIS_IMAGE_CONFIG.Cmd, '--port', String(redisPort), '--bind', '127.0.0.1',
  ], { PATH: '/usr/bin:/bin' });
  const cli = (...args: string[]): string =>
    spawnSync(CHROOT, [redisRoot, '/usr/bin/redis-cli', '-p', String(redisPort), ...args], { encoding: 'utf8' }).stdout.trim();
  await waitFor('redis-server to answer PING', () => {
    if (redis.proc.exitCode !== null) throw new Error(`redis-server exited ${redis.proc.exitCode}: ${redis.output()}`);
    return cli('PING') === 'PONG';
  }, 20_000);
  t.is(cli('CONFIG', 'GET', 'save'), 'save');
  t.is(cli('CONFIG', 'GET', 'protected-mode'), 'protected-mode\nno');

  // frontend: httpd as the image runs it, on a free loopback port instead of *:80.
  const frontRoot = unpack(base, 'frontend', guestbookFrontendImageSpec());
  writeFileSync(join(frontRoot, 'etc', 'nsswitch.conf'), 'hosts: files\n');
  writeFileSync(join(frontRoot, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  // A container has /dev/null (sh gives it to background commands as stdin); a chroot needs one.
  const mknod = spawnSync('mknod', ['-m', '666', join(frontRoot, 'dev', 'null'), 'c', '1', '3'], { encoding: 'utf8' });
  t.is(mknod.status, 0, mknod.stderr);
  const httpPort = await freePort();
  t.deepEqual(GUESTBOOK_FRONTEND_CONFIG.Cmd, guestbookFrontendCommand());
  const httpd = started(CHROOT, [frontRoot, ...guestbookFrontendCommand(`127.0.0.1:${httpPort}`)], {
    PATH: '/bin', REDIS_LEADER_SERVICE_HOST: '127.0.0.1', REDIS_LEADER_SERVICE_PORT: String(redisPort),
  });
  const url = `http://127.0.0.1:${httpPort}`;
  await waitFor('httpd to answer', async () => {
    if (httpd.proc.exitCode !== null) throw new Error(`httpd exited ${httpd.proc.exitCode}: ${httpd.output()}`);
    return (await fetch(`${url}/`).catch(() => undefined))?.status === 200;
  }, 20_000);

  const page = await (await fetch(`${url}/`)).text();
  t.regex(page, /<h2>Guestbook<\/h2>/);
  t.regex(page, /guestbook\.php\?/);

  const api = async (query: string): Promise<{ status: number; body: unknown; type: string | null }> => {
    const res = await fetch(`${url}/guestbook.php?${query}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  };
  t.deepEqual(await api('cmd=get&key=messages'), { status: 200, type: 'application/json', body: { data: '' } });
  // Spaces as + and %20, a literal + as %2B, UTF-8, JSON's special characters, a newline.
  const messages = 'hello world,café +1 & "quoted" \\ back,two\nlines';
  const encoded = encodeURIComponent(messages).replace(/%20/, '+');
  t.deepEqual(await api(`cmd=set&key=messages&value=${encoded}`), { status: 200, type: 'application/json', body: { message: 'Updated' } });
  t.is(cli('GET', 'messages'), messages);
  t.deepEqual((await api('cmd=get&key=messages')).body, { data: messages });

  const bad = await api('cmd=drop&key=messages');
  t.is(bad.status, 400);

  // redis gone: a JSON error, not a hang.
  redis.proc.kill('SIGTERM');
  await new Promise((r) => redis.proc.once('exit', r));
  const down = await api('cmd=get&key=messages');
  t.is(down.status, 502);
  t.deepEqual(down.body, { error: 'redis is unreachable' });

  // The frontend stops on SIGTERM (a pod's stop), httpd with it.
  httpd.proc.kill('SIGTERM');
  const code = await new Promise((r) => httpd.proc.once('exit', (c) => r(c)));
  t.is(code, 0, httpd.output());
  await waitFor('httpd to stop listening', async () => (await fetch(`${url}/`).catch(() => undefined)) === undefined, 5_000);
});
