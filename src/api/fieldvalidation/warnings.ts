// HTTP `Warning` response headers as upstream's API server writes them
// (k8s.io/apiserver filters.WithWarningRecorder + net.NewWarningHeader):
//
//   Warning: 299 - "unknown field \"spec.foo\""
//
// code 299, agent `-`, the text quoted with only `"` and `\` escaped. One
// recorder per request: identical texts are written once, a text with
// control characters (or invalid UTF-16) is dropped, and once the texts
// exceed 4096 characters in total every warning (including those already
// recorded) is cut to 256 characters and nothing more is added past the
// limit.

const TRUNCATE_AT_TOTAL_RUNES = 4 * 1024;
const TRUNCATE_ITEM_RUNES = 256;

// Go's unicode.IsControl: C0, DEL and C1.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function truncateRunes(s: string, max: number): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

/**
 * The header value for one warning text (`299 - "<text>"`), or undefined
 * when upstream would refuse it (control characters, invalid UTF-16).
 */
export function warningHeaderValue(text: string, agent = '-'): string | undefined {
  if (CONTROL.test(text) || LONE_SURROGATE.test(text)) return undefined;
  return `299 ${agent || '-'} "${text.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/** Collects a request's warnings and yields the `Warning` header values. */
export class WarningRecorder {
  private readonly recorded = new Set<string>();
  private readonly ordered: string[] = [];
  private headers: string[] = [];
  private written = 0;
  private truncating = false;

  /** Adds a warning text (empty texts and repeats are ignored). */
  add(text: string): void {
    if (text.length === 0) return;
    if (this.written >= TRUNCATE_AT_TOTAL_RUNES && this.truncating) return;
    if (this.recorded.has(text)) return;
    this.recorded.add(text);
    this.ordered.push(text);

    let t = text;
    let len = runeLength(t);
    if (this.truncating && len > TRUNCATE_ITEM_RUNES) {
      t = truncateRunes(t, TRUNCATE_ITEM_RUNES);
      len = TRUNCATE_ITEM_RUNES;
    }
    const header = warningHeaderValue(t);
    if (header === undefined) return;
    if (this.written + len <= TRUNCATE_AT_TOTAL_RUNES || this.truncating) {
      this.written += len;
      this.headers.push(header);
      return;
    }
    // over the limit: start truncating and replay everything truncated
    this.truncating = true;
    this.written = 0;
    this.headers = [];
    for (const w of this.ordered) {
      let wt = w;
      let wl = runeLength(wt);
      if (wl > TRUNCATE_ITEM_RUNES) {
        wt = truncateRunes(wt, TRUNCATE_ITEM_RUNES);
        wl = TRUNCATE_ITEM_RUNES;
      }
      const h = warningHeaderValue(wt);
      if (h !== undefined) {
        this.written += wl;
        this.headers.push(h);
      }
    }
  }

  addAll(texts: Iterable<string>): void {
    for (const t of texts) this.add(t);
  }

  /** The `Warning` header values, in order (one header line each). */
  headerValues(): string[] {
    return [...this.headers];
  }
}

/** The `Warning` header values for a list of warning texts, as one request's recorder writes them. */
export function warningHeaderValues(texts: Iterable<string>): string[] {
  const r = new WarningRecorder();
  r.addAll(texts);
  return r.headerValues();
}
