// Go (RE2) regular expressions, as CRD `pattern`s are written, compiled to
// JavaScript RegExps: leading inline flags, \A \z, \Q..\E, \pL, POSIX
// classes and (?P<name>) are translated; the rest of RE2's syntax is shared.

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp | Error>();

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function translate(pattern: string): { source: string; flags: string } {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('U')) throw new Error('invalid or unsupported Perl syntax: `(?U`');
    for (const f of lead[1]) if (!flags.includes(f)) flags += f;
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new Error('trailing backslash at end of expression: ``');
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (!inClass && n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (!inClass && n === 'z') {
        out += '$';
        i++;
        continue;
      }
      if ((n === 'p' || n === 'P') && src[i + 2] !== '{' && src[i + 2] !== undefined) {
        out += `\\${n}{${src[i + 2]}}`;
        i += 2;
        continue;
      }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          let name = src.slice(i + 2, end);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const cls = POSIX[name];
          if (cls && !neg) {
            out += cls;
            i = end + 1;
            continue;
          }
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += c;
  }
  return { source: out, flags };
}

function goStyleError(pattern: string, e: Error): Error {
  const m = e.message;
  if (/Unterminated group|Unmatched '\('/i.test(m)) return new Error(`error parsing regexp: missing closing ): \`${pattern}\``);
  if (/Unmatched '\)'/i.test(m)) return new Error(`error parsing regexp: unexpected ): \`${pattern}\``);
  if (/Unterminated character class/i.test(m)) return new Error(`error parsing regexp: missing closing ]: \`${pattern.slice(pattern.lastIndexOf('['))}\``);
  if (/Nothing to repeat/i.test(m)) return new Error(`error parsing regexp: missing argument to repetition operator: \`${pattern}\``);
  if (m.startsWith('error parsing regexp') || m.startsWith('invalid') || m.startsWith('trailing')) {
    return new Error(m.startsWith('error parsing regexp') ? m : `error parsing regexp: ${m}`);
  }
  return new Error(`error parsing regexp: ${m}`);
}

/** Compiles a Go regular expression; throws an Error worded like Go's regexp.Compile on failure. */
export function compileGoRegexp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit instanceof RegExp) return hit;
  if (hit instanceof Error) throw hit;
  let re: RegExp | Error;
  try {
    const { source, flags } = translate(pattern);
    try {
      re = new RegExp(source, flags + 'u');
    } catch {
      re = new RegExp(source, flags);
    }
  } catch (e) {
    re = goStyleError(pattern, e as Error);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  if (re instanceof Error) throw re;
  return re;
}
