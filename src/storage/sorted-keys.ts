// A sorted set of keys (code point order) kept as a list of sorted chunks, so
// inserts and deletes cost O(log n + chunk size) instead of moving the whole
// array, and range scans and rank queries stay cheap.

import { compareKeys } from './keys.js';

const MAX_CHUNK = 512;

export class SortedKeySet {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    const c = this.chunkFor(key);
    if (c < 0) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    return i < chunk.length && chunk[i] === key;
  }

  /** Adds `key`; returns false if it was already present. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    let c = this.chunkFor(key);
    if (c < 0) c = this.chunks.length - 1; // greater than everything
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (i < chunk.length && chunk[i] === key) return false;
    if (i === chunk.length) chunk.push(key);
    else chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > MAX_CHUNK) {
      const half = chunk.length >> 1;
      this.chunks.splice(c + 1, 0, chunk.splice(half));
    }
    return true;
  }

  /** Removes `key`; returns false if it was not present. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    if (c < 0) return false;
    const chunk = this.chunks[c]!;
    const i = lowerBound(chunk, key);
    if (i >= chunk.length || chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Number of keys that sort before `key`. */
  rank(key: string): number {
    const c = this.chunkFor(key);
    if (c < 0) return this.count;
    let r = 0;
    for (let j = 0; j < c; j++) r += this.chunks[j]!.length;
    return r + lowerBound(this.chunks[c]!, key);
  }

  /**
   * Calls `visit` for each key >= `from`, in order, until it returns false.
   * The set must not be modified during the scan.
   */
  scan(from: string, visit: (key: string) => boolean): void {
    let c = this.chunkFor(from);
    if (c < 0) return;
    let i = lowerBound(this.chunks[c]!, from);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
    }
  }

  /** Index of the first chunk whose last key is >= key, or -1. */
  private chunkFor(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunks[mid]!;
      if (compareKeys(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.chunks.length ? lo : -1;
  }
}

function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(arr[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
