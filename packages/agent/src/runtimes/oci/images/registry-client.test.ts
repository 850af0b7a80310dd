// The registry client against a real registry, and against authenticating front doors
// (HTTP Basic; Docker's bearer-token protocol with a token service) that forward to it.
import anyTest, { type TestFn } from 'ava';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  startRegistry, registryAvailable, skopeoAvailable, busyboxAvailable, buildOciImage, busyboxImageSpec, pushImage,
  freePort, type RegistryHandle, type BuiltImage,
} from '@tugboat/test';
import { RegistryClient, RegistryError, parseWwwAuthenticate, registryMessage } from './registry-client.js';
import { parseRegistryReference } from './reference.js';
import { parseDockerConfig, type KeychainEntry } from './credentials.js';
import { ImageStore, ImagePullError } from './store.js';

interface Gateway {
  host: string;
  tokenRequests: number;
  close(): Promise<void>;
}

interface Ctx {
  registry: RegistryHandle;
  work: string;
  image: BuiltImage;
  basic: Gateway;
  bearer: Gateway;
}

const test = anyTest as TestFn<Ctx>;
const USER = 'alice';
const PASSWORD = 'secret';
const missing = [!registryAvailable() && 'docker-registry', !skopeoAvailable() && 'skopeo', !busyboxAvailable() && 'busybox-static'].filter(Boolean);
const skipReason = missing.length ? `needs ${missing.join(', ')} (Debian packages)` : undefined;
const maybe = skipReason ? test.skip : test.serial;
if (skipReason) console.log(`registry client tests skipped: ${skipReason}`);

/** A front door that demands credentials, then forwards to the real registry. */
async function startGateway(upstream: string, mode: 'basic' | 'bearer'): Promise<Gateway> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const tokens = new Set<string>();
  const gw = { host, tokenRequests: 0, close: async () => undefined as void };
  const basicOk = (auth: string | undefined): boolean => auth === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${host}`);
      if (url.pathname === '/token') {
        gw.tokenRequests++;
        if (!basicOk(req.headers.authorization)) {
          res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        const token = randomBytes(8).toString('hex');
        tokens.add(token);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const auth = req.headers.authorization;
      const ok = mode === 'basic' ? basicOk(auth) : auth?.startsWith('Bearer ') === true && tokens.has(auth.slice(7));
      if (!ok) {
        const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? '';
        const challenge = mode === 'basic'
          ? 'Basic realm="gateway"'
          : `Bearer realm="http://${host}/token",service="gateway",scope="repository:${repo}:pull"`;
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }] }));
        return;
      }
      const up = await fetch(`${upstream}${url.pathname}`, { headers: { Accept: req.headers.accept ?? '*/*' } });
      const headers: Record<string, string> = {};
      for (const h of ['content-type', 'docker-content-digest', 'content-length']) {
        const v = up.headers.get(h);
        if (v) headers[h] = v;
      }
      res.writeHead(up.status, headers).end(Buffer.from(await up.arrayBuffer()));
    })().catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  gw.close = () => new Promise<void>((r) => server.close(() => r()));
  return gw;
}

test.before(async (t) => {
  if (skipReason) return;
  const work = mkdtempSync(join(tmpdir(), 'registry-client-test-'));
  const registry = await startRegistry();
  const layout = join(work, 'layout');
  const image = buildOciImage(layout, '1', busyboxImageSpec());
  pushImage(layout, '1', `${registry.host}/private/busybox:1`);
  const basic = await startGateway(registry.url, 'basic');
  const bearer = await startGateway(registry.url, 'bearer');
  t.context = { registry, work, image, basic, bearer };
});

test.after.always(async (t) => {
  if (skipReason || !t.context.registry) return;
  await t.context.basic.close();
  await t.context.bearer.close();
  await t.context.registry.destroy();
  rmSync(t.context.work, { recursive: true, force: true });
});

function keychain(host: string, user = USER, password = PASSWORD): KeychainEntry[] {
  return parseDockerConfig(JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
}

maybe('anonymous pulls over plain http from a loopback registry', async (t) => {
  const client = new RegistryClient();
  const ref = parseRegistryReference(`${t.context.registry.host}/private/busybox:1`);
  t.true(client.isInsecure(ref.domain));
  const resolved = await client.resolve(ref);
  t.is(resolved.digest, t.context.image.manifestDigest);
  const config = await client.getBlob(ref, resolved.manifest.config);
  t.regex(config.toString(), /IMAGE_VAR=from-image/);
});

maybe('a mirror: docker.io/private/busybox:1 is pulled from the mirror\'s private/busybox:1, digest-checked', async (t) => {
  const client = new RegistryClient({ mirrors: { 'docker.io': t.context.registry.host } });
  const ref = parseRegistryReference('private/busybox:1');
  t.is(ref.domain, 'docker.io');
  const resolved = await client.resolve(ref);
  t.is(resolved.digest, t.context.image.manifestDigest);
  t.regex((await client.getBlob(ref, resolved.manifest.config)).toString(), /IMAGE_VAR=from-image/);
  // Other domains are not mirrored: an image the mirror lacks is not found there.
  const missing = await t.throwsAsync(client.resolve(parseRegistryReference('private/nothing:1')), { instanceOf: RegistryError });
  t.regex(missing?.message ?? '', /not found|unknown|denied/i);
});

maybe('bearer tokens: fetched from the token service with the secret’s credentials, then reused', async (t) => {
  const { bearer, image, work } = t.context;
  const client = new RegistryClient();
  const ref = parseRegistryReference(`${bearer.host}/private/busybox:1`);
  const before = bearer.tokenRequests;
  const resolved = await client.resolve(ref, keychain(bearer.host));
  t.is(resolved.digest, image.manifestDigest);
  const dest = join(work, 'blob');
  await client.downloadBlob(ref, resolved.manifest.layers[1]!, dest, keychain(bearer.host));
  await client.getBlob(ref, resolved.manifest.config, keychain(bearer.host));
  t.is(bearer.tokenRequests - before, 1, 'one token for the repository');

  const anon = await t.throwsAsync(new RegistryClient().resolve(ref), { instanceOf: RegistryError });
  t.is(anon?.code, 'Unauthorized');
  t.regex(anon?.message ?? '', /refused anonymous access for repository:private\/busybox:pull/);
  const wrong = await t.throwsAsync(new RegistryClient().resolve(ref, keychain(bearer.host, USER, 'nope')), { instanceOf: RegistryError });
  t.is(wrong?.code, 'Unauthorized');
  t.regex(wrong?.message ?? '', /incorrect username or password/);
});

maybe('HTTP Basic registries', async (t) => {
  const { basic, image } = t.context;
  const ref = parseRegistryReference(`${basic.host}/private/busybox:1`);
  t.is((await new RegistryClient().resolve(ref, keychain(basic.host))).digest, image.manifestDigest);
  const anon = await t.throwsAsync(new RegistryClient().resolve(ref), { instanceOf: RegistryError });
  t.is(anon?.code, 'Unauthorized');
  t.regex(anon?.message ?? '', /requires a username and password \(imagePullSecrets\): authentication required/);
  const wrong = await t.throwsAsync(new RegistryClient().resolve(ref, keychain(basic.host, 'mallory', 'x')), { instanceOf: RegistryError });
  t.regex(wrong?.message ?? '', /authentication to .* failed: authentication required \(UNAUTHORIZED\)/);
});

maybe('the image store pulls with imagePullSecrets credentials and reports refusals as ErrImagePull', async (t) => {
  const { bearer, work } = t.context;
  const store = await ImageStore.open({ dir: mkdtempSync(join(work, 'store-')) });
  const ref = `${bearer.host}/private/busybox:1`;
  const err = await t.throwsAsync(store.pull(ref), { instanceOf: ImagePullError });
  t.is(err?.reason, 'ErrImagePull');
  t.is(err?.code, 'Unauthorized');
  const rec = await store.pull(ref, keychain(bearer.host));
  t.is(rec.manifestDigest, t.context.image.manifestDigest);
});

test('WWW-Authenticate challenges parse as RFC 7235 says', (t) => {
  t.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  t.deepEqual(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  t.deepEqual(parseWwwAuthenticate('Basic realm="a", Bearer realm="b\\"q", error=invalid_token'), [
    { scheme: 'basic', params: { realm: 'a' } },
    { scheme: 'bearer', params: { realm: 'b"q', error: 'invalid_token' } },
  ]);
  t.deepEqual(parseWwwAuthenticate(''), []);
});

test('the registry’s own error message is what users see', (t) => {
  t.is(registryMessage('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"1"}}]}'), 'manifest unknown (MANIFEST_UNKNOWN)');
  t.is(registryMessage('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"},{"code":"X"}]}'),
    'requested access to the resource is denied (DENIED); X');
  t.is(registryMessage('<html>Bad Gateway</html>'), '<html>Bad Gateway</html>');
});

test('only loopback registries and listed ones may use plain http', (t) => {
  const client = new RegistryClient({ insecureRegistries: ['registry.lan:5000'] });
  t.true(client.isInsecure('127.0.0.1:5000'));
  t.true(client.isInsecure('localhost:5000'));
  t.true(client.isInsecure('registry.lan:5000'));
  t.false(client.isInsecure('registry.lan'));
  t.false(client.isInsecure('docker.io'));
  // A CIDR entry (Docker's form): any port of any address inside it, nothing outside.
  const cidr = new RegistryClient({ insecureRegistries: ['198.19.240.0/24'] });
  t.true(cidr.isInsecure('198.19.240.1:5000'));
  t.true(cidr.isInsecure('198.19.240.77'));
  t.false(cidr.isInsecure('198.19.241.1:5000'));
  t.false(cidr.isInsecure('registry.lan:5000'));
});
