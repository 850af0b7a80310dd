// Every request the page makes: to its own origin (the API server), with the session's token.
// A 401 ends the session (back to the login screen); other failures are the API's Status
// message, shown where the data would have been.
import { session } from '../session.js';

export class ApiHttpError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

async function statusMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch { /* not a Status */ }
  return text.trim() || `${res.status} ${res.statusText}`;
}

/** fetch with the bearer token; throws ApiHttpError for a non-2xx answer. */
export async function apiFetch(path: string, signal?: AbortSignal): Promise<Response> {
  const token = session.token();
  if (!token) throw new ApiHttpError(401, 'not signed in');
  const res = await fetch(path, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    cache: 'no-store',
    ...(signal ? { signal } : {}),
  });
  if (res.ok) return res;
  const message = await statusMessage(res);
  if (res.status === 401) session.signOut(`The API server refused the token (${message}). Sign in again.`);
  throw new ApiHttpError(res.status, message);
}
