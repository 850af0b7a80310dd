// httpGet probes, as kubelet's prober/http runs them: GET with `User-Agent: kube-probe/…`
// and `Accept: */*` unless the spec's headers say otherwise (a `Host` header sets the request's
// host), no keep-alive, TLS without verification for HTTPS. 200–399 is a success; anything
// else, a connection error or no answer within the timeout is a failure. Redirects are
// followed (up to 10) only to the same host — a redirect elsewhere is not followed and counts
// as a success with a warning — so the probe never talks to any address but the one it was
// given.
import http from 'node:http';
import https from 'node:https';
import { limitOutput, MAX_PROBE_OUTPUT, type ProbeOutcome } from './probe-types.js';
import type { HttpHeader } from './probe-target.js';

export interface HttpProbeRequest {
  url: URL;
  headers: readonly HttpHeader[];
  timeoutMs: number;
  userAgent?: string;
}

export const PROBE_USER_AGENT = 'kube-probe/1.30';
const MAX_REDIRECTS = 10;

interface Response { status: number; location?: string; body: string }

class ProbeTimeout extends Error {}

/** Go's net error wording, which Kubernetes' probe messages carry. */
function describeError(e: unknown, url: URL): string {
  const code = (e as { code?: unknown }).code;
  const addr = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  switch (code) {
    case 'ECONNREFUSED': return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET': return 'read: connection reset by peer';
    default: return e instanceof Error ? e.message : String(e);
  }
}

function requestOnce(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method: 'GET',
      headers,
      agent: false,
      signal,
      ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => resolve({
        status: res.statusCode ?? 0,
        ...(res.headers.location ? { location: res.headers.location } : {}),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.on('data', (d: Buffer) => {
        if (size >= MAX_PROBE_OUTPUT) return;
        chunks.push(d.subarray(0, MAX_PROBE_OUTPUT - size));
        size += d.length;
        // Enough read: the rest of a large body is not waited for.
        if (size >= MAX_PROBE_OUTPUT) { done(); res.destroy(); }
      });
      res.on('end', done);
      res.on('error', (e) => { if (size < MAX_PROBE_OUTPUT) reject(e); });
    });
    req.on('error', reject);
    req.end();
  });
}

export async function httpProbe(r: HttpProbeRequest): Promise<ProbeOutcome> {
  const headers: Record<string, string> = { 'User-Agent': r.userAgent ?? PROBE_USER_AGENT, Accept: '*/*', Connection: 'close' };
  for (const h of r.headers) {
    // The spec's header replaces ours of the same name, whatever its case.
    for (const k of Object.keys(headers)) if (k.toLowerCase() === h.name.toLowerCase()) delete headers[k];
    headers[h.name] = h.value;
  }
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new ProbeTimeout()), r.timeoutMs);
  let url = r.url;
  try {
    for (let redirects = 0; ; redirects++) {
      let res: Response;
      try {
        res = await requestOnce(url, headers, ac.signal);
      } catch (e) {
        if (ac.signal.aborted) {
          return { result: 'failure', output: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
        }
        return { result: 'failure', output: `Get "${url.href}": ${describeError(e, url)}` };
      }
      if (res.status >= 300 && res.status < 400 && res.location) {
        let next: URL;
        try { next = new URL(res.location, url); } catch { return { result: 'success', output: limitOutput(res.body) }; }
        if (next.hostname !== r.url.hostname || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
          return { result: 'warning', output: limitOutput(`Probe terminated redirects, Response body: ${res.body}`) };
        }
        if (redirects + 1 > MAX_REDIRECTS) return { result: 'failure', output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
        url = next;
        continue;
      }
      if (res.status >= 200 && res.status < 400) return { result: 'success', output: limitOutput(res.body) };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}
