// Stand-ins for the images public manifests name (nginx, registry.k8s.io/busybox, pause,
// polinux/stress, hashicorp/http-echo, …), built offline from busybox-static and pushed to a
// local registry under the same repository and tag, so those manifests apply unchanged: the
// agents pull them through `--registry-mirror docker.io=…,registry.k8s.io=…,k8s.gcr.io=…`.
// Each stand-in does what its manifest needs of it, nothing more: the nginx one serves
// /usr/share/nginx/html on port 80 with busybox httpd; http-echo serves its -text= on 5678.
import { join } from 'node:path';
import { BUSYBOX_CONFIG, buildOciImage, busyboxImageSpec, pushImage, type TarEntry } from './images.js';

/** The registries whose images the corpus names: each is mirrored to the local one. */
export const MIRRORED_REGISTRIES = ['docker.io', 'registry.k8s.io', 'k8s.gcr.io'] as const;

interface StandIn {
  /** Repository paths with tags, as the mirror is asked for them (`library/nginx:1.14.2`). */
  readonly names: readonly string[];
  readonly files: readonly TarEntry[];
  readonly config: Record<string, unknown>;
}

const script = (path: string, body: string): TarEntry => ({ type: 'file', path, content: `#!/bin/sh\n${body}\n`, mode: 0o755 });

/** Waits for SIGTERM as PID 1 must (a process without a handler ignores it there). */
const IDLE = 'trap "exit 0" TERM INT\nwhile :; do sleep 1 & wait $!; done';

const STAND_INS: readonly StandIn[] = [
  {
    names: ['library/busybox:1.28', 'library/busybox:latest', 'busybox:1.27.2', 'busybox:latest'],
    files: [],
    config: BUSYBOX_CONFIG,
  },
  {
    names: ['library/nginx:1.14.2', 'library/nginx:latest', 'library/nginx:stable-alpine', 'nginx-slim:0.7'],
    files: [
      { type: 'dir', path: 'usr/share/nginx' },
      { type: 'dir', path: 'usr/share/nginx/html' },
      { type: 'file', path: 'usr/share/nginx/html/index.html', content: '<h1>Welcome to nginx!</h1>\n' },
    ],
    config: { ...BUSYBOX_CONFIG, Cmd: ['httpd', '-f', '-p', '80', '-h', '/usr/share/nginx/html'], ExposedPorts: { '80/tcp': {} } },
  },
  {
    names: ['pause:3.1', 'fluentd-elasticsearch:1.20'],
    files: [script('pause', IDLE)],
    config: { ...BUSYBOX_CONFIG, Cmd: ['/pause'] },
  },
  {
    names: ['polinux/stress:latest'],
    // stress --vm 1 --vm-bytes 150M --vm-hang 1: holds memory until killed; the stand-in only waits.
    files: [{ type: 'dir', path: 'usr/local' }, { type: 'dir', path: 'usr/local/bin' }, script('usr/local/bin/stress', IDLE)],
    config: BUSYBOX_CONFIG,
  },
  {
    names: ['hashicorp/http-echo:1.0'],
    files: [script('http-echo', 'text=""\nfor a in "$@"; do case "$a" in -text=*) text="${a#-text=}";; esac; done\nmkdir -p /tmp/www && echo "$text" > /tmp/www/index.html\nexec httpd -f -p 5678 -h /tmp/www')],
    config: { ...BUSYBOX_CONFIG, Entrypoint: ['/http-echo'], Cmd: null },
  },
];

/** Builds every stand-in under `work` and pushes it to the registry at `registryHost` under each of its names. */
export function pushCorpusImages(work: string, registryHost: string): void {
  for (const [i, s] of STAND_INS.entries()) {
    const layout = join(work, `stand-in-${i}`);
    const base = busyboxImageSpec();
    buildOciImage(layout, '1', { ...base, layers: [...base.layers, ...(s.files.length ? [[...s.files]] : [])], config: s.config });
    for (const name of s.names) pushImage(layout, '1', `${registryHost}/${name}`);
  }
}

/** The agent flag that sends pulls from the mirrored registries to the local one. */
export function registryMirrorFlag(registryHost: string): string {
  return `--registry-mirror=${MIRRORED_REGISTRIES.map((r) => `${r}=${registryHost}`).join(',')}`;
}
