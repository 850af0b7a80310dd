// A CronJob's schedule, with the meaning Kubernetes gives it (robfig/cron v3's ParseStandard):
// five fields (minute hour day-of-month month day-of-week, names like JAN/MON, ranges, steps,
// lists, `*` and `?`) or a descriptor (@yearly @annually @monthly @weekly @daily @midnight
// @hourly, @every <duration>), walked in the CronJob's time zone.
//
// The fields are parsed by cron-parser (the most used cron parser on npm, typed, maintained);
// Kubernetes refuses some of what it accepts (a seconds field, L/W/#/H, day-of-week 7), so
// those are refused first, in robfig's words. The next time is robfig's walk, not
// cron-parser's: the two differ across DST changes, and Kubernetes skips a time that a
// spring-forward removes (02:30 in New York) and runs one that a fall-back repeats (01:30) twice.
import { CronExpressionParser } from 'cron-parser';
import { wallClock, zonedInstant, type WallClock } from './zone.js';

export interface CronSchedule {
  /** The first activation strictly after `afterMs`, or undefined if none within five years (31 February). */
  next(afterMs: number): number | undefined;
}

export type ParsedSchedule = { readonly ok: true; readonly schedule: CronSchedule } | { readonly ok: false; readonly error: string };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const FIELD_NAMES = ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
/** robfig's ranges: day-of-week is 0–6 (no 7 for Sunday). */
const FIELD_MAX = [59, 23, 31, 12, 6] as const;
/** What robfig's getRange reads: numbers, names, `*`, `?`, ranges, steps and lists. */
const FIELD_SYNTAX = /^[0-9A-Za-z*?/,-]+$/;
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** Parses a schedule; `timeZone` is spec.timeZone (UTC when unset, as the controller runs in UTC). */
export function parseCronSchedule(spec: string, timeZone = 'UTC'): ParsedSchedule {
  let text = spec.trim();
  let zone = timeZone;
  // A TZ=/CRON_TZ= prefix names the zone in robfig; validation refuses it on new CronJobs,
  // but one stored before that keeps working, as in Kubernetes.
  const prefixed = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  if (prefixed) {
    zone = prefixed[1] ?? zone;
    text = (prefixed[2] ?? '').trim();
    if (!isZone(zone)) return { ok: false, error: `provided bad location ${zone}: unknown time zone ${zone}` };
  }
  if (text === '') return { ok: false, error: 'empty spec string' };
  if (text.startsWith('@every ')) return parseEvery(text.slice('@every '.length).trim());
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text];
    if (!expanded) return { ok: false, error: `unrecognized descriptor: ${text}` };
    text = expanded;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return { ok: false, error: `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]` };
  for (const [i, field] of fields.entries()) {
    if (!FIELD_SYNTAX.test(field)) return { ok: false, error: `failed to parse ${FIELD_NAMES[i]} field: ${field}` };
    const names = i === 3 ? MONTH_NAMES : i === 4 ? DAY_NAMES : [];
    // Letters are month and day names only: cron-parser's L, W and H are not robfig's.
    for (const word of field.match(/[A-Za-z]+/g) ?? []) {
      if (!names.includes(word.toLowerCase())) return { ok: false, error: `failed to parse int from ${word}: strconv.Atoi: parsing ${JSON.stringify(word)}: invalid syntax` };
    }
    const max = FIELD_MAX[i] ?? 0;
    for (const n of field.match(/\d+/g) ?? []) {
      // A step is not a field value; every other number is.
      if (new RegExp(`/${n}(?:,|$)`).test(field)) continue;
      if (Number(n) > max) return { ok: false, error: `end of range (${Number(n)}) above maximum (${max}): ${field}` };
    }
  }
  let parsed;
  try {
    parsed = CronExpressionParser.parse(fields.join(' '), { strict: false }).fields;
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const sets: FieldSets = {
    minute: bits(parsed.minute.values), hour: bits(parsed.hour.values), dom: bits(parsed.dayOfMonth.values),
    month: bits(parsed.month.values), dow: bits(parsed.dayOfWeek.values.map((v) => (v === 7 ? 0 : v))),
    domStar: isStar(fields[2] ?? ''), dowStar: isStar(fields[4] ?? ''),
  };
  return { ok: true, schedule: { next: (after) => nextActivation(sets, zone, after) } };
}

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface FieldSets {
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly dom: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly dow: ReadonlySet<number>;
  /** robfig's star bit: the field was `*` or `?` (stepped by 1): day matching then needs both fields. */
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

function bits(values: readonly (number | string)[]): ReadonlySet<number> {
  return new Set(values.filter((v): v is number => typeof v === 'number'));
}

function isStar(field: string): boolean {
  return field.split(',').some((part) => /^[*?](\/1)?$/.test(part));
}

function dayMatches(s: FieldSets, w: WallClock): boolean {
  const domMatch = s.dom.has(w.day);
  const dowMatch = s.dow.has(w.weekday);
  return s.domStar || s.dowStar ? domMatch && dowMatch : domMatch || dowMatch;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * robfig/cron's SpecSchedule.Next: from the next whole second, move month by month, then day
 * by day (calendar steps), then hour by hour and minute by minute (elapsed-time steps, which is
 * what skips a gap and repeats an overlap), wrapping to the outer field when an inner one rolls
 * over. Gives up five years on.
 */
function nextActivation(s: FieldSets, zone: string, afterMs: number): number | undefined {
  let t = Math.floor(afterMs / SECOND) * SECOND + SECOND;
  let added = false;
  const yearLimit = wallClock(zone, t).year + 5;
  for (;;) {
    // WRAP
    let w = wallClock(zone, t);
    if (w.year > yearLimit) return undefined;
    let wrapped = false;
    while (!s.month.has(w.month)) {
      if (!added) { added = true; t = zonedInstant(zone, w.year, w.month, 1); w = wallClock(zone, t); }
      t = zonedInstant(zone, w.year, w.month + 1, w.day, w.hour, w.minute, w.second);
      w = wallClock(zone, t);
      if (w.month === 1) { wrapped = true; break; }
    }
    if (wrapped) continue;
    while (!dayMatches(s, w)) {
      if (!added) { added = true; t = zonedInstant(zone, w.year, w.month, w.day); w = wallClock(zone, t); }
      t = zonedInstant(zone, w.year, w.month, w.day + 1, w.hour, w.minute, w.second);
      w = wallClock(zone, t);
      // A DST change at midnight moves the hour off 0: put it back.
      if (w.hour !== 0) {
        t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR;
        w = wallClock(zone, t);
      }
      if (w.day === 1) { wrapped = true; break; }
    }
    if (wrapped) continue;
    while (!s.hour.has(w.hour)) {
      if (!added) { added = true; t = zonedInstant(zone, w.year, w.month, w.day, w.hour); }
      t += HOUR;
      w = wallClock(zone, t);
      if (w.hour === 0) { wrapped = true; break; }
    }
    if (wrapped) continue;
    while (!s.minute.has(w.minute)) {
      if (!added) { added = true; t = Math.floor(t / MINUTE) * MINUTE; }
      t += MINUTE;
      w = wallClock(zone, t);
      if (w.minute === 0) { wrapped = true; break; }
    }
    if (wrapped) continue;
    // A standard schedule's seconds field is 0: counting seconds up to it reaches the next
    // minute, where robfig wraps to check every field again.
    if (w.second !== 0) {
      added = true;
      t = Math.floor(t / MINUTE) * MINUTE + MINUTE;
      continue;
    }
    return t;
  }
}

/** @every <Go duration>: a constant delay, rounded down to whole seconds and at least one (robfig's Every). */
function parseEvery(text: string): ParsedSchedule {
  const ms = parseGoDuration(text);
  if (ms === undefined) return { ok: false, error: `failed to parse duration @every ${text}: time: invalid duration "${text}"` };
  const delay = Math.max(SECOND, Math.floor(ms / SECOND) * SECOND);
  return { ok: true, schedule: { next: (after) => Math.floor(after / SECOND) * SECOND + delay } };
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: SECOND, m: MINUTE, h: HOUR };

function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    consumed = re.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
