// Wall-clock arithmetic in an IANA time zone, with the semantics of Go's time package that a
// CronJob's schedule walk relies on (robfig/cron steps with time.Date, AddDate and Add):
// reading the wall clock of an instant, and turning a wall-clock time back into an instant the
// way time.Date does when the time falls in a gap or an overlap of a DST change.
// Node's Intl (ICU's tz database) is the zone source; nothing here reads the host's local zone.

export interface WallClock {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  /** 1–31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday, as Go's Weekday. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the tz database knows the zone ("UTC", "America/New_York", "Etc/GMT+5"). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in milliseconds (New York in winter: −5 h). */
export function zoneOffsetMs(zone: string, instantMs: number): number {
  if (zone === 'UTC') return 0;
  const second = Math.floor(instantMs / 1000) * 1000;
  const parts = formatter(zone).formatToParts(new Date(second));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - second;
}

export function wallClock(zone: string, instantMs: number): WallClock {
  const d = new Date(instantMs + zoneOffsetMs(zone, instantMs));
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
  };
}

/**
 * The instant of a wall-clock time, as Go's time.Date: fields out of range carry over (day 32
 * is the 1st of the next month); in an overlap (fall back) the earlier instant; in a gap
 * (spring forward) the offset from after the change, so 02:30 on a New York spring-forward day
 * is 01:30 EST. Go guarantees neither choice; robfig/cron's walk is what made them matter.
 */
export function zonedInstant(zone: string, year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const guess = zoneOffsetMs(zone, wallAsUtc);
  const instant = wallAsUtc - guess;
  const actual = zoneOffsetMs(zone, instant);
  return actual === guess ? instant : wallAsUtc - actual;
}
