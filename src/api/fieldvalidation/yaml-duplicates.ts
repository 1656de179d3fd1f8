// Duplicate mapping keys in a YAML document, reported as upstream's strict
// YAML conversion (sigs.k8s.io/yaml YAMLToJSONStrict / UnmarshalStrict, i.e.
// go-yaml v2 in strict mode) reports them:
//
//   yaml: unmarshal errors:
//     line 5: key "name" already set in map
//     line 12: key "paused" already set in map
//
// One line per repeated key, numbered after the line where the repeated
// key's *value* starts (for `key:` with nothing after it, the key's line;
// for a nested block mapping, the line of its first key), in the order
// go-yaml decodes: a value's own duplicates before its key's. Keys are
// shown as Go's %#v shows them (`"x"`, `1`, `true`). `<<` merge keys are
// applied as go-yaml applies them (a merged key that the map repeats is
// reported too). Only the first document is read, as upstream does.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { goNumber, goQuote } from '../validation/errors.js';

/** The prefix of go-yaml's error for these problems. */
export const YAML_UNMARSHAL_ERRORS_PREFIX = 'yaml: unmarshal errors:\n';

const MAX_ALIAS_DEPTH = 100;

interface Ctx {
  doc: Document.Parsed;
  lc: LineCounter;
  text: string;
  out: string[];
  /** Alias expansions left (go-yaml re-decodes an aliased node at every use). */
  aliasBudget: number;
}

function keyIdentity(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'n' + String(v);
    case 'bigint':
      return 'n' + v.toString();
    case 'boolean':
      return 'b' + String(v);
    case 'object':
      return v === null ? 'z' : undefined;
    default:
      return undefined;
  }
}

/** Go's %#v of a decoded YAML key. */
function goKey(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'number':
      return goNumber(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return '<nil>';
  }
}

/** 1-based line where go-yaml's node for `node` starts (anchors included). */
function lineOf(ctx: Ctx, node: Node | null | undefined, fallback: number): number {
  let offset = node?.range?.[0];
  if (offset === undefined) offset = fallback;
  const anchor = (node as { anchor?: string } | null | undefined)?.anchor;
  if (anchor) {
    const at = ctx.text.lastIndexOf('&' + anchor, offset);
    if (at >= 0) offset = at;
  }
  return ctx.lc.linePos(offset).line;
}

function resolve(ctx: Ctx, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < MAX_ALIAS_DEPTH && isAlias(n); i++) n = n.resolve(ctx.doc);
  return n;
}

function walk(ctx: Ctx, node: unknown, depth: number): void {
  if (depth > 10000) return;
  if (isAlias(node)) {
    if (ctx.aliasBudget <= 0) return;
    ctx.aliasBudget--;
    walk(ctx, node.resolve(ctx.doc), depth + 1);
    return;
  }
  if (isMap(node)) {
    mapping(ctx, node.items as Pair<unknown, unknown>[], new Set<string>(), depth);
  } else if (isSeq(node)) {
    for (const item of node.items) walk(ctx, item, depth + 1);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.source === '<<';
}

function mapping(ctx: Ctx, pairs: Pair<unknown, unknown>[], seen: Set<string>, depth: number): void {
  for (const pair of pairs) {
    if (isMergeKey(pair.key)) {
      merge(ctx, pair.value, seen, depth);
      continue;
    }
    const keyNode = resolve(ctx, pair.key);
    if (!isScalar(keyNode)) {
      walk(ctx, pair.value, depth + 1);
      continue;
    }
    // go-yaml decodes the value first, then sets the key.
    walk(ctx, pair.value, depth + 1);
    const id = keyIdentity(keyNode.value);
    if (id === undefined) continue;
    if (seen.has(id)) {
      const keyEnd = (pair.key as Node | null)?.range?.[1] ?? 0;
      const line = lineOf(ctx, pair.value as Node | null, keyEnd);
      ctx.out.push(`line ${line}: key ${goKey(keyNode.value)} already set in map`);
    } else {
      seen.add(id);
    }
  }
}

function merge(ctx: Ctx, value: unknown, seen: Set<string>, depth: number): void {
  const target = resolve(ctx, value);
  if (isMap(target)) {
    mapping(ctx, target.items as Pair<unknown, unknown>[], seen, depth + 1);
  } else if (isSeq(target)) {
    // earlier maps take precedence: go-yaml applies them last to first
    for (let i = target.items.length - 1; i >= 0; i--) {
      const m = resolve(ctx, target.items[i]);
      if (isMap(m)) mapping(ctx, m.items as Pair<unknown, unknown>[], seen, depth + 1);
    }
  }
}

/**
 * The `line N: key "x" already set in map` lines for `yamlText` (empty when
 * there are no duplicate keys, or when the text does not parse: the caller's
 * decoding reports that).
 */
export function findYamlDuplicateKeys(yamlText: string): string[] {
  const lc = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(yamlText, { uniqueKeys: false, version: '1.1', lineCounter: lc, prettyErrors: false });
  } catch {
    return [];
  }
  if (doc.errors.length > 0) return [];
  const ctx: Ctx = { doc, lc, text: yamlText, out: [], aliasBudget: 1000 };
  try {
    walk(ctx, doc.contents, 0);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  return ctx.out;
}

/** go-yaml's error text for the lines: `yaml: unmarshal errors:\n  line 5: ...`. */
export function yamlUnmarshalErrorsText(lines: readonly string[]): string {
  return YAML_UNMARSHAL_ERRORS_PREFIX + '  ' + lines.join('\n  ');
}
