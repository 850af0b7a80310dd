// bin/tctl.js: the bundle runs only while it is current, else dist/. Tried on a copy of the
// launcher in a scratch tree laid out as the repository is, with a bundle and a dist/main.js
// that each say which they are.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tctl.js');

function tree(): { root: string; run: (env?: NodeJS.ProcessEnv) => string; age: (path: string, secondsAgo: number) => void } {
  const root = mkdtempSync(join(tmpdir(), 'tctl-bin-'));
  const ctl = join(root, 'packages', 'ctl');
  for (const d of ['bin', 'dist', 'dist-bundle']) mkdirSync(join(ctl, d), { recursive: true });
  copyFileSync(LAUNCHER, join(ctl, 'bin', 'tctl.js'));
  writeFileSync(join(ctl, 'dist', 'main.js'), "console.log('dist');\n");
  writeFileSync(join(ctl, 'dist-bundle', 'tctl.mjs'), "console.log('bundle');\n");
  writeFileSync(join(ctl, 'dist-bundle', 'tctl.inputs.json'), JSON.stringify(['packages/ctl/dist/main.js']));
  const age = (path: string, secondsAgo: number): void => {
    const at = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(join(root, path), at, at);
  };
  // As a build leaves them: the inputs first, the bundle after.
  age('packages/ctl/dist/main.js', 60);
  const run = (env: NodeJS.ProcessEnv = {}): string => {
    const res = spawnSync(process.execPath, [join(ctl, 'bin', 'tctl.js')], { encoding: 'utf8', env: { ...process.env, TCTL_NO_BUNDLE: '', ...env } });
    if (res.status !== 0) throw new Error(res.stderr);
    return res.stdout.trim();
  };
  return { root, run, age };
}

test('the bundle runs while no file it was made from is newer; dist/ once one is, or when asked', (t) => {
  const { root, run, age } = tree();
  try {
    t.is(run(), 'bundle');
    t.is(run({ TCTL_NO_BUNDLE: '1' }), 'dist');
    // An edit built with a bare `tsc -b`: dist/ is newer than the bundle.
    age('packages/ctl/dist/main.js', 0);
    age('packages/ctl/dist-bundle/tctl.mjs', 30);
    t.is(run(), 'dist');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without its list of inputs, or with an input gone, the bundle is not trusted', (t) => {
  const { root, run } = tree();
  try {
    rmSync(join(root, 'packages/ctl/dist-bundle/tctl.inputs.json'));
    t.is(run(), 'dist');
    writeFileSync(join(root, 'packages/ctl/dist-bundle/tctl.inputs.json'), JSON.stringify(['packages/ctl/dist/main.js', 'packages/ctl/dist/gone.js']));
    t.is(run(), 'dist');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
