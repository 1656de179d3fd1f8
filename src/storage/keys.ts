// Key ordering helpers shared by the storage backends.
//
// Keys are ordered by Unicode code point, which is the same order as the
// bytes of their UTF-8 encoding (what etcd and SQLite's BINARY collation use).
// JavaScript's `<` compares UTF-16 code units instead; the two orders differ
// only when a surrogate pair (a code point above U+FFFF) meets a character in
// U+E000..U+FFFF at the first difference, so `compareKeys` corrects exactly
// that case.

/** Compares two keys in code point (= UTF-8 byte) order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return fixup(x) - fixup(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

function fixup(u: number): number {
  // Surrogates (code points >= U+10000) sort after U+E000..U+FFFF.
  return u < 0xe000 ? u + 0x2000 : u - 0x800;
}

/**
 * The smallest key greater than every key that starts with `prefix`, or
 * undefined when there is none (empty prefix, or only U+10FFFF characters).
 * Keys under `prefix` are exactly those in [prefix, prefixEnd(prefix)).
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    let last = cps.pop()!;
    if (last === 0x10ffff) continue;
    last += 1;
    if (last === 0xd800) last = 0xe000; // skip the surrogate block
    cps.push(last);
    return String.fromCodePoint(...cps);
  }
  return undefined;
}
