// Reading request bodies and writing answers (the I/O the handlers share): JSON with the
// negotiated Content-Type, Kubernetes' Warning headers, and Status errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '@tugboat/api';
import { statusOf, type Status } from './status.js';

/** Kubernetes' limit on a request body (3 MiB), the registry's too. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('RequestEntityTooLarge', `the request is too large: more than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * RFC 7234 warn-text as Kubernetes sends it: `299 - "text"`, quotes and backslashes escaped;
 * characters a header cannot carry become "?".
 */
export function warningHeader(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\"]/g, (c) => `\\${c}`);
  return `299 - "${clean}"`;
}

export function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length && !res.headersSent) res.setHeader('Warning', [...new Set(warnings)].map(warningHeader));
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', warnings: readonly string[] = []): void {
  sendEncodedJson(res, code, JSON.stringify(body), contentType, warnings);
}

/** sendJson for a body already encoded. */
export function sendEncodedJson(res: ServerResponse, code: number, text: string, contentType = 'application/json', warnings: readonly string[] = []): void {
  setWarnings(res, warnings);
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** Answers with the Status of an error; returns its HTTP code. */
export function sendError(res: ServerResponse, err: unknown): Status {
  const status = statusOf(err);
  if (res.headersSent) {
    // Too late for a Status: the stream was already answering. Cut it.
    res.destroy();
    return status;
  }
  sendJson(res, status.code, status);
  return status;
}
