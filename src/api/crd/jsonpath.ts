// A small JSONPath (the kubectl / client-go dialect) for printer columns:
// `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..name`,
// filters `[?(@.type=="Ready")]` (==, !=, <, >, <=, >=, and existence),
// with or without the surrounding `{}`. Missing keys yield no result.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'recursive'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; start?: number; end?: number; step?: number; single: boolean }
  | { kind: 'union'; names: Array<string | number> }
  | { kind: 'filter'; left: Step[]; op: string; right?: Step[]; literal?: unknown; hasLiteral: boolean };

export interface JSONPath {
  source: string;
  steps: Step[];
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  eof(): boolean {
    return this.i >= this.s.length;
  }

  peek(n = 0): string {
    return this.s[this.i + n] ?? '';
  }

  fail(msg: string): never {
    throw new Error(msg);
  }

  parseSteps(stop: (p: Parser) => boolean): Step[] {
    const steps: Step[] = [];
    while (!this.eof() && !stop(this)) {
      const c = this.peek();
      if (c === '.') {
        if (this.peek(1) === '.') {
          this.i += 2;
          steps.push({ kind: 'recursive', name: this.readName() });
          continue;
        }
        this.i++;
        if (this.peek() === '*') {
          this.i++;
          steps.push({ kind: 'wildcard' });
          continue;
        }
        if (this.eof() || this.peek() === '.' || this.peek() === '[' || stop(this)) continue;
        steps.push({ kind: 'field', name: this.readName() });
      } else if (c === '[') {
        steps.push(this.parseBracket());
      } else if (c === ' ') {
        this.i++;
      } else if (/[A-Za-z0-9_$-]/.test(c)) {
        steps.push({ kind: 'field', name: this.readName() });
      } else {
        this.fail(`unrecognized character in action: ${JSON.stringify(c)}`);
      }
    }
    return steps;
  }

  readName(): string {
    const start = this.i;
    while (!this.eof() && !/[.\[\]\s(){}=!<>,)]/.test(this.peek())) {
      if (this.peek() === '\\') this.i++;
      this.i++;
    }
    return this.s.slice(start, this.i).replace(/\\(.)/g, '$1');
  }

  readQuoted(): string {
    const q = this.peek();
    this.i++;
    let out = '';
    while (!this.eof() && this.peek() !== q) {
      if (this.peek() === '\\' && this.i + 1 < this.s.length) this.i++;
      out += this.peek();
      this.i++;
    }
    if (this.eof()) this.fail('unterminated quoted string');
    this.i++;
    return out;
  }

  parseBracket(): Step {
    this.i++; // [
    if (this.peek() === '?') {
      this.i++;
      if (this.peek() !== '(') this.fail('unrecognized filter');
      this.i++;
      const f = this.parseFilter();
      if (this.peek() !== ')') this.fail('unclosed filter');
      this.i++;
      if (this.peek() !== ']') this.fail('unclosed array expect ]');
      this.i++;
      return f;
    }
    if (this.peek() === '*' && this.peek(1) === ']') {
      this.i += 2;
      return { kind: 'wildcard' };
    }
    const end = this.s.indexOf(']', this.i);
    if (end < 0) this.fail('unclosed array expect ]');
    const body = this.s.slice(this.i, end).trim();
    if (body.startsWith("'") || body.startsWith('"')) {
      const names: Array<string | number> = [];
      const sub = new Parser(body);
      while (!sub.eof()) {
        if (sub.peek() === "'" || sub.peek() === '"') names.push(sub.readQuoted());
        else if (sub.peek() === ',' || sub.peek() === ' ') sub.i++;
        else sub.fail(`invalid array index ${body}`);
      }
      this.i = end + 1;
      return names.length === 1 ? { kind: 'field', name: String(names[0]) } : { kind: 'union', names };
    }
    this.i = end + 1;
    if (body.includes(',')) {
      return { kind: 'union', names: body.split(',').map((x) => (/^-?\d+$/.test(x.trim()) ? Number(x.trim()) : x.trim())) };
    }
    const parts = body.split(':');
    if (parts.length > 3) this.fail(`invalid array index ${body}`);
    const nums = parts.map((p) => {
      const t = p.trim();
      if (t === '') return undefined;
      if (!/^-?\d+$/.test(t)) this.fail(`invalid array index ${body}`);
      return Number(t);
    });
    if (parts.length === 1) return { kind: 'index', start: nums[0], single: true };
    return { kind: 'index', start: nums[0], end: nums[1], step: nums[2], single: false };
  }

  parseOperand(): { steps?: Step[]; literal?: unknown; isLiteral: boolean } {
    while (this.peek() === ' ') this.i++;
    const c = this.peek();
    if (c === "'" || c === '"') return { literal: this.readQuoted(), isLiteral: true };
    if (c === '@') {
      this.i++;
      const steps = this.parseSteps((p) => /[\s=!<>)]/.test(p.peek()));
      return { steps, isLiteral: false };
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return { literal: Number(m[0]), isLiteral: true };
    }
    for (const [w, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(w, this.i)) {
        this.i += w.length;
        return { literal: v, isLiteral: true };
      }
    }
    this.fail(`unrecognized filter operand at ${this.s.slice(this.i)}`);
  }

  parseFilter(): Step {
    const left = this.parseOperand();
    while (this.peek() === ' ') this.i++;
    const m = /^(==|!=|<=|>=|<|>)/.exec(this.s.slice(this.i));
    if (!m) {
      if (left.isLiteral) this.fail('invalid filter');
      return { kind: 'filter', left: left.steps ?? [], op: 'exists', hasLiteral: false };
    }
    this.i += m[1].length;
    const right = this.parseOperand();
    while (this.peek() === ' ') this.i++;
    if (left.isLiteral) this.fail('the left side of a filter must be a path');
    return right.isLiteral
      ? { kind: 'filter', left: left.steps ?? [], op: m[1], literal: right.literal, hasLiteral: true }
      : { kind: 'filter', left: left.steps ?? [], op: m[1], right: right.steps ?? [], hasLiteral: false };
  }
}

/** Parses `{.spec.replicas}` or `.spec.replicas`; throws on syntax errors. */
export function parseJSONPath(expr: string): JSONPath {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const p = new Parser(s);
  const steps = p.parseSteps(() => false);
  return { source: expr, steps };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function descendants(v: unknown, name: string, out: unknown[]): void {
  if (isObj(v)) {
    if (Object.prototype.hasOwnProperty.call(v, name)) out.push(v[name]);
    for (const k of Object.keys(v).sort()) descendants(v[k], name, out);
  } else if (Array.isArray(v)) {
    for (const x of v) descendants(x, name, out);
  }
}

function compare(op: string, a: unknown, b: unknown): boolean {
  const ta = typeof a;
  const tb = typeof b;
  if (op === '==' || op === '!=') {
    if (a === null || b === null || ta !== tb || (ta !== 'string' && ta !== 'number' && ta !== 'boolean')) {
      throw new Error('incompatible types for comparison');
    }
    return op === '==' ? a === b : a !== b;
  }
  if (ta !== tb || (ta !== 'string' && ta !== 'number')) throw new Error('incompatible types for comparison');
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

function evalSteps(steps: Step[], input: unknown[]): unknown[] {
  let cur = input;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (step.kind) {
        case 'field':
          if (isObj(v) && Object.prototype.hasOwnProperty.call(v, step.name)) next.push(v[step.name]);
          break;
        case 'recursive':
          descendants(v, step.name, next);
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) for (const k of Object.keys(v).sort()) next.push(v[k]);
          break;
        case 'union':
          for (const n of step.names) {
            if (typeof n === 'number' && Array.isArray(v)) {
              const i = n < 0 ? v.length + n : n;
              if (i >= 0 && i < v.length) next.push(v[i]);
            } else if (isObj(v) && Object.prototype.hasOwnProperty.call(v, String(n))) next.push(v[String(n)]);
          }
          break;
        case 'index': {
          if (v === null || v === undefined) break;
          if (!Array.isArray(v)) throw new Error(`${JSON.stringify(v)} is not array or slice`);
          const len = v.length;
          if (step.single) {
            let i = step.start ?? 0;
            if (i < 0) i += len;
            if (i < 0 || i >= len) throw new Error(`array index out of bounds: index ${step.start}, length ${len}`);
            next.push(v[i]);
          } else {
            let s = step.start ?? 0;
            let e = step.end ?? len;
            if (s < 0) s += len;
            if (e < 0) e += len;
            s = Math.max(0, Math.min(s, len));
            e = Math.max(s, Math.min(e, len));
            const inc = step.step && step.step > 0 ? step.step : 1;
            for (let i = s; i < e; i += inc) next.push(v[i]);
          }
          break;
        }
        case 'filter': {
          if (!Array.isArray(v)) throw new Error(`${JSON.stringify(v)} is not array or slice and cannot be filtered`);
          for (const item of v) {
            const lefts = evalSteps(step.left, [item]);
            if (step.op === 'exists') {
              if (lefts.length > 0) next.push(item);
              continue;
            }
            if (lefts.length === 0) continue;
            if (lefts.length > 1) throw new Error('can only compare one element at a time');
            let right: unknown;
            if (step.hasLiteral) right = step.literal;
            else {
              const rights = evalSteps(step.right ?? [], [item]);
              if (rights.length === 0) continue;
              if (rights.length > 1) throw new Error('can only compare one element at a time');
              right = rights[0];
            }
            if (compare(step.op, lefts[0], right)) next.push(item);
          }
          break;
        }
      }
    }
    cur = next;
  }
  return cur;
}

/** The values the path selects in `data` (AllowMissingKeys semantics); throws on evaluation errors. */
export function findResults(path: JSONPath, data: unknown): unknown[] {
  return evalSteps(path.steps, [data]);
}

/** Convenience: the first value a JSONPath expression selects, or undefined (also on errors). */
export function firstResult(expr: string | JSONPath, data: unknown): unknown {
  try {
    const p = typeof expr === 'string' ? parseJSONPath(expr) : expr;
    const r = findResults(p, data);
    return r.length ? r[0] : undefined;
  } catch {
    return undefined;
  }
}
