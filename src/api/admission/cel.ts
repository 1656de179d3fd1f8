// CEL for admission (webhook matchConditions, ValidatingAdmissionPolicy):
// compiling and evaluating expressions over Kubernetes objects with
// @marcbachmann/cel-js. Pure: no I/O.
//
// Objects arrive as JSON; CEL distinguishes int from double, and Kubernetes'
// schemas make every integral JSON number an int64, so integral numbers are
// handed to CEL as BigInts (`object.spec.replicas <= 5` compares ints, and
// `string(object.spec.replicas)` prints "6", not "6.0").

import { Environment } from '@marcbachmann/cel-js';

/** A compiled expression: call it with the activation (variable values). */
export type CelProgram = (vars: Record<string, unknown>) => unknown;

export class CelCompileError extends Error {}
export class CelEvalError extends Error {}

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false, enableOptionalTypes: true });

const compiled = new Map<string, CelProgram | CelCompileError>();

/** Compiles an expression (memoised: policies are evaluated on every matching request). */
export function compileCel(expression: string): CelProgram {
  let p = compiled.get(expression);
  if (!p) {
    try {
      const parsed = env.parse(expression);
      p = (vars) => {
        try {
          return parsed(vars as any);
        } catch (e) {
          throw new CelEvalError(firstLine(e));
        }
      };
    } catch (e) {
      p = new CelCompileError(`compilation failed: ERROR: <input>: ${firstLine(e)}`);
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(expression, p);
  }
  if (p instanceof CelCompileError) throw p;
  return p;
}

/** The compile error of an expression, or undefined if it compiles. */
export function celCompileError(expression: string): string | undefined {
  try {
    compileCel(expression);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Evaluates to a boolean; anything else is an evaluation error, as upstream. */
export function evalCelBool(p: CelProgram, vars: Record<string, unknown>): boolean {
  const v = p(vars);
  if (typeof v !== 'boolean') throw new CelEvalError(`expression returned a ${celTypeName(v)}, expected bool`);
  return v;
}

/** Evaluates to a string (messageExpression, auditAnnotations). */
export function evalCelString(p: CelProgram, vars: Record<string, unknown>): string {
  const v = p(vars);
  if (typeof v !== 'string') throw new CelEvalError(`expression returned a ${celTypeName(v)}, expected string`);
  return v;
}

/** JSON to CEL values: integral numbers become int (BigInt). */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

/** CEL values back to JSON (variables shown in messages, params). */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromCel(x);
    return out;
  }
  return v;
}

function celTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null_type';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'map' : typeof v;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/**
 * Lazily bound `variables`: each composited variable is evaluated at most
 * once per request, when an expression first reads it (upstream's
 * composition environment).
 */
export function lazyVariables(defs: Array<{ name: string; expression: string }>, base: Record<string, unknown>): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  const activation = { ...base, variables: vars };
  for (const d of defs) {
    let done = false;
    let value: unknown;
    Object.defineProperty(vars, d.name, {
      enumerable: true,
      get() {
        if (!done) {
          value = compileCel(d.expression)(activation);
          done = true;
        }
        return value;
      },
    });
  }
  return activation;
}
