// A queue of received bytes that frame parsers read from. Chunks are kept as
// they arrive and only copied when a read spans chunk boundaries, so parsing
// a large frame that arrives in many small TCP reads stays linear.

export class ByteQueue {
  private chunks: Buffer[] = [];
  private offset = 0; // bytes already consumed from chunks[0]
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The first n bytes without consuming them; n must be <= length. */
  peek(n: number): Buffer {
    if (n > this.total) throw new RangeError(`peek ${n} of ${this.total} bytes`);
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let skip = this.offset;
    for (const c of this.chunks) {
      const take = Math.min(c.length - skip, n - copied);
      c.copy(out, copied, skip, skip + take);
      copied += take;
      skip = 0;
      if (copied === n) break;
    }
    return out;
  }

  /** Consumes and returns the first n bytes; n must be <= length. */
  read(n: number): Buffer {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  skip(n: number): void {
    if (n > this.total) throw new RangeError(`skip ${n} of ${this.total} bytes`);
    this.total -= n;
    while (n > 0) {
      const avail = this.chunks[0].length - this.offset;
      if (avail > n) {
        this.offset += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** Consumes everything queued. */
  drain(): Buffer {
    return this.read(this.total);
  }
}
