// The images of the guestbook example (manifests/examples/guestbook/), built offline:
//   guestbook-redis     Debian's redis-server (and redis-cli) with the libraries ldd lists,
//                       run as user redis: `redis-server --protected-mode no --save ''
//                       --appendonly no` on 6379, nothing written to disk.
//   guestbook-frontend  busybox httpd on port 80 serving the example's page and its API
//                       (guestbook.php, a busybox sh CGI speaking RESP to redis-leader:6379);
//                       the files come from manifests/examples/guestbook/frontend/.
// pushGuestbookImages builds both and pushes them with skopeo, as tests and
// `node test/dist/tools/push-guestbook-images.js HOST:PORT/PREFIX` do.
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster.js';
import {
  buildOciImage, busyboxAvailable, busyboxBaseLayer, parentDirs, pushImage, sharedLibraries, skopeoAvailable,
  type ImageSpec, type TarEntry,
} from './images.js';

/** Debian's redis-server: a symlink to redis-check-rdb, which acts on the name it runs as. */
export const REDIS_SERVER_PATH = '/usr/bin/redis-server';
export const REDIS_CLI_PATH = '/usr/bin/redis-cli';
export const GUESTBOOK_FRONTEND_DIR = join(REPO_ROOT, 'manifests', 'examples', 'guestbook', 'frontend');
/** The redis user and group of the image (Debian's package picks a system id; any will do). */
export const REDIS_UID = 999;
/** The tag both images are pushed under (the manifests' `:1`). */
export const GUESTBOOK_TAG = '1';

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function redisAvailable(): boolean {
  return existsSync(REDIS_SERVER_PATH) && existsSync(REDIS_CLI_PATH);
}

/** A file of this machine at the same path in the image, its content and mode (links followed). */
function hostFile(path: string): { path: string; content: Buffer; mode: number } {
  return { path: path.slice(1), content: readFileSync(path), mode: statSync(path).mode & 0o7777 };
}

/**
 * The one layer of the redis image: redis-server and redis-cli (for `tctl exec … redis-cli
 * ping`), every library either links (ldd, the loader included; files where the host has
 * symlinks), /etc/passwd and /etc/group with root and redis, /data owned by redis, /tmp.
 */
export function redisLayer(): TarEntry[] {
  const server = realpathSync(REDIS_SERVER_PATH);
  const libs = [...new Set([...sharedLibraries(server), ...sharedLibraries(REDIS_CLI_PATH)])].sort();
  const files = [
    { ...hostFile(server), path: REDIS_SERVER_PATH.slice(1) },
    hostFile(REDIS_CLI_PATH),
    ...libs.map(hostFile),
  ];
  return [
    ...parentDirs(files.map((f) => f.path)),
    ...files.map((f): TarEntry => ({ type: 'file', ...f })),
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/passwd', content: `root:x:0:0:root:/root:/sbin/nologin\nredis:x:${REDIS_UID}:${REDIS_UID}:redis:/data:/sbin/nologin\n` },
    { type: 'file', path: 'etc/group', content: `root:x:0:\nredis:x:${REDIS_UID}:\n` },
    { type: 'dir', path: 'data', mode: 0o755, uid: REDIS_UID, gid: REDIS_UID },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'sys', mode: 0o555 },
    { type: 'dir', path: 'dev' },
  ];
}

/** Entrypoint redis-server, so a pod's `args` replace only the options. */
export const REDIS_IMAGE_CONFIG = {
  Env: [PATH_ENV],
  Entrypoint: ['redis-server'],
  Cmd: ['--protected-mode', 'no', '--save', '', '--appendonly', 'no'],
  User: 'redis',
  WorkingDir: '/data',
  ExposedPorts: { '6379/tcp': {} },
};

export function redisImageSpec(): ImageSpec {
  return { layers: [redisLayer()], config: REDIS_IMAGE_CONFIG };
}

/** The frontend's layer over the busybox base layer: the page, the CGI and httpd.conf. */
export function guestbookFrontendLayer(dir = GUESTBOOK_FRONTEND_DIR): TarEntry[] {
  const read = (name: string): Buffer => readFileSync(join(dir, name));
  return [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/httpd.conf', content: read('httpd.conf') },
    { type: 'dir', path: 'var' },
    { type: 'dir', path: 'var/www' },
    { type: 'dir', path: 'var/www/guestbook' },
    { type: 'file', path: 'var/www/guestbook/index.html', content: read('index.html') },
    { type: 'file', path: 'var/www/guestbook/guestbook.php', content: read('guestbook.php'), mode: 0o755 },
  ];
}

/**
 * The frontend's command: httpd in the foreground (-f), a log line per request on stderr (-v,
 * for tctl logs), under sh because httpd as pid 1 ignores SIGTERM (no handler; the kernel
 * drops default-action signals to pid 1) and every stop would wait out the grace period.
 */
export function guestbookFrontendCommand(listen = '80'): string[] {
  return ['sh', '-c', `httpd -f -v -p ${listen} -h /var/www/guestbook -c /etc/httpd.conf & pid=$!; trap 'kill $pid; wait $pid; exit 0' TERM INT; wait $pid`];
}

export const GUESTBOOK_FRONTEND_CONFIG = {
  Env: [PATH_ENV],
  Cmd: guestbookFrontendCommand(),
  WorkingDir: '/',
  ExposedPorts: { '80/tcp': {} },
};

export function guestbookFrontendImageSpec(dir = GUESTBOOK_FRONTEND_DIR): ImageSpec {
  return { layers: [busyboxBaseLayer(), guestbookFrontendLayer(dir)], config: GUESTBOOK_FRONTEND_CONFIG };
}

export interface GuestbookImages {
  /** `HOST:PORT[/PREFIX]/guestbook-redis:1` */
  redis: string;
  /** `HOST:PORT[/PREFIX]/guestbook-frontend:1` */
  frontend: string;
}

/** The references pushGuestbookImages pushes to (prefix may be empty). */
export function guestbookImageRefs(registryHostPort: string, prefix: string): GuestbookImages {
  const base = [registryHostPort, prefix.replace(/^\/+|\/+$/g, '')].filter((p) => p !== '').join('/');
  return { redis: `${base}/guestbook-redis:${GUESTBOOK_TAG}`, frontend: `${base}/guestbook-frontend:${GUESTBOOK_TAG}` };
}

/**
 * Builds both images and pushes them over plain http to `registryHostPort` (e.g. a
 * startRegistry() handle's `host`) under `prefix` ("guestbook" gives the manifests' paths).
 * Needs busybox-static, redis-server and skopeo.
 */
export function pushGuestbookImages(registryHostPort: string, prefix: string): GuestbookImages {
  if (!busyboxAvailable()) throw new Error('/bin/busybox (Debian package busybox-static) is missing');
  if (!redisAvailable()) throw new Error(`${REDIS_SERVER_PATH} or ${REDIS_CLI_PATH} (Debian package redis-server) is missing`);
  if (!skopeoAvailable()) throw new Error('skopeo (Debian package skopeo) is missing');
  const refs = guestbookImageRefs(registryHostPort, prefix);
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-guestbook-'));
  try {
    buildOciImage(join(dir, 'redis'), GUESTBOOK_TAG, redisImageSpec());
    pushImage(join(dir, 'redis'), GUESTBOOK_TAG, refs.redis);
    buildOciImage(join(dir, 'frontend'), GUESTBOOK_TAG, guestbookFrontendImageSpec());
    pushImage(join(dir, 'frontend'), GUESTBOOK_TAG, refs.frontend);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return refs;
}
