import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  EVERYTHING,
  NOTHING,
  SelectorError,
  isEverything,
  isQualifiedName,
  isValidLabelValue,
  labelSelectorObjectOf,
  labelSelectorToString,
  matches,
  newRequirement,
  parseInt64,
  parseLabelSelector,
  selectorFromLabelSelectorObject,
  selectorFromSet,
  type LabelSelectorObject,
} from './labels.js';

const KEY_REGEX_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_REGEX_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const PREFIX_REGEX_MSG =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_MSG =
  "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

const a63 = 'a'.repeat(63);
const a64 = 'a'.repeat(64);

function expectSelectorError(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SelectorError, `expected SelectorError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('parseLabelSelector: valid input', () => {
  // [input, canonical string, requirements as [key, op, values]]
  const cases: Array<[string, string, Array<[string, string, string[]]>]> = [
    ['', '', []],
    ['   ', '', []],
    ['a', 'a', [['a', 'exists', []]]],
    ['!a', '!a', [['a', '!', []]]],
    [' ! a ', '!a', [['a', '!', []]]],
    ['a=b', 'a=b', [['a', '=', ['b']]]],
    ['a==b', 'a==b', [['a', '==', ['b']]]],
    ['a!=b', 'a!=b', [['a', '!=', ['b']]]],
    ['a=', 'a=', [['a', '=', ['']]]],
    ['a==', 'a==', [['a', '==', ['']]]],
    ['a!=', 'a!=', [['a', '!=', ['']]]],
    ['a=,b', 'a=,b', [['a', '=', ['']], ['b', 'exists', []]]],
    ['a in (y,x,x)', 'a in (x,y)', [['a', 'in', ['x', 'y']]]],
    ['a notin (x)', 'a notin (x)', [['a', 'notin', ['x']]]],
    ['a in ()', 'a in ()', [['a', 'in', ['']]]],
    ['a notin ()', 'a notin ()', [['a', 'notin', ['']]]],
    ['a in (,)', 'a in ()', [['a', 'in', ['']]]],
    ['a in (b,,c)', 'a in (,b,c)', [['a', 'in', ['', 'b', 'c']]]],
    ['a in (,b)', 'a in (,b)', [['a', 'in', ['', 'b']]]],
    ['a in (b,)', 'a in (,b)', [['a', 'in', ['', 'b']]]],
    ['a in(b)', 'a in (b)', [['a', 'in', ['b']]]],
    ['a in (in, notin)', 'a in (in,notin)', [['a', 'in', ['in', 'notin']]]],
    ['in in (notin)', 'in in (notin)', [['in', 'in', ['notin']]]],
    ['notin=in', 'notin=in', [['notin', '=', ['in']]]],
    ['a>5', 'a>5', [['a', 'gt', ['5']]]],
    ['a < 10', 'a<10', [['a', 'lt', ['10']]]],
    ['a>05', 'a>05', [['a', 'gt', ['05']]]],
    ['a>9223372036854775807', 'a>9223372036854775807', [['a', 'gt', ['9223372036854775807']]]],
    ['  a  =  b  ,  c  ', 'a=b,c', [['a', '=', ['b']], ['c', 'exists', []]]],
    ['a\t=\nb\r', 'a=b', [['a', '=', ['b']]]],
    ['z=1,a=2,m', 'a=2,m,z=1', [['a', '=', ['2']], ['m', 'exists', []], ['z', '=', ['1']]]],
    ['a=b,a=c', 'a=b,a=c', [['a', '=', ['b']], ['a', '=', ['c']]]],
    ['x notin (b),x in (a)', 'x notin (b),x in (a)', [['x', 'notin', ['b']], ['x', 'in', ['a']]]],
    ['!a,!b', '!a,!b', [['a', '!', []], ['b', '!', []]]],
    ['example.com/app=web', 'example.com/app=web', [['example.com/app', '=', ['web']]]],
    ['app.kubernetes.io/name in (my_app, My.App-2)', 'app.kubernetes.io/name in (My.App-2,my_app)', [['app.kubernetes.io/name', 'in', ['My.App-2', 'my_app']]]],
    [`${a63}=${a63}`, `${a63}=${a63}`, [[a63, '=', [a63]]]],
    ['A_b.C-d=X', 'A_b.C-d=X', [['A_b.C-d', '=', ['X']]]],
  ];
  for (const [input, canonical, reqs] of cases) {
    it(JSON.stringify(input), () => {
      const sel = parseLabelSelector(input);
      assert.equal(labelSelectorToString(sel), canonical);
      assert.equal(sel.toString(), canonical);
      assert.deepEqual(
        sel.requirements.map((r) => [r.key, r.operator, [...r.values]]),
        reqs,
      );
      assert.equal(isEverything(sel), reqs.length === 0);
      // The canonical form parses back to the same selector.
      assert.equal(parseLabelSelector(canonical).toString(), canonical);
    });
  }
});

describe('parseLabelSelector: invalid input (messages as kubectl 1.32 prints them)', () => {
  const cases: Array<[string, string]> = [
    ['a in (x,y', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (x),b in (y', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a in (x),', "found '', expected: identifier after ','"],
    ['a=b,,c', "found ',', expected: identifier after ','"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    [',', "found ',', expected: !, identifier, or 'end of string'"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a!', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['a (', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['a)', "unable to parse requirement: found ')', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['a=b=c,d', "found '=', expected: ',' or 'end of string'"],
    ['a=b=', "found '=', expected: ',' or 'end of string'"],
    ['a==b==c', "found '==', expected: ',' or 'end of string'"],
    ['a!=b!=c', "found '!=', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a in (x)y', "found 'y', expected: ',' or 'end of string'"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in', "unable to parse requirement: found '' expected: '('"],
    ['a notin', "unable to parse requirement: found '' expected: '('"],
    ['a in (x y)', "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ['a in ((x))', "unable to parse requirement: found '(', expected: ',', ')' or identifier"],
    ['a in (x,!)', "unable to parse requirement: found '!', expected: ',', or identifier"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['a=!b', "unable to parse requirement: found '!', expected: identifier"],
    ['a!==b', "unable to parse requirement: found '=', expected: identifier"],
    ['a===b', "unable to parse requirement: found '=', expected: identifier"],
    ['a=>b', "unable to parse requirement: found '>', expected: identifier"],
    ['a<<5', "unable to parse requirement: found '<', expected: identifier"],
    ['a<(1)', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['a,!', "unable to parse requirement: found '', expected: identifier"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    ['a>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a<', `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a>', `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a<1.5', `unable to parse requirement: values[0]: Invalid value: "1.5": for 'Gt', 'Lt' operators, the value must be an integer`],
    [
      'a > 9223372036854775808',
      `unable to parse requirement: values[0]: Invalid value: "9223372036854775808": for 'Gt', 'Lt' operators, the value must be an integer`,
    ],
    ['a>5,b<-3', `unable to parse requirement: values[0][b]: Invalid value: "-3": ${VALUE_REGEX_MSG}`],
    [
      'a>-x',
      `unable to parse requirement: [values[0]: Invalid value: "-x": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: "-x": ${VALUE_REGEX_MSG}]`,
    ],
    ['-a', `unable to parse requirement: <nil>: Invalid value: "-a": ${KEY_REGEX_MSG}`],
    ['é', `unable to parse requirement: <nil>: Invalid value: "é": ${KEY_REGEX_MSG}`],
    ['a/', `unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ${KEY_REGEX_MSG}`],
    ['/a', 'unable to parse requirement: <nil>: Invalid value: "/a": prefix part must be non-empty'],
    ['x/y/z', `unable to parse requirement: <nil>: Invalid value: "x/y/z": ${QUALIFIED_MSG}`],
    ['a/b/', `unable to parse requirement: <nil>: Invalid value: "a/b/": ${QUALIFIED_MSG}`],
    ['A.B/c', `unable to parse requirement: <nil>: Invalid value: "A.B/c": ${PREFIX_REGEX_MSG}`],
    ['a./b', `unable to parse requirement: <nil>: Invalid value: "a./b": ${PREFIX_REGEX_MSG}`],
    [
      `${'a'.repeat(254)}/b`,
      `unable to parse requirement: <nil>: Invalid value: "${'a'.repeat(254)}/b": prefix part must be no more than 253 characters`,
    ],
    [a64, `unable to parse requirement: <nil>: Invalid value: "${a64}": name part must be no more than 63 characters`],
    [
      `-${a64}`,
      `unable to parse requirement: <nil>: Invalid value: "-${a64}": name part must be no more than 63 characters; ${KEY_REGEX_MSG}`,
    ],
    ['!-a', `unable to parse requirement: <nil>: Invalid value: "-a": ${KEY_REGEX_MSG}`],
    ['a=-b', `unable to parse requirement: values[0][a]: Invalid value: "-b": ${VALUE_REGEX_MSG}`],
    ['a=é', `unable to parse requirement: values[0][a]: Invalid value: "é": ${VALUE_REGEX_MSG}`],
    [`a=${'b'.repeat(64)}`, `unable to parse requirement: values[0][a]: Invalid value: "${'b'.repeat(64)}": must be no more than 63 characters`],
    [
      `a=-${a64}`,
      `unable to parse requirement: values[0][a]: Invalid value: "-${a64}": must be no more than 63 characters; ${VALUE_REGEX_MSG}`,
    ],
    ['a in (ok,-bad)', `unable to parse requirement: values[0][a]: Invalid value: "-bad": ${VALUE_REGEX_MSG}`],
    ['a in (-x,-y)', `unable to parse requirement: [values[0][a]: Invalid value: "-x": ${VALUE_REGEX_MSG}, values[1][a]: Invalid value: "-y": ${VALUE_REGEX_MSG}]`],
  ];
  for (const [input, message] of cases) {
    it(JSON.stringify(input.length > 80 ? input.slice(0, 80) + '…' : input), () => {
      expectSelectorError(() => parseLabelSelector(input), message);
    });
  }

  it('SelectorError is an Error with its own name', () => {
    try {
      parseLabelSelector('a b');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof Error);
      assert.ok(e instanceof SelectorError);
      assert.equal((e as Error).name, 'SelectorError');
    }
  });
});

describe('matches', () => {
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', undefined, true],
    ['', { a: 'b' }, true],
    ['a', { a: '' }, true],
    ['a', { b: 'x' }, false],
    ['a', undefined, false],
    ['!a', { b: 'x' }, true],
    ['!a', { a: '' }, false],
    ['!a', undefined, true],
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a=b', {}, false],
    ['a==b', { a: 'b', c: 'd' }, true],
    ['a=', { a: '' }, true],
    ['a=', {}, false],
    ['a!=b', { a: 'c' }, true],
    ['a!=b', { a: 'b' }, false],
    ['a!=b', {}, true],
    ['a!=b', undefined, true],
    ['a in (x,y)', { a: 'y' }, true],
    ['a in (x,y)', { a: 'z' }, false],
    ['a in (x,y)', {}, false],
    ['a in ()', { a: '' }, true],
    ['a in ()', { a: 'x' }, false],
    ['a notin (x,y)', { a: 'z' }, true],
    ['a notin (x,y)', { a: 'x' }, false],
    ['a notin (x,y)', {}, true],
    ['a notin (x)', { a: 'x' }, false],
    ['a>5', { a: '6' }, true],
    ['a>5', { a: '5' }, false],
    ['a>5', { a: '007' }, true],
    ['a>5', { a: 'x' }, false],
    ['a>5', { a: '' }, false],
    ['a>5', {}, false],
    ['a<5', { a: '-7' }, true],
    ['a<5', { a: '+4' }, true],
    ['a<5', { a: '5' }, false],
    ['a<0', { a: '-0' }, false],
    ['a>9223372036854775806', { a: '9223372036854775807' }, true],
    ['a>9223372036854775806', { a: '9223372036854775808' }, false], // out of int64 range: not an integer
    ['a<9223372036854775807', { a: '9223372036854775806' }, true],
    ['a<9223372036854775807', { a: '9223372036854775807' }, false],
    ['a>1', { a: '12345678901234567890' }, false],
    ['a>1', { a: '1234567890123456789' }, true],
    ['a<1', { a: '-9223372036854775808' }, true],
    ['a>5,a<10', { a: '7' }, true],
    ['a>5,a<10', { a: '10' }, false],
    ['a=b,c', { a: 'b', c: '' }, true],
    ['a=b,c', { a: 'b' }, false],
    ['a=b,c,!d', { a: 'b', c: 'x', d: 'y' }, false],
    ['a=b,c,!d,e notin (1)', { a: 'b', c: 'x', e: '2' }, true],
    ['app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' }, true],
    // Inherited object members are not labels.
    ['constructor', {}, false],
    ['!constructor', {}, true],
    ['toString=x', {}, false],
    ['constructor', { constructor: 'yes' }, true],
  ];
  for (const [sel, labels, want] of cases) {
    it(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} → ${want}`, () => {
      const s = parseLabelSelector(sel);
      assert.equal(matches(s, labels), want);
      assert.equal(s.matches(labels), want);
    });
  }

  it('null-prototype label objects work', () => {
    const l = Object.assign(Object.create(null), { a: 'b' }) as Record<string, string>;
    assert.equal(parseLabelSelector('a=b').matches(l), true);
    assert.equal(parseLabelSelector('!c').matches(l), true);
  });

  it('NOTHING selects nothing, EVERYTHING everything', () => {
    assert.equal(NOTHING.matches({}), false);
    assert.equal(NOTHING.matches({ a: 'b' }), false);
    assert.equal(isEverything(NOTHING), false);
    assert.equal(EVERYTHING.matches(undefined), true);
    assert.equal(isEverything(EVERYTHING), true);
    assert.equal(NOTHING.toString(), '');
    assert.equal(NOTHING.add(newRequirement('a', 'exists', [])), NOTHING);
  });

  it('a selector object is reusable and fast (many matches per second)', () => {
    const sel = parseLabelSelector('app=web,tier in (frontend,backend),!canary,version notin (v0),replicas>2');
    const objs: Array<Record<string, string>> = [];
    for (let i = 0; i < 1000; i++) {
      objs.push({ app: i % 2 ? 'web' : 'db', tier: i % 3 ? 'frontend' : 'cache', version: `v${i % 4}`, replicas: String(i % 5), pod: `p${i}` });
    }
    let hits = 0;
    const start = process.hrtime.bigint();
    for (let round = 0; round < 200; round++) for (const o of objs) if (sel.matches(o)) hits++;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    // Count what should match, independently.
    let want = 0;
    for (const o of objs) {
      if (o.app === 'web' && ['frontend', 'backend'].includes(o.tier) && o.version !== 'v0' && Number(o.replicas) > 2) want++;
    }
    assert.equal(hits, want * 200);
    assert.ok(ms < 2000, `200k matches took ${ms} ms`);
  });
});

describe('selectorFromLabelSelectorObject', () => {
  const cases: Array<[string, LabelSelectorObject, string]> = [
    ['matchLabels only', { matchLabels: { app: 'web', tier: 'fe' } }, 'app=web,tier=fe'],
    ['sorted by key', { matchLabels: { z: '1', a: '2' } }, 'a=2,z=1'],
    [
      'labels and expressions',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }] },
      'app=web,tier in (a,b)',
    ],
    ['NotIn', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, 'env notin (prod)'],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, 'env'],
    ['DoesNotExist', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist', values: [] }] }, '!env'],
    [
      'expression before label with smaller key',
      { matchLabels: { b: 'x' }, matchExpressions: [{ key: 'a', operator: 'Exists' }] },
      'a,b=x',
    ],
    ['empty label value', { matchLabels: { a: '' } }, 'a='],
    ['duplicate values kept, printed sorted', { matchExpressions: [{ key: 'k', operator: 'In', values: ['y', 'x', 'y'] }] }, 'k in (x,y,y)'],
  ];
  for (const [name, obj, str] of cases) {
    it(name, () => {
      assert.equal(selectorFromLabelSelectorObject(obj).toString(), str);
    });
  }

  it('null and undefined select nothing; empty selects everything', () => {
    assert.equal(selectorFromLabelSelectorObject(null), NOTHING);
    assert.equal(selectorFromLabelSelectorObject(undefined), NOTHING);
    assert.equal(selectorFromLabelSelectorObject(null).matches({}), false);
    for (const empty of [{}, { matchLabels: {} }, { matchLabels: {}, matchExpressions: [] }, { matchLabels: null, matchExpressions: null }]) {
      const s = selectorFromLabelSelectorObject(empty);
      assert.equal(isEverything(s), true);
      assert.equal(s.matches({ anything: 'x' }), true);
      assert.equal(s.matches(undefined), true);
    }
  });

  it('matches like the equivalent string selector', () => {
    const obj = selectorFromLabelSelectorObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    assert.equal(obj.matches({ app: 'web', tier: 'fe' }), true);
    assert.equal(obj.matches({ app: 'web', tier: 'fe', zone: 'b' }), true);
    assert.equal(obj.matches({ app: 'web', tier: 'fe', zone: 'a' }), false);
    assert.equal(obj.matches({ app: 'web', tier: 'fe', canary: 'true' }), false);
    assert.equal(obj.matches({ app: 'web', tier: 'x' }), false);
    assert.equal(obj.matches({ tier: 'fe' }), false);
  });

  const invalid: Array<[string, LabelSelectorObject, string]> = [
    ['unknown operator', { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, '"Equals" is not a valid label selector operator'],
    ['lower-case operator', { matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }, '"in" is not a valid label selector operator'],
    ['Gt is not allowed here', { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '"Gt" is not a valid label selector operator'],
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      'NotIn with values missing',
      { matchExpressions: [{ key: 'a', operator: 'NotIn' }] },
      "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x', 'y'] }] },
      'values: Invalid value: []string{"x", "y"}: values set must be empty for exists and does not exist',
    ],
    ['invalid key', { matchExpressions: [{ key: '-a', operator: 'Exists' }] }, `key: Invalid value: "-a": ${KEY_REGEX_MSG}`],
    ['invalid matchLabels key', { matchLabels: { 'a b': 'x' } }, `key: Invalid value: "a b": ${KEY_REGEX_MSG}`],
    ['invalid matchLabels value', { matchLabels: { app: '-x' } }, `values[0][app]: Invalid value: "-x": ${VALUE_REGEX_MSG}`],
    [
      'invalid key and value together',
      { matchExpressions: [{ key: '-a', operator: 'In', values: ['-x'] }] },
      `[key: Invalid value: "-a": ${KEY_REGEX_MSG}, values[0][-a]: Invalid value: "-x": ${VALUE_REGEX_MSG}]`,
    ],
  ];
  for (const [name, obj, message] of invalid) {
    it(`rejects: ${name}`, () => {
      expectSelectorError(() => selectorFromLabelSelectorObject(obj), message);
    });
  }
});

describe('canonical string and round trips', () => {
  it('prints requirements in key order with sorted values', () => {
    const s = parseLabelSelector('tier in (b,a), app = web, !canary, x>1, y<2, z notin (q,p), w==v, u!=t, e');
    assert.equal(s.toString(), 'app=web,!canary,e,tier in (a,b),u!=t,w==v,x>1,y<2,z notin (p,q)');
  });

  it('labelSelectorObjectOf turns a selector back into matchLabels/matchExpressions', () => {
    const s = parseLabelSelector('app=web,tier in (a,b),!canary,zone,env notin (prod)');
    const obj = labelSelectorObjectOf(s);
    assert.deepEqual(obj, {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'zone', operator: 'Exists' },
      ],
    });
    assert.equal(selectorFromLabelSelectorObject(obj).toString(), s.toString());
    assert.deepEqual(labelSelectorObjectOf(EVERYTHING), {});
    assert.equal(labelSelectorObjectOf(NOTHING), null);
    expectSelectorError(() => labelSelectorObjectOf(parseLabelSelector('a!=b')), '"!=" is not a valid label selector operator');
  });

  it('selectorFromSet', () => {
    assert.equal(selectorFromSet({ b: '2', a: '1' }).toString(), 'a=1,b=2');
    assert.equal(selectorFromSet({ b: '2', a: '1' }).matches({ a: '1', b: '2', c: '3' }), true);
    assert.equal(selectorFromSet({ b: '2', a: '1' }).matches({ a: '1' }), false);
    assert.equal(isEverything(selectorFromSet({})), true);
    assert.equal(isEverything(selectorFromSet(undefined)), true);
  });

  it('add keeps key order and does not modify the original', () => {
    const s = parseLabelSelector('b=1');
    const t = s.add(newRequirement('a', 'exists', []), newRequirement('c', 'in', ['y', 'x']));
    assert.equal(s.toString(), 'b=1');
    assert.equal(t.toString(), 'a,b=1,c in (x,y)');
  });

  it('requiresExactMatch', () => {
    const s = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5,e==6');
    assert.equal(s.requiresExactMatch('a'), '1');
    assert.equal(s.requiresExactMatch('b'), '2');
    assert.equal(s.requiresExactMatch('c'), undefined);
    assert.equal(s.requiresExactMatch('d'), undefined);
    assert.equal(s.requiresExactMatch('e'), '6');
    assert.equal(s.requiresExactMatch('zz'), undefined);
  });

  it('requirements are frozen', () => {
    const s = parseLabelSelector('a in (x,y)');
    assert.throws(() => (s.requirements as unknown as unknown[]).push({}));
    assert.throws(() => (s.requirements[0].values as string[]).push('z'));
  });
});

describe('validation helpers', () => {
  it('isQualifiedName', () => {
    assert.deepEqual(isQualifiedName('app'), []);
    assert.deepEqual(isQualifiedName('example.com/app'), []);
    assert.deepEqual(isQualifiedName(a63), []);
    assert.deepEqual(isQualifiedName(''), ['name part must be non-empty', KEY_REGEX_MSG]);
    assert.equal(isQualifiedName(`a.b/${a64}`).length, 1);
  });
  it('isValidLabelValue', () => {
    assert.deepEqual(isValidLabelValue(''), []);
    assert.deepEqual(isValidLabelValue('a-b_c.d'), []);
    assert.deepEqual(isValidLabelValue('a b'), [VALUE_REGEX_MSG]);
    assert.deepEqual(isValidLabelValue('_a'), [VALUE_REGEX_MSG]);
  });
  it('parseInt64 follows strconv.ParseInt', () => {
    assert.equal(parseInt64('42'), 42n);
    assert.equal(parseInt64('+42'), 42n);
    assert.equal(parseInt64('-042'), -42n);
    assert.equal(parseInt64('-9223372036854775808'), -(2n ** 63n));
    assert.equal(parseInt64('-9223372036854775809'), undefined);
    assert.equal(parseInt64(''), undefined);
    assert.equal(parseInt64('1_000'), undefined);
    assert.equal(parseInt64(' 1'), undefined);
    assert.equal(parseInt64('0x10'), undefined);
  });
});
