// Time as Kubernetes writes and reads it: metav1.Time (RFC 3339 to the second) and Go-style
// durations ("500ms", "1m30s") for flags and tctl arguments. One copy for every component, so a
// flag means the same thing to each of them.

/** metav1.Time: RFC 3339 in UTC with whole seconds (milliseconds dropped, not rounded). */
export function rfc3339(t: Date | number): string {
  const ms = typeof t === 'number' ? t : t.getTime();
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration ("10s", "500ms", "1m30s", "1.5h"; units ns us µs ms s m h) in milliseconds. A
 * bare number is seconds, as kubectl's --timeout and the components' flags have always taken
 * it. `what` (a flag's name) starts the error message.
 */
export function parseDuration(text: string, what?: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (s === '' || pos !== s.length) {
    throw new Error(`${what ? `${what}: ` : ''}invalid duration ${JSON.stringify(text)} (expected e.g. 30s, 500ms or 1m30s)`);
  }
  return total;
}
