// The console's static bundle, served by the API server under /console/ on its TLS port.
// Assets carry no data, so they are served without credentials; every byte of cluster state
// the page shows comes from the REST API, fetched by the page with the user's bearer token,
// where authentication and RBAC apply as for kubectl.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const CONSOLE_PATH = '/console/';

/** Where `npm run build` (bundle.mjs) writes the bundle: dist/bundle beside dist/server. */
export const BUNDLE_DIR = fileURLToPath(new URL('../bundle/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/**
 * What to answer for a path, decided without touching the disk:
 * - `not-console`: not ours, the REST API routes it;
 * - `redirect`: `/console` → `/console/`, so relative asset URLs resolve;
 * - `file`: a bundle file (only plain names: no `..`, no sub-directories);
 * - `not-found`.
 */
export type AssetDecision =
  | { readonly type: 'not-console' }
  | { readonly type: 'redirect'; readonly location: string }
  | { readonly type: 'file'; readonly name: string; readonly contentType: string }
  | { readonly type: 'not-found' };

export function assetFor(pathname: string): AssetDecision {
  if (pathname === '/console') return { type: 'redirect', location: CONSOLE_PATH };
  if (!pathname.startsWith(CONSOLE_PATH)) return { type: 'not-console' };
  const rest = pathname.slice(CONSOLE_PATH.length);
  const name = rest === '' ? 'index.html' : rest;
  // The bundle is flat: one segment of safe characters, nothing that could leave its folder.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name) || name.includes('..')) return { type: 'not-found' };
  const ext = name.slice(name.lastIndexOf('.'));
  const contentType = CONTENT_TYPES[ext];
  return contentType ? { type: 'file', name, contentType } : { type: 'not-found' };
}

/**
 * The page may load only its own scripts and styles and talk only to its own origin (the API):
 * an injected script could not send a token elsewhere. No framing (clickjacking), no referrer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // A rebuilt bundle is picked up on the next load.
  'Cache-Control': 'no-cache',
};

function answer(res: ServerResponse, code: number, headers: Record<string, string>, body: string | Buffer, head: boolean): void {
  res.writeHead(code, { ...SECURITY_HEADERS, ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

/**
 * Serves a /console request and returns true, or returns false for any other path. Reads the
 * file per request (a few small files): a rebuilt bundle needs no API server restart.
 */
export function serveConsole(req: IncomingMessage, res: ServerResponse, bundleDir = BUNDLE_DIR): boolean {
  const pathname = new URL(req.url ?? '/', 'https://localhost').pathname;
  const decision = assetFor(pathname);
  if (decision.type === 'not-console') return false;
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  const text = { 'Content-Type': 'text/plain; charset=utf-8' };
  if (method !== 'GET' && !head) {
    answer(res, 405, { ...text, Allow: 'GET, HEAD' }, 'the console is read-only: GET or HEAD\n', head);
    return true;
  }
  switch (decision.type) {
    case 'redirect':
      answer(res, 301, { ...text, Location: decision.location }, `moved to ${decision.location}\n`, head);
      return true;
    case 'not-found':
      answer(res, 404, text, `not found: ${pathname}\n`, head);
      return true;
    case 'file':
      readFile(join(bundleDir, decision.name)).then(
        (body) => answer(res, 200, { 'Content-Type': decision.contentType }, body, head),
        (err: NodeJS.ErrnoException) => {
          // index.html missing means the bundle was never built, not a bad link.
          const missing = err.code === 'ENOENT';
          const message = missing && decision.name === 'index.html'
            ? 'the console is not built: run `npm run build` (or `npm run build:console`) in the Tugboat repository\n'
            : `not found: ${pathname}\n`;
          answer(res, missing ? (decision.name === 'index.html' ? 503 : 404) : 500, text, missing ? message : 'could not read the console\'s files\n', head);
        },
      );
      return true;
  }
}
