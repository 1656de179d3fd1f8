// Label selectors as Kubernetes 1.32 understands them: the string syntax of
// `?labelSelector=` (and `kubectl -l`), the metav1.LabelSelector object form
// (matchLabels / matchExpressions), matching against an object's labels, and
// the canonical string form upstream prints. Error messages follow upstream's
// wording so clients see what they would see against a real API server.
//
// A parsed selector is immutable and precompiled into one predicate per
// requirement, so the same selector can be matched against many objects
// cheaply (the watch cache and list paths call `matches` per object).

/** Rejection of a label or field selector; the API server answers it with 400 BadRequest. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/**
 * Requirement operators, spelled as upstream's `selection.Operator` values:
 * `=` and `==` (exact match), `!=`, `in`, `notin`, `exists`, `!` (does not
 * exist), `gt` and `lt` (integer comparison).
 */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** For `in`/`notin` the parser gives a sorted, de-duplicated list; exactly one value for `=`, `==`, `!=`, `gt`, `lt`; none for `exists`/`!`. */
  readonly values: readonly string[];
}

/** The metav1.LabelSelector object shape (as in Deployment.spec.selector). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

export type Labels = Record<string, string> | undefined | null;

type Predicate = (labels: Record<string, string>) => boolean;

const EMPTY_LABELS: Record<string, string> = Object.freeze(Object.create(null));

/**
 * A compiled label selector. Use `parseLabelSelector`,
 * `selectorFromLabelSelectorObject` or `selectorFromSet` to build one.
 */
export class LabelSelector {
  /** Requirements sorted by key (stable), ANDed together. */
  readonly requirements: readonly LabelRequirement[];
  /** True only for the selector that selects nothing (a null metav1.LabelSelector). */
  readonly selectsNothing: boolean;
  private readonly test: Predicate;
  private str: string | undefined;

  /** @internal use the factory functions */
  constructor(requirements: readonly LabelRequirement[], selectsNothing = false) {
    this.requirements = Object.freeze(requirements.slice());
    this.selectsNothing = selectsNothing;
    this.test = selectsNothing ? () => false : compile(this.requirements);
  }

  /** Whether an object with these labels is selected. Missing labels count as an empty set. */
  matches(labels: Labels): boolean {
    return this.test(labels ?? EMPTY_LABELS);
  }

  /** True when the selector does not restrict anything (an empty selector). */
  isEverything(): boolean {
    return !this.selectsNothing && this.requirements.length === 0;
  }

  /**
   * The value a label must have for this selector to match, when the selector
   * pins it to a single value (`k=v`, `k==v` or `k in (v)`); undefined otherwise.
   */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }

  /** Canonical string form, as upstream prints it (`app=web,tier in (a,b)`). */
  toString(): string {
    if (this.str === undefined) this.str = this.selectsNothing ? '' : this.requirements.map(requirementToString).join(',');
    return this.str;
  }

  /** A new selector with the extra requirements added (re-sorted by key). */
  add(...reqs: LabelRequirement[]): LabelSelector {
    if (this.selectsNothing) return this;
    return new LabelSelector(sortByKey([...this.requirements, ...reqs]));
  }
}

export const EVERYTHING: LabelSelector = new LabelSelector([]);
export const NOTHING: LabelSelector = new LabelSelector([], true);

// ---------------------------------------------------------------------------
// Public helpers

export function matches(sel: LabelSelector, labels: Labels): boolean {
  return sel.matches(labels);
}

/** True for a selector that restricts nothing. Accepts label and field selectors alike. */
export function isEverything(sel: { isEverything(): boolean }): boolean {
  return sel.isEverything();
}

export function labelSelectorToString(sel: LabelSelector): string {
  return sel.toString();
}

/** Selects objects carrying exactly these labels; an empty or missing set selects everything. No validation, as upstream's SelectorFromSet. */
export function selectorFromSet(set: Record<string, string> | null | undefined): LabelSelector {
  if (!set) return EVERYTHING;
  const keys = Object.keys(set);
  if (keys.length === 0) return EVERYTHING;
  keys.sort(compareStrings);
  return new LabelSelector(keys.map((key) => ({ key, operator: '=' as const, values: [String(set[key])] })));
}

/**
 * Build a validated requirement (upstream's NewRequirement). Throws
 * SelectorError with upstream's field-error wording.
 */
export function newRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const errs = requirementErrors(key, operator, values, true);
  if (errs.length) throw new SelectorError(aggregate(errs));
  return { key, operator, values: Object.freeze(values.slice()) };
}

// ---------------------------------------------------------------------------
// metav1.LabelSelector → selector

/**
 * Convert a metav1.LabelSelector. A null/undefined selector selects nothing,
 * an empty one selects everything (upstream's LabelSelectorAsSelector).
 */
export function selectorFromLabelSelectorObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING;
  const ml = sel.matchLabels ?? {};
  const me = sel.matchExpressions ?? [];
  const mlKeys = Object.keys(ml);
  if (mlKeys.length + me.length === 0) return EVERYTHING;
  const reqs: LabelRequirement[] = [];
  for (const k of mlKeys) reqs.push(newRequirement(k, '=', [String(ml[k])]));
  for (const expr of me) {
    let op: LabelOperator;
    switch (expr?.operator) {
      case 'In':
        op = 'in';
        break;
      case 'NotIn':
        op = 'notin';
        break;
      case 'Exists':
        op = 'exists';
        break;
      case 'DoesNotExist':
        op = '!';
        break;
      default:
        throw new SelectorError(`${goQuote(String(expr?.operator ?? ''))} is not a valid label selector operator`);
    }
    const values = (expr.values ?? []).map((v) => String(v));
    reqs.push(newRequirement(String(expr.key ?? ''), op, values));
  }
  return new LabelSelector(sortByKey(reqs));
}

/**
 * The reverse of selectorFromLabelSelectorObject for selectors that only use
 * the operators a metav1.LabelSelector can express (upstream's
 * ParseToLabelSelector on the selector's string form). `=`/`==` become
 * matchLabels, the rest matchExpressions; the nothing-selector gives null.
 * Throws for `!=`, `gt`, `lt`.
 */
export function labelSelectorObjectOf(sel: LabelSelector): LabelSelectorObject | null {
  if (sel.selectsNothing) return null;
  const out: LabelSelectorObject = {};
  for (const r of sel.requirements) {
    switch (r.operator) {
      case '=':
      case '==':
        (out.matchLabels ??= {})[r.key] = r.values[0];
        break;
      case 'in':
      case 'notin':
        (out.matchExpressions ??= []).push({ key: r.key, operator: r.operator === 'in' ? 'In' : 'NotIn', values: [...r.values] });
        break;
      case 'exists':
      case '!':
        (out.matchExpressions ??= []).push({ key: r.key, operator: r.operator === 'exists' ? 'Exists' : 'DoesNotExist' });
        break;
      default:
        throw new SelectorError(`${goQuote(r.operator)} is not a valid label selector operator`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// String syntax

/**
 * Parse the label selector string syntax:
 *
 *   selector    := requirement ( "," requirement )*
 *   requirement := [ "!" ] KEY [ ( "=" | "==" | "!=" | ">" | "<" ) VALUE | ( "in" | "notin" ) "(" VALUE ( "," VALUE )* ")" ]
 *
 * Whitespace between tokens is ignored. An empty string selects everything.
 * Errors throw SelectorError with upstream's messages.
 */
export function parseLabelSelector(s: string): LabelSelector {
  if (s === '') return EVERYTHING;
  const reqs = new Parser(lex(s)).parse();
  return reqs.length === 0 ? EVERYTHING : new LabelSelector(sortByKey(reqs));
}

type TokenType = 'end' | 'id' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface Token {
  type: TokenType;
  lit: string;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isSymbol(c: string): boolean {
  return c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && isSpace(s[i])) i++;
    if (i >= n) {
      out.push({ type: 'end', lit: '' });
      return out;
    }
    const c = s[i];
    if (isSymbol(c)) {
      // Longest known operator: only "==" and "!=" are two characters long.
      const two = s.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        out.push({ type: two, lit: two });
        i += 2;
      } else {
        out.push({ type: c as TokenType, lit: c });
        i += 1;
      }
      continue;
    }
    const start = i;
    while (i < n && !isSymbol(s[i]) && !isSpace(s[i])) i++;
    const word = s.slice(start, i);
    out.push({ type: word === 'in' || word === 'notin' ? word : 'id', lit: word });
  }
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  /** Peek at the next token. In a value position the keywords `in`/`notin` are plain identifiers. */
  private peek(valueCtx: boolean): Token {
    const t = this.toks[this.pos];
    return valueCtx && (t.type === 'in' || t.type === 'notin') ? { type: 'id', lit: t.lit } : t;
  }

  private next(valueCtx: boolean): Token {
    const t = this.peek(valueCtx);
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.type === 'end') return reqs;
      if (t.type !== 'id' && t.type !== '!') throw new SelectorError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.next(true);
      if (after.type === 'end') return reqs;
      if (after.type !== ',') throw new SelectorError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek(true);
      if (following.type !== 'id' && following.type !== '!') {
        throw new SelectorError(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next(true);
    let negated = false;
    if (t.type === '!') {
      negated = true;
      t = this.next(true);
    }
    if (t.type !== 'id') throw new SelectorError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new SelectorError(fieldInvalid('<nil>', goQuote(key), keyErrs.join('; ')));
    const la = this.peek(true).type;
    // `!key` is complete as it stands (anything after it is the caller's problem, as upstream).
    if (negated) return checked(key, '!', []);
    if (la === 'end' || la === ',') return checked(key, 'exists', []);

    const opTok = this.next(false);
    let op: LabelOperator;
    switch (opTok.type) {
      case 'in':
        op = 'in';
        break;
      case 'notin':
        op = 'notin';
        break;
      case '=':
        op = '=';
        break;
      case '==':
        op = '==';
        break;
      case '!=':
        op = '!=';
        break;
      case '>':
        op = 'gt';
        break;
      case '<':
        op = 'lt';
        break;
      default:
        throw new SelectorError(`found '${opTok.lit}', expected: ${BINARY_OPERATORS}`);
    }
    const values = op === 'in' || op === 'notin' ? this.valueSet() : this.exactValue();
    return checked(key, op, values);
  }

  /** `(` v1, v2, ... `)` — empty members are the empty string; result sorted and de-duplicated. */
  private valueSet(): string[] {
    const open = this.next(true);
    if (open.type !== '(') throw new SelectorError(`found '${open.lit}' expected: '('`);
    const first = this.peek(true);
    if (first.type === ')') {
      this.next(true);
      return [''];
    }
    if (first.type !== 'id' && first.type !== ',') throw new SelectorError(`found '${first.lit}', expected: ',', ')' or identifier`);
    const set = new Set<string>();
    for (;;) {
      const t = this.next(true);
      if (t.type === 'id') {
        set.add(t.lit);
        const la = this.peek(true);
        if (la.type === ',') continue;
        if (la.type === ')') break;
        throw new SelectorError(`found '${la.lit}', expected: ',' or ')'`);
      } else if (t.type === ',') {
        if (set.size === 0) set.add('');
        const la = this.peek(true);
        if (la.type === ')') {
          set.add('');
          break;
        }
        if (la.type === ',') set.add('');
      } else {
        throw new SelectorError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    this.next(true); // the closing parenthesis
    return [...set].sort(compareStrings);
  }

  private exactValue(): string[] {
    const la = this.peek(true);
    if (la.type === 'end' || la.type === ',') return [''];
    const t = this.next(true);
    if (t.type === 'id') return [t.lit];
    throw new SelectorError(`found '${t.lit}', expected: identifier`);
  }
}

function checked(key: string, op: LabelOperator, values: string[]): LabelRequirement {
  const errs = requirementErrors(key, op, values, false);
  if (errs.length) throw new SelectorError(aggregate(errs));
  return { key, operator: op, values: Object.freeze(values) };
}

/** Upstream NewRequirement's checks, as field-error strings (path rooted at nil: `key`, `values[i]`, `values[i][key]`). */
function requirementErrors(key: string, op: LabelOperator, values: readonly string[], checkKey: boolean): string[] {
  const errs: string[] = [];
  if (checkKey) {
    const k = isQualifiedName(key);
    if (k.length) errs.push(fieldInvalid('key', goQuote(key), k.join('; ')));
  }
  switch (op) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(fieldInvalid('values', goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(fieldInvalid('values', goStringSlice(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(fieldInvalid('values', goStringSlice(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(fieldInvalid('values', goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(fieldInvalid(`values[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${goQuote(String(op))}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`);
  }
  values.forEach((v, i) => {
    const e = isValidLabelValue(v);
    if (e.length) errs.push(fieldInvalid(`values[${i}][${key}]`, goQuote(v), e.join('; ')));
  });
  return errs;
}

function fieldInvalid(path: string, quotedValue: string, detail: string): string {
  return `${path}: Invalid value: ${quotedValue}: ${detail}`;
}

/** Upstream's aggregate error text: one message alone, several de-duplicated inside brackets. */
function aggregate(errs: string[]): string {
  const uniq = [...new Set(errs)];
  return uniq.length === 1 ? uniq[0] : `[${uniq.join(', ')}]`;
}

// ---------------------------------------------------------------------------
// Matching

function compile(reqs: readonly LabelRequirement[]): Predicate {
  const preds = reqs.map(compileOne);
  switch (preds.length) {
    case 0:
      return () => true;
    case 1:
      return preds[0];
    case 2: {
      const [a, b] = preds;
      return (l) => a(l) && b(l);
    }
    default:
      return (l) => {
        for (let i = 0; i < preds.length; i++) if (!preds[i](l)) return false;
        return true;
      };
  }
}

// Labels are plain objects: only a string value counts as "present"
// (inherited members such as `constructor` are functions, never strings, so
// no own-property check is needed on this hot path).
function compileOne(r: LabelRequirement): Predicate {
  const k = r.key;
  const vals = r.values;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      if (vals.length === 1) {
        const v = vals[0];
        return (l) => l[k] === v;
      } else {
        const set = new Set(vals);
        return (l) => {
          const x = l[k];
          return typeof x === 'string' && set.has(x);
        };
      }
    case '!=':
    case 'notin':
      if (vals.length === 1) {
        const v = vals[0];
        return (l) => l[k] !== v;
      } else {
        const set = new Set(vals);
        return (l) => {
          const x = l[k];
          return typeof x !== 'string' || !set.has(x);
        };
      }
    case 'exists':
      return (l) => typeof l[k] === 'string';
    case '!':
      return (l) => typeof l[k] !== 'string';
    case 'gt':
    case 'lt': {
      if (vals.length !== 1) return () => false;
      const bound = parseInt64(vals[0]);
      if (bound === undefined) return () => false;
      const boundNum = Number(bound);
      const gt = r.operator === 'gt';
      return (l) => {
        const x = l[k];
        if (typeof x !== 'string') return false;
        if (SMALL_INT.test(x)) {
          const n = Number(x);
          return gt ? n > boundNum : n < boundNum;
        }
        const n = parseInt64(x);
        if (n === undefined) return false;
        return gt ? n > bound : n < bound;
      };
    }
    default:
      return () => false;
  }
}

// Integers short enough to be exact as a double; comparing one with the
// (possibly rounded) double of any int64 bound still orders correctly.
const SMALL_INT = /^[+-]?[0-9]{1,15}$/;
const INT_RE = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
export function parseInt64(s: string): bigint | undefined {
  if (!INT_RE.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

// ---------------------------------------------------------------------------
// Canonical string form

function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return '!' + r.key;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${valuesToString(r.values)})`;
    case 'gt':
      return `${r.key}>${valuesToString(r.values)}`;
    case 'lt':
      return `${r.key}<${valuesToString(r.values)}`;
    default:
      return `${r.key}${r.operator}${valuesToString(r.values)}`;
  }
}

/** Values in sorted order (without touching the requirement), comma-joined. */
function valuesToString(values: readonly string[]): string {
  if (values.length <= 1) return values.join(',');
  return [...values].sort(compareStrings).join(',');
}

// ---------------------------------------------------------------------------
// Validation of keys and values: one implementation, in validation/names.ts.

export { isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './validation/names.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

// ---------------------------------------------------------------------------
// Small utilities

/** Byte-wise (code unit) string order, as Go's sort.Strings for ASCII input. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => compareStrings(a.key, b.key)); // Array#sort is stable
}

/** Go's %q for a string (close enough for error messages). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's %#v for a []string built by append([]string(nil), ...). */
function goStringSlice(values: readonly string[]): string {
  return values.length === 0 ? '[]string(nil)' : `[]string{${values.map(goQuote).join(', ')}}`;
}
