// Small helpers shared by the validators: tolerant accessors for untrusted
// JSON and a semantic equality close to apimachinery's equality.Semantic
// (absent, null and empty values compare equal, as Go's zero values do).

export function arr(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

export function obj(v: unknown): Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {};
}

export function isObj(v: unknown): v is Record<string, any> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function has(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).every((k) => isZero((v as any)[k]));
  return false;
}

/** Deep equality where absent, null, '', 0, false, [] and {} are all "zero". */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  if (isObj(a) || isObj(b)) return false;
  return false;
}

/** Leaf-level differences between two JSON values, as [path, old, new]. */
export function jsonDiff(a: unknown, b: unknown, path = ''): Array<[string, unknown, unknown]> {
  if (semanticEqual(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => jsonDiff(x, b[i], `${path}[${i}]`));
  }
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => jsonDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [[path, a, b]];
}

/** A readable diff in the spirit of upstream's cmp.Diff output (`-` old, `+` new). */
export function renderDiff(typeName: string, a: unknown, b: unknown): string {
  const lines = [`  ${typeName}{`];
  for (const [p, x, y] of jsonDiff(a, b)) {
    if (x !== undefined) lines.push(`- \t${p}: ${JSON.stringify(x)},`);
    if (y !== undefined) lines.push(`+ \t${p}: ${JSON.stringify(y)},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

export function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}
