import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findComponent, findEtcd } from './binaries.js';
import { CliError } from '../errors.js';

test('etcd: from PATH, or one line saying to install etcd-server', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tctl-bin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => findEtcd({ PATH: dir }, []), { instanceOf: CliError, message: "etcd is not installed: install Debian's etcd-server package (as root: apt-get install etcd-server)" });
  writeFileSync(join(dir, 'etcd'), '#!/bin/sh\n');
  chmodSync(join(dir, 'etcd'), 0o755);
  t.is(findEtcd({ PATH: dir }, []), join(dir, 'etcd'));
  t.throws(() => findEtcd({ TUGBOAT_ETCD: join(dir, 'nope') }), { message: /etcd not found at \$TUGBOAT_ETCD/ });
});

test('components: node_modules/.bin or packages/*/bin of a built package, walking up; TUGBOAT_BIN_DIR wins', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tctl-ws-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const from = join(root, 'packages', 'ctl', 'dist', 'cluster');
  mkdirSync(from, { recursive: true });
  const pkg = join(root, 'packages', 'scheduler');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'bin', 'tugboat-scheduler.js'), "import '../dist/main.js';\n");
  t.is(findComponent('tugboat-scheduler', {}, from), undefined, 'not built: no dist/main.js');
  mkdirSync(join(pkg, 'dist'));
  writeFileSync(join(pkg, 'dist', 'main.js'), '');
  t.deepEqual(findComponent('tugboat-scheduler', {}, from), { command: process.execPath, prefix: [join(pkg, 'bin', 'tugboat-scheduler.js')] });
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(join(pkg, 'bin', 'tugboat-scheduler.js'), join(root, 'node_modules', '.bin', 'tugboat-scheduler'));
  t.is(findComponent('tugboat-scheduler', {}, from)?.prefix[0], join(pkg, 'bin', 'tugboat-scheduler.js'), 'the link resolves to the script');
  t.is(findComponent('tugboat-agent', {}, from), undefined);
  const override = join(root, 'override');
  mkdirSync(override);
  t.is(findComponent('tugboat-scheduler', { TUGBOAT_BIN_DIR: override }, from), undefined, 'only the override dir is searched');
  writeFileSync(join(override, 'tugboat-scheduler'), '#!/bin/sh\n');
  t.deepEqual(findComponent('tugboat-scheduler', { TUGBOAT_BIN_DIR: override }, from), { command: join(override, 'tugboat-scheduler'), prefix: [] });
});
