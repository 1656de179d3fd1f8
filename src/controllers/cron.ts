// Cron schedules for the CronJob controller: the standard 5-field syntax
// and the @ descriptors, evaluated as robfig/cron v3 (which upstream uses)
// evaluates them, in an IANA time zone through Intl. Validation and its
// error texts live in src/api/validation/cron.ts; this file computes times.

import { cronScheduleError } from '../api/validation/cron.js';

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const BOUNDS: Array<[number, number, Record<string, number>?]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12, MONTHS],
  [0, 6, DAYS],
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  values: Set<number>;
  /** The field was `*` or `?` without a step (robfig's starBit): affects day-of-month/day-of-week matching. */
  star: boolean;
}

export interface CronSchedule {
  /** The first activation strictly after `afterMs`, or undefined when there is none within five years. */
  next(afterMs: number): number | undefined;
}

function num(s: string, names?: Record<string, number>): number {
  const n = names?.[s.toLowerCase()];
  return n !== undefined ? n : Number(s);
}

function parseField(expr: string, [min, max, names]: [number, number, Record<string, number>?]): Field {
  const values = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    const [range, stepStr] = part.split('/');
    const lowHigh = range.split('-');
    let lo: number;
    let hi: number;
    let partStar = false;
    if (lowHigh[0] === '*' || lowHigh[0] === '?') {
      lo = min;
      hi = max;
      partStar = true;
    } else {
      lo = num(lowHigh[0], names);
      hi = lowHigh.length === 2 ? num(lowHigh[1], names) : lo;
    }
    const step = stepStr === undefined ? 1 : Number(stepStr);
    if (stepStr !== undefined && lowHigh.length === 1) hi = max;
    if (step > 1) partStar = false;
    star ||= partStar;
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/** Parses a CronJob schedule (`TZ=`/`CRON_TZ=` prefixes included); throws with the validator's message when invalid. */
export function parseCronSchedule(spec: string, timeZone?: string): CronSchedule {
  const err = cronScheduleError(spec);
  if (err) throw new Error(err);
  let s = spec.trim();
  let tz = timeZone || 'UTC';
  const m = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(s);
  if (m) {
    tz = m[1];
    s = m[2].trim();
  }
  if (s.startsWith('@every ')) return everySchedule(s.slice(7));
  s = DESCRIPTORS[s] ?? s;
  const [minute, hour, dom, month, dow] = s.split(/\s+/).map((f, i) => parseField(f, BOUNDS[i]));
  if (dow.values.has(7)) dow.values.add(0);
  const wall = wallClock(tz);
  const dayMatches = (d: Date): boolean => {
    const domOk = dom.values.has(d.getUTCDate());
    const dowOk = dow.values.has(d.getUTCDay());
    return dom.star || dow.star ? domOk && dowOk : domOk || dowOk;
  };
  return {
    next(afterMs: number): number | undefined {
      // Search in wall-clock time (a UTC Date used as a calendar), then map back to an instant.
      let w = Math.floor(wall.toWall(afterMs) / 60000) * 60000 + 60000;
      const limit = w + 5 * 366 * 86400000;
      while (w < limit) {
        const d = new Date(w);
        const y = d.getUTCFullYear();
        const mo = d.getUTCMonth();
        const day = d.getUTCDate();
        const h = d.getUTCHours();
        if (!month.values.has(mo + 1)) {
          w = Date.UTC(y, mo + 1, 1);
          continue;
        }
        if (!dayMatches(d)) {
          w = Date.UTC(y, mo, day + 1);
          continue;
        }
        if (!hour.values.has(h)) {
          w = Date.UTC(y, mo, day, h + 1);
          continue;
        }
        if (!minute.values.has(d.getUTCMinutes())) {
          w += 60000;
          continue;
        }
        const t = wall.toInstant(w);
        if (t > afterMs) return t;
        w += 60000; // a repeated wall time after a DST fall-back
      }
      return undefined;
    },
  };
}

function everySchedule(d: string): CronSchedule {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  let ms = 0;
  for (const [, n, u] of d.matchAll(/([0-9]*(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * units[u];
  // robfig rounds @every to whole seconds, at least one.
  const period = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return { next: (after) => Math.floor(after / 1000) * 1000 + period };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Conversions between instants and wall-clock times (as UTC calendar milliseconds) in a time zone. */
export function wallClock(tz: string): { toWall(ms: number): number; toInstant(wallMs: number): number; offset(ms: number): number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  const fmt = f;
  const toWall = (ms: number): number => {
    const p: Record<string, number> = {};
    for (const x of fmt.formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (((ms % 1000) + 1000) % 1000);
  };
  const offset = (ms: number): number => toWall(ms) - ms;
  return {
    toWall,
    offset,
    toInstant(wallMs: number): number {
      let t = wallMs - offset(wallMs);
      t = wallMs - offset(t);
      return t;
    },
  };
}

/** RFC 3339 with the zone's offset (`Z` in UTC), as Go's time.Format(time.RFC3339) in that location. */
export function formatRFC3339InZone(ms: number, tz: string | undefined): string {
  const wc = wallClock(tz || 'UTC');
  const off = Math.round(wc.offset(ms) / 60000);
  const local = new Date(Math.floor(wc.toWall(ms) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  if (off === 0) return `${local}Z`;
  const a = Math.abs(off);
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
