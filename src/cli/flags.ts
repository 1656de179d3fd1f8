// Flag parsing shared by the commands: GNU-style long flags, values from an
// optional YAML config file (keys are flag names), flags win over the file.

import { readFileSync, existsSync } from 'node:fs';
import YAML from 'yaml';

export interface FlagSpec {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'list';
  help: string;
  default?: string;
}

export class UsageError extends Error {}

export function parseFlags(args: string[], specs: FlagSpec[]): { values: Record<string, unknown>; positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown flag: --${name}`);
    if (spec.type === 'boolean') {
      values[name] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: --${name}`);
      value = args[++i];
    }
    values[name] = convert(spec, value, values[name]);
  }
  return { values, positional };
}

function convert(spec: FlagSpec, value: unknown, prev: unknown): unknown {
  switch (spec.type) {
    case 'number': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid value for --${spec.name}: ${String(value)} (want a non-negative integer)`);
      return n;
    }
    case 'list': {
      const items = Array.isArray(value) ? value.map(String) : String(value).split(',').filter(Boolean);
      return [...((prev as string[]) ?? []), ...items];
    }
    case 'boolean':
      return value === true || value === 'true';
    default:
      return String(value);
  }
}

/** Reads a YAML config file whose keys are flag names; unknown keys are errors. */
export function readConfigFile(path: string, specs: FlagSpec[], required: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (required) throw new UsageError(`config file not found: ${path}`);
    return {};
  }
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot parse config file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`config file ${path} must be a YAML mapping of flag names to values`);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const spec = byName.get(k);
    if (!spec || k === 'config') throw new UsageError(`config file ${path}: unknown key "${k}"`);
    out[k] = convert(spec, v, undefined);
  }
  return out;
}

export function flagHelp(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const arg = s.type === 'boolean' ? '' : s.type === 'number' ? ' int' : s.type === 'list' ? ' strings' : ' string';
    return [`  --${s.name}${arg}`, `${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`];
  });
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([a, b]) => a.padEnd(w) + b).join('\n');
}

/** Go-style durations: 24h, 90m, 1h30m, 45s, 500ms; 0 is zero. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let ms = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    ms += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (!s || consumed !== s.length) throw new UsageError(`invalid duration "${s}"`);
  return ms;
}

/** Keeps a foreground role running until SIGINT or SIGTERM, then stops it once and exits (1 if stopping failed). */
export function stopOnSignal(stop: () => Promise<void>, log: (msg: string) => void): void {
  let stopping = false;
  const shutdown = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    stop().then(
      () => process.exit(0),
      (e) => {
        log(`error while stopping: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
