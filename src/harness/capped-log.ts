// A target's output log (target.stdout.log, target.stderr.log) with a size cap, because a target may write
// without end: the head is written as it comes, the rest is kept in a bounded ring of the latest bytes, and at
// close the ring is written after a line saying how much was cut — the file keeps its head and its tail, and the
// report says so (LogRecord). A write error (a full disk) stops the logging, never the run: the record says why.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { LogRecord } from '../model/report.js';

/** Default cap per log: 8 MiB (half head, half tail). */
export const LOG_CAP_BYTES = 8 * 1024 * 1024;

export class CappedLog {
  private fd: number | null = null;
  private written = 0;
  private total = 0;
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  private error: string | null = null;
  private closed: LogRecord | null = null;
  private readonly headCap: number;
  private readonly tailCap: number;

  constructor(
    readonly path: string,
    capBytes = LOG_CAP_BYTES,
  ) {
    this.headCap = Math.floor(capBytes / 2);
    this.tailCap = capBytes - this.headCap;
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    this.total += chunk.length;
    if (this.fd === null) return;
    let rest = chunk;
    if (this.written < this.headCap) {
      const head = rest.subarray(0, this.headCap - this.written);
      if (!this.writeAll(head)) return;
      rest = rest.subarray(head.length);
    }
    if (rest.length === 0) return;
    // past the head: only the latest tailCap bytes are kept (copied: the pipe's buffer is reused)
    this.tail.push(Buffer.from(rest));
    this.tailBytes += rest.length;
    while (this.tailBytes - this.tail[0].length >= this.tailCap) this.tailBytes -= this.tail.shift()!.length;
  }

  /** Writes the tail (after a cut marker when bytes were dropped) and closes the file. */
  close(): LogRecord {
    if (this.closed) return this.closed;
    const head = this.written;
    const overflow = this.total - head;
    const keptTail = Math.min(this.tailBytes, this.tailCap);
    const truncated = this.error === null && overflow > keptTail;
    if (this.fd !== null) {
      const ring = Buffer.concat(this.tail);
      if (truncated) {
        this.writeAll(
          Buffer.from(
            `\n[handoff: ${overflow - keptTail} bytes cut here: this log keeps the first ${head} and the last ${keptTail} of the ${this.total} bytes the target wrote]\n`,
          ),
        );
      }
      if (keptTail > 0) this.writeAll(ring.subarray(ring.length - keptTail));
      if (this.fd !== null) {
        try {
          closeSync(this.fd);
        } catch {
          /* nothing more to lose */
        }
        this.fd = null;
      }
    }
    this.tail.length = 0;
    this.tailBytes = 0;
    // kept: the file's size (the cut line included)
    this.closed = { bytes: this.total, kept: this.written, truncated, error: this.error };
    return this.closed;
  }

  /** false (and logging stopped) on a write error */
  private writeAll(buf: Buffer): boolean {
    if (this.fd === null) return false;
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off, buf.length - off);
      this.written += buf.length;
      return true;
    } catch (err) {
      this.error = `${(err as NodeJS.ErrnoException).code ?? 'write error'}: ${(err as Error).message}`;
      try {
        closeSync(this.fd);
      } catch {
        /* already failing */
      }
      this.fd = null;
      return false;
    }
  }
}
