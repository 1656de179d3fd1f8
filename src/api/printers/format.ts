// Small formatting helpers shared by the table printers: timestamps, label
// maps, label selectors, container lists and access modes, each producing
// the strings kube-apiserver puts into Table cells.

import { humanDuration } from './duration.js';

/** Milliseconds since the epoch, or undefined for a missing/unparsable timestamp. */
export function parseTime(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/** Age of a timestamp relative to `now`; `<unknown>` when it is unset. */
export function since(ts: unknown, now: Date): string {
  const t = parseTime(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** RFC 3339 in UTC with whole seconds, as Go's time.RFC3339 prints it. */
export function rfc3339(ts: unknown): string {
  const t = parseTime(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `a=1,b=2` sorted by key, or `<none>` for an empty map. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const s = labelsString(labels);
  return s === '' ? '<none>' : s;
}

/** `a=1,b=2` sorted by key, empty for an empty map. */
export function labelsString(labels: Record<string, string> | null | undefined): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

interface SelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

interface Selector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: SelectorRequirement[] | null;
}

/**
 * The canonical string form of a LabelSelector (requirements sorted by key),
 * `''` when it selects everything or is nil, undefined when it is invalid.
 */
export function selectorString(sel: Selector | null | undefined): string | undefined {
  if (!sel) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const key = e.key ?? '';
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key, text: `${key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length !== 0) return undefined;
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        if (values.length !== 0) return undefined;
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** Selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: Selector | null | undefined): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Comma-joined container names and images of a pod template. */
export function containerCells(containers: Array<{ name?: string; image?: string }> | null | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** PV access modes in their short forms, in a fixed order, without duplicates. */
export function accessModes(modes: string[] | null | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** An IntOrString as text. */
export function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(Math.trunc(v)) : String(v ?? '');
}

/** `host:port`, bracketing IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A list capped at three entries, then `+ N more...`; `<unset>` when empty. */
export function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** `True`/`False` for a set boolean, `<unset>` otherwise. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

/** Integer form of an optional numeric field (0 when missing). */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}
